// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/catalog"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/usecase"
)

func newLogger(e *env, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l})), nil
}

func newServeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pactum server",
		Long: `Run the pactum API server on --addr, with its data in --data DIR (embedded
SQLite, created if missing) or in the PostgreSQL database at --db URL.

A new installation needs its first access manager: run "pactum init" with the
same --data or --db once; it prints an API token.

Probes: /livez (the process serves HTTP; no database), /readyz and /healthz
(the database answers, on a connection of its own). Each user's requests are
limited by --rate-limit per --rate-window and --max-in-flight at once (429
with Retry-After past either); probes and /metrics are exempt. /metrics needs
an access manager's or auditor's token unless --metrics-public.`,
		Example: `  pactum init --data ./pactum-data --email you@example.eu
  pactum serve --data ./pactum-data --addr 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dsnFromFlags(cmd)
			if err != nil {
				return err
			}
			logger, err := serveLogger(e, cmd)
			if err != nil {
				return err
			}
			addr, _ := cmd.Flags().GetString("addr")
			rules, _ := cmd.Flags().GetString("rules")
			docKey, err := documentKey(cmd)
			if err != nil {
				return err
			}
			fractions, err := alertFractions(cmd)
			if err != nil {
				return err
			}
			terms, err := obligationTerms(cmd)
			if err != nil {
				return err
			}
			sweepEvery, _ := cmd.Flags().GetDuration("sweep-interval")
			if sweepEvery < 0 {
				return pactum.Errorf(pactum.EINVALID, "--sweep-interval %s: give a positive duration, or 0 not to sweep", sweepEvery)
			}
			tokenTTL, tokenMaxTTL, err := tokenLifetimes(cmd)
			if err != nil {
				return err
			}
			signInOpts, err := signInUseCases(cmd)
			if err != nil {
				return err
			}
			silentAfter, err := agentSilentAfter(cmd)
			if err != nil {
				return err
			}
			notices, err := notifyConfig(cmd)
			if err != nil {
				return err
			}
			dbWait, _ := cmd.Flags().GetDuration("db-wait")
			maxConns, err := dbMaxConns(cmd)
			if err != nil {
				return err
			}
			a, err := openAppWaiting(cmd.Context(), dsn, logger, rules, dbWait, maxConns, silentAfter, func(c *usecase.Config) {
				c.DocumentKey, c.AlertFractions = docKey, fractions
				c.TokenDefaultTTL, c.TokenMaxTTL = tokenTTL, tokenMaxTTL
				if terms != nil {
					c.Obligations = terms
				}
				c.EmailNotices = notices.email
			}, signInOpts)
			if err != nil {
				return err
			}
			defer a.Close()
			if a.cfg.SignIn, err = signInConfig(cmd.Context(), cmd, a.uc, logger); err != nil {
				return err
			}
			// Sessions serve the portal; besides the provider (if any), the
			// operator's one-time sign-in links open them.
			if a.cfg.SignIn == nil {
				a.cfg.SignIn = &pactumhttp.SignInConfig{Sessions: a.uc}
			}
			a.cfg.SignIn.Links = a.uc
			a.cfg.Limits, a.cfg.PublicMetrics = serveLimits(cmd)
			srv, err := pactumhttp.NewServer(a.cfg)
			if err != nil {
				return err
			}
			if err := mountPortal(srv, a.uc, a.cfg.SignIn.Provider != nil, logger); err != nil {
				return err
			}
			if err := srv.Open(addr); err != nil {
				return err
			}
			logger.Info("pactum serving", "url", srv.URL(), "database", a.db.Dialect(),
				"ruleset", a.ruleset.Version(), "ruleset_hash", a.ruleset.Hash()[:12])
			fmt.Fprintf(e.stdout, "pactum listening on %s (API at %s/api/v1, OpenAPI at %s/api/v1/openapi.json)\n",
				srv.URL(), srv.URL(), srv.URL())
			delivered, err := startDeliveries(cmd.Context(), a, notices, logger)
			if err != nil {
				_ = srv.Close()
				return err
			}
			swept := make(chan struct{})
			if sweepEvery > 0 {
				go func() { defer close(swept); a.uc.RunObligationSweeper(cmd.Context(), sweepEvery) }()
			} else {
				close(swept)
			}
			<-cmd.Context().Done()
			logger.Info("shutting down")
			<-swept
			<-delivered
			return srv.Close()
		},
	}
	storeFlags(cmd)
	dbWaitFlag(cmd)
	cmd.Flags().String("addr", "127.0.0.1:8080", "address to listen on (HOST:PORT)")
	cmd.Flags().String("token-ttl", "90d", "lifetime of an API token created without an expiry (30d, 2w, 12h)")
	cmd.Flags().String("token-max-ttl", "365d", "longest lifetime an API token may be given (30d, 2w, 12h)")
	cmd.Flags().String("log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().String("rules", "", "screening ruleset directory instead of the embedded one")
	d := pactumhttp.DefaultLimits
	cmd.Flags().Int("rate-limit", d.Requests, "requests each user may send per --rate-window (0: no limit); more are answered 429 with Retry-After")
	cmd.Flags().Duration("rate-window", d.Window, "the window of --rate-limit")
	cmd.Flags().Int("max-in-flight", d.InFlight, "requests each user may have running at once (0: no cap); more are answered 429")
	cmd.Flags().Float64Slice("alert-fractions", pactum.DefaultAlertFractions, "fractions of the AI Act's 10^23 and 10^25 FLOP thresholds at which a model's cumulative compute is alerted on")
	cmd.Flags().String("document-key", "", "audit checkpoint key file (pactum audit keygen) that signs model documentation (default: unsigned)")
	cmd.Flags().Duration("sweep-interval", time.Hour, "how often to send obligation reminders, overdue notices and automatic breaches (each once, also with several instances); 0 does not sweep")
	cmd.Flags().String("obligations", "", "obligation terms file (the format of the embedded catalog/obligations.json) instead of the embedded terms")
	signInFlags(cmd)
	notifyFlags(cmd)
	cmd.Flags().Bool("metrics-public", false, "serve /metrics without a token (default: an access manager's or auditor's token is needed, since the API faces the internet)")
	serveOpsFlags(cmd)
	withSettings(e, cmd)
	return cmd
}

// obligationTerms reads --obligations, nil when not given (the embedded
// terms apply).
func obligationTerms(cmd *cobra.Command) (*pactum.ObligationTerms, error) {
	path, _ := cmd.Flags().GetString("obligations")
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "--obligations: %v", err)
	}
	t, err := catalog.ParseObligations(data)
	if err != nil {
		return nil, fmt.Errorf("--obligations %s: %w", path, err)
	}
	return t, nil
}

// serveLimits returns the per-user limits and the /metrics choice of serve's
// flags.
func serveLimits(cmd *cobra.Command) (pactumhttp.Limits, bool) {
	var l pactumhttp.Limits
	l.Requests, _ = cmd.Flags().GetInt("rate-limit")
	l.Window, _ = cmd.Flags().GetDuration("rate-window")
	l.InFlight, _ = cmd.Flags().GetInt("max-in-flight")
	public, _ := cmd.Flags().GetBool("metrics-public")
	return l, public
}

func newInitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the database and its first access manager; print their API token",
		Long: `Create (or migrate) the database named by --data or --db, seed the EuroHPC
