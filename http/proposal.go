// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// proposalRoutes draft, submit, decide and withdraw proposals. A proposal's
// review is served in review.go.
var proposalRoutes = []route{
	{"GET /api/v1/proposals", (*Server).handleListProposals},
	{"POST /api/v1/proposals", (*Server).handleCreateProposal},
	{"GET /api/v1/proposals/{id}", (*Server).handleGetProposal},
	{"PUT /api/v1/proposals/{id}", (*Server).handleUpdateProposal},
	{"POST /api/v1/proposals/{id}/submit", (*Server).handleSubmitProposal},
	{"POST /api/v1/proposals/{id}/decision", (*Server).handleDecideProposal},
	{"POST /api/v1/proposals/{id}/override/confirm", (*Server).handleConfirmOverride},
	{"POST /api/v1/proposals/{id}/withdraw", (*Server).handleWithdrawProposal},
}

func (s *Server) handleCreateProposal(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("submit")
	submit := q.bool("submit")
	if !s.readQuery(w, r, &q) {
		return
	}
	var in pactum.ProposalInput
	if !s.readBody(w, r, &in) {
		return
	}
	p := &pactum.Proposal{ProposalInput: in}
	var err error
	if submit {
		err = s.cfg.Proposals.SubmitNewProposal(r.Context(), p)
	} else {
		err = s.cfg.Proposals.CreateProposal(r.Context(), p)
	}
	s.respond(w, r, http.StatusCreated, p, err)
}

func (s *Server) handleUpdateProposal(w http.ResponseWriter, r *http.Request) {
	var in pactum.ProposalInput
	if !s.readBody(w, r, &in) {
		return
	}
	p := &pactum.Proposal{ID: r.PathValue("id"), ProposalInput: in}
	err := s.cfg.Proposals.UpdateProposal(r.Context(), p)
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) handleGetProposal(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Proposals.FindProposalByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) handleListProposals(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("call_id", "organization_id", "state", "mode", "screening", "decision", "rule", "limit", "offset")
	f := pactum.ProposalFilter{CallID: q.str("call_id"), OrganizationID: q.str("organization_id")}
	f.Limit, f.Offset = q.page()
	f.State = enum(&q, "state", pactum.ProposalState.Valid, "must be one of draft, submitted, screening, in_review, approved, accepted, rejected, withdrawn")
	f.Mode = enum(&q, "mode", pactum.AccessMode.Valid, "must be one of playground, fast_lane, large_scale, benchmark, development, regular, extreme_scale")
	f.ScreeningOutcome = enum(&q, "screening", pactum.Outcome.Valid, "must be one of approve, refer, deny")
	f.DecisionOutcome = enum(&q, "decision", pactum.DecisionOutcome.Valid, "must be one of accepted, rejected")
	f.RuleID = enum(&q, "rule", pactum.ValidRuleIDFilter, "must be a screening rule ID: at most 200 characters, no control characters")
	if !s.readQuery(w, r, &q) {
		return
	}
	props, total, err := s.cfg.Proposals.FindProposals(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(props, total), err)
}

func (s *Server) handleSubmitProposal(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Proposals.SubmitProposal(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) handleDecideProposal(w http.ResponseWriter, r *http.Request) {
	var in pactum.DecisionInput
	if !s.readBody(w, r, &in) {
		return
	}
	p, err := s.cfg.Proposals.DecideProposal(r.Context(), r.PathValue("id"), in)
	s.respond(w, r, http.StatusOK, p, err)
}

// handleConfirmOverride applies a proposal's pending override; the body is
// empty: what is confirmed is the override as stored on the proposal.
func (s *Server) handleConfirmOverride(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Proposals.ConfirmOverride(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, p, err)
}

// reasonInput is the body of the actions that only take a reason: a
// withdrawal, a recusal, a waiver.
type reasonInput struct {
	Reason string `json:"reason"`
}

func (s *Server) handleWithdrawProposal(w http.ResponseWriter, r *http.Request) {
	var in reasonInput
	if !s.readBody(w, r, &in) {
		return
	}
	p, err := s.cfg.Proposals.WithdrawProposal(r.Context(), r.PathValue("id"), in.Reason)
	s.respond(w, r, http.StatusOK, p, err)
}
