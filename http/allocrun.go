// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// allocationRunRoutes run the optimiser over a call's ranked proposals,
// show the run and its input, and publish it as awards.
var allocationRunRoutes = []route{
	{"POST /api/v1/calls/{id}/allocation-runs", (*Server).handleCreateAllocationRun},
	{"GET /api/v1/allocation-runs", (*Server).handleListAllocationRuns},
	{"GET /api/v1/allocation-runs/{id}", (*Server).handleGetAllocationRun},
	{"GET /api/v1/allocation-runs/{id}/instance", (*Server).handleGetAllocationRunInstance},
	{"POST /api/v1/allocation-runs/{id}/publish", (*Server).handlePublishAllocationRun},
	{"GET /api/v1/allocation-runs/{id}/diff", (*Server).handleDiffAllocationRun},
}

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
	f := pactum.AllocationRunFilter{CallID: q.str("call_id")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	runs, total, err := s.cfg.AllocationRuns.FindAllocationRuns(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(runs, total), err)
}

func (s *Server) handleGetAllocationRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.cfg.AllocationRuns.FindAllocationRunByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, run, err)
}

// handleGetAllocationRunInstance sends the optimiser's input as the run
// stored it, byte for byte, so that its hash can be checked.
func (s *Server) handleGetAllocationRunInstance(w http.ResponseWriter, r *http.Request) {
	b, err := s.cfg.AllocationRuns.AllocationRunInstance(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, rawJSON(b), err)
}

func (s *Server) handlePublishAllocationRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.cfg.AllocationRuns.PublishAllocationRun(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, run, err)
}

// handleDiffAllocationRun compares a run with the run given as against,
// by default the run it is a what-if of.
func (s *Server) handleDiffAllocationRun(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("against")
	before := ""
	if a := q.str("against"); a != nil {
		before = *a
	}
	if !s.readQuery(w, r, &q) {
		return
	}
	d, err := s.cfg.AllocationRuns.DiffAllocationRuns(r.Context(), before, r.PathValue("id"))
	s.respond(w, r, http.StatusOK, d, err)
}
