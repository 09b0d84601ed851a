// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/pactum/pactum"
)

// screeningRoutes help applicants before they submit: the questionnaire,
// a dry run of screening and the JSON Schema of a proposal.
var screeningRoutes = []route{
	{"GET /api/v1/questionnaire", (*Server).handleQuestionnaire},
	{"POST /api/v1/proposals/screen", (*Server).handleScreenProposal},
	{"GET /api/v1/schemas/proposal", (*Server).handleProposalSchema},
}

func (s *Server) handleQuestionnaire(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Screening != nil) {
		return
	}
	q, err := s.cfg.Screening.Questionnaire(r.Context())
	s.respond(w, r, http.StatusOK, q, err)
}

func (s *Server) handleScreenProposal(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Screening != nil) {
		return
	}
	var in pactum.ProposalInput
	if !s.readBody(w, r, &in) {
		return
	}
	d, err := s.cfg.Screening.ScreenProposal(r.Context(), &in)
	s.respond(w, r, http.StatusOK, d, err)
}

// handleProposalSchema serves the API document's ProposalInput as a
// standalone JSON Schema: the document's schemas become $defs, so editors
// and validators can check a proposal file before it is sent.
func (s *Server) handleProposalSchema(w http.ResponseWriter, r *http.Request) {
	b, err := proposalSchema()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

var proposalSchema = sync.OnceValues(func() ([]byte, error) {
	doc, err := openapiJSON()
	if err != nil {
		return nil, err
	}
	var api struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &api); err != nil {
		return nil, err
	}
	defs := map[string]json.RawMessage{}
	for name, raw := range api.Components.Schemas {
		defs[name] = json.RawMessage(strings.ReplaceAll(string(raw), "#/components/schemas/", "#/$defs/"))
	}
	return json.MarshalIndent(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     "https://pactum.eu/schemas/proposal.json",
		"title":   "pactum proposal (the body of POST /api/v1/proposals)",
		"$ref":    "#/$defs/ProposalInput",
		"$defs":   defs,
	}, "", "  ")
})
