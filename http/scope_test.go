// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestTokenScopes: a read-only token may only read; a site-agent token
// only makes the site agent's requests and reads its own user; both are
// refused with 403 naming the scope.
func TestTokenScopes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		ctx := context.Background()
		ur, err := e.manager.CreateUserWithResponse(ctx, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		want(t, ur, err, 201, ur.Body)
		op := ur.JSON201.Id
		token := func(scope client.TokenScope) string {
			t.Helper()
			tr, err := e.manager.CreateTokenWithResponse(ctx, op, client.TokenInput{Name: string(scope), Scope: &scope})
			want(t, tr, err, 201, tr.Body)
			tok := strict[client.TokenCreated](t, tr.Body)
			if tok.Scope == nil || *tok.Scope != scope {
				t.Fatalf("created token's scope: %v", tok.Scope)
			}
			return tok.Secret
		}
		ro, agent := token(client.ReadOnly), token(client.SiteAgent)

		refused := func(method, path, secret, scope string, body string) {
			t.Helper()
			code, m := e.raw(t, method, path, secret, "application/json", []byte(body))
			if code != 403 || !strings.Contains(errMessage(m), scope) {
				t.Errorf("%s %s with a %s token: HTTP %d %v, want 403 naming the scope", method, path, scope, code, m)
			}
		}
		allowed := func(method, path, secret, body string) {
			t.Helper()
			if code, m := e.raw(t, method, path, secret, "application/json", []byte(body)); code == 403 || code == 401 {
				t.Errorf("%s %s: HTTP %d %v, want it let through", method, path, code, m)
			}
		}
		// Read-only: reads pass, a POST is refused before it is looked at.
		allowed("GET", "/api/v1/me", ro, "")
		allowed("GET", "/api/v1/proposals", ro, "")
		refused("POST", "/api/v1/proposals", ro, "read-only", `{}`)
		refused("POST", "/api/v1/sites/CSC/heartbeat", ro, "read-only", `{}`)
		refused("DELETE", "/api/v1/tokens/x", ro, "read-only", "")

		// Site agent: its own requests, nothing else.
		allowed("GET", "/api/v1/me", agent, "")
		allowed("GET", "/api/v1/users/"+op, agent, "")
		allowed("GET", "/api/v1/sites/CSC/desired", agent, "")
		allowed("POST", "/api/v1/sites/CSC/heartbeat", agent, `{"holder":"h","lease_seconds":60}`)
		refused("GET", "/api/v1/proposals", agent, "site-agent", "")
		refused("GET", "/api/v1/users", agent, "site-agent", "")
		refused("POST", "/api/v1/users/"+op+"/tokens", agent, "site-agent", `{"name":"more"}`)
		me, err := e.manager.GetMeWithResponse(ctx)
		want(t, me, err, 200, me.Body)
		refused("GET", "/api/v1/users/"+me.JSON200.Id, agent, "site-agent", "")

		// Listed with their scopes.
		lr, err := e.manager.ListTokensWithResponse(ctx, op)
		want(t, lr, err, 200, lr.Body)
		scopes := map[string]bool{}
		for _, tk := range lr.JSON200.Items {
			if tk.Scope != nil {
				scopes[string(*tk.Scope)] = true
			}
		}
		if !scopes["read-only"] || !scopes["site-agent"] {
			t.Errorf("listed scopes: %v", scopes)
		}
		code, m := e.raw(t, "POST", "/api/v1/users/"+op+"/tokens", e.token, "application/json", []byte(`{"name":"x","scope":"admin"}`))
		if code != 400 || fieldsOf(m)["scope"] == "" {
			t.Errorf("unknown scope: HTTP %d %v", code, m)
		}
	})
}

// TestDeactivateUserHTTP: a deactivated user's token is refused at once
// with 401, the user is listed as deactivated, reactivation restores the
// token; an access manager cannot deactivate themself (409).
func TestDeactivateUserHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		ctx := context.Background()
		ur, err := e.manager.CreateUserWithResponse(ctx, client.UserInput{Email: "aud@example.org", Name: "Aud", Role: client.Auditor})
		want(t, ur, err, 201, ur.Body)
		id := ur.JSON201.Id
		tr, err := e.manager.CreateTokenWithResponse(ctx, id, client.TokenInput{Name: "t"})
		want(t, tr, err, 201, tr.Body)
		secret := tr.JSON201.Secret
		if code, m := e.raw(t, "GET", "/api/v1/me", secret, "", nil); code != 200 {
			t.Fatalf("before: HTTP %d %v", code, m)
		}
		// The auditor may not deactivate anyone.
		if code, m := e.raw(t, "POST", "/api/v1/users/"+id+"/deactivate", secret, "", nil); code != 403 {
			t.Errorf("auditor deactivates: HTTP %d %v", code, m)
		}
		dr, err := e.manager.DeactivateUserWithResponse(ctx, id)
		want(t, dr, err, 200, dr.Body)
		if u := strict[client.User](t, dr.Body); u.DeactivatedAt == nil {
			t.Fatalf("deactivated user: %s", dr.Body)
		}
		if code, m := e.raw(t, "GET", "/api/v1/me", secret, "", nil); code != 401 || errMessage(m) != "Invalid API token." {
			t.Errorf("after deactivation: HTTP %d %v", code, m)
		}
		dr, err = e.manager.DeactivateUserWithResponse(ctx, id)
		want(t, dr, err, 200, dr.Body)
		lr, err := e.manager.ListUsersWithResponse(ctx, &client.ListUsersParams{Email: ptr("aud@example.org")})
		want(t, lr, err, 200, lr.Body)
		if len(lr.JSON200.Items) != 1 || lr.JSON200.Items[0].DeactivatedAt == nil {
			t.Errorf("listing: %s", lr.Body)
		}
		tr, err = e.manager.CreateTokenWithResponse(ctx, id, client.TokenInput{Name: "new"})
		want(t, tr, err, 409, tr.Body)

		me, err := e.manager.GetMeWithResponse(ctx)
		want(t, me, err, 200, me.Body)
		self, err := e.manager.DeactivateUserWithResponse(ctx, me.JSON200.Id)
		want(t, self, err, 409, self.Body)

		rr, err := e.manager.ReactivateUserWithResponse(ctx, id)
		want(t, rr, err, 200, rr.Body)
		if code, m := e.raw(t, "GET", "/api/v1/me", secret, "", nil); code != 200 {
			t.Errorf("after reactivation: HTTP %d %v", code, m)
		}
	})
}
