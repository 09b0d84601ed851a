// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pactum/pactum"
	pactumhttp "github.com/pactum/pactum/http"
)

//go:embed templates/*.html templates/*.tmpl
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the portal is served.
const Prefix = "/portal/"

// Services are the use cases the portal reads (usecase.App implements
// them all).
type Services interface {
	pactum.ProposalService
	pactum.CallService
	pactum.AllocationService
	pactum.UsageService
	pactum.ObligationService
	pactum.NotificationService
	pactum.AuditService
	pactum.TimeToAccessService
	pactum.ReviewService
	FindAssignments(ctx context.Context, f pactum.AssignmentFilter) ([]*pactum.Assignment, int, error)
	Recuse(ctx context.Context, assignmentID, reason string) (*pactum.Assignment, error)
	FindConditions(ctx context.Context, allocationID string) ([]pactum.ConditionStatus, error)
	FindReply(ctx context.Context, proposalID string) (*pactum.Reply, error)
	ListAgents(ctx context.Context, site string) ([]pactum.AgentStatus, error)
	FindTransparencyReports(ctx context.Context) ([]*pactum.TransparencyReport, error)
	CallDemand(ctx context.Context, callID string) ([]pactum.SystemDemand, error)
	FindRanking(ctx context.Context, callID string) ([]*pactum.PanelEntry, error)
	// whatif: allocation runs, what-if and publish (allocrun.go)
	pactum.AllocationRunService
	// The site operator's and the auditor's pages (ops.go).
	pactum.TransparencyService
	pactum.SiteOpsService
	VerifyCheckpoints(ctx context.Context, text, trusted string) (*pactum.CheckpointReport, error)
	// The reviewer's pages (web/reviewer.go).
	FindReviewerProfile(ctx context.Context, userID string) (*pactum.ReviewerProfile, error)
	FindReviewerProfiles(ctx context.Context, f pactum.ReviewerFilter) ([]*pactum.ReviewerProfile, int, error)
	UpdateReviewerProfile(ctx context.Context, r *pactum.ReviewerProfile) error
	FindConflicts(ctx context.Context, f pactum.ConflictFilter) ([]*pactum.Conflict, int, error)
	WaiveConflict(ctx context.Context, id, reason string) (*pactum.Conflict, error)
	// The access manager's form to open a call (callform.go).
	CreateCall(ctx context.Context, c *pactum.Call) error
	// The applicant's pages (wizard.go, wizard_models.go).
	FindSystems(ctx context.Context) ([]*pactum.System, error)
	Questionnaire(ctx context.Context) (*pactum.Questionnaire, error)
	ScreenProposal(ctx context.Context, in *pactum.ProposalInput) (*pactum.ScreeningDecision, error)
	AcknowledgeCondition(ctx context.Context, allocationID, ruleID, statement string) (*pactum.ConditionStatus, error)
	FindModels(ctx context.Context, f pactum.ModelFilter) ([]*pactum.Model, int, error)
	ModelCompute(ctx context.Context, ref string) (*pactum.ModelCompute, error)
}

