// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"

	"github.com/pactum/pactum"
)

//go:embed openapi.yaml
var openapiYAML []byte

// Config holds what a Server needs. Services are required; the rest has
// defaults.
type Config struct {
	Systems       pactum.SystemService
	Organizations pactum.OrganizationService
	Users         pactum.UserService
	Calls         pactum.CallService
	Proposals     pactum.ProposalService
	Allocations   pactum.AllocationService
	Audit         pactum.AuditService
	// Reviews, Reviewers, AllocationRuns and Notifications serve the
	// review workflow; nil leaves their endpoints answering 500.
	Reviews        pactum.ReviewService
	Reviewers      pactum.ReviewerService
	AllocationRuns pactum.AllocationRunService
	Notifications  pactum.NotificationService
	// Deliveries serve the outbox, e-mail preferences and webhooks.
	Deliveries pactum.DeliveryService
	// Screening serves the questionnaire and the dry run of screening;
	// nil leaves their endpoints answering 500.
	Screening pactum.ScreeningService
	// Models serves supervision of compute; nil leaves its endpoints
	// answering 500.
	Models pactum.ModelService
	// Incidents and Outcomes serve what happens after the award; nil
	// leaves their endpoints answering 500.
	Incidents pactum.IncidentService
	Outcomes  pactum.OutcomeService
	// Obligations serves an award's obligations, compliance and
	// breaches; nil leaves its endpoints answering 500.
	Obligations pactum.ObligationService
	// TimeToAccess and Transparency serve the time to access and the
	// transparency reports; nil leaves their endpoints answering 500.
	TimeToAccess pactum.TimeToAccessService
	Transparency pactum.TransparencyService

	// Idempotency keeps answers to requests sent with an Idempotency-Key
	// header, making retries safe; nil disables the header.
	Idempotency IdempotencyStore

	// Usage, Awards and Sites serve the site agent and usage accounting.
	Usage  pactum.UsageService
	Awards pactum.AwardService
	Sites  pactum.SiteService
	// SiteOps serves the drift reports and usage ingestion of a site;
	// nil leaves its endpoints answering 500.
	SiteOps pactum.SiteOpsService

	// Health reports whether the server can serve (the database answers);
	// /readyz and /healthz call it, and it must not queue behind user
	// queries (sqlstore's Ping has a connection of its own). Nil means
	// always ready. /livez never calls it.
	Health func(context.Context) error
	// Unavailable reports whether an error means the database cannot
	// serve for now (unreachable, shutting down, disk full): such errors
	// are answered 503 with Retry-After instead of 500. Nil: none is.
	Unavailable func(error) bool
	// Limits cap each user's request rate and concurrency; the zero value
	// sets no limits (pactum serve passes DefaultLimits or its flags).
	Limits Limits
	// PublicMetrics serves /metrics to anyone. By default it needs the
	// token of an access manager or auditor: the API faces applicants on
	// the internet, and metrics reveal traffic and the runtime's details.
	PublicMetrics bool
	Logger        *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Registry receives the server's metrics and is served at /metrics;
	// a fresh registry when nil.
	Registry *prometheus.Registry
	// SignIn enables browser sign-in through an OpenID provider
	// (/auth/login, /auth/callback, /auth/logout) and session cookies on
	// the API (session.go); nil leaves both off.
	SignIn *SignInConfig
}

// Services is every service the API serves: what one value implementing
// them all offers (usecase.App).
type Services interface {
	pactum.SystemService
	pactum.OrganizationService
	pactum.UserService
	pactum.CallService
	pactum.ProposalService
	pactum.AllocationService
	pactum.AuditService
	pactum.ReviewService
	pactum.ReviewerService
	pactum.AllocationRunService
	pactum.NotificationService
	pactum.UsageService
	pactum.AwardService
	pactum.SiteService
	pactum.ScreeningService
	pactum.ModelService
	pactum.IncidentService
	pactum.OutcomeService
	pactum.ObligationService
	pactum.TimeToAccessService
	pactum.TransparencyService
	pactum.DeliveryService
	pactum.SiteOpsService
}

// Serve sets every service of the configuration to s.
func (c *Config) Serve(s Services) {
	c.Systems, c.Organizations, c.Users, c.Calls, c.Proposals, c.Allocations, c.Audit = s, s, s, s, s, s, s
	c.Reviews, c.Reviewers, c.AllocationRuns, c.Notifications = s, s, s, s
	c.Usage, c.Awards, c.Sites = s, s, s
	c.Screening = s
	c.Models = s
	c.Incidents, c.Outcomes = s, s
	c.Obligations = s
	c.TimeToAccess, c.Transparency = s, s
	c.Deliveries = s
	c.SiteOps = s
}

// Server is pactum's HTTP API.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	handler http.Handler
	// mux routes without observe: what a recovered retry reads through.
	mux     *http.ServeMux
	openapi []byte
	// api is the document every request is validated against.
	api *apiDocument

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	limits   *limiter

	ln  net.Listener
	srv *http.Server
}

