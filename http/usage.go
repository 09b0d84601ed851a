// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// MaxUsageBodyBytes bounds a usage batch: pactum.MaxUsageBatch records of
// about 250 bytes each, with room to spare.
const MaxUsageBodyBytes = 8 << 20

// bodyLimits lists the routes whose bodies may exceed MaxBodyBytes.
var bodyLimits = map[string]int64{"POST /api/v1/usage": MaxUsageBodyBytes}

// usageRoutes take the site agents' usage records and serve an
// allocation's consumption.
var usageRoutes = []route{
	{"POST /api/v1/usage", (*Server).handleIngestUsage},
	{"GET /api/v1/allocations/{id}/usage", (*Server).handleGetUsage},
	{"GET /api/v1/allocations/{id}/usage/records", (*Server).handleListUsageRecords},
}

func (s *Server) handleIngestUsage(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	var in pactum.UsageBatch
	if !s.readBodyLimit(w, r, &in, MaxUsageBodyBytes) {
		return
	}
	var res *pactum.UsageIngest
	var err error
	if in.Records == nil {
		// A missing or null records is refused: an empty batch sends [].
		err = &pactum.Error{Code: pactum.EINVALID, Message: "The usage batch is not valid.",
			Fields: []pactum.FieldError{{Field: "records", Message: "is required"}}}
	} else {
		res, err = s.cfg.Usage.IngestUsage(r.Context(), in)
	}
	s.respond(w, r, http.StatusOK, res, err)
}

func (s *Server) handleGetUsage(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	sum, err := s.cfg.Usage.FindUsageSummary(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, sum, err)
}

func (s *Server) handleListUsageRecords(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	q := query{r: r}
	q.only("username", "final", "limit", "offset")
	f := pactum.UsageFilter{AllocationID: r.PathValue("id"), Username: q.str("username")}
	f.Limit, f.Offset = q.page()
	if q.str("final") != nil {
		final := q.bool("final")
		f.Final = &final
	}
	if !s.readQuery(w, r, &q) {
		return
	}
	recs, total, err := s.cfg.Usage.FindUsageRecords(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(recs, total), err)
}
