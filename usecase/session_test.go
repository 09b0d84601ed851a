// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

const (
	issuer  = "https://proxy.myaccessid.org"
	iapMed  = "https://refeds.org/assurance/IAP/medium"
	iapHigh = "https://refeds.org/assurance/IAP/high"
	mfa     = "https://refeds.org/profile/mfa"
)

// signInWorld is a world whose use cases require IAP/medium of reviewers
// and MFA of access managers, with sessions of 8 hours, idle after 1.
func signInWorld(t *testing.T, dialect string) (*world, *usecase.App) {
	w := newWorld(t, dialect)
	rubric, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	uc := usecase.New(usecase.Config{Store: w.db, Rubric: rubric, Now: w.clock.Now,
		SessionTTL: 8 * time.Hour, SessionIdle: time.Hour,
		Assurance: pactum.AssurancePolicy{pactum.RoleReviewer: {iapMed}, pactum.RoleAccessManager: {mfa}}})
	return w, uc
}

func auditActions(t *testing.T, w *world, subjectType string) []string {
	t.Helper()
	events, _, err := w.uc.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{SubjectType: &subjectType, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func TestSignInLinksByVerifiedEmail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w, uc := signInWorld(t, dialect)
		ctx := context.Background()
		ada := &pactum.Identity{Issuer: issuer, Subject: "aaa@myaccessid.org", Email: "Ada@Aleph.example", EmailVerified: true, Name: "Ada"}

		// Unverified e-mail: refused, nothing linked.
		unverified := *ada
		unverified.EmailVerified = false
		_, _, _, err := uc.SignIn(ctx, &unverified)
		wantCode(t, err, pactum.EFORBIDDEN)
		if !strings.Contains(err.Error(), "not verified") {
			t.Errorf("unverified: %v", err)
		}
		noEmail := *ada
		noEmail.Email = ""
		_, _, _, err = uc.SignIn(ctx, &noEmail)
		wantCode(t, err, pactum.EFORBIDDEN)
		// No invitation for this e-mail.
		stranger := &pactum.Identity{Issuer: issuer, Subject: "zzz@myaccessid.org", Email: "eve@evil.example", EmailVerified: true}
		_, _, _, err = uc.SignIn(ctx, stranger)
		wantCode(t, err, pactum.EFORBIDDEN)
		if !strings.Contains(err.Error(), "Ask an access manager to invite you") {
			t.Errorf("uninvited: %v", err)
		}

		// First sign-in: linked by the verified e-mail (case aside).
		u, s, secret, err := uc.SignIn(ctx, ada)
		if err != nil || u.ID != w.f.ApplicantA.ID || s.UserID != u.ID || !strings.HasPrefix(secret, usecase.SessionPrefix) {
			t.Fatalf("sign in: %+v %+v %v", u, s, err)
		}
		if !s.ExpiresAt.Equal(t0.Add(8 * time.Hour)) {
			t.Errorf("expires %v", s.ExpiresAt)
		}
		got, gs, err := uc.AuthenticateSession(ctx, secret)
		if err != nil || got.ID != u.ID || gs.ID != s.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		// Later sign-ins find the link by subject, whatever the e-mail
		// says now (it may change, or be unverified).
		moved := *ada
		moved.Email, moved.EmailVerified = "ada@new.example", false
		if u2, _, _, err := uc.SignIn(ctx, &moved); err != nil || u2.ID != u.ID {
			t.Fatalf("second sign-in: %+v %v", u2, err)
		}
		// Another subject with Ada's verified e-mail is never linked to her.
		twin := *ada
		twin.Subject = "bbb@myaccessid.org"
		_, _, _, err = uc.SignIn(ctx, &twin)
		wantCode(t, err, pactum.EFORBIDDEN)
		if !strings.Contains(err.Error(), "already linked to another identity") {
			t.Errorf("twin: %v", err)
		}
		// Another issuer may link her once.
		other := *ada
		other.Issuer = "https://keycloak.example/realms/hpc"
		if u3, _, _, err := uc.SignIn(ctx, &other); err != nil || u3.ID != u.ID {
			t.Fatalf("other issuer: %+v %v", u3, err)
		}

		// Every sign-in and refusal is in the audit log.
		if got := strings.Join(auditActions(t, w, "identity"), " "); got != "signin.refuse signin.refuse signin.refuse signin.refuse" {
			t.Errorf("refusals in the audit log: %q", got)
		}
		if got := auditActions(t, w, "session"); len(got) != 3 {
			t.Errorf("sign-ins in the audit log: %q", got)
		}
		if got := auditActions(t, w, "user"); !strings.Contains(strings.Join(got, " "), "identity.link") {
			t.Errorf("links in the audit log: %q", got)
		}

		// Hostile claims: EINVALID naming the claim.
		bad := *ada
		bad.Subject = "a\x00b"
		_, _, _, err = uc.SignIn(ctx, &bad)
		wantCode(t, err, pactum.EINVALID)
		if f := pactum.ErrorFields(err); len(f) != 1 || f[0].Field != "sub" {
			t.Errorf("control character: %v", err)
		}
		bad = *ada
		bad.Assurance = []string{strings.Repeat("x", 300)}
		_, _, _, err = uc.SignIn(ctx, &bad)
		wantCode(t, err, pactum.EINVALID)
	})
}

