// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestPipelinedWrites: writes queued in a transaction (on PostgreSQL sent
// in one batch with the next statement, pipeline.go) are seen by its later
// reads and stored at commit; a queued write that fails reports its own
// error (not "transaction aborted") from the statement that sends it and
// from the commit, and nothing of the transaction is stored.
func TestPipelinedWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := storetest.Open(t, dialect, sqlstore.Options{})
		f := storetest.Seed(t, db, time.Now())
		note := func() *pactum.Notification { return newNote(f.ApplicantA.ID) }

		// Queued writes, then a read in the same transaction: it sees them.
		tx, err := db.Begin(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b := note(), note()
		for _, n := range []*pactum.Notification{a, b} {
			if err := tx.InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tx.GetNotification(ctx, b.ID)
		if err != nil || got.ID != b.ID {
			t.Fatalf("read after queued writes: %+v, %v", got, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*pactum.Notification{a, b} {
			if _, err := db.GetNotification(ctx, n.ID); err != nil {
				t.Fatalf("committed notification %s: %v", n.ID, err)
			}
		}

		// A queued write that fails: a duplicate key, then a read.
		tx, err = db.Begin(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		c := note()
		if err := tx.InsertNotification(ctx, c); err != nil {
			t.Fatal(err)
		}
		dup := *a
		err = tx.InsertNotification(ctx, &dup) // SQLite fails here; PostgreSQL queues it
		if err == nil {
			_, err = tx.GetNotification(ctx, c.ID) // sends the queue
		}
		if pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Fatalf("duplicate insert: %v, want a conflict", err)
		}
		if dialect == sqlstore.Postgres {
			// Every later statement, and the commit, report the cause.
			if _, err := tx.GetUser(ctx, f.ApplicantA.ID); pactum.ErrorCode(err) != pactum.ECONFLICT {
				t.Fatalf("read after the failed batch: %v, want the conflict", err)
			}
			if err := tx.InsertNotification(ctx, note()); pactum.ErrorCode(err) != pactum.ECONFLICT {
				t.Fatalf("write after the failed batch: %v, want the conflict", err)
			}
			if err := tx.Commit(); pactum.ErrorCode(err) != pactum.ECONFLICT {
				t.Fatalf("commit after the failed batch: %v, want the conflict", err)
			}
		} else {
			tx.Rollback()
		}
		if _, err := db.GetNotification(ctx, c.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("notification of the failed transaction: %v, want not found", err)
		}
	})
}

// TestPipelinedCancel: a use case whose context ends (the client went
// away) is kept whole or not at all, and the connection it held does not
// come back to the pool inside a transaction: the next transaction on a
// one-connection pool works. On PostgreSQL, writes still queued when the
// context ends are never sent, so the commit fails and nothing is stored.
func TestPipelinedCancel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect, sqlstore.Options{MaxConns: 1})
		f := storetest.Seed(t, db, time.Now())
		note := func() *pactum.Notification { return newNote(f.ApplicantA.ID) }
		for _, sendFirst := range []bool{false, true} {
			ctx, cancel := context.WithCancel(context.Background())
			tx, err := db.Begin(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sendFirst {
				// The BEGIN is sent: the connection is inside a
				// transaction when the context ends.
				if _, err := tx.GetUser(ctx, f.ApplicantA.ID); err != nil {
					t.Fatal(err)
				}
			}
			n := note()
			if err := tx.InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			cancel()
			commitErr := tx.Commit()
			tx.Rollback()
			if dialect == sqlstore.Postgres && commitErr == nil {
				t.Fatalf("commit with queued writes after the context ended (sent first %v): no error", sendFirst)
			}
			_, err = db.GetNotification(context.Background(), n.ID)
			if stored := err == nil; stored != (commitErr == nil) {
				t.Fatalf("sent first %v: commit error %v, but stored %v (%v)", sendFirst, commitErr, stored, err)
			}
		}
		// The pool's one connection is usable: a transaction commits.
		ctx := context.Background()
		tx, err := db.Begin(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := note()
		if err := tx.InsertNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit after cancelled transactions: %v", err)
		}
		if _, err := db.GetNotification(ctx, n.ID); err != nil {
			t.Fatalf("committed notification: %v", err)
		}
	})
}

// newNote is a fresh notification to userID.
func newNote(userID string) *pactum.Notification {
	return &pactum.Notification{ID: uuid.NewString(), UserID: userID, Kind: pactum.NotifyScreening,
		Subject: "s", Body: "b", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
}
