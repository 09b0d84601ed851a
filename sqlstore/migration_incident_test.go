// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestIncidentMigrationDown: migration 00180 goes down (dropping the
// incidents and outcomes tables) and up again on both engines.
func TestIncidentMigrationDown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		raw, p := migrated(t, dialect)
		if _, err := p.DownTo(ctx, 170); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := raw.Exec(`SELECT COUNT(*) FROM incidents`); err == nil {
			t.Fatal("incidents survived the migration's Down")
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM outcomes`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("outcomes after up: %d %v", n, err)
		}
	})
}

// migrated returns a database of dialect migrated to the latest version,
// opened without pactum's store, and the goose provider of its
// migrations, for tests that take a migration down and up again.
func migrated(t *testing.T, dialect string) (*sql.DB, *goose.Provider) {
	t.Helper()
	dsn := storetest.DSN(t, dialect)
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	driver, gd := "sqlite", goose.DialectSQLite3
	if dialect == sqlstore.Postgres {
		driver, gd = "pgx", goose.DialectPostgres
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	p, err := goose.NewProvider(gd, raw, os.DirFS("migrations/"+dialect))
	if err != nil {
		t.Fatal(err)
	}
	return raw, p
}
