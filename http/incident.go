// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// incidentRoutes report and handle incidents on allocations; outcomeRoutes
// record what came of them.
var (
	incidentRoutes = []route{
		{"GET /api/v1/incidents", (*Server).handleListIncidents},
		{"POST /api/v1/incidents", (*Server).handleReportIncident},
		{"GET /api/v1/incidents/{id}", (*Server).handleGetIncident},
		{"POST /api/v1/incidents/{id}/triage", (*Server).handleTriageIncident},
		{"POST /api/v1/incidents/{id}/close", (*Server).handleCloseIncident},
	}
	outcomeRoutes = []route{
		{"GET /api/v1/outcomes", (*Server).handleListOutcomes},
		{"POST /api/v1/outcomes", (*Server).handleAddOutcome},
		{"GET /api/v1/outcomes/{id}", (*Server).handleGetOutcome},
		{"PUT /api/v1/outcomes/{id}", (*Server).handleUpdateOutcome},
		{"DELETE /api/v1/outcomes/{id}", (*Server).handleRemoveOutcome},
	}
)

// handleListIncidents lists visible incidents; ?overdue=true only the
// overdue ones, earliest due first.
func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Incidents != nil) {
		return
	}
	q := query{r: r}
	q.only("allocation_id", "organization_id", "call_id", "state", "overdue", "limit", "offset")
	f := pactum.IncidentFilter{AllocationID: q.str("allocation_id"), OrganizationID: q.str("organization_id"), CallID: q.str("call_id")}
	f.State = enum(&q, "state", pactum.IncidentState.Valid, "must be one of reported, triaged, closed")
	f.Limit, f.Offset = q.page()
	f.Overdue = q.bool("overdue")
	if !s.readQuery(w, r, &q) {
		return
	}
	list, total, err := s.cfg.Incidents.FindIncidents(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(list, total), err)
}

func (s *Server) handleReportIncident(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Incidents != nil) {
		return
	}
	var in pactum.IncidentInput
	if !s.readBody(w, r, &in) {
		return
	}
	inc, err := s.cfg.Incidents.ReportIncident(r.Context(), in)
	s.respond(w, r, http.StatusCreated, inc, err)
}

func (s *Server) handleGetIncident(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Incidents != nil) {
		return
	}
	inc, err := s.cfg.Incidents.FindIncident(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, inc, err)
}

func (s *Server) handleTriageIncident(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Incidents != nil) {
		return
	}
	var in pactum.TriageInput
	if !s.readBody(w, r, &in) {
		return
	}
	inc, err := s.cfg.Incidents.TriageIncident(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, inc, err)
}

type closeIncidentInput struct {
	Outcome string `json:"outcome"`
}

func (s *Server) handleCloseIncident(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Incidents != nil) {
		return
	}
	var in closeIncidentInput
	if !s.readBody(w, r, &in) {
		return
	}
	inc, err := s.cfg.Incidents.CloseIncident(r.Context(), r.PathValue("id"), in.Outcome)
	s.respond(w, r, http.StatusOK, inc, err)
}

func (s *Server) handleListOutcomes(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Outcomes != nil) {
		return
	}
	q := query{r: r}
	q.only("allocation_id", "organization_id", "call_id", "kind", "limit", "offset")
	f := pactum.OutcomeFilter{AllocationID: q.str("allocation_id"), OrganizationID: q.str("organization_id"), CallID: q.str("call_id")}
	f.Kind = enum(&q, "kind", pactum.OutcomeKind.Valid, "must be one of publication, model, dataset, product, funding")
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	list, total, err := s.cfg.Outcomes.FindOutcomes(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(list, total), err)
}

func (s *Server) handleAddOutcome(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Outcomes != nil) {
		return
	}
	var in pactum.OutcomeInput
	if !s.readBody(w, r, &in) {
		return
	}
	o, err := s.cfg.Outcomes.AddOutcome(r.Context(), in)
	s.respond(w, r, http.StatusCreated, o, err)
}

func (s *Server) handleGetOutcome(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Outcomes != nil) {
		return
	}
	o, err := s.cfg.Outcomes.FindOutcome(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, o, err)
}

type outcomeUpdate struct {
	Version int `json:"version"`
	pactum.OutcomeFields
}

func (s *Server) handleUpdateOutcome(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Outcomes != nil) {
		return
	}
	var in outcomeUpdate
	if !s.readBody(w, r, &in) {
		return
	}
	o, err := s.cfg.Outcomes.UpdateOutcome(r.Context(), r.PathValue("id"), in.Version, in.OutcomeFields)
	s.respond(w, r, http.StatusOK, o, err)
}

func (s *Server) handleRemoveOutcome(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Outcomes != nil) {
		return
	}
	err := s.cfg.Outcomes.RemoveOutcome(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusNoContent, nil, err)
}
