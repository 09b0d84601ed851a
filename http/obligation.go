// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// obligationRoutes serve an award's obligations, its compliance and
// breaches (obligation.go).
var obligationRoutes = []route{
	{"GET /api/v1/obligations", (*Server).handleListObligations},
	{"POST /api/v1/obligations/sweep", (*Server).handleSweepObligations},
	{"GET /api/v1/obligations/{id}", (*Server).handleGetObligation},
	{"POST /api/v1/obligations/{id}/submit", (*Server).handleSubmitObligation},
	{"POST /api/v1/obligations/{id}/review", (*Server).handleReviewObligation},
	{"GET /api/v1/allocations/{id}/compliance", (*Server).handleCompliance},
	{"POST /api/v1/allocations/{id}/breach", (*Server).handleDeclareBreach},
	{"POST /api/v1/allocations/{id}/breach/clear", (*Server).handleClearBreach},
}

func (s *Server) handleListObligations(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	q := query{r: r}
	q.only("allocation_id", "organization_id", "state", "overdue", "limit", "offset")
	f := pactum.ObligationFilter{AllocationID: q.str("allocation_id"), OrganizationID: q.str("organization_id")}
	f.Limit, f.Offset = q.page()
	f.State = enum(&q, "state", pactum.ObligationState.Valid, "must be one of open, submitted, returned, accepted")
	if q.bool("overdue") {
		now := s.now()
		f.OverdueAt = &now
	}
	if !s.readQuery(w, r, &q) {
		return
	}
	obls, total, err := s.cfg.Obligations.FindObligations(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(obls, total), err)
}

func (s *Server) handleGetObligation(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	o, err := s.cfg.Obligations.FindObligationByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, o, err)
}

func (s *Server) handleSubmitObligation(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	var in pactum.SubmissionInput
	if !s.readBody(w, r, &in) {
		return
	}
	o, err := s.cfg.Obligations.SubmitObligation(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, o, err)
}

type obligationReview struct {
	Accept bool   `json:"accept"`
	Reason string `json:"reason"`
}

func (s *Server) handleReviewObligation(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	var in obligationReview
	if !s.readBody(w, r, &in) {
		return
	}
	o, err := s.cfg.Obligations.ReviewObligation(r.Context(), r.PathValue("id"), in.Accept, in.Reason)
	s.respond(w, r, http.StatusOK, o, err)
}

func (s *Server) handleSweepObligations(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	res, err := s.cfg.Obligations.SweepObligations(r.Context())
	s.respond(w, r, http.StatusOK, res, err)
}

func (s *Server) handleCompliance(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	c, err := s.cfg.Obligations.Compliance(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, c, err)
}

type breachInput struct {
	Reason string `json:"reason"`
}

func (s *Server) handleDeclareBreach(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	var in breachInput
	if !s.readBody(w, r, &in) {
		return
	}
	b, err := s.cfg.Obligations.DeclareBreach(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, b, err)
}

func (s *Server) handleClearBreach(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Obligations != nil) {
		return
	}
	var in breachInput
	if !s.readBody(w, r, &in) {
		return
	}
	b, err := s.cfg.Obligations.ClearBreach(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, b, err)
}
