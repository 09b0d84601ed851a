// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// stateWorld is a world whose tables were all written through the use
// cases: an approved fast-lane proposal with its allocation, activated; a
// draft edited, then withdrawn; a user given a cluster username; and a
// spare reviewer whom nothing refers to.
type stateWorld struct {
	*world
	alloc     *pactum.Allocation
	withdrawn *pactum.Proposal
	spare     *pactum.User
}

func newStateWorld(t *testing.T, dialect string) *stateWorld {
	t.Helper()
	w := &stateWorld{world: newWorld(t, dialect)}
	w.alloc = w.allocation(t, 1000)
	w.activate(t, w.alloc)
	ctxA := storetest.As(w.f.ApplicantA)
	p := storetest.NewProposal(w.f.Call.ID)
	if err := w.uc.CreateProposal(ctxA, p); err != nil {
		t.Fatal(err)
	}
	p.Title = "Legal-domain 7B language model, second draft"
	if err := w.uc.UpdateProposal(ctxA, p); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.withdrawn, err = w.uc.WithdrawProposal(ctxA, p.ID, "merged into another proposal"); err != nil {
		t.Fatal(err)
	}
	mgr := storetest.As(w.f.Manager)
	if _, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	w.spare = &pactum.User{Email: "spare@example.org", Name: "Spare Reviewer", Role: pactum.RoleReviewer}
	if err := w.uc.CreateUser(mgr, w.spare); err != nil {
		t.Fatal(err)
	}
	// Settled: on PostgreSQL the last events are chained just after their
	// commit, and a difference names the event that wrote the row, which a
	// pending event has not got yet.
	if err := w.db.SealAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// verifyState runs audit verify --state on w's database.
func (w *world) verifyState(t *testing.T) *pactum.AuditReport {
	t.Helper()
	r, err := usecase.VerifyAuditState(context.Background(), w.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantStateOK fails unless the chain verifies and the replayed log matches
// every table.
func wantStateOK(t *testing.T, r *pactum.AuditReport) {
	t.Helper()
	if !r.OK || r.State == nil || !r.State.OK || r.State.Rows == 0 {
		b, _ := json.MarshalIndent(r, "", "  ")
		t.Fatalf("audit verify --state of an untampered world:\n%s", b)
	}
}

// TestAuditState builds a world through the use cases, which verifies
// --state, then changes its tables behind the use cases' back as someone
// with database access would: the chain still verifies, --state names the
// row that no longer matches the log.
func TestAuditState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		t.Run("Untampered", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			r := w.verifyState(t)
			wantStateOK(t, r)
			if n := len(r.State.Subjects); n != 12 {
				t.Errorf("compared %d kinds of subject, want 12: %+v", n, r.State.Subjects)
			}
		})
		t.Run("AllocationAmount", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			d := tamperedState(t, w, `UPDATE allocations SET amount = 99999 WHERE id = '`+w.alloc.ID+`'`)
			wantDiff(t, d, "allocations", w.alloc.ID, "amount", "1000", "99999")
		})
		t.Run("ProposalState", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			d := tamperedState(t, w, `UPDATE proposals SET state = 'approved' WHERE id = '`+w.withdrawn.ID+`'`)
			wantDiff(t, d, "proposals", w.withdrawn.ID, "state", `"withdrawn"`, `"approved"`)
		})
		t.Run("DeletedRow", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			d := tamperedState(t, w, `DELETE FROM users WHERE id = '`+w.spare.ID+`'`)
			wantDiff(t, d, "users", w.spare.ID, "", "", "")
			if !strings.Contains(d.Reason, "no longer holds") || d.Seq == 0 {
				t.Errorf("reason %q, seq %d", d.Reason, d.Seq)
			}
		})
		t.Run("InsertedRow", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			d := tamperedState(t, w, `INSERT INTO organizations (id, legal_name, country, registration_number, founded_on, staff, turnover_eur,
				balance_sheet_eur, created_at) VALUES ('org-ghost', 'Ghost GmbH', 'DE', 'HRB 1', '2020-01-01', 3, 1, 1, CURRENT_TIMESTAMP)`)
			wantDiff(t, d, "organizations", "org-ghost", "", "", "")
			if !strings.Contains(d.Reason, "no audit event wrote") {
				t.Errorf("reason %q", d.Reason)
			}
		})
		t.Run("BrokenChain", func(t *testing.T) {
			w := newStateWorld(t, dialect)
			if _, err := w.raw(t).Exec(`UPDATE audit_events SET after_json = '{}' WHERE seq = 3`); err != nil {
				t.Fatal(err)
			}
			if r := w.verifyState(t); r.OK || r.FirstBad == nil || r.FirstBad.Seq != 3 || r.State != nil {
				t.Errorf("an edited log is reported as such, and proves nothing of the tables: %+v", r)
			}
		})
	})
}

// tamperedState runs query on w's database behind the use cases' back,
// checks that the chain alone still verifies, and returns the first
// difference --state reports.
func tamperedState(t *testing.T, w *stateWorld, query string) *pactum.StateDifference {
	t.Helper()
	if _, err := w.raw(t).Exec(query); err != nil {
		t.Fatal(err)
	}
	if r, err := usecase.VerifyAudit(context.Background(), w.db); err != nil || !r.OK {
		t.Fatalf("the chain alone: %+v %v", r, err)
	}
	r := w.verifyState(t)
	if r.OK || r.State == nil || r.State.OK || r.State.First == nil || r.State.Differences != 1 {
		b, _ := json.MarshalIndent(r, "", "  ")
		t.Fatalf("after %s:\n%s", query, b)
	}
	return r.State.First
}

func wantDiff(t *testing.T, d *pactum.StateDifference, table, id, field, log, stored string) {
	t.Helper()
	if d.Table != table || d.ID != id || d.Field != field || (field != "" && (string(d.Log) != log || string(d.Stored) != stored)) {
		t.Errorf("difference %+v (log %s, table %s), want %s %s %s: log %s, table %s", d, d.Log, d.Stored, table, id, field, log, stored)
	}
}
