// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestIdentityLinksAndSessions: links are unique per subject and per
// user and issuer; sessions are found by their secret's hash with their
// user, and revoked one at a time or all of a user's at once.
func TestIdentityLinksAndSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		db, err := sqlstore.Open(ctx, storetest.DSN(t, dialect), sqlstore.Options{Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		update := func(fn func(tx pactum.Tx) error) error { return pactum.Update(ctx, db, pactum.SystemUser(), fn) }
		const iss = "https://proxy.myaccessid.org"
		err = update(func(tx pactum.Tx) error {
			for _, id := range []string{"u1", "u2"} {
				if err := tx.InsertUser(ctx, &pactum.User{ID: id, Email: id + "@example.org", Name: id, Role: pactum.RoleAuditor, CreatedAt: t0}); err != nil {
					return err
				}
			}
			return tx.InsertIdentityLink(ctx, &pactum.IdentityLink{Issuer: iss, Subject: "abc@myaccessid.org", UserID: "u1", Email: "u1@example.org", LinkedAt: t0})
		})
		if err != nil {
			t.Fatal(err)
		}
		l, err := db.GetIdentityLink(ctx, iss, "abc@myaccessid.org")
		if err != nil || l.UserID != "u1" || l.Email != "u1@example.org" || !l.LinkedAt.Equal(t0) {
			t.Fatalf("link: %+v %v", l, err)
		}
		if l, err := db.GetIdentityLinkOfUser(ctx, "u1", iss); err != nil || l.Subject != "abc@myaccessid.org" {
			t.Fatalf("link of user: %+v %v", l, err)
		}
		if _, err := db.GetIdentityLinkOfUser(ctx, "u1", "https://other.example"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("link to another issuer: %v", err)
		}
		// The same subject for another user, or another subject of the
		// same issuer for u1: both refused.
		for _, l := range []*pactum.IdentityLink{
			{Issuer: iss, Subject: "abc@myaccessid.org", UserID: "u2", Email: "u2@example.org", LinkedAt: t0},
			{Issuer: iss, Subject: "def@myaccessid.org", UserID: "u1", Email: "u1@example.org", LinkedAt: t0},
		} {
			if err := update(func(tx pactum.Tx) error { return tx.InsertIdentityLink(ctx, l) }); pactum.ErrorCode(err) != pactum.ECONFLICT {
				t.Errorf("duplicate link %+v: %v", l, err)
			}
		}
		// Another issuer may link u1 again.
		if err := update(func(tx pactum.Tx) error {
			return tx.InsertIdentityLink(ctx, &pactum.IdentityLink{Issuer: "https://keycloak.example/realms/x", Subject: "abc@myaccessid.org", UserID: "u1", Email: "u1@example.org", LinkedAt: t0})
		}); err != nil {
			t.Fatal(err)
		}

		s1 := &pactum.Session{ID: "s1", UserID: "u1", Issuer: iss, Subject: "abc@myaccessid.org", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour), LastSeenAt: t0}
		s2 := &pactum.Session{ID: "s2", UserID: "u1", Issuer: iss, Subject: "abc@myaccessid.org", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour), LastSeenAt: t0}
		s3 := &pactum.Session{ID: "s3", UserID: "u2", Issuer: iss, Subject: "x", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0}
		err = update(func(tx pactum.Tx) error {
			for _, s := range []*pactum.Session{s1, s2, s3} {
				if err := tx.InsertSession(ctx, s, "hash"+s.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := update(func(tx pactum.Tx) error {
			return tx.InsertSession(ctx, &pactum.Session{ID: "s4", UserID: "u2", CreatedAt: t0, ExpiresAt: t0, LastSeenAt: t0}, "hashs1")
		}); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("a session with another's hash: %v", err)
		}
		gs, gu, err := db.GetSessionByHash(ctx, "hashs1")
		if err != nil || gs.ID != "s1" || gu.ID != "u1" || !gs.ExpiresAt.Equal(s1.ExpiresAt) || gs.RevokedAt != nil || gs.Subject != "abc@myaccessid.org" {
			t.Fatalf("by hash: %+v %+v %v", gs, gu, err)
		}
		if _, _, err := db.GetSessionByHash(ctx, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("unknown hash: %v", err)
		}
		t1 := t0.Add(30 * time.Minute)
		if err := update(func(tx pactum.Tx) error { return tx.UpdateSessionSeen(ctx, "s1", t1) }); err != nil {
			t.Fatal(err)
		}
		if gs, _, _ := db.GetSessionByHash(ctx, "hashs1"); !gs.LastSeenAt.Equal(t1) {
			t.Errorf("last seen %v, want %v", gs.LastSeenAt, t1)
		}
		// One revoked; then all of u1's: only the one still open counts.
		if err := update(func(tx pactum.Tx) error { return tx.RevokeSession(ctx, "s1", t1) }); err != nil {
			t.Fatal(err)
		}
		var n int
		t2 := t1.Add(time.Minute)
		if err := update(func(tx pactum.Tx) error { n, err = tx.RevokeUserSessions(ctx, "u1", t2); return err }); err != nil || n != 1 {
			t.Fatalf("revoke u1's sessions: %d %v", n, err)
		}
		if gs, _, _ := db.GetSessionByHash(ctx, "hashs1"); gs.RevokedAt == nil || !gs.RevokedAt.Equal(t1) {
			t.Errorf("s1 revoked at %v, want %v (the first revocation stays)", gs.RevokedAt, t1)
		}
		if gs, _, _ := db.GetSessionByHash(ctx, "hashs2"); gs.RevokedAt == nil || !gs.RevokedAt.Equal(t2) {
			t.Errorf("s2 revoked at %v, want %v", gs.RevokedAt, t2)
		}
		if gs, _, _ := db.GetSessionByHash(ctx, "hashs3"); gs.RevokedAt != nil {
			t.Errorf("u2's session was revoked with u1's")
		}
	})
}
