// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/sqlstore"
)

// getStatus sends GET path with token and returns the status, Retry-After and
// the body.
func getStatus(t *testing.T, base, path, token string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return r.StatusCode, r.Header.Get("Retry-After"), m
}

// TestDatabaseOutage503: while PostgreSQL refuses connections to the
// database, requests and readiness are answered 503 with Retry-After and
// the code unavailable, not 500; once it accepts them again, 200.
func TestDatabaseOutage503(t *testing.T) {
	e := newEnvWith(t, sqlstore.Postgres, sqlstore.Options{}, func(c *pactumhttp.Config) { c.Unavailable = sqlstore.Unavailable })
	if code, _, m := getStatus(t, e.url, "/api/v1/calls", e.token); code != 200 {
		t.Fatalf("before the outage: %d %v", code, m)
	}
	admin, err := sql.Open("pgx", os.Getenv("PACTUM_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, _ := url.Parse(e.dsn)
	name := strings.TrimPrefix(u.Path, "/")
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`)
	for _, path := range []string{"/api/v1/calls", "/api/v1/me"} {
		code, retry, m := getStatus(t, e.url, path, e.token)
		if code != 503 || retry == "" {
			t.Fatalf("%s during the outage: %d Retry-After %q %v, want 503 with Retry-After", path, code, retry, m)
		}
		if errv, _ := m["error"].(map[string]any); errv["code"] != "unavailable" {
			t.Errorf("%s: body %v, want code unavailable", path, m)
		}
	}
	if code, retry, m := getStatus(t, e.url, "/readyz", ""); code != 503 || retry == "" || m["reason"] != "database unavailable" {
		t.Errorf("/readyz during the outage: %d %q %v", code, retry, m)
	}
	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`)
	if code, _, m := getStatus(t, e.url, "/api/v1/calls", e.token); code != 200 {
		t.Fatalf("after the outage: %d %v", code, m)
	}
	if code, _, m := getStatus(t, e.url, "/readyz", ""); code != 200 {
		t.Fatalf("/readyz after the outage: %d %v", code, m)
	}
}

// TestReadyDiskFull: readiness reports a SQLite database's disk full (here:
// less free than an absurd threshold) with 503 and the reason.
func TestReadyDiskFull(t *testing.T) {
	e := newEnvWith(t, sqlstore.SQLite, sqlstore.Options{MinFreeBytes: 1 << 62}, nil)
	code, retry, m := getStatus(t, e.url, "/readyz", "")
	if code != 503 || retry == "" || m["reason"] != "disk full" || m["status"] != "unavailable" {
		t.Fatalf("/readyz: %d %q %v, want 503 disk full", code, retry, m)
	}
	e2 := newEnv(t, sqlstore.SQLite)
	if code, _, m := getStatus(t, e2.url, "/readyz", ""); code != 200 {
		t.Fatalf("/readyz with room: %d %v", code, m)
	}
}
