// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// siteRoutes are the site agent's: the state a site's clusters should be
// in, and the drift it found and corrected.
var siteRoutes = []route{
	{"GET /api/v1/sites/{site}/desired", (*Server).handleGetDesiredState},
	{"POST /api/v1/sites/{site}/drift", (*Server).handleReportDrift},
	{"POST /api/v1/sites/{site}/heartbeat", (*Server).handleHeartbeat},
}

func (s *Server) handleGetDesiredState(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	q := query{r: r}
	q.only("system_id")
	system := q.str("system_id")
	if !s.readQuery(w, r, &q) {
		return
	}
	st, err := s.cfg.Sites.DesiredState(r.Context(), r.PathValue("site"), system)
	s.respond(w, r, http.StatusOK, st, err)
}

func (s *Server) handleReportDrift(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	var in pactum.DriftReport
	if !s.readBody(w, r, &in) {
		return
	}
	err := s.cfg.Sites.ReportDrift(r.Context(), r.PathValue("site"), in)
	s.respond(w, r, http.StatusNoContent, nil, err)
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	var in pactum.AgentHeartbeat
	if !s.readBody(w, r, &in) {
		return
	}
	lease, err := s.cfg.Sites.Heartbeat(r.Context(), r.PathValue("site"), in)
	s.respond(w, r, http.StatusOK, lease, err)
}
