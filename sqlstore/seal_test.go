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

// TestSealAuditWaitsOnlyForPending: SealAudit, which readers of the audit
// log and of a model's compute call on every request, returns at once when
// no event is pending, even while a sealing round holds the chain's head;
// when an event is pending it waits for the head and seals it, so that a
// reader never misses an event committed before its call.
func TestSealAuditWaitsOnlyForPending(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db, dsn := storetest.OpenDSN(t, dialect, sqlstore.Options{})
		f := storetest.Seed(t, db, time.Now())
		record := func(subject string) {
			t.Helper()
			if err := pactum.Update(ctx, db, f.Manager, func(tx pactum.Tx) error {
				return tx.Record("test.seal", "test", subject, nil, nil)
			}); err != nil {
				t.Fatal(err)
			}
		}
		sealed := func(subject string) bool {
			t.Helper()
			evs, _, err := db.ListAuditEvents(ctx, pactum.AuditFilter{SubjectID: &subject})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs) == 1
		}
		record("test.first")
		if err := db.SealAudit(ctx); err != nil || !sealed("test.first") {
			t.Fatalf("seal: %v; test.first sealed: %v", err, sealed("test.first"))
		}
		if dialect != sqlstore.Postgres {
			return // SQLite seals in the writer's own transaction
		}

		// Another connection holds the head, as a sealing round does.
		holder, err := rawDB(t, dialect, dsn).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.ExecContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1`); err != nil {
			t.Fatal(err)
		}

		// Nothing pending: no wait.
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := db.SealAudit(quick); err != nil {
			t.Fatalf("SealAudit with nothing pending, head held: %v, want nil at once", err)
		}

		// An event pending: SealAudit waits for the head rather than
		// return before the event is in the chain.
		record("test.second")
		short, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel2()
		if err := db.SealAudit(short); err == nil {
			t.Fatalf("SealAudit with an event pending, head held: %v, want it to wait until its deadline", err)
		}
		if sealed("test.second") {
			t.Fatal("test.second sealed while another transaction held the head")
		}
		if err := holder.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := db.SealAudit(ctx); err != nil || !sealed("test.second") {
			t.Fatalf("seal once the head is free: %v; test.second sealed: %v", err, sealed("test.second"))
		}
	})
}
