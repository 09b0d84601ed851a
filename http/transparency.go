// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"encoding/csv"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/pactum/pactum"
)

// transparencyRoutes serve the time to access and the transparency
// reports to signed-in callers; publicRoutes serve published reports to
// anyone (registered outside the authenticated chain, see routes).
var transparencyRoutes = []route{
	{"GET /api/v1/reports/overdue-proposals", (*Server).handleOverdueProposals},
	{"GET /api/v1/reports/time-to-access", (*Server).handleTimeToAccess},
	{"GET /api/v1/reports/transparency", (*Server).handleListReports},
	{"POST /api/v1/reports/transparency", (*Server).handleCreateReport},
	{"GET /api/v1/reports/transparency/{id}", (*Server).handleGetReport},
	{"POST /api/v1/reports/transparency/{id}/publish", (*Server).handlePublishReport},
	{"GET /api/v1/reports/transparency/{id}/verification", (*Server).handleVerifyReport},
}

// publicRoutes need no token: published transparency reports only.
var publicRoutes = []route{
	{"GET /api/v1/public/transparency", (*Server).handleListReports},
	{"GET /api/v1/public/transparency/{id}", (*Server).handleGetReport},
}

// public serves h without a token, rate-limited per client address as
// the authenticated endpoints are per user.
func (s *Server) public(h func(*Server, http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		key := "public:" + host
		if !s.admit(w, r, key) {
			return
		}
		defer s.done(key)
		h(s, w, r)
	}
}

func (s *Server) handleOverdueProposals(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.TimeToAccess != nil) {
		return
	}
	q := query{r: r}
	q.only()
	if !s.readQuery(w, r, &q) {
		return
	}
	l, err := s.cfg.TimeToAccess.OverdueProposals(r.Context())
	s.respond(w, r, http.StatusOK, listOf(l, len(l)), err)
}

// timeToAccessCSV are the columns of the time-to-access export.
var timeToAccessCSV = []string{"proposal_id", "call_id", "mode", "state", "submitted_at", "decision_due_at", "decided_at",
	"target_working_days", "working_days", "decided", "within_target", "working_days_over"}

func (s *Server) handleTimeToAccess(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.TimeToAccess != nil) {
		return
	}
	q := query{r: r}
	q.only("call_id", "format")
	callID := ""
	if c := q.str("call_id"); c != nil {
		callID = *c
	}
	format := "json"
	if f := q.str("format"); f != nil {
		format = *f
	}
	q.v.Check(format == "json" || format == "csv", "format", "must be json or csv")
	if !s.readQuery(w, r, &q) {
		return
	}
	if format == "json" {
		rep, err := s.cfg.TimeToAccess.TimeToAccess(r.Context(), callID)
		s.respond(w, r, http.StatusOK, rep, err)
		return
	}
	// CSV: one row per proposal, written as the store reads it; the
	// header goes out with the first row, so an error before it is
	// still an error response.
	cw := csv.NewWriter(w)
	started := false
	var row [12]string
	err := s.cfg.TimeToAccess.ScanTimeToAccess(r.Context(), callID, func(m *pactum.TimeToAccess) bool {
		if !started {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_ = cw.Write(timeToAccessCSV)
			started = true
		}
		decided := ""
		if m.DecidedAt != nil {
			decided = m.DecidedAt.Format(time.RFC3339)
		}
		row = [12]string{m.ProposalID, m.CallID, string(m.Mode), string(m.State), m.SubmittedAt.Format(time.RFC3339),
			m.DecisionDueAt.Format(time.RFC3339), decided, strconv.Itoa(m.TargetWorkingDays), strconv.Itoa(m.WorkingDays),
			strconv.FormatBool(m.Decided), strconv.FormatBool(m.WithinTarget), strconv.Itoa(m.WorkingDaysOver)}
		return cw.Write(row[:]) == nil
	})
	if err != nil && !started {
		s.Error(w, r, err)
		return
	}
	if !started {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = cw.Write(timeToAccessCSV)
	}
	cw.Flush()
}

type reportInput struct {
	Period string `json:"period"`
	K      int    `json:"k"`
}

func (s *Server) handleCreateReport(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Transparency != nil) {
		return
	}
	var in reportInput
	if !s.readBody(w, r, &in) {
		return
	}
	rep, err := s.cfg.Transparency.CreateTransparencyReport(r.Context(), pactum.ReportInput{Period: in.Period, K: in.K})
	s.respond(w, r, http.StatusCreated, rep, err)
}

