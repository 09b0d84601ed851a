// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// siteOpsRoutes show what a site's operators watch: the drift their agents
// restored and how usage ingestion stands.
var siteOpsRoutes = []route{
	{"GET /api/v1/sites/{site}/drift", (*Server).handleListDrift},
	{"GET /api/v1/sites/{site}/usage-ingest", (*Server).handleUsageIngest},
}

func (s *Server) handleListDrift(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.SiteOps != nil) {
		return
	}
	q := query{r: r}
	q.only("limit")
	limit := q.int("limit", 1, pactum.MaxDriftList)
	if !s.readQuery(w, r, &q) {
		return
	}
	items, n, err := s.cfg.SiteOps.FindDriftReports(r.Context(), r.PathValue("site"), limit)
	s.respond(w, r, http.StatusOK, list[*pactum.SiteDrift]{Items: items, Total: n}, err)
}

func (s *Server) handleUsageIngest(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.SiteOps != nil) {
		return
	}
	q := query{r: r}
	q.only()
	if !s.readQuery(w, r, &q) {
		return
	}
	items, err := s.cfg.SiteOps.UsageIngestStatus(r.Context(), r.PathValue("site"))
	s.respond(w, r, http.StatusOK, list[pactum.UsageCluster]{Items: items, Total: len(items)}, err)
}
