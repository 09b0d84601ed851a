// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// The review, allocation-run and notification endpoints. Authorization is
// the services' (a conflicted reviewer gets 404 from every one that touches
// the proposal); the handlers only decode, call and encode.

// respond writes v, or err through the one error mapping.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// --- reviewers ---

type reviewerProfileInput struct {
	Expertise         []string                  `json:"expertise"`
	Affiliations      []pactum.Affiliation      `json:"affiliations"`
	DeclaredConflicts []pactum.DeclaredConflict `json:"declared_conflicts"`
}

func (s *Server) handleListReviewers(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("expertise", "limit", "offset")
	f := pactum.ReviewerFilter{Expertise: q.str("expertise"), Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := s.cfg.Reviewers.FindReviewerProfiles(r.Context(), f)
	s.respond(w, r, http.StatusOK, list[*pactum.ReviewerProfile]{Items: nonNil(items), Total: total}, err)
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

// --- rubric, assignment, panel ---

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

func (s *Server) handleRankPanel(w http.ResponseWriter, r *http.Request) {
	var in pactum.PanelInput
	if !s.readBody(w, r, &in) {
		return
	}
	entries, err := s.cfg.Reviews.RankPanel(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, list[*pactum.PanelEntry]{Items: nonNil(entries), Total: len(entries)}, err)
}

func (s *Server) handleGetRanking(w http.ResponseWriter, r *http.Request) {
	entries, err := s.cfg.Reviews.FindRanking(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, list[*pactum.PanelEntry]{Items: nonNil(entries), Total: len(entries)}, err)
}

// --- allocation runs ---

func (s *Server) handleCreateAllocationRun(w http.ResponseWriter, r *http.Request) {
	var in pactum.AllocationRunInput
	if !s.readBody(w, r, &in) {
		return
	}
	run, err := s.cfg.AllocationRuns.CreateAllocationRun(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusCreated, run, err)
}

func (s *Server) handleListAllocationRuns(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("call_id", "limit", "offset")
	f := pactum.AllocationRunFilter{CallID: q.str("call_id"), Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	runs, total, err := s.cfg.AllocationRuns.FindAllocationRuns(r.Context(), f)
	s.respond(w, r, http.StatusOK, list[*pactum.AllocationRun]{Items: nonNil(runs), Total: total}, err)
}

func (s *Server) handleGetAllocationRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.cfg.AllocationRuns.FindAllocationRunByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, run, err)
}

func (s *Server) handleGetAllocationRunInstance(w http.ResponseWriter, r *http.Request) {
	b, err := s.cfg.AllocationRuns.AllocationRunInstance(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// Stored as JSON already; sent as is.
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) handlePublishAllocationRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.cfg.AllocationRuns.PublishAllocationRun(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, run, err)
}

// --- assignments and conflicts ---

func (s *Server) handleListAssignments(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("proposal_id", "call_id", "reviewer_id", "stage", "state", "limit", "offset")
	f := pactum.AssignmentFilter{ProposalID: q.str("proposal_id"), CallID: q.str("call_id"), ReviewerID: q.str("reviewer_id"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if st := q.str("stage"); st != nil {
		rs := pactum.ReviewStage(*st)
		if !rs.Valid() {
			q.v.Add("stage", "must be one of technical, ethics, peer, reply, panel, decision")
		}
		f.Stage = &rs
	}
	if st := q.str("state"); st != nil {
		as := pactum.AssignmentState(*st)
		if as != pactum.AssignmentAssigned && as != pactum.AssignmentSubmitted && as != pactum.AssignmentRecused {
			q.v.Add("state", "must be one of assigned, submitted, recused")
		}
		f.State = &as
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := s.cfg.Reviewers.FindAssignments(r.Context(), f)
	s.respond(w, r, http.StatusOK, list[*pactum.Assignment]{Items: nonNil(items), Total: total}, err)
}

type reasonInput struct {
	Reason string `json:"reason"`
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
	f := pactum.ConflictFilter{ProposalID: q.str("proposal_id"), ReviewerID: q.str("reviewer_id"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if st := q.str("status"); st != nil {
		cs := pactum.ConflictStatus(*st)
		if cs != pactum.ConflictActive && cs != pactum.ConflictWaived {
			q.v.Add("status", "must be active or waived")
		}
		f.Status = &cs
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := s.cfg.Reviewers.FindConflicts(r.Context(), f)
	s.respond(w, r, http.StatusOK, list[*pactum.Conflict]{Items: nonNil(items), Total: total}, err)
}

func (s *Server) handleWaiveConflict(w http.ResponseWriter, r *http.Request) {
	var in reasonInput
	if !s.readBody(w, r, &in) {
		return
	}
	c, err := s.cfg.Reviewers.WaiveConflict(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, c, err)
}

// --- a proposal's review ---

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
	var f pactum.ReviewFilter
	if st := q.str("stage"); st != nil {
		rs := pactum.ReviewStage(*st)
		if !rs.Valid() {
			q.v.Add("stage", "must be one of technical, ethics, peer, reply, panel, decision")
		}
		f.Stage = &rs
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, err := s.cfg.Reviews.FindReviews(r.Context(), r.PathValue("id"), f)
	s.respond(w, r, http.StatusOK, list[*pactum.Review]{Items: nonNil(items), Total: len(items)}, err)
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

// --- notifications ---

func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("user_id", "proposal_id", "unread", "limit", "offset")
	f := pactum.NotificationFilter{UserID: q.str("user_id"), ProposalID: q.str("proposal_id"), Unread: q.bool("unread"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := s.cfg.Notifications.FindNotifications(r.Context(), f)
	s.respond(w, r, http.StatusOK, list[*pactum.Notification]{Items: nonNil(items), Total: total}, err)
}

func (s *Server) handleMarkNotificationRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.cfg.Notifications.MarkNotificationRead(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, n, err)
}