func (s *Server) handleListReports(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Transparency != nil) {
		return
	}
	q := query{r: r}
	q.only()
	if !s.readQuery(w, r, &q) {
		return
	}
	l, err := s.cfg.Transparency.FindTransparencyReports(r.Context())
	s.respond(w, r, http.StatusOK, listOf(l, len(l)), err)
}

func (s *Server) handlePublishReport(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Transparency != nil) {
		return
	}
	rep, err := s.cfg.Transparency.PublishTransparencyReport(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, rep, err)
}

func (s *Server) handleVerifyReport(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Transparency != nil) {
		return
	}
	v, err := s.cfg.Transparency.VerifyTransparencyReport(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, v, err)
}

// handleGetReport serves a report as JSON, CSV or a printable page. On
// the public route ctx has no user, so only published reports are found.
func (s *Server) handleGetReport(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Transparency != nil) {
		return
	}
	q := query{r: r}
	q.only("format")
	format := "json"
	if f := q.str("format"); f != nil {
		format = *f
	}
	q.v.Check(format == "json" || format == "csv" || format == "html", "format", "must be json, csv or html")
	if !s.readQuery(w, r, &q) {
		return
	}
	rep, err := s.cfg.Transparency.FindTransparencyReport(r.Context(), r.PathValue("id"))
	if err != nil || format == "json" {
		s.respond(w, r, http.StatusOK, rep, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = WriteReportCSV(w, rep)
		return
	}
	var buf bytes.Buffer
	if err := reportPage.Execute(&buf, rep); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(buf.Bytes())
}

// ReportCSVHeader are the columns of a report's CSV: one row per table
// row and total; a suppressed figure is empty.
var ReportCSVHeader = []string{"dimension", "value", "suppressed", "award_suppressed", "proposals", "awards",
	"gpu_hours_granted", "gpu_hours_used", "training_flop", "energy_mwh"}

// WriteReportCSV writes rep's tables as CSV, row by row.
func WriteReportCSV(w interface{ Write([]byte) (int, error) }, rep *pactum.TransparencyReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportCSVHeader); err != nil {
		return err
	}
	i := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'g', 6, 64)
	}
	for _, t := range rep.Tables {
		for _, c := range append(t.Rows, t.Total) {
			if err := cw.Write([]string{t.Dimension, c.Value, strconv.FormatBool(c.Suppressed), strconv.FormatBool(c.AwardSuppressed),
				i(c.Proposals), i(c.Awards), f(c.GPUHoursGranted), f(c.GPUHoursUsed), f(c.TrainingFLOP), f(c.EnergyMWh)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// reportPage is the printable transparency report: plain HTML, no script.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"int": func(p *int) string {
		if p == nil {
			return "–"
		}
		return strconv.Itoa(*p)
	},
	"num": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strconv.FormatFloat(*p, 'g', 4, 64)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Transparency report {{.Period}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#111}table{border-collapse:collapse;margin-bottom:1.5em}td,th{padding:.2em .6em;border-bottom:1px solid #ccc;text-align:right}th:first-child,td:first-child{text-align:left}tr.total{font-weight:bold}</style></head>
<body><h1>Transparency report {{.Period}}</h1>
<p>{{if .PublishedAt}}Published {{.PublishedAt.Format "2006-01-02"}}.{{else}}Not published.{{end}}
Computed {{.ComputedAt.Format "2006-01-02 15:04 UTC"}} at audit event {{.AuditSeq}} (chain hash <code>{{.AuditHead}}</code>).
Figures describing fewer than {{.K}} organizations are suppressed (–).</p>
{{range .Tables}}<h2>By {{.Dimension}}</h2>
<table><tr><th scope="col">{{.Dimension}}</th><th scope="col">Proposals</th><th scope="col">Awards</th><th scope="col">GPU-hours granted</th><th scope="col">GPU-hours used</th><th scope="col">Training FLOP</th><th scope="col">Energy MWh</th></tr>
{{range .Rows}}<tr><td>{{.Value}}</td><td>{{int .Proposals}}</td><td>{{int .Awards}}</td><td>{{num .GPUHoursGranted}}</td><td>{{num .GPUHoursUsed}}</td><td>{{num .TrainingFLOP}}</td><td>{{num .EnergyMWh}}</td></tr>
{{end}}{{with .Total}}<tr class="total"><td>Total</td><td>{{int .Proposals}}</td><td>{{int .Awards}}</td><td>{{num .GPUHoursGranted}}</td><td>{{num .GPUHoursUsed}}</td><td>{{num .TrainingFLOP}}</td><td>{{num .EnergyMWh}}</td></tr>{{end}}
</table>
{{end}}<h2>Method</h2><p>{{.Method}}</p>
<h2>What the audit log reproduces</h2><p>{{.Reproduced}}</p>
</body></html>
`))
