// SPDX-License-Identifier: EUPL-1.2

// Package storetest opens throwaway pactum databases for tests, on SQLite
// and on PostgreSQL, so that the same test runs against both engines.
//
// PostgreSQL tests need PACTUM_TEST_POSTGRES, a URL of a server where the
// test may create databases (scripts/postgres/up.sh prints one). Without it
// they are skipped, unless PACTUM_REQUIRE_POSTGRES=1, as in CI, where a
// missing server fails the run rather than silently testing less.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactum/pactum/sqlstore"
)

// Dialects lists the engines tests run on.
var Dialects = []string{sqlstore.SQLite, sqlstore.Postgres}

// DSN returns a fresh, empty database for dialect, dropped when tb ends.
func DSN(tb testing.TB, dialect string) string {
	tb.Helper()
	switch dialect {
	case sqlstore.SQLite:
		return filepath.Join(tb.TempDir(), "pactum.db")
	case sqlstore.Postgres:
		admin := os.Getenv("PACTUM_TEST_POSTGRES")
		if admin == "" {
			if os.Getenv("PACTUM_REQUIRE_POSTGRES") == "1" {
				tb.Fatal("PACTUM_REQUIRE_POSTGRES=1 but PACTUM_TEST_POSTGRES is not set (start one with scripts/postgres/up.sh)")
			}
			tb.Skip("PostgreSQL tests need PACTUM_TEST_POSTGRES (scripts/postgres/up.sh prints it)")
		}
		return newDatabase(tb, admin, "")
	}
	tb.Fatalf("unknown dialect %q", dialect)
	return ""
}

// CopyDSN returns a copy of the database dsn names, made for tb and
// removed when it ends: a file copy for SQLite, CREATE DATABASE … TEMPLATE
// for PostgreSQL (which needs every connection to dsn closed). Benchmarks
// seed a database once and run on copies of it.
func CopyDSN(tb testing.TB, dsn string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") {
		data, err := os.ReadFile(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		to := filepath.Join(tb.TempDir(), "copy.db")
		if err := os.WriteFile(to, data, 0o600); err != nil {
			tb.Fatal(err)
		}
		return to
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return newDatabase(tb, os.Getenv("PACTUM_TEST_POSTGRES"), strings.TrimPrefix(u.Path, "/"))
}

// newDatabase creates a PostgreSQL database on the server admin names —
// empty, or a copy of template when it is not "" — drops it when tb ends,
// and returns its URL.
func newDatabase(tb testing.TB, admin, template string) string {
	tb.Helper()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	name := "pactum_t_" + strings.ToLower(rand.Text()[:12])
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, create); err != nil {
		db.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open opens a fresh migrated database for dialect, closed when tb ends.
func Open(tb testing.TB, dialect string, opt sqlstore.Options) *sqlstore.DB {
	tb.Helper()
	db, _ := OpenDSN(tb, dialect, opt)
	return db
}

// OpenDSN is Open that also returns the database's DSN, for tests that
// reach the same database another way too (a raw connection, a second
// store). The store is closed when tb ends: a test that closes it itself
// (to migrate, say) opens it with sqlstore.Open instead.
func OpenDSN(tb testing.TB, dialect string, opt sqlstore.Options) (*sqlstore.DB, string) {
	tb.Helper()
	dsn := DSN(tb, dialect)
	db, err := sqlstore.Open(context.Background(), dsn, opt)
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db, dsn
}

// Run runs fn as a subtest on each dialect.
func Run(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// String shows the time, for test logs.
func (c *Clock) String() string { return fmt.Sprint(c.T) }

// RankForBench puts each proposal of ids straight into the decision stage
// with a panel verdict that passes, ranked in the order given with a score
// from score(i), writing the review tracks with SQL on the database at dsn.
// Benchmarks of the allocation use it to skip thousands of reviews; it is
// not a use case and writes no audit event.
func RankForBench(tb testing.TB, dialect, dsn string, ids []string, score func(i int) float64) {
	tb.Helper()
	raw, err := sql.Open(map[string]string{sqlstore.SQLite: "sqlite", sqlstore.Postgres: "pgx"}[dialect], dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	for i, id := range ids {
		s := score(i)
		panel := fmt.Sprintf(`{"score":%g,"rank":%d,"passes":true,"review_score":%g,"reviews":2,"verdict":{"score":%g,"means":[],"passes":true}}`, s, i+1, s, s)
		if _, err := raw.Exec(`UPDATE review_tracks SET stage = 'decision', panel = $1 WHERE proposal_id = $2`, panel, id); err != nil {
			tb.Fatal(err)
		}
	}
}
