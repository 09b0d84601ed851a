// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// modelRoutes register models and report their compute.
var modelRoutes = []route{
	{"GET /api/v1/models", (*Server).handleListModels},
	{"POST /api/v1/models", (*Server).handleCreateModel},
	{"GET /api/v1/models/{id}/compute", (*Server).handleModelCompute},
}

type modelInput struct {
	OrganizationID        string  `json:"organization_id"`
	Name                  string  `json:"name"`
	Version               string  `json:"version"`
	BaseModel             string  `json:"base_model"`
	BaseModelFLOP         float64 `json:"base_model_flop"`
	BaseModelSystemicRisk bool    `json:"base_model_systemic_risk"`
	PriorTrainingFLOP     float64 `json:"prior_training_flop"`
	ParameterCount        float64 `json:"parameter_count"`
	TrainingTokens        float64 `json:"training_tokens"`
	DeclaredMFU           float64 `json:"declared_mfu"`
}

func (s *Server) handleCreateModel(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	var in modelInput
	if !s.readBody(w, r, &in) {
		return
	}
	m, err := s.cfg.Models.CreateModel(r.Context(), &pactum.Model{OrganizationID: in.OrganizationID, Name: in.Name, Version: in.Version,
		BaseModel: in.BaseModel, BaseModelFLOP: in.BaseModelFLOP, BaseModelSystemicRisk: in.BaseModelSystemicRisk,
		PriorTrainingFLOP: in.PriorTrainingFLOP, ParameterCount: in.ParameterCount, TrainingTokens: in.TrainingTokens, DeclaredMFU: in.DeclaredMFU})
	s.respond(w, r, http.StatusCreated, m, err)
}

func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	q := query{r: r}
	q.only("organization_id", "label", "limit", "offset")
	f := pactum.ModelFilter{OrganizationID: q.str("organization_id"), Label: q.str("label")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	models, total, err := s.cfg.Models.FindModels(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(models, total), err)
}

// handleModelCompute reports a model's compute; {id} is the model's ID,
// or, for an applicant, NAME@VERSION of their organization's model.
func (s *Server) handleModelCompute(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	mc, err := s.cfg.Models.ModelCompute(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, mc, err)
}
