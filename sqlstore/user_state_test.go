// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestUserStateAndTokenScope: a user's deactivation and a token's scope
// are stored and read back, by every query that returns them.
func TestUserStateAndTokenScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		db, err := sqlstore.Open(ctx, storetest.DSN(t, dialect), sqlstore.Options{Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		u := &pactum.User{ID: "u1", Email: "a@example.org", Name: "A", Role: pactum.RoleAuditor, CreatedAt: t0}
		tok := &pactum.Token{ID: "t1", UserID: "u1", Name: "ro", Prefix: "pct_abcdef", CreatedAt: t0, Scope: pactum.ScopeReadOnly}
		old := &pactum.Token{ID: "t2", UserID: "u1", Name: "unscoped", Prefix: "pct_ghijkl", CreatedAt: t0}
		err = pactum.Update(ctx, db, pactum.SystemUser(), func(tx pactum.Tx) error {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			if err := tx.InsertToken(ctx, tok, "hash1"); err != nil {
				return err
			}
			if err := tx.InsertToken(ctx, old, "hash2"); err != nil {
				return err
			}
			return tx.UpdateUserDeactivated(ctx, "u1", &t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.GetUser(ctx, "u1")
		if err != nil || got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(t0) {
			t.Fatalf("get user: %+v %v", got, err)
		}
		gt, gu, err := db.GetTokenByHash(ctx, "hash1")
		if err != nil || gt.Scope != pactum.ScopeReadOnly || gu.DeactivatedAt == nil {
			t.Fatalf("by hash: %+v %+v %v", gt, gu, err)
		}
		list, err := db.ListTokens(ctx, "u1")
		if err != nil || len(list) != 2 || list[0].Scope != pactum.ScopeFull || list[1].Scope != pactum.ScopeReadOnly {
			t.Fatalf("list: %+v %v", list, err)
		}
		err = pactum.Update(ctx, db, pactum.SystemUser(), func(tx pactum.Tx) error {
			return tx.UpdateUserDeactivated(ctx, "u1", nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetUser(ctx, "u1"); err != nil || got.DeactivatedAt != nil {
			t.Fatalf("reactivated: %+v %v", got, err)
		}
		err = pactum.Update(ctx, db, pactum.SystemUser(), func(tx pactum.Tx) error {
			return tx.UpdateUserDeactivated(ctx, "nobody", nil)
		})
		// No row changed: reported as the store reports a lost update.
		if pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

// TestUserStateMigration: migration 00200 makes existing tokens full,
// goes down (dropping the columns) and up again on both engines.
func TestUserStateMigration(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		raw, p := migrated(t, dialect)
		if _, err := p.DownTo(ctx, 190); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := raw.Exec(`SELECT scope FROM tokens`); err == nil {
			t.Fatal("tokens.scope survived the migration's Down")
		}
		if _, err := raw.Exec(`SELECT deactivated_at FROM users`); err == nil {
			t.Fatal("users.deactivated_at survived the migration's Down")
		}
		// A token and user written by the previous schema.
		if _, err := raw.Exec(`INSERT INTO users (id, email, name, role, site, created_at) VALUES ('u1', 'a@example.org', 'A', 'auditor', '', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO tokens (id, user_id, name, prefix, secret_hash, created_at) VALUES ('t1', 'u1', 'old', 'pct_x', 'h', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		var scope string
		var deact sql.NullTime
		if err := raw.QueryRow(`SELECT t.scope, u.deactivated_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = 't1'`).Scan(&scope, &deact); err != nil || scope != "full" || deact.Valid {
			t.Fatalf("after up: %q %v %v", scope, deact, err)
		}
	})
}
