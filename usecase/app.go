// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/pactum/pactum"
)

// Config is what an App needs. Store, Screener, Allocator and Rubric are
// required.
type Config struct {
	Store pactum.Store
	// Screener screens proposals at submission (package policy).
	Screener pactum.Screener
	// Allocator solves allocation runs (package allocate).
	Allocator pactum.Allocator
	// Rubric is the peer-review rubric of calls without their own
	// (catalog.Rubric in production). Shared: never modified.
	Rubric *pactum.Rubric
	// Now is the clock; time.Now when nil. It must be the store's clock,
	// so that times read before a transaction agree with those in it.
	Now    func() time.Time
	Logger *slog.Logger
	// AlertFractions are the fractions of the AI Act's compute thresholds
	// at which a model's (or an organization's upper bound's) cumulative
	// compute is alerted on; pactum.DefaultAlertFractions when nil.
	AlertFractions []float64
	// DocumentKey is the audit checkpoint key (base64 Ed25519, from
	// pactum audit keygen) that signs model documentation; "" leaves it
	// unsigned.
	DocumentKey string
	// Obligations are the access modes' obligation terms
	// (catalog.Obligations in production); nil creates no obligations.
	Obligations *pactum.ObligationTerms
	// TokenDefaultTTL is how long a token created without an expiry stays
	// valid; 0: it never expires. TokenMaxTTL bounds every token's
	// lifetime from its creation; 0: only pactum.TokenMaxYears. pactum
	// serve sets pactum.DefaultTokenTTL and pactum.MaxTokenTTL unless told
	// otherwise.
	TokenDefaultTTL, TokenMaxTTL time.Duration
	// SessionTTL and SessionIdle end a sign-in session that long after
	// sign-in, or after that long without a request;
	// pactum.DefaultSessionTTL and pactum.DefaultSessionIdle when 0.
	SessionTTL, SessionIdle time.Duration
	// Assurance is the minimum assurance per role for signing in through
	// an OpenID provider; nil requires none.
	Assurance pactum.AssurancePolicy
	// AgentSilentAfter is how long a site's agent may go without contact
	// before ListAgents shows it silent; pactum.DefaultAgentSilentAfter
	// when 0.
	AgentSilentAfter time.Duration
	// Observer learns what use cases did once it is committed (metrics);
	// nil observes nothing.
	Observer Observer
	// EmailNotices writes an e-mail delivery with each notification (to
	// users whose preferences do not turn the kind off), for the delivery
	// worker (RunDeliveryWorker) to send; pactum serve sets it when an
	// SMTP server is configured. Webhook deliveries are written whenever a
	// subscription names the kind.
	EmailNotices bool
}

// App runs pactum's use cases. Create it with New; it is safe for
// concurrent use.
type App struct {
	store     pactum.Store
	screener  pactum.Screener
	allocator pactum.Allocator
	rubric    *pactum.Rubric
	clock     func() time.Time
	logger    *slog.Logger
	cache     refCache
	// alertFractions: Config.AlertFractions.
	alertFractions []float64
	documentKey    string
	obligations    *pactum.ObligationTerms
	// tokenDefaultTTL, tokenMaxTTL: Config's.
	tokenDefaultTTL, tokenMaxTTL time.Duration
	// sessionTTL, sessionIdle, assurance: Config's.
	sessionTTL, sessionIdle time.Duration
	assurance               pactum.AssurancePolicy
	agentSilentAfter        time.Duration
	observer                Observer
	// emailNotices: Config.EmailNotices.
	emailNotices bool
}

// The App implements every service of the domain.
var (
	_ pactum.SystemService        = (*App)(nil)
	_ pactum.OrganizationService  = (*App)(nil)
	_ pactum.UserService          = (*App)(nil)
	_ pactum.CallService          = (*App)(nil)
	_ pactum.ProposalService      = (*App)(nil)
	_ pactum.AllocationService    = (*App)(nil)
	_ pactum.AwardService         = (*App)(nil)
	_ pactum.SiteService          = (*App)(nil)
	_ pactum.ReviewService        = (*App)(nil)
	_ pactum.ReviewerService      = (*App)(nil)
	_ pactum.AllocationRunService = (*App)(nil)
	_ pactum.UsageService         = (*App)(nil)
	_ pactum.ModelService         = (*App)(nil)
	_ pactum.NotificationService  = (*App)(nil)
	_ pactum.AuditService         = (*App)(nil)
	_ pactum.IncidentService      = (*App)(nil)
	_ pactum.OutcomeService       = (*App)(nil)
	_ pactum.ObligationService    = (*App)(nil)
	_ pactum.SessionService       = (*App)(nil)
	_ pactum.SignInLinkService    = (*App)(nil)
	_ pactum.DeliveryService      = (*App)(nil)
)

// New returns the use cases over cfg's store and adapters.
func New(cfg Config) *App {
	a := &App{store: cfg.Store, screener: cfg.Screener, allocator: cfg.Allocator, rubric: cfg.Rubric, clock: cfg.Now, logger: cfg.Logger,
		tokenDefaultTTL: cfg.TokenDefaultTTL, tokenMaxTTL: cfg.TokenMaxTTL}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	a.alertFractions, a.documentKey = cfg.AlertFractions, cfg.DocumentKey
	a.obligations = cfg.Obligations
	a.sessionTTL, a.sessionIdle, a.assurance = cfg.SessionTTL, cfg.SessionIdle, cfg.Assurance
	if a.sessionTTL <= 0 {
		a.sessionTTL = pactum.DefaultSessionTTL
	}
	if a.sessionIdle <= 0 {
		a.sessionIdle = pactum.DefaultSessionIdle
	}
	a.agentSilentAfter, a.observer = cfg.AgentSilentAfter, cfg.Observer
	if a.agentSilentAfter <= 0 {
		a.agentSilentAfter = pactum.DefaultAgentSilentAfter
	}
	if a.observer == nil {
		a.observer = noObserver{}
	}
	a.emailNotices = cfg.EmailNotices
	if a.alertFractions == nil {
		a.alertFractions = pactum.DefaultAlertFractions
	}
	return a
}

// now returns the current time as stored: UTC, microseconds (PostgreSQL's
// precision), so that a time set before a transaction round-trips.
func (a *App) now() time.Time { return a.clock().UTC().Truncate(time.Microsecond) }

// newID returns a UUIDv7: unique, and ordered by creation time, so that
// ordering by ID is ordering by creation on every engine.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// actor returns the caller or EUNAUTHORIZED.
func actor(ctx context.Context) (*pactum.User, error) {
	u := pactum.UserFromContext(ctx)
	if u == nil {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Authentication required.")
	}
	return u, nil
}

// manager returns the caller if they are an access manager, else
// EFORBIDDEN naming what they tried.
func manager(ctx context.Context, what string) (*pactum.User, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may %s.", what)
	}
	return u, nil
}

// reader returns the caller if they may read everything (access managers
// and auditors), else EFORBIDDEN naming what they tried.
func reader(ctx context.Context, what string) (*pactum.User, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanReadAll(u) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers and auditors may %s.", what)
	}
	return u, nil
}

// invalid returns an EINVALID error about one field.
func invalid(msg, field, problem string) error {
	return &pactum.Error{Code: pactum.EINVALID, Message: msg, Fields: []pactum.FieldError{{Field: field, Message: problem}}}
}

// update runs fn as one use case's write transaction for u.
func (a *App) update(ctx context.Context, u *pactum.User, fn func(tx pactum.Tx) error) error {
	return pactum.Update(ctx, a.store, u, fn)
}
