// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeSignInFlags: serve refuses incomplete or unsafe sign-in
// settings before serving.
func TestServeSignInFlags(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--oidc-issuer", "https://proxy.myaccessid.org"}, "--oidc-client-id"},
		{[]string{"--oidc-issuer", "http://op.example", "--oidc-client-id", "p", "--oidc-redirect-url", "https://pactum.example/auth/callback"}, "use https"},
		{[]string{"--oidc-issuer", "https://op.example", "--oidc-client-id", "p", "--oidc-redirect-url", "https://pactum.example/cb"}, "/auth/callback"},
		{[]string{"--oidc-min-assurance", "boss=x"}, "not a role"},
		{[]string{"--oidc-min-assurance", "reviewer"}, "ROLE=VALUE"},
		{[]string{"--session-idle", "0s"}, "--session-idle"},
	} {
		args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, c.flags...)
		if code, _, stderr := cli(t, nil, args...); code != exitInvalid || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d %s", c.flags, code, stderr)
		}
	}
}

// TestServeSignIn: with an issuer, serve discovers the provider and
// /auth/login sends the browser there with PKCE; the client secret comes
// from a file.
func TestServeSignIn(t *testing.T) {
	var op *httptest.Server
	op = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize",
			"token_endpoint": op.URL + "/token", "jwks_uri": op.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	}))
	defer op.Close()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	initOnce(t, dir)
	srv := serveData(t, dir, "--oidc-issuer", op.URL, "--oidc-client-id", "pactum", "--oidc-client-secret-file", secret,
		"--oidc-redirect-url", "http://127.0.0.1/auth/callback", "--oidc-min-assurance", "reviewer=https://refeds.org/assurance/IAP/medium")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), op.URL+"/authorize?") ||
		loc.Query().Get("code_challenge_method") != "S256" || loc.Query().Get("redirect_uri") != "http://127.0.0.1/auth/callback" {
		t.Fatalf("%d %s", resp.StatusCode, loc)
	}
	// The site's root is the portal, whose pages send a browser without
	// a session to sign in, coming back to the page it asked for.
	for path, want := range map[string]string{"/": "/portal/", "/portal/audit": "/auth/login?next=%2Fportal%2Faudit"} {
		resp, err := c.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d to %q, want %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// Without an issuer there is no provider's sign-in; the portal asks for
	// the operator's sign-in link.
	dir2 := t.TempDir()
	initOnce(t, dir2)
	srv2 := serveData(t, dir2)
	resp, err = c.Get(srv2 + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("sign-in off: /auth/login answered %d", resp.StatusCode)
	}
	resp, err = c.Get(srv2 + "/portal/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "pactum admin sign-in-link") {
		t.Errorf("portal without sign-in: %d %s", resp.StatusCode, body)
	}
}
