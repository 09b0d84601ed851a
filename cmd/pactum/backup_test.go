// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != want {
		t.Errorf("%s has mode %o, want %o", path, m, want)
	}
}

// TestBackupRestore: a backup taken while the server runs verifies and is
// 0600; restore puts it in place only into an empty directory and only
// when its chain verifies; a tampered backup is refused with exit 7.
func TestBackupRestore(t *testing.T) {
	root := t.TempDir()
	os.Chmod(root, 0o755)
	dir := filepath.Join(root, "data")
	initOnce(t, dir)
	wantMode(t, filepath.Join(dir, "pactum.db"), 0o600)
	mgr := map[string]string{"PACTUM_SERVER": serveData(t, dir)}
	mgr["PACTUM_TOKEN"] = recoverToken(t, "--data", dir)
	createAleph(t, mgr)

	out := filepath.Join(root, "backup.db")
	var b struct {
		File  string `json:"file"`
		Audit struct {
			OK     bool  `json:"ok"`
			Events int64 `json:"events"`
		} `json:"audit"`
	}
	cliJSON(t, nil, &b, "backup", "--data", dir, "--out", out, "--json")
	if !b.Audit.OK || b.Audit.Events < 3 {
		t.Fatalf("backup: %+v", b)
	}
	wantMode(t, out, 0o600)
	if code, _, stderr := cli(t, nil, "backup", "--data", dir, "--out", out); code != exitConflict {
		t.Errorf("a backup over an existing file: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, nil, "backup", "--db", "postgres://x@127.0.0.1:1/x", "--out", filepath.Join(root, "pg.db")); code != exitInvalid || !strings.Contains(stderr, "pg_dump") {
		t.Errorf("a PostgreSQL backup: %d %s", code, stderr)
	}

	restored := filepath.Join(root, "restored")
	if code, stdout, stderr := cli(t, nil, "restore", "--from", out, "--data", restored, "--state"); code != 0 {
		t.Fatalf("restore: %d %s %s", code, stdout, stderr)
	}
	wantMode(t, filepath.Join(restored, "pactum.db"), 0o600)
	if code, _, stderr := cli(t, nil, "audit", "verify", "--data", restored, "--state"); code != 0 {
		t.Errorf("verify the restored data: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, nil, "restore", "--from", out, "--data", restored); code != exitConflict {
		t.Errorf("restore over a database: %d %s", code, stderr)
	}

	// A tampered backup is not put in place.
	bad := filepath.Join(root, "bad.db")
	data, _ := os.ReadFile(out)
	os.WriteFile(bad, data, 0o600)
	raw, err := sql.Open("sqlite", bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_events SET after_json = '{}' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	elsewhere := filepath.Join(root, "elsewhere")
	if code, _, stderr := cli(t, nil, "restore", "--from", bad, "--data", elsewhere); code != exitCheck {
		t.Errorf("restore of a tampered backup: %d %s", code, stderr)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("a tampered backup left %v", entries)
	}
}

// recoverToken runs admin recover for the first access manager and
// returns the token.
func recoverToken(t *testing.T, store ...string) string {
	t.Helper()
	var r struct {
		Secret string `json:"secret"`
		Token  struct {
			Name string `json:"name"`
		} `json:"token"`
	}
	cliJSON(t, nil, &r, append([]string{"admin", "recover", "--email", "mara@eurohpc.example", "--operator", "root", "--json"}, store...)...)
	if !strings.HasPrefix(r.Secret, "pct_") || r.Token.Name != "recovery by root" {
		t.Fatalf("recover: %+v", r)
	}
	return r.Secret
}

// TestAdminRecover: the operator issues a token to an access manager
// offline, on both engines; the token works, the recovery is in the audit
// log, which still verifies; an unknown e-mail is exit 3.
func TestAdminRecover(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		if code, _, stderr := cli(t, nil, "init", "--db", dsn, "--email", "mara@eurohpc.example"); code != 0 {
			t.Fatalf("init: %d %s", code, stderr)
		}
		secret := recoverToken(t, "--db", dsn)
		if code, _, stderr := cli(t, nil, "admin", "recover", "--db", dsn, "--email", "nobody@example.org"); code != exitNotFound {
			t.Errorf("unknown e-mail: %d %s", code, stderr)
		}
		if code, _, stderr := cli(t, nil, "audit", "verify", "--db", dsn, "--state"); code != 0 {
			t.Errorf("audit verify after recovery: %d %s", code, stderr)
		}
		a, err := openApp(context.Background(), dsn, slog.New(slog.DiscardHandler), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		u, _, err := a.uc.Authenticate(context.Background(), secret)
		if err != nil || u.Email != "mara@eurohpc.example" {
			t.Fatalf("the recovered token: %+v %v", u, err)
		}
		found := false
		err = sqlstoreEvents(a.db, func(action string, after []byte) {
			if action == "user.recover_access" && strings.Contains(string(after), `"operator":"root"`) {
				found = true
			}
		})
		if err != nil || !found {
			t.Errorf("no user.recover_access event naming the operator (%v)", err)
		}
	})
}

// sqlstoreEvents calls fn with every audit event's action and after value.
func sqlstoreEvents(db *sqlstore.DB, fn func(action string, after []byte)) error {
	if err := db.SealAudit(context.Background()); err != nil {
		return err
	}
	evs, _, err := db.ListAuditEvents(context.Background(), pactum.AuditFilter{Limit: 1000})
	if err != nil {
		return err
	}
	for _, e := range evs {
		fn(e.Action, e.After)
	}
	return nil
}

// TestNewerSchemaCLI: a database a newer pactum upgraded is refused by
// serve, migrate and the offline tools, each naming the versions; migrate
// --check reports it with exit 5.
func TestNewerSchemaCLI(t *testing.T) {
	dir := t.TempDir()
	initOnce(t, dir)
	var v struct {
		Binary int64 `json:"binary_schema"`
		DB     int64 `json:"database_schema"`
	}
	cliJSON(t, nil, &v, "migrate", "--check", "--data", dir, "--json")
	if v.Binary != sqlstore.SchemaVersion() || v.DB != v.Binary {
		t.Fatalf("migrate --check: %+v", v)
	}
	raw, err := sql.Open("sqlite", filepath.Join(dir, "pactum.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, 1)`, sqlstore.SchemaVersion()+10); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if code, _, _ := cli(t, nil, "migrate", "--check", "--data", dir); code != exitConflict {
		t.Errorf("migrate --check of a newer schema: exit %d", code)
	}
	for _, args := range [][]string{
		{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
		{"migrate", "--data", dir},
		{"audit", "verify", "--data", dir},
	} {
		code, _, stderr := cli(t, nil, args...)
		if code != exitOther || !strings.Contains(stderr, "newer than this pactum's") {
			t.Errorf("%s on a newer schema: exit %d %s", args[0], code, stderr)
		}
	}
}

// TestOpenWaiting: serve's open retries an unreachable database until
// --db-wait runs out, and gives up at once on any other error.
func TestOpenWaiting(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	_, err := openWaiting(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1",
		sqlstore.Options{Logger: logger}, 1500*time.Millisecond)
	if !errors.Is(err, sqlstore.ErrUnreachable) || strings.Count(logs.String(), "retrying") < 1 {
		t.Fatalf("unreachable: %v, logged %q", err, logs.String())
	}
	logs.Reset()
	_, err = openWaiting(context.Background(), filepath.Join(t.TempDir(), "missing-dir", "x.db"), sqlstore.Options{Logger: logger}, time.Minute)
	if err == nil || errors.Is(err, sqlstore.ErrUnreachable) || strings.Contains(logs.String(), "retrying") {
		t.Fatalf("another error: %v, logged %q", err, logs.String())
	}
}