systems catalogue, and create the first access manager with an API token. The
token is printed once; pactum stores only its hash. Refused once an access
manager exists.`,
		Example: `  pactum init --data ./pactum-data --email mara@eurohpc.example --name "Mara Manager"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dsnFromFlags(cmd)
			if err != nil {
				return err
			}
			email, _ := cmd.Flags().GetString("email")
			name, _ := cmd.Flags().GetString("name")
			if name == "" {
				name, _, _ = strings.Cut(email, "@")
			}
			a, err := openApp(cmd.Context(), dsn, slog.New(slog.DiscardHandler), "", nil)
			if err != nil {
				return err
			}
			defer a.Close()
			u, secret, err := a.uc.Bootstrap(cmd.Context(), email, name)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, map[string]any{"user": u, "token": secret})
			}
			fmt.Fprintf(e.stdout, "Created access manager %s (%s).\nAPI token (shown once): %s\n\n  export PACTUM_TOKEN=%s\n",
				u.Email, u.ID, secret, secret)
			return nil
		},
	}
	storeFlags(cmd)
	cmd.Flags().String("email", "", "e-mail of the first access manager (required)")
	cmd.Flags().String("name", "", "their name (default: the e-mail's local part)")
	_ = cmd.MarkFlagRequired("email")
	jsonFlag(cmd)
	withStoreEnv(e, cmd)
	return cmd
}

// stderrIsTerminal reports whether progress lines are worth printing.
func stderrIsTerminal(e *env) bool { return e.stderrTTY }

// documentKey reads and checks --document-key: a server must not start
// with a key that cannot sign.
func documentKey(cmd *cobra.Command) (string, error) {
	path, _ := cmd.Flags().GetString("document-key")
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", pactum.Errorf(pactum.EINVALID, "--document-key: %v", err)
	}
	key := strings.TrimSpace(string(data))
	if _, err := audit.PublicKey(key); err != nil {
		return "", pactum.Errorf(pactum.EINVALID, "--document-key %s: %v (make one with pactum audit keygen)", path, err)
	}
	return key, nil
}

// alertFractions reads --alert-fractions: each in (0, 1], as many as make
// sense.
func alertFractions(cmd *cobra.Command) ([]float64, error) {
	fs, _ := cmd.Flags().GetFloat64Slice("alert-fractions")
	if len(fs) == 0 || len(fs) > 20 {
		return nil, pactum.Errorf(pactum.EINVALID, "--alert-fractions: give between 1 and 20 fractions, e.g. 0.5,0.9,1")
	}
	for _, f := range fs {
		if !(f > 0 && f <= 1) {
			return nil, pactum.Errorf(pactum.EINVALID, "--alert-fractions: %g is not a fraction in (0, 1]", f)
		}
	}
	return fs, nil
}

// tokenLifetimes reads --token-ttl and --token-max-ttl; the default may not
// exceed the maximum.
func tokenLifetimes(cmd *cobra.Command) (def, maxTTL time.Duration, err error) {
	for _, f := range []struct {
		name string
		d    *time.Duration
	}{{"token-ttl", &def}, {"token-max-ttl", &maxTTL}} {
		s, _ := cmd.Flags().GetString(f.name)
		if *f.d, err = parseLifetime(s); err != nil {
			return 0, 0, pactum.Errorf(pactum.EINVALID, "--%s %q: %v", f.name, s, err)
		}
	}
	if def > maxTTL {
		return 0, 0, pactum.Errorf(pactum.EINVALID, "--token-ttl %s is longer than --token-max-ttl %s", def, maxTTL)
	}
	return def, maxTTL, nil
}
