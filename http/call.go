// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// callRoutes open and read calls for proposals. A call's rubric, panel,
// reviewer assignment and allocation runs are served with the review
// (review.go, reviewer.go, allocrun.go).
var callRoutes = []route{
	{"GET /api/v1/calls", (*Server).handleListCalls},
	{"POST /api/v1/calls", (*Server).handleCreateCall},
	{"GET /api/v1/calls/{id}", (*Server).handleGetCall},
	{"PATCH /api/v1/calls/{id}", (*Server).handleUpdateCall},
}

// callModeInput names a mode and optionally overrides its default terms
// from the catalogue.
type callModeInput struct {
	Mode                pactum.AccessMode `json:"mode"`
	MinGPUHours         *float64          `json:"min_gpu_hours"`
	MaxGPUHours         *float64          `json:"max_gpu_hours"`
	MaxDurationMonths   *int              `json:"max_duration_months"`
	DecisionWorkingDays *int              `json:"decision_working_days"`
	AutoApprove         *bool             `json:"auto_approve"`
	RequiresSME         *bool             `json:"requires_sme"`
	RequiresAIPact      *bool             `json:"requires_ai_pact"`
	Rolling             *bool             `json:"rolling"`
}

type callInput struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	OpensAt     time.Time       `json:"opens_at"`
	CutoffAt    time.Time       `json:"cutoff_at"`
	Modes       []callModeInput `json:"modes"`
	SystemIDs   []string        `json:"system_ids"`
	// HoldModelsAtSystemicRisk: see pactum.Call; off when absent.
	HoldModelsAtSystemicRisk bool `json:"hold_models_at_systemic_risk"`
	// BlockOverdueOrganizations: see pactum.Call; off when absent.
	BlockOverdueOrganizations bool `json:"block_overdue_organizations"`
}

func (s *Server) handleCreateCall(w http.ResponseWriter, r *http.Request) {
	var in callInput
	if !s.readBody(w, r, &in) {
		return
	}
	c := &pactum.Call{Title: in.Title, Description: in.Description, OpensAt: in.OpensAt, CutoffAt: in.CutoffAt, SystemIDs: in.SystemIDs,
		HoldModelsAtSystemicRisk: in.HoldModelsAtSystemicRisk, BlockOverdueOrganizations: in.BlockOverdueOrganizations}
	modes, err := callModes(in.Modes)
	if err == nil {
		c.Modes = modes
		err = s.cfg.Calls.CreateCall(r.Context(), c)
	}
	s.respond(w, r, http.StatusCreated, c, err)
}

// callModes takes each mode's terms from the catalogue with the call's
// overrides, or reports every unknown mode.
func callModes(in []callModeInput) ([]pactum.CallMode, error) {
	var modes []pactum.CallMode
	var v pactum.Validator
	for i, m := range in {
		cm, err := catalog.Mode(m.Mode)
		if err != nil {
			v.Add("modes["+strconv.Itoa(i)+"].mode", "must be one of playground, fast_lane, large_scale, benchmark, development, regular, extreme_scale")
			continue
		}
		setIf(&cm.MinGPUHours, m.MinGPUHours)
		setIf(&cm.MaxGPUHours, m.MaxGPUHours)
		setIf(&cm.MaxDurationMonths, m.MaxDurationMonths)
		setIf(&cm.DecisionWorkingDays, m.DecisionWorkingDays)
		setIf(&cm.AutoApprove, m.AutoApprove)
		setIf(&cm.RequiresSME, m.RequiresSME)
		setIf(&cm.RequiresAIPact, m.RequiresAIPact)
		setIf(&cm.Rolling, m.Rolling)
		modes = append(modes, cm)
	}
	return modes, v.Err("The call is not valid.")
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (s *Server) handleGetCall(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Calls.FindCallByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, c, err)
}

// callUpdate is what a call's PATCH may change: its hold and blocking
// terms only (the other terms bind the proposals already submitted).
type callUpdate struct {
	HoldModelsAtSystemicRisk  *bool `json:"hold_models_at_systemic_risk"`
	BlockOverdueOrganizations *bool `json:"block_overdue_organizations"`
}

// handleUpdateCall changes the terms given, in one use case.
func (s *Server) handleUpdateCall(w http.ResponseWriter, r *http.Request) {
	var in callUpdate
	if !s.readBody(w, r, &in) {
		return
	}
	c, err := s.cfg.Calls.UpdateCallTerms(r.Context(), r.PathValue("id"), pactum.CallTerms(in))
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleListCalls(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("open", "limit", "offset")
	var f pactum.CallFilter
	f.Limit, f.Offset = q.page()
	if q.bool("open") {
		now := s.now()
		f.OpenAt = &now
	}
	if !s.readQuery(w, r, &q) {
		return
	}
	calls, total, err := s.cfg.Calls.FindCalls(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(calls, total), err)
}
