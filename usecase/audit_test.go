// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// TestAuditTamper changes a verified audit chain as an attacker with
// database access would, and checks that verification finds the first
// event that no longer fits, and that only auditors may verify or read.
func TestAuditTamper(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		t.Run("Edited", func(t *testing.T) {
			r := tampered(t, dialect, `UPDATE audit_events SET after_json = '{"state":"accepted"}' WHERE seq = 12`)
			if r.OK || r.FirstBad.Seq != 12 || !strings.Contains(r.FirstBad.Reason, "edited") {
				t.Fatalf("got %+v", r.FirstBad)
			}
		})
		t.Run("Deleted", func(t *testing.T) {
			r := tampered(t, dialect, `DELETE FROM audit_events WHERE seq = 9`)
			if r.OK || r.FirstBad.Seq != 10 || !strings.Contains(r.FirstBad.Reason, "missing") {
				t.Fatalf("got %+v", r.FirstBad)
			}
		})
		t.Run("Reordered", func(t *testing.T) {
			r := tampered(t, dialect, `UPDATE audit_events SET seq = -1 WHERE seq = 7`, `UPDATE audit_events SET seq = 7 WHERE seq = 8`,
				`UPDATE audit_events SET seq = 8 WHERE seq = -1`)
			if r.OK || r.FirstBad.Seq != 7 {
				t.Fatalf("got %+v", r.FirstBad)
			}
		})
		t.Run("NewestDeleted", func(t *testing.T) {
			if r := tampered(t, dialect, `DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)`); r.OK || !strings.Contains(r.FirstBad.Reason, "head") {
				t.Fatalf("got %+v", r)
			}
		})
		t.Run("OnlyAuditors", func(t *testing.T) {
			w := auditedWorld(t, dialect)
			_, err := w.uc.VerifyAudit(storetest.As(w.f.ApplicantA))
			wantCode(t, err, pactum.EFORBIDDEN)
			_, _, err = w.uc.FindAuditEvents(storetest.As(w.f.ApplicantA), pactum.AuditFilter{})
			wantCode(t, err, pactum.EFORBIDDEN)
		})
	})
}

// auditedWorld is a world with three submitted proposals, whose audit
// chain an auditor has verified.
func auditedWorld(t *testing.T, dialect string) *world {
	t.Helper()
	w := newWorld(t, dialect)
	ctxA := storetest.As(w.f.ApplicantA)
	for range 3 {
		if err := w.uc.SubmitNewProposal(ctxA, storetest.NewProposal(w.f.Call.ID)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := w.uc.VerifyAudit(storetest.As(w.f.Auditor))
	if err != nil || !r.OK || r.Events < 20 {
		t.Fatalf("clean chain: %+v %v", r, err)
	}
	return w
}

// tampered runs queries on the database of an auditedWorld, behind the
// use cases' back, and returns what verifying the chain then reports.
func tampered(t *testing.T, dialect string, queries ...string) *pactum.AuditReport {
	t.Helper()
	w := auditedWorld(t, dialect)
	raw := w.raw(t)
	for _, q := range queries {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	r, err := usecase.VerifyAudit(context.Background(), w.db)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAuditSealsLargeUseCase writes one use case with more audit events
// than one INSERT holds (publishing a large allocation run does) and checks
// that the chain is whole and every event is there.
func TestAuditSealsLargeUseCase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		before, err := usecase.VerifyAudit(context.Background(), w.db)
		if err != nil {
			t.Fatal(err)
		}
		var systems []*pactum.System
		for i := range 150 {
			systems = append(systems, &pactum.System{ID: fmt.Sprintf("test-%03d", i), Name: "Test", Site: "TEST", Country: "DE", Partition: "p",
				Accelerator: "x", Nodes: 1, GPUsPerNode: 4, PeakTFLOPSPerGPU: 1, Unit: pactum.UnitGPUHours, CapacityPerPeriod: 1, Software: "cuda", Scheduler: "slurm"})
		}
		if err := w.uc.UpsertSystems(w.sys, systems); err != nil {
			t.Fatal(err)
		}
		// PostgreSQL chains events just after commit (sqlstore's sequencer).
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		after, err := usecase.VerifyAudit(context.Background(), w.db)
		if err != nil || !after.OK || after.Events+after.Pending != before.Events+before.Pending+150 || after.Pending != 0 {
			t.Fatalf("after a 150-event use case: %+v (before %d events) %v", after, before.Events, err)
		}
	})
}
