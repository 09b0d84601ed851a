// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// agentRoutes show the sites' agents as last heard from: the operator's
// view of which site has gone silent.
var agentRoutes = []route{
	{"GET /api/v1/agents", (*Server).handleListAgents},
}

func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	q := query{r: r}
	q.only("site")
	site := q.str("site")
	if !s.readQuery(w, r, &q) {
		return
	}
	name := ""
	if site != nil {
		name = *site
	}
	items, err := s.cfg.Sites.ListAgents(r.Context(), name)
	if items == nil {
		items = []pactum.AgentStatus{}
	}
	s.respond(w, r, http.StatusOK, list[pactum.AgentStatus]{Items: items, Total: len(items)}, err)
}
