// SPDX-License-Identifier: EUPL-1.2

package http

import "net/http"

// awardRoutes serve an allocation's conditions, their acknowledgement and
// whether its users may run jobs.
var awardRoutes = []route{
	{"GET /api/v1/allocations/{id}/conditions", (*Server).handleListConditions},
	{"POST /api/v1/allocations/{id}/conditions/{rule_id}/acknowledge", (*Server).handleAcknowledgeCondition},
	{"GET /api/v1/allocations/{id}/admission", (*Server).handleGetAdmission},
}

func (s *Server) handleListConditions(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Awards != nil) {
		return
	}
	conds, err := s.cfg.Awards.FindConditions(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, listOf(conds, len(conds)), err)
}

type acknowledgeInput struct {
	Statement string `json:"statement"`
}

func (s *Server) handleAcknowledgeCondition(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Awards != nil) {
		return
	}
	var in acknowledgeInput
	if !s.readBody(w, r, &in) {
		return
	}
	c, err := s.cfg.Awards.AcknowledgeCondition(r.Context(), r.PathValue("id"), r.PathValue("rule_id"), in.Statement)
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleGetAdmission(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Awards != nil) {
		return
	}
	ad, err := s.cfg.Awards.Admission(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, ad, err)
}
