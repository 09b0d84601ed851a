// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// MaxUsageBodyBytes bounds a usage batch: pactum.MaxUsageBatch records of
// about 250 bytes each, with room to spare.
const MaxUsageBodyBytes = 8 << 20

// configured reports whether a service the endpoint needs was wired, and
// answers 500 otherwise: a server built without the agent's services
// (tests of other parts) serves everything else.
func (s *Server) configured(w http.ResponseWriter, r *http.Request, ok bool) bool {
	if !ok {
		s.Error(w, r, pactum.Errorf(pactum.EINTERNAL, "This server has no usage accounting configured."))
	}
	return ok
}

// --- usage ---

func (s *Server) handleIngestUsage(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	var in pactum.UsageBatch
	if !s.readBodyLimit(w, r, &in, MaxUsageBodyBytes) {
		return
	}
	if in.Records == nil {
		s.Error(w, r, &pactum.Error{Code: pactum.EINVALID, Message: "The usage batch is not valid.",
			Fields: []pactum.FieldError{{Field: "records", Message: "is required"}}})
		return
	}
	res, err := s.cfg.Usage.IngestUsage(r.Context(), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleGetUsage(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	sum, err := s.cfg.Usage.FindUsageSummary(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) handleListUsageRecords(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Usage != nil) {
		return
	}
	q := query{r: r}
	q.only("username", "final", "limit", "offset")
	f := pactum.UsageFilter{AllocationID: r.PathValue("id"), Username: q.str("username"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if q.str("final") != nil {
		final := q.bool("final")
		f.Final = &final
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	recs, total, err := s.cfg.Usage.FindUsageRecords(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.UsageRecord]{Items: nonNil(recs), Total: total})
}

// --- award conditions and admission ---

func (s *Server) handleListConditions(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Awards != nil) {
		return
	}
	conds, err := s.cfg.Awards.FindConditions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[pactum.ConditionStatus]{Items: nonNil(conds), Total: len(conds)})
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
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleGetAdmission(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Awards != nil) {
		return
	}
	ad, err := s.cfg.Awards.Admission(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ad)
}

// --- sites ---

func (s *Server) handleGetDesiredState(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	q := query{r: r}
	q.only("system_id")
	system := q.str("system_id")
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	st, err := s.cfg.Sites.DesiredState(r.Context(), r.PathValue("site"), system)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleReportDrift(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Sites != nil) {
		return
	}
	var in pactum.DriftReport
	if !s.readBody(w, r, &in) {
		return
	}
	if err := s.cfg.Sites.ReportDrift(r.Context(), r.PathValue("site"), in); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- users ---

type usernameInput struct {
	Username string `json:"username"`
}

func (s *Server) handleSetUsername(w http.ResponseWriter, r *http.Request) {
	var in usernameInput
	if !s.readBody(w, r, &in) {
		return
	}
	u, err := s.cfg.Users.SetUsername(r.Context(), r.PathValue("id"), in.Username)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
