// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

func TestDeactivateUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		_, secret, err := w.uc.CreateToken(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID, "laptop", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		// Cached by a first use: deactivation must still stop it at once.
		if _, _, err := w.uc.Authenticate(context.Background(), secret); err != nil {
			t.Fatal(err)
		}

		// Only access managers; never oneself.
		_, err = w.uc.DeactivateUser(storetest.As(w.f.Auditor), w.f.ApplicantA.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.DeactivateUser(storetest.As(w.f.ApplicantB), w.f.ApplicantA.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.DeactivateUser(mgr, w.f.Manager.ID)
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.DeactivateUser(mgr, "nobody")
		wantCode(t, err, pactum.ENOTFOUND)

		u, err := w.uc.DeactivateUser(mgr, w.f.ApplicantA.ID)
		if err != nil || u.DeactivatedAt == nil || !u.DeactivatedAt.Equal(t0) {
			t.Fatalf("deactivate: %+v %v", u, err)
		}
		_, _, err = w.uc.Authenticate(context.Background(), secret)
		wantCode(t, err, pactum.EUNAUTHORIZED)
		if !strings.Contains(err.Error(), "Invalid API token") {
			t.Errorf("the refusal says more than an unknown token would: %v", err)
		}
		// No new token, by the user or a manager.
		_, _, err = w.uc.CreateToken(mgr, w.f.ApplicantA.ID, "new", nil, "")
		wantCode(t, err, pactum.ECONFLICT)
		// Idempotent: a second deactivation keeps the first time, writes no event.
		w.clock.Advance(time.Hour)
		events := func() int {
			sub, typ := w.f.ApplicantA.ID, "user"
			_, n, err := w.uc.FindAuditEvents(mgr, pactum.AuditFilter{SubjectType: &typ, SubjectID: &sub})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := events()
		if u, err = w.uc.DeactivateUser(mgr, w.f.ApplicantA.ID); err != nil || !u.DeactivatedAt.Equal(t0) {
			t.Fatalf("second deactivate: %+v %v", u, err)
		}
		if n := events(); n != before {
			t.Errorf("second deactivation wrote %d events", n-before)
		}
		// Listing shows the state.
		email := w.f.ApplicantA.Email
		list, _, err := w.uc.FindUsers(mgr, pactum.UserFilter{Email: &email})
		if err != nil || len(list) != 1 || list[0].DeactivatedAt == nil {
			t.Fatalf("list: %+v %v", list, err)
		}

		// Reactivation restores the tokens, at once.
		if u, err = w.uc.ReactivateUser(mgr, w.f.ApplicantA.ID); err != nil || u.DeactivatedAt != nil {
			t.Fatalf("reactivate: %+v %v", u, err)
		}
		if _, err = w.uc.ReactivateUser(mgr, w.f.ApplicantA.ID); err != nil {
			t.Fatalf("second reactivate: %v", err)
		}
		if got, _, err := w.uc.Authenticate(context.Background(), secret); err != nil || got.ID != w.f.ApplicantA.ID {
			t.Fatalf("after reactivation: %v %v", got, err)
		}
		_, err = w.uc.ReactivateUser(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		if n := events(); n != before+1 {
			t.Errorf("audit events after reactivation: %d, want %d", n, before+1)
		}
		// The audit log proves the users' state.
		if r, err := usecase.VerifyAuditState(t.Context(), w.db, nil); err != nil || !r.OK {
			t.Errorf("audit state: %+v %v", r, err)
		}
	})
}

func TestTokenLifetimeAndScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		app := usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Now: w.clock.Now,
			TokenDefaultTTL: 90 * 24 * time.Hour, TokenMaxTTL: 365 * 24 * time.Hour})
		ctx := storetest.As(w.f.ApplicantA)
		me := w.f.ApplicantA.ID

		tok, secret, err := app.CreateToken(ctx, me, "default", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(t0.Add(90*24*time.Hour)) || tok.Scope != pactum.ScopeFull {
			t.Fatalf("default token: %+v", tok)
		}
		far := t0.Add(366 * 24 * time.Hour)
		_, _, err = app.CreateToken(ctx, me, "far", &far, "")
		wantCode(t, err, pactum.EINVALID)
		if !strings.Contains(err.Error(), "expires_at") {
			t.Errorf("error does not name the field: %v", err)
		}
		_, _, err = app.CreateToken(ctx, me, "odd", nil, "admin")
		wantCode(t, err, pactum.EINVALID)
		if !strings.Contains(err.Error(), "scope") {
			t.Errorf("error does not name the field: %v", err)
		}
		ro, roSecret, err := app.CreateToken(ctx, me, "ro", nil, pactum.ScopeReadOnly)
		if err != nil || ro.Scope != pactum.ScopeReadOnly {
			t.Fatalf("read-only token: %+v %v", ro, err)
		}
		if _, scope, err := app.Authenticate(context.Background(), roSecret); err != nil || scope != pactum.ScopeReadOnly {
			t.Fatalf("authenticate read-only: %q %v", scope, err)
		}

		// Last use: written at the first use, not again within a minute.
		lastUsed := func() *time.Time {
			list, err := app.FindTokens(ctx, me)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.ID == tok.ID {
					return x.LastUsedAt
				}
			}
			t.Fatal("token not listed")
			return nil
		}
		if lastUsed() != nil {
			t.Fatal("an unused token has a last use")
		}
		if _, _, err := app.Authenticate(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if lu := lastUsed(); lu == nil || !lu.Equal(t0) {
			t.Fatalf("last use %v, want %v", lu, t0)
		}
		// A second App (another instance, no cache): within the minute no
		// write; after it, the new time.
		other := usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Now: w.clock.Now})
		w.clock.Advance(30 * time.Second)
		if _, _, err := other.Authenticate(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if lu := lastUsed(); !lu.Equal(t0) {
			t.Fatalf("last use rewritten within a minute: %v", lu)
		}
		w.clock.Advance(time.Minute)
		third := usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Now: w.clock.Now})
		if _, _, err := third.Authenticate(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		if lu := lastUsed(); !lu.Equal(t0.Add(90 * time.Second)) {
			t.Fatalf("last use %v, want %v", lu, t0.Add(90*time.Second))
		}
		// The default expiry holds.
		w.clock.Advance(90 * 24 * time.Hour)
		_, _, err = third.Authenticate(context.Background(), secret)
		wantCode(t, err, pactum.EUNAUTHORIZED)
	})
}
