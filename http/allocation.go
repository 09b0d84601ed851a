// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// allocationRoutes read awards and move them through their life cycle. An
// allocation's usage, conditions and admission are in usage.go and
// award.go.
var allocationRoutes = []route{
	{"GET /api/v1/allocations", (*Server).handleListAllocations},
	{"GET /api/v1/allocations/{id}", (*Server).handleGetAllocation},
	{"POST /api/v1/allocations/{id}/transition", (*Server).handleTransitionAllocation},
}

func (s *Server) handleListAllocations(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("proposal_id", "organization_id", "system_id", "state", "limit", "offset")
	f := pactum.AllocationFilter{ProposalID: q.str("proposal_id"), OrganizationID: q.str("organization_id"), SystemID: q.str("system_id")}
	f.Limit, f.Offset = q.page()
	f.State = enum(&q, "state", pactum.AllocationState.Valid, "must be one of pending_provisioning, active, suspended, exhausted, expired")
	if !s.readQuery(w, r, &q) {
		return
	}
	allocs, total, err := s.cfg.Allocations.FindAllocations(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(allocs, total), err)
}

func (s *Server) handleGetAllocation(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Allocations.FindAllocationByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, a, err)
}

type transitionInput struct {
	State  pactum.AllocationState `json:"state"`
	Reason string                 `json:"reason"`
}

func (s *Server) handleTransitionAllocation(w http.ResponseWriter, r *http.Request) {
	var in transitionInput
	if !s.readBody(w, r, &in) {
		return
	}
	a, err := s.cfg.Allocations.TransitionAllocation(r.Context(), r.PathValue("id"), in.State, in.Reason)
	s.respond(w, r, http.StatusOK, a, err)
}