// NewServer builds the API's handler. It fails only if the embedded OpenAPI
// document is broken or lacks one of the server's routes, which tests
// catch.
func NewServer(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pactum_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pactum_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	if err := reg.Register(s.requests); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	if err := reg.Register(s.latency); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	doc, err := openapiJSON()
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	if s.api, err = loadAPIDocument(context.Background()); err != nil {
		return nil, err
	}
	if cfg.Limits.Requests > 0 && cfg.Limits.Window <= 0 {
		return nil, fmt.Errorf("a rate limit of %d requests needs a window", cfg.Limits.Requests)
	}
	s.limits = newLimiter(cfg.Limits, s.rateLimited)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", s.handleLive)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /healthz", s.handleReady)
	var metrics http.Handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if !cfg.PublicMetrics {
		metrics = s.operatorsOnly(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /api/v1/openapi.json", s.handleOpenAPI)
	if err := s.routes(mux); err != nil {
		return nil, err
	}
	s.registerSignIn(mux)
	s.mux = mux
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, &pactum.Error{Code: pactum.ENOTFOUND, Message: fmt.Sprintf("No endpoint %s %s.", r.Method, r.URL.Path)})
	})
	s.handler = s.observe(mux)
	return s, nil
}

// HandlePortal serves the portal (package web) under prefix, such as
// "/portal/", with the server's request logging and metrics, and sends
// the site's root there. Call it before Open.
func (s *Server) HandlePortal(prefix string, h http.Handler) {
	s.mux.Handle(prefix, h)
	s.mux.Handle("GET /{$}", http.RedirectHandler(prefix, http.StatusSeeOther))
}

// openapiJSON converts the embedded YAML document to JSON once.
func openapiJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	return b, nil
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Handler returns the server's root handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on addr ("host:port"; port 0 picks one) and serves in the
// background until Close.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting requests and waits up to 10 seconds for those in
// flight.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe logs, counts and times every request, and turns a panic into a
// 500 rather than a dropped connection.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r, info := beginRequest(w, r)
		defer func() {
			if v := recover(); v != nil {
				s.logger.Error("panic", "request_id", info.id, "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					s.writeError(sw, http.StatusInternalServerError, &pactum.Error{Code: pactum.EINTERNAL, Message: "Internal error."})
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
			s.latency.WithLabelValues(route).Observe(d.Seconds())
			s.logRequest(r, info, route, sw.status, d)
		}()
		next.ServeHTTP(sw, r)
	})
}

// handleLive answers that the process serves HTTP, without asking the
// database: a liveness probe that restarts the server when the database is
// slow would only add a cold start to the outage.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, http.StatusOK, map[string]string{"status": "ok"}, nil)
}

// handleReady answers whether the server can serve requests: the database
// answers (cfg.Health). /healthz is the same, for existing probes.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, map[string]string{"status": "ok"}
	if s.cfg.Health != nil {
		if err := s.cfg.Health(r.Context()); err != nil {
			s.logger.Warn("health check failed", "err", err)
			status, body = http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": readyReason(err)}
			w.Header().Set("Retry-After", retryAfterSeconds)
		}
	}
	s.respond(w, r, status, body, nil)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.openapi)
}

// bearerToken returns the token of an Authorization header value
// "Bearer <token>". The scheme name is case-insensitive (RFC 7235 §2.1,
// RFC 6750 §2.1), so "bearer" and "BEARER" work too; one or more spaces may
// separate it from the token.
func bearerToken(auth string) (string, bool) {
	scheme, rest, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret := strings.TrimSpace(rest)
	return secret, secret != ""
}

// authed wraps a handler that needs a caller: it resolves the bearer token
// to a user, admits the request under the user's limits (429 past them),
// puts the user in the request's context and hands it to h.
// pattern is the route's ServeMux pattern, which the token's scope must
// allow (scopeAllows).
func (s *Server) authed(pattern string, h func(w http.ResponseWriter, r *http.Request, u *pactum.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, scope, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if err := scopeAllows(scope, pattern, r, u); err != nil {
			s.Error(w, r, err)
			return
		}
		if !s.admit(w, r, u.ID) {
			return
		}
		defer s.done(u.ID)
		h(w, r.WithContext(pactum.NewContextWithUser(r.Context(), u)), u)
	}
}

// authenticate resolves the request's bearer token to a user, or answers
// 401 itself and reports false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*pactum.User, pactum.TokenScope, bool) {
	secret, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok && r.Header.Get("Authorization") == "" && s.hasSessionCookie(r) {
		// A signed-in browser (session.go): full scope, CSRF token on
		// every state-changing request.
		u, csrf, err := s.SessionUser(r)
		if err != nil {
			s.Error(w, r, err)
			return nil, "", false
		}
		w.Header().Set(CSRFHeader, csrf)
		return u, pactum.ScopeFull, true
	}
	if !ok {
		s.Error(w, r, pactum.Errorf(pactum.EUNAUTHORIZED, "An API token is required: send Authorization: Bearer <token>."))
		return nil, "", false
	}
	u, scope, err := s.cfg.Users.Authenticate(r.Context(), secret)
	if err != nil {
		s.LogAuthFailure(r, "token", pactum.ErrorMessage(err))
		s.Error(w, r, err)
		return nil, "", false
	}
	setRequestUser(r.Context(), u.ID)
	return u, scope, true
}

// operatorsOnly serves next to access managers and auditors (pactum's
// CanReadAll), outside the per-user limits so that scrapes never fail
// for a busy user.
func (s *Server) operatorsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, scope, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if err := scopeAllows(scope, "GET /metrics", r, u); err != nil {
			s.Error(w, r, err)
			return
		}
		if !pactum.CanReadAll(u) {
			s.Error(w, r, pactum.Errorf(pactum.EFORBIDDEN, "Metrics are for access managers and auditors."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
