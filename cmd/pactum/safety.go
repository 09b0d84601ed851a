// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
)

// readOnlyDSN returns the database named by --data or --db for an offline
// tool: a data directory must already hold a database (nothing is
// created).
func readOnlyDSN(cmd *cobra.Command) (string, error) {
	data, _ := cmd.Flags().GetString("data")
	db, _ := cmd.Flags().GetString("db")
	if data != "" && db == "" {
		path := filepath.Join(data, "pactum.db")
		if _, err := os.Stat(path); err != nil {
			return "", pactum.Errorf(pactum.ENOTFOUND, "No pactum database in %s: %v", data, err)
		}
		return path, nil
	}
	return dsnFromFlags(cmd)
}

// openReadOnly opens dsn for an offline tool: read-only, never migrated,
// refused when its schema is not this binary's.
func openReadOnly(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	return sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler), ReadOnly: true})
}

// openWaiting opens the database like sqlstore.Open, retrying while it is
// unreachable (a PostgreSQL server still starting, a network not yet up),
// every few seconds for up to wait, logging each failure. Any other error
// (a schema too new, a bad URL) is returned at once.
func openWaiting(ctx context.Context, dsn string, opt sqlstore.Options, wait time.Duration) (*sqlstore.DB, error) {
	deadline := time.Now().Add(wait)
	delay := 500 * time.Millisecond
	for {
		db, err := sqlstore.Open(ctx, dsn, opt)
		if err == nil || !errors.Is(err, sqlstore.ErrUnreachable) || time.Now().Add(delay).After(deadline) {
			return db, err
		}
		if opt.Logger != nil {
			opt.Logger.Warn("database unreachable; retrying", "err", err, "in", delay, "until", deadline.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

func newMigrateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Upgrade the database's schema to this pactum's, and report both versions",
		Long: `Upgrade the database named by --data or --db to this pactum's schema, as
"pactum serve" does when it starts, and print the schema version before and
after. With --check, nothing is changed: the versions are printed and the exit
status is 5 (conflict) when the database is not at this pactum's schema.

A database upgraded by a newer pactum is refused by this one (exit status 1):
an older binary never runs on, nor writes to, a newer schema. On PostgreSQL,
instances migrating together take turns under an advisory lock.

Offline tools (audit verify, rules diff) never migrate; to read an older
database with a newer pactum, upgrade a copy with this command.`,
		Example: `  pactum migrate --data ./pactum-data
  pactum migrate --db postgres://pactum@db.example/pactum --check --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			check, _ := cmd.Flags().GetBool("check")
			var dsn string
			var err error
			if check {
				dsn, err = readOnlyDSN(cmd)
			} else {
				dsn, err = dsnFromFlags(cmd)
			}
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := map[string]any{"binary_schema": sqlstore.SchemaVersion()}
			if check {
				db, err := openReadOnly(ctx, dsn)
				if err != nil && !errors.Is(err, sqlstore.ErrSchema) {
					return err
				}
				if err != nil {
					out["error"] = err.Error()
				} else {
					out["database_schema"] = sqlstore.SchemaVersion()
					db.Close()
				}
				return reportSchema(cmd, e, out, err)
			}
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := db.DBSchemaVersion(ctx)
			if err != nil {
				return err
			}
			out["database_schema"] = v
			return reportSchema(cmd, e, out, nil)
		},
	}
	storeFlags(cmd)
	jsonFlag(cmd)
	cmd.Flags().Bool("check", false, "change nothing: report whether the database is at this pactum's schema")
	return cmd
}

func reportSchema(cmd *cobra.Command, e *env, out map[string]any, schemaErr error) error {
	if wantJSON(cmd) {
		if err := writeJSONValue(e.stdout, out); err != nil {
			return err
		}
	} else if schemaErr != nil {
		fmt.Fprintln(e.stdout, schemaErr)
	} else {
		fmt.Fprintf(e.stdout, "database schema %v; this pactum's schema %v\n", out["database_schema"], out["binary_schema"])
	}
	if schemaErr != nil {
		return pactum.Errorf(pactum.ECONFLICT, "The database is not at this pactum's schema (%d).", sqlstore.SchemaVersion())
	}
	return nil
}

// openAppWaiting is openApp for serve: it waits up to wait for an
// unreachable database (openWaiting), and keeps at most maxConns
// PostgreSQL connections (0: sqlstore's default).
func openAppWaiting(ctx context.Context, dsn string, logger *slog.Logger, rulesDir string, wait time.Duration, maxConns int, opts ...func(*usecase.Config)) (*app, error) {
	db, err := openWaiting(ctx, dsn, sqlstore.Options{Logger: logger, Now: time.Now, MaxConns: maxConns}, wait)
	if err != nil {
		return nil, err
	}
	a, err := wire(ctx, db, logger, rulesDir, time.Now, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// dbWaitFlag adds serve's --db-wait and --db-max-conns.
func dbWaitFlag(cmd *cobra.Command) {
	cmd.Flags().Duration("db-wait", 2*time.Minute, "how long to wait for an unreachable database at start, retrying, before giving up (0: do not wait)")
	cmd.Flags().Int("db-max-conns", defaultMaxConns, fmt.Sprintf("most PostgreSQL connections this server keeps (%d to %d; one more for health probes); instances sharing a database together need fewer than its max_connections; ignored on SQLite", minMaxConns, maxMaxConns))
}

// The bounds of --db-max-conns. With one connection, once the instance's
// lock holds it (sqlstore, instance.go: taken at the first idempotent
// request, kept for the process's life) no transaction could ever get one;
// the upper bound only catches typing slips, PostgreSQL's own default
// being 100.
const (
	defaultMaxConns = 16
	minMaxConns     = 2
	maxMaxConns     = 1000
)

// dbMaxConns reads --db-max-conns.
func dbMaxConns(cmd *cobra.Command) (int, error) {
	n, err := cmd.Flags().GetInt("db-max-conns")
	if err != nil {
		return 0, pactum.Errorf(pactum.EINVALID, "--db-max-conns: %v", err)
	}
	if n < minMaxConns || n > maxMaxConns {
		return 0, pactum.Errorf(pactum.EINVALID, "--db-max-conns %d: give a number of connections from %d to %d", n, minMaxConns, maxMaxConns)
	}
	return n, nil
}
