// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestSignInLinks: only the operator (the system identity) makes a link;
// its page changes nothing; pressing its button opens a session and lands
// in the portal; the code works once, and not after it expires or once
// its user is deactivated; each use is in the audit log.
func TestSignInLinks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		clock := &storetest.Clock{T: time.Now().UTC()}
		db := storetest.Open(t, dialect, sqlstore.Options{Now: clock.Now})
		f := storetest.Seed(t, db, clock.T)
		app := storetest.App(t, db, nil, clock.Now)
		cfg := pactumhttp.Config{SignIn: &pactumhttp.SignInConfig{Sessions: app, Links: app}, Now: clock.Now}
		cfg.Serve(app)
		srv, err := pactumhttp.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Open("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		sys := storetest.As(pactum.SystemUser())
		if _, _, err := app.CreateSignInLink(storetest.As(f.Manager), f.ApplicantA.ID, 0); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("an access manager makes a link: %v", err)
		}
		if _, _, err := app.CreateSignInLink(sys, f.ApplicantA.ID, 8*24*time.Hour); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("an eight-day link: %v", err)
		}
		if _, _, err := app.CreateSignInLink(sys, "nobody", 0); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("a link for nobody: %v", err)
		}
		_, code, err := app.CreateSignInLink(sys, f.ApplicantA.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		redeem := func(code string) *http.Response {
			t.Helper()
			resp, err := c.PostForm(srv.URL()+"/auth/link", url.Values{"code": {code}})
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		// The page asks; it does not spend the code.
		for range 2 {
			resp, err := c.Get(srv.URL() + "/auth/link?code=" + code)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `<form method="post" action="/auth/link">`) || len(resp.Cookies()) != 0 {
				t.Fatalf("link page: %d %s", resp.StatusCode, b)
			}
		}
		resp := redeem(code)
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == pactumhttp.SessionCookie {
				session = ck
			}
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/" || session == nil || !session.Secure || !session.HttpOnly {
			t.Fatalf("redeem: %d %q %+v", resp.StatusCode, resp.Header.Get("Location"), session)
		}
		req, _ := http.NewRequest("GET", srv.URL()+"/api/v1/me", nil)
		req.AddCookie(session)
		me, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(me.Body)
		me.Body.Close()
		if me.StatusCode != 200 || !strings.Contains(string(b), f.ApplicantA.Email) {
			t.Errorf("me with the link's session: %d %s", me.StatusCode, b)
		}
		if resp := redeem(code); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the code twice: %d", resp.StatusCode)
		}
		for _, bad := range []string{"", "pactum_link_nope", "pct_" + code, strings.Repeat("x", 200)} {
			if resp := redeem(bad); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("code %q: %d", bad, resp.StatusCode)
			}
		}
		_, expiring, err := app.CreateSignInLink(sys, f.ApplicantA.ID, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if resp := redeem(expiring); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("an expired code: %d", resp.StatusCode)
		}
		_, later, err := app.CreateSignInLink(sys, f.ApplicantB.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.DeactivateUser(storetest.As(f.Manager), f.ApplicantB.ID); err != nil {
			t.Fatal(err)
		}
		if resp := redeem(later); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a deactivated user's code: %d", resp.StatusCode)
		}
		evs, _, err := app.FindAuditEvents(storetest.As(f.Auditor), pactum.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		created, sessions := 0, 0
		for _, e := range evs {
			switch e.Action {
			case "signin_link.create":
				created++
			case "session.create":
				sessions++
			}
		}
		if created != 3 || sessions != 1 {
			t.Errorf("audit: %d links made, %d sessions opened; want 3 and 1", created, sessions)
		}
	})
}
