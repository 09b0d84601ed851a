// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// reviewRoutes serve a call's rubric and panel ranking, and a proposal's
// way through review: its track, the reviews, the applicant's reply.
// Authorization is the service's: a conflicted reviewer gets 404 from every
// endpoint that touches the proposal.
var reviewRoutes = []route{
	{"GET /api/v1/calls/{id}/rubric", (*Server).handleGetRubric},
	{"PUT /api/v1/calls/{id}/rubric", (*Server).handleSetRubric},
	{"POST /api/v1/calls/{id}/panel", (*Server).handleRankPanel},
	{"GET /api/v1/calls/{id}/ranking", (*Server).handleGetRanking},
	{"GET /api/v1/proposals/{id}/review", (*Server).handleGetReviewTrack},
	{"POST /api/v1/proposals/{id}/review/advance", (*Server).handleAdvanceReview},
	{"GET /api/v1/proposals/{id}/reviews", (*Server).handleListReviews},
	{"POST /api/v1/proposals/{id}/reviews", (*Server).handleSubmitReview},
	{"GET /api/v1/proposals/{id}/reply", (*Server).handleGetReply},
	{"PUT /api/v1/proposals/{id}/reply", (*Server).handleSubmitReply},
}

func (s *Server) handleGetRubric(w http.ResponseWriter, r *http.Request) {
	rb, err := s.cfg.Reviews.FindRubric(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, rb, err)
}

func (s *Server) handleSetRubric(w http.ResponseWriter, r *http.Request) {
	var in pactum.Rubric
	if !s.readBody(w, r, &in) {
		return
	}
	err := s.cfg.Reviews.SetRubric(r.Context(), r.PathValue("id"), &in)
	s.respond(w, r, http.StatusOK, &in, err)
}

func (s *Server) handleRankPanel(w http.ResponseWriter, r *http.Request) {
	var in pactum.PanelInput
	if !s.readBody(w, r, &in) {
		return
	}
	entries, err := s.cfg.Reviews.RankPanel(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, listOf(entries, len(entries)), err)
}

func (s *Server) handleGetRanking(w http.ResponseWriter, r *http.Request) {
	entries, err := s.cfg.Reviews.FindRanking(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, listOf(entries, len(entries)), err)
}

func (s *Server) handleGetReviewTrack(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Reviews.FindReviewTrack(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, t, err)
}

func (s *Server) handleAdvanceReview(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Reviews.AdvanceReview(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, t, err)
}

func (s *Server) handleListReviews(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("stage")
	f := pactum.ReviewFilter{Stage: q.stage()}
	if !s.readQuery(w, r, &q) {
		return
	}
	items, err := s.cfg.Reviews.FindReviews(r.Context(), r.PathValue("id"), f)
	s.respond(w, r, http.StatusOK, listOf(items, len(items)), err)
}

func (s *Server) handleSubmitReview(w http.ResponseWriter, r *http.Request) {
	var in pactum.ReviewInput
	if !s.readBody(w, r, &in) {
		return
	}
	rv, err := s.cfg.Reviews.SubmitReview(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, rv, err)
}

type replyInput struct {
	Text string `json:"text"`
}

func (s *Server) handleGetReply(w http.ResponseWriter, r *http.Request) {
	rp, err := s.cfg.Reviews.FindReply(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, rp, err)
}

func (s *Server) handleSubmitReply(w http.ResponseWriter, r *http.Request) {
	var in replyInput
	if !s.readBody(w, r, &in) {
		return
	}
	rp, err := s.cfg.Reviews.SubmitReply(r.Context(), r.PathValue("id"), in.Text)
	s.respond(w, r, http.StatusOK, rp, err)
}
