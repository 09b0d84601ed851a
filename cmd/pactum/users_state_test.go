// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
	"time"
)

// TestUsersDeactivateAndScopedTokens: users deactivate / reactivate and
// their exit codes, the state in users list; tokens create --scope and
// --expires-in against serve's default maximum (365 days), the scope in
// tokens list, and a read-only token refused a write (exit 4).
func TestUsersDeactivateAndScopedTokens(t *testing.T) {
	mgr := serveFresh(t)
	aud, audID := as(t, mgr, "aud@example.org", "auditor")
	if code, _, stderr := cli(t, aud, "users", "deactivate", audID); code != exitDenied {
		t.Errorf("an auditor deactivated a user: %d %s", code, stderr)
	}
	var me struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &me, "me", "--json")
	if code, _, stderr := cli(t, mgr, "users", "deactivate", me.ID); code != exitConflict || !strings.Contains(stderr, "yourself") {
		t.Errorf("deactivating oneself: %d %s", code, stderr)
	}
	var u struct {
		DeactivatedAt *time.Time `json:"deactivated_at"`
	}
	cliJSON(t, mgr, &u, "users", "deactivate", audID, "--json")
	if u.DeactivatedAt == nil {
		t.Fatal("users deactivate --json: no deactivated_at")
	}
	if code, _, _ := cli(t, aud, "me"); code != exitDenied {
		t.Errorf("a deactivated user's token still works: exit %d", code)
	}
	if out := clu(t, mgr, nil, "users", "list", "--email", "aud@example.org"); !strings.Contains(out, "deactivated") {
		t.Errorf("users list does not show the state:\n%s", out)
	}
	if code, _, stderr := cli(t, mgr, "tokens", "create", "--user", audID, "--name", "x"); code != exitConflict {
		t.Errorf("a token for a deactivated user: %d %s", code, stderr)
	}
	var back struct {
		DeactivatedAt *time.Time `json:"deactivated_at"`
	}
	cliJSON(t, mgr, &back, "users", "reactivate", audID, "--json")
	if back.DeactivatedAt != nil {
		t.Fatal("users reactivate left deactivated_at")
	}
	if code, _, stderr := cli(t, aud, "me"); code != 0 {
		t.Errorf("after reactivation: %d %s", code, stderr)
	}

	// Scopes and lifetimes.
	var tok struct {
		Secret    string    `json:"secret"`
		Scope     string    `json:"scope"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	cliJSON(t, mgr, &tok, "tokens", "create", "--name", "dash", "--scope", "read-only", "--expires-in", "30d", "--json")
	if tok.Scope != "read-only" || tok.ExpiresAt.Before(time.Now().Add(29*24*time.Hour)) || tok.ExpiresAt.After(time.Now().Add(31*24*time.Hour)) {
		t.Errorf("read-only token: %+v", tok)
	}
	ro := map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"], "PACTUM_TOKEN": tok.Secret}
	if code, _, _ := cli(t, ro, "me"); code != 0 {
		t.Errorf("a read-only token cannot read: exit %d", code)
	}
	code, _, stderr := cli(t, ro, "users", "create", "--email", "x@example.org", "--name", "X", "--role", "auditor")
	if code != exitDenied || !strings.Contains(stderr, "read-only") {
		t.Errorf("a read-only token wrote: %d %s", code, stderr)
	}
	cliJSON(t, mgr, &tok, "tokens", "create", "--name", "default", "--json")
	if d := time.Until(tok.ExpiresAt); d < 89*24*time.Hour || d > 91*24*time.Hour {
		t.Errorf("default lifetime: expires in %v, want 90 days", d)
	}
	if code, _, stderr := cli(t, mgr, "tokens", "create", "--name", "long", "--expires-in", "400d"); code != exitInvalid || !strings.Contains(stderr, "expires_at") {
		t.Errorf("beyond the maximum: %d %s", code, stderr)
	}
	for _, bad := range [][]string{{"--scope", "admin"}, {"--expires-in", "0d"}, {"--expires-in", "3d", "--expires", "2030-01-01"}} {
		if code, _, stderr := cli(t, mgr, append([]string{"tokens", "create", "--name", "bad"}, bad...)...); code != exitInvalid {
			t.Errorf("tokens create %v: %d %s", bad, code, stderr)
		}
	}
	if out := clu(t, mgr, nil, "tokens", "list"); !strings.Contains(out, "SCOPE") || !strings.Contains(out, "read-only") {
		t.Errorf("tokens list does not show scopes:\n%s", out)
	}
}

// TestServeTokenLifetimeFlags: serve refuses a default token lifetime
// longer than the maximum, and a lifetime it cannot read, before serving.
func TestServeTokenLifetimeFlags(t *testing.T) {
	for _, flags := range [][]string{{"--token-ttl", "400d"}, {"--token-max-ttl", "1y"}, {"--token-ttl", "0d"}} {
		args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, flags...)
		if code, _, stderr := cli(t, nil, args...); code != exitInvalid || !strings.Contains(stderr, "--token-") {
			t.Errorf("serve %v: exit %d %s", flags, code, stderr)
		}
	}
}
