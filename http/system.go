// SPDX-License-Identifier: EUPL-1.2

package http

import "net/http"

// systemRoutes read the catalogue of EuroHPC systems.
var systemRoutes = []route{
	{"GET /api/v1/systems", (*Server).handleListSystems},
	{"GET /api/v1/systems/{id}", (*Server).handleGetSystem},
}

func (s *Server) handleListSystems(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only()
	if !s.readQuery(w, r, &q) {
		return
	}
	systems, err := s.cfg.Systems.FindSystems(r.Context())
	s.respond(w, r, http.StatusOK, listOf(systems, len(systems)), err)
}

func (s *Server) handleGetSystem(w http.ResponseWriter, r *http.Request) {
	sys, err := s.cfg.Systems.FindSystemByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, sys, err)
}
