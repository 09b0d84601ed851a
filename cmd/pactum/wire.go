// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/metrics"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
)

// storeFlags adds --data and --db, the two ways to name a database.
func storeFlags(cmd *cobra.Command) {
	cmd.Flags().String("data", "", "data directory for the embedded SQLite database")
	cmd.Flags().String("db", "", "database URL instead of --data, e.g. postgres://user@host/pactum")
}

// dsnFromFlags returns the database named by --data or --db.
func dsnFromFlags(cmd *cobra.Command) (string, error) {
	data, _ := cmd.Flags().GetString("data")
	db, _ := cmd.Flags().GetString("db")
	switch {
	case data != "" && db != "":
		return "", pactum.Errorf(pactum.EINVALID, "Give --data or --db, not both.")
	case db != "":
		return db, nil
	case data != "":
		return dsnFromDir(data)
	}
	return "", pactum.Errorf(pactum.EINVALID, "Name a database with --data DIR (embedded SQLite) or --db URL (PostgreSQL).")
}

// dsnFromDir returns the embedded database inside a data directory.
func dsnFromDir(dir string) (string, error) { return sqlstore.DataDirDSN(dir) }

// app is a wired pactum: store, use cases and screener.
type app struct {
	db       *sqlstore.DB
	uc       *usecase.App
	ruleset  *policy.Ruleset
	cfg      pactumhttp.Config
	registry *prometheus.Registry
}

// openApp opens the database, seeds the systems catalogue (a no-op when
// unchanged) and wires the use cases on clock now (time.Now when nil).
func openApp(ctx context.Context, dsn string, logger *slog.Logger, rulesDir string, now func() time.Time, opts ...func(*usecase.Config)) (*app, error) {
	if now == nil {
		now = time.Now
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: logger, Now: now})
	if err != nil {
		return nil, err
	}
	a, err := wire(ctx, db, logger, rulesDir, now, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func wire(ctx context.Context, db *sqlstore.DB, logger *slog.Logger, rulesDir string, now func() time.Time, opts ...func(*usecase.Config)) (*app, error) {
	var rs *policy.Ruleset
	var err error
	if rulesDir != "" {
		rs, err = policy.LoadDir(rulesDir)
	} else {
		rs, err = policy.Default()
	}
	if err != nil {
		return nil, fmt.Errorf("load screening rules: %w", err)
	}
	systems, err := catalog.Systems()
	if err != nil {
		return nil, err
	}
	rubric, err := catalog.Rubric()
	if err != nil {
		return nil, err
	}
	obligations, err := catalog.Obligations()
	if err != nil {
		return nil, err
	}
	cfg := usecase.Config{
		Store: db, Screener: policy.NewScreener(rs),
		// No time limit: a run must be reproducible from its inputs.
		Allocator: allocate.New(solver.Options{}),
		Rubric:    rubric, Now: now, Logger: logger,
		Obligations: obligations,
	}
	registry := prometheus.NewRegistry()
	domain, err := metrics.New(registry, now)
	if err != nil {
		return nil, err
	}
	cfg.Observer = domain
	for _, o := range opts {
		o(&cfg)
	}
	uc := usecase.New(cfg)
	a := &app{db: db, uc: uc, ruleset: rs, registry: registry}
	if err := metrics.RegisterAgents(registry, func(ctx context.Context) ([]pactum.AgentStatus, error) {
		return uc.ListAgents(pactum.NewContextWithUser(ctx, pactum.SystemUser()), "")
	}, logger); err != nil {
		return nil, err
	}
	sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
	if err := uc.UpsertSystems(sys, systems); err != nil {
		return nil, fmt.Errorf("seed systems catalogue: %w", err)
	}
	if _, err := uc.CarryForward(sys); err != nil {
		return nil, fmt.Errorf("carry rows of an older pactum forward: %w", err)
	}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.cfg = pactumhttp.Config{
		Idempotency: sqlstore.NewIdempotencyService(db),
		Health:      db.Ping,
		Unavailable: sqlstore.Unavailable,
		Logger:      logger,
		Registry:    a.registry,
		Now:         now,
	}
	a.cfg.Serve(uc)
	return a, nil
}

func (a *app) Close() error { return a.db.Close() }
