// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// reviewerRoutes serve reviewers' profiles, their assignment to a call's
// proposals and the conflicts of interest found on the way. Authorization
// is the service's: a conflicted reviewer gets 404 from every endpoint that
// touches the proposal.
var reviewerRoutes = []route{
	{"GET /api/v1/reviewers", (*Server).handleListReviewers},
	{"GET /api/v1/reviewers/{id}", (*Server).handleGetReviewer},
	{"PUT /api/v1/reviewers/{id}", (*Server).handleUpdateReviewer},
	{"POST /api/v1/calls/{id}/assignments", (*Server).handleAssignReviewers},
	{"GET /api/v1/assignments", (*Server).handleListAssignments},
	{"POST /api/v1/assignments/{id}/recuse", (*Server).handleRecuse},
	{"GET /api/v1/conflicts", (*Server).handleListConflicts},
	{"POST /api/v1/conflicts/{id}/waive", (*Server).handleWaiveConflict},
}

type reviewerProfileInput struct {
	Expertise         []string                  `json:"expertise"`
	Affiliations      []pactum.Affiliation      `json:"affiliations"`
	DeclaredConflicts []pactum.DeclaredConflict `json:"declared_conflicts"`
}

func (s *Server) handleListReviewers(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("expertise", "limit", "offset")
	f := pactum.ReviewerFilter{Expertise: q.str("expertise")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	items, total, err := s.cfg.Reviewers.FindReviewerProfiles(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(items, total), err)
}

func (s *Server) handleGetReviewer(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Reviewers.FindReviewerProfile(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) handleUpdateReviewer(w http.ResponseWriter, r *http.Request) {
	var in reviewerProfileInput
	if !s.readBody(w, r, &in) {
		return
	}
	p := &pactum.ReviewerProfile{UserID: r.PathValue("id"), Expertise: in.Expertise, Affiliations: in.Affiliations, DeclaredConflicts: in.DeclaredConflicts}
	err := s.cfg.Reviewers.UpdateReviewerProfile(r.Context(), p)
	s.respond(w, r, http.StatusOK, p, err)
}

type assignInput struct {
	Stage pactum.ReviewStage `json:"stage"`
}

func (s *Server) handleAssignReviewers(w http.ResponseWriter, r *http.Request) {
	var in assignInput
	if !s.readBody(w, r, &in) {
		return
	}
	rep, err := s.cfg.Reviewers.AssignReviewers(r.Context(), r.PathValue("id"), in.Stage)
	s.respond(w, r, http.StatusOK, rep, err)
}

func (s *Server) handleListAssignments(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("proposal_id", "call_id", "reviewer_id", "stage", "state", "limit", "offset")
	f := pactum.AssignmentFilter{ProposalID: q.str("proposal_id"), CallID: q.str("call_id"), ReviewerID: q.str("reviewer_id")}
	f.Limit, f.Offset = q.page()
	f.Stage = q.stage()
	f.State = enum(&q, "state", func(s pactum.AssignmentState) bool {
		return s == pactum.AssignmentAssigned || s == pactum.AssignmentSubmitted || s == pactum.AssignmentRecused
	}, "must be one of assigned, submitted, recused")
	if !s.readQuery(w, r, &q) {
		return
	}
	items, total, err := s.cfg.Reviewers.FindAssignments(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(items, total), err)
}

func (s *Server) handleRecuse(w http.ResponseWriter, r *http.Request) {
	var in reasonInput
	if !s.readBody(w, r, &in) {
		return
	}
	a, err := s.cfg.Reviewers.Recuse(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, a, err)
}

func (s *Server) handleListConflicts(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("proposal_id", "reviewer_id", "status", "limit", "offset")
	f := pactum.ConflictFilter{ProposalID: q.str("proposal_id"), ReviewerID: q.str("reviewer_id")}
	f.Limit, f.Offset = q.page()
	f.Status = enum(&q, "status", func(s pactum.ConflictStatus) bool {
		return s == pactum.ConflictActive || s == pactum.ConflictWaived
	}, "must be active or waived")
	if !s.readQuery(w, r, &q) {
		return
	}
	items, total, err := s.cfg.Reviewers.FindConflicts(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(items, total), err)
}

func (s *Server) handleWaiveConflict(w http.ResponseWriter, r *http.Request) {
	var in reasonInput
	if !s.readBody(w, r, &in) {
		return
	}
	c, err := s.cfg.Reviewers.WaiveConflict(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, c, err)
}