func TestSignInAssurance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w, uc := signInWorld(t, dialect)
		ctx := context.Background()
		rev := &pactum.Identity{Issuer: issuer, Subject: "rev@myaccessid.org", Email: w.f.Reviewer.Email, EmailVerified: true,
			Assurance: []string{"https://refeds.org/assurance/IAP/low"}}
		_, _, _, err := uc.SignIn(ctx, rev)
		wantCode(t, err, pactum.EFORBIDDEN)
		if !strings.Contains(err.Error(), iapMed) {
			t.Errorf("low assurance: %v", err)
		}
		// Refused: no link was made, so a later sign-in with enough
		// assurance links then. IAP/high holds IAP/medium.
		rev.Assurance = []string{iapHigh}
		if u, _, _, err := uc.SignIn(ctx, rev); err != nil || u.ID != w.f.Reviewer.ID {
			t.Fatalf("high assurance: %+v %v", u, err)
		}
		// Access managers need MFA in acr.
		mgr := &pactum.Identity{Issuer: issuer, Subject: "mgr@myaccessid.org", Email: w.f.Manager.Email, EmailVerified: true, Assurance: []string{iapHigh}}
		_, _, _, err = uc.SignIn(ctx, mgr)
		wantCode(t, err, pactum.EFORBIDDEN)
		mgr.ACR = mfa
		if _, _, _, err := uc.SignIn(ctx, mgr); err != nil {
			t.Fatal(err)
		}
		// Applicants need nothing.
		if _, _, _, err := uc.SignIn(ctx, &pactum.Identity{Issuer: issuer, Subject: "bob", Email: w.f.ApplicantB.Email, EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSessionEnds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w, uc := signInWorld(t, dialect)
		ctx := context.Background()
		ada := &pactum.Identity{Issuer: issuer, Subject: "aaa", Email: w.f.ApplicantA.Email, EmailVerified: true}
		signIn := func() string {
			t.Helper()
			_, _, secret, err := uc.SignIn(ctx, ada)
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		// Idle: 59 minutes keep it alive (and move its last request);
		// then an hour without a request ends it.
		s1 := signIn()
		w.clock.Advance(59 * time.Minute)
		if _, _, err := uc.AuthenticateSession(ctx, s1); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(59 * time.Minute)
		if _, _, err := uc.AuthenticateSession(ctx, s1); err != nil {
			t.Fatalf("active session ended: %v", err)
		}
		w.clock.Advance(time.Hour)
		_, _, err := uc.AuthenticateSession(ctx, s1)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		if !strings.Contains(err.Error(), "without activity") {
			t.Errorf("idle: %v", err)
		}
		// Expiry: 8 hours after sign-in, however active.
		s2 := signIn()
		for range 8 {
			w.clock.Advance(59 * time.Minute)
			if _, _, err := uc.AuthenticateSession(ctx, s2); err != nil {
				t.Fatal(err)
			}
		}
		w.clock.Advance(time.Hour)
		_, _, err = uc.AuthenticateSession(ctx, s2)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		if !strings.Contains(err.Error(), "expired") {
			t.Errorf("expired: %v", err)
		}
		// Sign-out: at once; twice is fine; garbage is refused.
		s3 := signIn()
		if err := uc.SignOut(ctx, s3); err != nil {
			t.Fatal(err)
		}
		if err := uc.SignOut(ctx, s3); err != nil {
			t.Fatal(err)
		}
		_, _, err = uc.AuthenticateSession(ctx, s3)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		for _, s := range []string{"", "pct_token", usecase.SessionPrefix + "unknown"} {
			_, _, err = uc.AuthenticateSession(ctx, s)
			wantCode(t, err, pactum.EUNAUTHORIZED)
		}
		// Deactivation: at once, and for good (reactivation does not
		// bring the browser back); a deactivated user cannot sign in.
		s4 := signIn()
		if _, _, err := uc.AuthenticateSession(ctx, s4); err != nil {
			t.Fatal(err)
		}
		mgr := storetest.As(w.f.Manager)
		if _, err := uc.DeactivateUser(mgr, w.f.ApplicantA.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = uc.AuthenticateSession(ctx, s4)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		_, _, _, err = uc.SignIn(ctx, ada)
		wantCode(t, err, pactum.EFORBIDDEN)
		if _, err := uc.ReactivateUser(mgr, w.f.ApplicantA.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = uc.AuthenticateSession(ctx, s4)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		if got := strings.Join(auditActions(t, w, "user"), " "); !strings.Contains(got, "session.revoke_all") {
			t.Errorf("deactivation's revocation not in the audit log: %q", got)
		}
		signIn()
	})
}

// TestSessionTwoInstances: a deactivation or sign-out on one server is
// seen at once by another on the same database (sessions are not cached).
func TestSessionTwoInstances(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w, uc := signInWorld(t, dialect)
		ctx := context.Background()
		db2, err := sqlstore.Open(ctx, w.dsn, sqlstore.Options{Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		other := storetest.App(t, db2, nil, w.clock.Now)
		ada := &pactum.Identity{Issuer: issuer, Subject: "aaa", Email: w.f.ApplicantA.Email, EmailVerified: true}
		_, _, s1, err := uc.SignIn(ctx, ada)
		if err != nil {
			t.Fatal(err)
		}
		_, _, s2, err := uc.SignIn(ctx, ada)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{s1, s2} {
			if _, _, err := other.AuthenticateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := uc.SignOut(ctx, s1); err != nil {
			t.Fatal(err)
		}
		_, _, err = other.AuthenticateSession(ctx, s1)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		if _, err := uc.DeactivateUser(storetest.As(w.f.Manager), w.f.ApplicantA.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = other.AuthenticateSession(ctx, s2)
		wantCode(t, err, pactum.EUNAUTHORIZED)
	})
}