// Config is what the portal needs.
type Config struct {
	Services Services
	// Session returns the user a request is signed in as and the
	// session's CSRF token for forms, or an error: EUNAUTHORIZED when
	// there is no session (the portal sends the browser to SignInURL),
	// EFORBIDDEN for a state-changing request without the CSRF token.
	Session func(r *http.Request) (*pactum.User, string, error)
	// SignInURL is where a browser without a session is sent, with
	// ?next= the page it asked for; empty: the page says sign-in is not
	// enabled.
	SignInURL string
	Logger    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Portal serves the portal's pages under Prefix.
type Portal struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New parses the templates and returns the portal. It fails only on a
// template that does not parse: a programming error.
func New(cfg Config) (*Portal, error) {
	if cfg.Services == nil || cfg.Session == nil {
		return nil, errors.New("web: Services and Session are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Portal{cfg: cfg, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/*.tmpl", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		p.pages[base] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	p.mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", staticHandler(static)))
	p.mux.HandleFunc("GET "+Prefix+"{$}", p.page(p.home))
	p.mux.HandleFunc("GET "+Prefix+"proposals/{id}", p.page(p.proposal))
	p.mux.HandleFunc("GET "+Prefix+"allocations/{id}", p.page(p.allocation))
	p.mux.HandleFunc("GET "+Prefix+"audit", p.page(p.audit))
	p.mux.HandleFunc("GET "+Prefix+"calls/{id}", p.page(p.call))
	p.mux.HandleFunc("GET "+Prefix+"calls/new", p.page(p.newCall))
	p.mux.HandleFunc("POST "+Prefix+"calls/new", p.action(p.createCall, p.newCall))
	p.mux.HandleFunc("POST "+Prefix+"proposals/{id}/review", p.action(p.submitReview, p.proposal))
	p.mux.HandleFunc("POST "+Prefix+"proposals/{id}/reply", p.action(p.submitReply, p.proposal))
	p.mux.HandleFunc("POST "+Prefix+"proposals/{id}/recuse", p.action(p.recuse, p.proposal))
	// whatif: allocation runs (allocrun.go)
	p.mux.HandleFunc("GET "+Prefix+"calls/{id}/runs", p.page(p.allocationRuns))
	p.mux.HandleFunc("POST "+Prefix+"calls/{id}/runs", p.action(p.createRun, p.allocationRuns))
	p.mux.HandleFunc("GET "+Prefix+"runs/{id}", p.page(p.allocationRun))
	p.mux.HandleFunc("POST "+Prefix+"runs/{id}/whatif", p.action(p.whatIf, p.allocationRun))
	p.mux.HandleFunc("POST "+Prefix+"runs/{id}/publish", p.action(p.publishRun, p.allocationRun))
	// The site operator's and the auditor's pages (ops.go).
	p.mux.HandleFunc("GET "+Prefix+"sites/{site}", p.page(p.site))
	p.mux.HandleFunc("GET "+Prefix+"audit/checkpoints", p.page(p.checkpoints))
	p.mux.HandleFunc("POST "+Prefix+"audit/checkpoints", p.inspect(p.verifyCheckpoints, p.checkpoints))
	p.mux.HandleFunc("GET "+Prefix+"transparency", p.page(p.reports))
	p.mux.HandleFunc("POST "+Prefix+"transparency", p.action(p.createReport, p.reports))
	p.mux.HandleFunc("GET "+Prefix+"transparency/{id}", p.page(p.report))
	p.mux.HandleFunc("POST "+Prefix+"transparency/{id}/publish", p.action(p.publishReport, p.report))
	// The reviewer's pages (web/reviewer.go).
	p.mux.HandleFunc("GET "+Prefix+"reviewer", p.page(p.reviewer))
	p.mux.HandleFunc("POST "+Prefix+"reviewer/conflicts", p.action(p.declareConflict, p.reviewer))
	p.mux.HandleFunc("GET "+Prefix+"conflicts", p.page(p.conflicts))
	p.mux.HandleFunc("POST "+Prefix+"conflicts/{id}/waive", p.action(p.waiveConflict, p.conflicts))
	// The applicant's pages (wizard.go, wizard_models.go).
	p.mux.HandleFunc("GET "+Prefix+"apply", p.page(p.openCalls))
	p.mux.HandleFunc("GET "+Prefix+"apply/{call}", p.page(p.newDraft))
	p.mux.HandleFunc("POST "+Prefix+"apply/{call}", p.action(p.createDraft, p.newDraft))
	p.mux.HandleFunc("GET "+Prefix+"drafts/{id}", p.page(p.wizard))
	p.mux.HandleFunc("POST "+Prefix+"drafts/{id}", p.action(p.saveStep, p.wizard))
	p.mux.HandleFunc("POST "+Prefix+"drafts/{id}/prescreen", p.prescreen)
	p.mux.HandleFunc("POST "+Prefix+"drafts/{id}/submit", p.action(p.submitDraft, p.wizard))
	p.mux.HandleFunc("POST "+Prefix+"allocations/{id}/acknowledge", p.action(p.acknowledge, p.allocation))
	p.mux.HandleFunc("GET "+Prefix+"models", p.page(p.models))
	return p, nil
}

// ServeHTTP serves the portal, with its security headers on every answer.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts and styles from this server only: no inline script, no
	// eval (htmx's is off, see layout.html), no framing.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	p.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded assets, cacheable: their names change
// with their content (htmx's carries its version).
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// view is what a page handler hands to its template.
type view struct {
	Title string
	User  *pactum.User
	CSRF  string
	Now   time.Time
	// Nav marks the current section in the navigation.
	Nav  string
	Data any
	// Form holds a refused form's values, to fill it again; Problem says
	// why it was refused.
	Form    url.Values
	Problem *problem
}

// handler renders one page for a signed-in user: it returns the page's
// template name and data, or an error the portal shows as a page.
type handler func(r *http.Request, v *view) (string, error)

// page wraps h: the session first (no session: to sign-in), then h, then
// the template, rendered into a buffer so that a failing template never
// sends half a page.
func (p *Portal) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, csrf, err := p.cfg.Session(r)
		if err != nil {
			if pactum.ErrorCode(err) == pactum.EUNAUTHORIZED && p.cfg.SignInURL != "" && r.Method == http.MethodGet {
				http.Redirect(w, r, p.cfg.SignInURL+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.fail(w, r, nil, err)
			return
		}
		v := &view{User: u, CSRF: csrf, Now: p.cfg.Now()}
		ctx := pactum.NewContextWithUser(r.Context(), u)
		name, err := h(r.WithContext(ctx), v)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		p.render(w, r, http.StatusOK, name, v)
	}
}

// maxForm bounds a form's body.
const maxForm = 256 << 10

// action wraps a form's handler h: the session (which for a POST checks
// the CSRF token), the form, then h, which returns where to go next. A
// refusal the person can fix (EINVALID, ECONFLICT, EFORBIDDEN) shows the
// form's page again (page) with the message and the fields named, with
// the status the API would give; anything else is an error page.
func (p *Portal) action(h func(r *http.Request, v *view) (string, error), page handler) http.HandlerFunc {
	return p.form(h, page, func(code string) bool {
		return code == pactum.EINVALID || code == pactum.ECONFLICT || code == pactum.EFORBIDDEN
	}, func(w http.ResponseWriter, r *http.Request, _ *view, next string) {
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

// inspect serves a form that changes nothing but is POSTed (its input is
// too long for a URL): as action, but h's page is rendered rather than
// redirected to, and only EINVALID shows the form again.
func (p *Portal) inspect(h, page handler) http.HandlerFunc {
	return p.form(h, page, func(code string) bool { return code == pactum.EINVALID },
		func(w http.ResponseWriter, r *http.Request, v *view, name string) {
			p.render(w, r, http.StatusOK, name, v)
		})
}

// form is action's and inspect's one body: the session, the form (at most
// maxForm), then h; done answers h's success; a refusal fixable says the
// person can fix shows page again with the message, the fields named and
// the values typed, with the status the API would give.
func (p *Portal) form(h, page handler, fixable func(code string) bool, done func(w http.ResponseWriter, r *http.Request, v *view, result string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, csrf, err := p.cfg.Session(r)
		if err != nil {
			p.fail(w, r, nil, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			p.fail(w, r, nil, pactum.Errorf(pactum.EINVALID, "The form could not be read: it is too large or malformed."))
			return
		}
		v := &view{User: u, CSRF: csrf, Now: p.cfg.Now(), Form: r.PostForm}
		r = r.WithContext(pactum.NewContextWithUser(r.Context(), u))
		result, err := h(r, v)
		if err == nil {
			done(w, r, v, result)
			return
		}
		code := pactum.ErrorCode(err)
		if !fixable(code) {
			p.fail(w, r, v, err)
			return
		}
		v.Problem = &problem{Message: pactum.ErrorMessage(err), Fields: pactum.ErrorFields(err)}
		name, perr := page(r, v)
		if perr != nil {
			p.fail(w, r, v, perr)
			return
		}
		p.render(w, r, pactumhttp.ErrorStatus(code), name, v)
	}
}

// problem is a refused form's message and the fields it names.
type problem struct {
	Message string
	Fields  []pactum.FieldError
}

// render executes the named page into a buffer, then sends it.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := p.pages[name]
	if t == nil {
		p.cfg.Logger.Error("portal: no such page", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		p.cfg.Logger.Error("portal: render", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the error template's data.
type errorPage struct {
	Status  int
	Message string
}

// fail shows err as a page with the status the API would answer, and the
// same message; internal errors are logged and not shown.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status := pactumhttp.ErrorStatus(pactum.ErrorCode(err))
	msg := pactum.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		msg = "Something went wrong on our side; it has been logged."
		p.cfg.Logger.Error("portal", "path", r.URL.Path, "err", err)
	}
	if v == nil {
		v = &view{Now: p.cfg.Now()}
	}
	v.Title, v.Data = http.StatusText(status), errorPage{Status: status, Message: msg}
	p.render(w, r, status, "error", v)
}
