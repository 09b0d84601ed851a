// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/pactum/pactum"
)

// modelRoutes register models and report their compute.
var modelRoutes = []route{
	{"GET /api/v1/models", (*Server).handleListModels},
	{"POST /api/v1/models", (*Server).handleCreateModel},
	{"GET /api/v1/models/{id}/compute", (*Server).handleModelCompute},
	{"GET /api/v1/models/{id}/documentation", (*Server).handleModelDocumentation},
	{"POST /api/v1/models/{id}/acknowledge", (*Server).handleAcknowledgeModelHold},
}

type holdAckInput struct {
	Note string `json:"note"`
}

// handleAcknowledgeModelHold releases a held model (access managers).
func (s *Server) handleAcknowledgeModelHold(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	var in holdAckInput
	if !s.readBody(w, r, &in) {
		return
	}
	h, err := s.cfg.Models.AcknowledgeModelHold(r.Context(), r.PathValue("id"), in.Note)
	s.respond(w, r, http.StatusOK, h, err)
}

type modelInput struct {
	OrganizationID        string  `json:"organization_id"`
	Name                  string  `json:"name"`
	Version               string  `json:"version"`
	BaseModel             string  `json:"base_model"`
	BaseModelFLOP         float64 `json:"base_model_flop"`
	BaseModelSystemicRisk bool    `json:"base_model_systemic_risk"`
	PriorTrainingFLOP     float64 `json:"prior_training_flop"`
	ParameterCount        float64 `json:"parameter_count"`
	TrainingTokens        float64 `json:"training_tokens"`
	DeclaredMFU           float64 `json:"declared_mfu"`
}

func (s *Server) handleCreateModel(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	var in modelInput
	if !s.readBody(w, r, &in) {
		return
	}
	m, err := s.cfg.Models.CreateModel(r.Context(), &pactum.Model{OrganizationID: in.OrganizationID, Name: in.Name, Version: in.Version,
		BaseModel: in.BaseModel, BaseModelFLOP: in.BaseModelFLOP, BaseModelSystemicRisk: in.BaseModelSystemicRisk,
		PriorTrainingFLOP: in.PriorTrainingFLOP, ParameterCount: in.ParameterCount, TrainingTokens: in.TrainingTokens, DeclaredMFU: in.DeclaredMFU})
	s.respond(w, r, http.StatusCreated, m, err)
}

func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	q := query{r: r}
	q.only("organization_id", "label", "limit", "offset")
	f := pactum.ModelFilter{OrganizationID: q.str("organization_id"), Label: q.str("label")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	models, total, err := s.cfg.Models.FindModels(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(models, total), err)
}

// handleModelCompute reports a model's compute; {id} is the model's ID,
// or, for an applicant, NAME@VERSION of their organization's model.
func (s *Server) handleModelCompute(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	mc, err := s.cfg.Models.ModelCompute(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, mc, err)
}

// handleModelDocumentation returns the compute, time and energy part of a
// model's documentation for ?audience= (default ai-office), as JSON or,
// with ?format=html, as a printable page.
func (s *Server) handleModelDocumentation(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Models != nil) {
		return
	}
	q := query{r: r}
	q.only("audience", "format")
	audience := pactum.AudienceAIOffice
	if a := q.str("audience"); a != nil {
		audience = pactum.DocAudience(*a)
	}
	format := "json"
	if f := q.str("format"); f != nil {
		format = *f
	}
	q.v.Check(format == "json" || format == "html", "format", "must be json or html")
	if !s.readQuery(w, r, &q) {
		return
	}
	d, err := s.cfg.Models.ModelDocumentation(r.Context(), r.PathValue("id"), audience)
	if err != nil || format == "json" {
		s.respond(w, r, http.StatusOK, d, err)
		return
	}
	var buf bytes.Buffer
	if err := docPage.Execute(&buf, d); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(buf.Bytes())
}

// docPage is the printable model documentation: plain HTML, no script.
var docPage = template.Must(template.New("doc").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Model}}: model documentation ({{.Audience}})</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;color:#111}th{text-align:left;padding-right:1em;vertical-align:top}td,th{padding:.2em}</style></head>
<body><h1>{{.Model}}</h1>
<p>{{.Form}}. For: {{.Audience}}. Provider: {{.Provider}}.</p>
<table>
<tr><th scope="row">Generated</th><td>{{.GeneratedAt.Format "2006-01-02 15:04 UTC"}}</td></tr>
<tr><th scope="row">Audit position</th><td>event {{.AuditSeq}}, hash <code>{{.AuditHash}}</code></td></tr>
{{with .TrainingTime}}<tr><th scope="row">Training time</th><td>{{if .WallClockDays}}{{printf "%.0f" .WallClockDays}} days wall-clock{{end}}{{.Band}}{{if .From}} ({{.From}} to {{.To}}){{end}}
{{range .HardwareDays}}<br>{{printf "%.1f" .GPUDays}} GPU-days of {{.Accelerator}}{{end}}</td></tr>{{end}}
{{with .Compute}}<tr><th scope="row">Training compute</th><td>{{.FLOP}} FLOP<br>{{.Method}}</td></tr>{{end}}
{{with .Energy}}<tr><th scope="row">Energy</th><td>{{.MWh}} MWh<br>{{.Methodology}}</td></tr>{{end}}
</table>
{{range .Notes}}<p>{{.}}</p>{{end}}
{{if .Signature}}<p>Signed with key <code>{{.PublicKey}}</code>: <code>{{.Signature}}</code>. Check the JSON form with
<code>pactum models verify-document FILE --trust KEY</code>.</p>{{end}}
</body></html>
`))
