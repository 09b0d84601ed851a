// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// auditRoutes read and verify the hash-chained audit log.
var auditRoutes = []route{
	{"GET /api/v1/audit/events", (*Server).handleListAuditEvents},
	{"GET /api/v1/audit/verify", (*Server).handleVerifyAudit},
}

func (s *Server) handleListAuditEvents(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("subject_type", "subject_id", "actor_id", "after_seq", "limit", "offset")
	f := pactum.AuditFilter{SubjectType: q.str("subject_type"), SubjectID: q.str("subject_id"), ActorID: q.str("actor_id"),
		AfterSeq: int64(q.int("after_seq", 0, 1<<62))}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	events, total, err := s.cfg.Audit.FindAuditEvents(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(events, total), err)
}

func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.Audit.VerifyAudit(r.Context())
	s.respond(w, r, http.StatusOK, rep, err)
}
