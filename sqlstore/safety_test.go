// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestNewerSchemaRefused: a binary older than the database's schema
// refuses to start, read-write or read-only, and writes nothing.
func TestNewerSchemaRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.DBSchemaVersion(ctx); err != nil || v != sqlstore.SchemaVersion() {
			t.Fatalf("schema version %d, %v; want %d", v, err, sqlstore.SchemaVersion())
		}
		db.Close()
		raw := rawDB(t, dialect, dsn)
		newer := sqlstore.SchemaVersion() + 10
		if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newer); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{false, true} {
			_, err := sqlstore.Open(ctx, dsn, sqlstore.Options{ReadOnly: ro})
			if !errors.Is(err, sqlstore.ErrSchema) || !strings.Contains(err.Error(), "newer") {
				t.Fatalf("read-only %v: err %v, want ErrSchema naming a newer schema", ro, err)
			}
		}
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id > $1`, sqlstore.SchemaVersion()).Scan(&n); err != nil || n != 1 {
			t.Fatalf("versions above ours: %d, %v", n, err)
		}
	})
}

// TestReadOnlyNeverMigrates: a read-only open of an older schema is
// refused and migrates nothing; of the current schema it reads, and
// writes fail.
func TestReadOnlyNeverMigrates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		raw := rawDB(t, dialect, dsn)
		gd := goose.DialectSQLite3
		if dialect == sqlstore.Postgres {
			gd = goose.DialectPostgres
		}
		p, err := goose.NewProvider(gd, raw, os.DirFS("migrations/"+dialect))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Open(ctx, dsn, sqlstore.Options{ReadOnly: true}); !errors.Is(err, sqlstore.ErrSchema) || !strings.Contains(err.Error(), "older") {
			t.Fatalf("read-only open of schema 3: %v, want ErrSchema naming an older schema", err)
		}
		if v, err := p.GetDBVersion(ctx); err != nil || v != 3 {
			t.Fatalf("after a read-only open the schema is %d (%v), want 3 untouched", v, err)
		}
		db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{}) // upgrade
		if err != nil {
			t.Fatal(err)
		}
		storetest.SeedCatalogue(t, db)
		db.Close()
		ro, err := sqlstore.Open(ctx, dsn, sqlstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if systems, err := ro.ListSystems(ctx); err != nil || len(systems) == 0 {
			t.Fatalf("read-only list: %d systems, %v", len(systems), err)
		}
		if err := pactum.Update(ctx, ro, nil, func(tx pactum.Tx) error { return tx.Record("test.write", "x", "1", nil, nil) }); err == nil {
			t.Fatal("a write through a read-only store succeeded")
		}
	})
}

// TestReadOnlyFile: an auditor's copy whose file and directory are
// read-only is read all the same, and left byte for byte as it was.
func TestReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: file modes do not stop root, the test checks the file is unchanged")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "pactum.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeedCatalogue(t, db)
	db.Close()
	for _, f := range []string{"pactum.db-wal", "pactum.db-shm"} {
		os.Remove(filepath.Join(dir, f))
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o400)
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	ro, err := sqlstore.Open(ctx, path, sqlstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if systems, err := ro.ListSystems(ctx); err != nil || len(systems) == 0 {
		t.Fatalf("read-only list: %d systems, %v", len(systems), err)
	}
	ro.Close()
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("a read-only open changed the file")
	}
}

// TestDatabaseFilePrivate: the SQLite file and its WAL are created 0600
// in a world-readable directory, whatever the umask.
func TestDatabaseFilePrivate(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "pactum.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeedCatalogue(t, db)
	defer db.Close()
	for _, f := range []string{"pactum.db", "pactum.db-wal", "pactum.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, m)
		}
	}
}

// TestKeywordDSN: a libpq keyword/value string names PostgreSQL (it used
// to create a SQLite file of that name).
func TestKeywordDSN(t *testing.T) {
	for dsn, pg := range map[string]bool{
		"host=db dbname=pactum user=pactum": true,
		" dbname=pactum":                    true,
		"postgres://u@h/db":                 true,
		"./data/pactum.db":                  false,
		"sqlite:host=x":                     false,
		"a=b.db":                            false,
	} {
		if got := sqlstore.IsPostgresDSN(dsn); got != pg {
			t.Errorf("IsPostgresDSN(%q) = %v, want %v", dsn, got, pg)
		}
	}
	admin := os.Getenv("PACTUM_TEST_POSTGRES")
	if admin == "" {
		return
	}
	dsn := storetest.DSN(t, sqlstore.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	kw := "host=" + u.Hostname() + " port=" + u.Port() + " dbname=" + strings.TrimPrefix(u.Path, "/") + " user=" + u.User.Username()
	if pw != "" {
		kw += " password=" + pw
	}
	if s := u.Query().Get("sslmode"); s != "" {
		kw += " sslmode=" + s
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	db, err := sqlstore.Open(context.Background(), kw, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != sqlstore.Postgres {
		t.Fatalf("dialect %s", db.Dialect())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a keyword string created files: %v", entries)
	}
}

// TestConcurrentMigrations: instances starting together on one empty
// PostgreSQL database take turns migrating; none fails.
func TestConcurrentMigrations(t *testing.T) {
	dsn := storetest.DSN(t, sqlstore.Postgres)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}

// TestUnavailableErrors: a full SQLite database (its page limit reached, as
// a full disk would) and an unreachable PostgreSQL server are errors to
// retry later, not bugs; a constraint violation is neither.
func TestUnavailableErrors(t *testing.T) {
	raw, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	for _, q := range []string{`CREATE TABLE t (x TEXT UNIQUE)`, `PRAGMA max_page_count = 4`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var full error
	for i := 0; full == nil && i < 1000; i++ {
		_, full = raw.Exec(`INSERT INTO t VALUES ($1)`, strings.Repeat("x", 1000)+fmt.Sprint(i))
	}
	if full == nil || !sqlstore.Unavailable(full) {
		t.Fatalf("a full database: %v, want an unavailable error", full)
	}
	_, dup := raw.Exec(`INSERT INTO t VALUES ($1)`, strings.Repeat("x", 1000)+"0")
	if dup == nil || sqlstore.Unavailable(dup) {
		t.Fatalf("a duplicate: %v, want an error that is not unavailability", dup)
	}
	_, err = sqlstore.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", sqlstore.Options{})
	if !errors.Is(err, sqlstore.ErrUnreachable) || !sqlstore.Unavailable(err) {
		t.Fatalf("an unreachable server: %v", err)
	}
}

// FuzzIsPostgresDSN: whatever --db is given, the choice of engine does not
// panic, a sqlite: prefix is always SQLite and a postgres URL always
// PostgreSQL.
func FuzzIsPostgresDSN(f *testing.F) {
	for _, s := range []string{"host=db dbname=x", "./pactum.db", "postgres://u@h/d", "sqlite:host=x", "=", " user = x", "a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pg := sqlstore.IsPostgresDSN(s)
		if strings.HasPrefix(s, "sqlite:") && pg {
			t.Fatalf("%q: a sqlite: DSN taken for PostgreSQL", s)
		}
		if (strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")) && !pg {
			t.Fatalf("%q: a PostgreSQL URL taken for SQLite", s)
		}
	})
}
