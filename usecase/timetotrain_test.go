// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestTimeToTrain: a proposal's requested GPUs are kept with its content;
// every use case that returns it (create, find, list, update, submit)
// shows its time to train on them, or on the default without them; the
// audit log and the stored row hold the content, not the derived figures;
// GPUs beyond the system are refused naming the request.
func TestTimeToTrain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ctxA := storetest.As(w.f.ApplicantA)
		p := storetest.NewProposal(w.f.Call.ID) // 8.4e21 FLOP declared, 20,000 GPU-h on Leonardo, 3 months
		p.Requests[0].GPUs = 128
		if err := w.uc.CreateProposal(ctxA, p); err != nil {
			t.Fatal(err)
		}
		wantPlan := func(what string, got *pactum.Proposal, gpus int, source string) {
			t.Helper()
			tt := got.TimeToTrain
			if tt == nil || tt.FLOP != 8.4e21 || len(tt.Systems) != 1 || tt.Verdict != pactum.HoursPlausible {
				t.Fatalf("%s: time to train %+v", what, tt)
			}
			s := tt.Systems[0]
			want, err := pactum.TimeToTrain(8.4e21, mustSystem(t, w, "leonardo-booster"), gpus)
			if err != nil {
				t.Fatal(err)
			}
			if s.GPUsSource != source || s.Time != want || tt.DaysSlow != want.Slow.Days {
				t.Errorf("%s: %+v, want %s GPUs %+v", what, s, source, want)
			}
		}
		wantPlan("create", p, 128, pactum.GPUsRequested)
		got, err := w.uc.FindProposalByID(ctxA, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Requests[0].GPUs != 128 {
			t.Errorf("stored GPUs: %+v", got.Requests)
		}
		wantPlan("find", got, 128, pactum.GPUsRequested)
		list, _, err := w.uc.FindProposals(ctxA, pactum.ProposalFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %d, %v", len(list), err)
		}
		wantPlan("list", list[0], 128, pactum.GPUsRequested)

		p.Requests[0].GPUs = 0
		if err := w.uc.UpdateProposal(ctxA, p); err != nil {
			t.Fatal(err)
		}
		wantPlan("update", p, pactum.DefaultJobGPUs(mustSystem(t, w, "leonardo-booster"), 20000, 3), pactum.GPUsDefault)
		sub, err := w.uc.SubmitProposal(ctxA, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantPlan("submit", sub, 12, pactum.GPUsDefault)

		// Derived, not stored: neither the row nor the audit log has it.
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		raw := w.raw(t)
		var n int
		if err := raw.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_events WHERE after_json LIKE '%time_to_train%' OR before_json LIKE '%time_to_train%')
			+ (SELECT COUNT(*) FROM proposals WHERE content LIKE '%time_to_train%')`).Scan(&n); err != nil || n != 0 {
			t.Errorf("time_to_train stored %d times (%v)", n, err)
		}

		bad := storetest.NewProposal(w.f.Call.ID)
		bad.Requests[0].GPUs = 13825 // Leonardo has 3,456 nodes of 4
		err = w.uc.SubmitNewProposal(ctxA, bad)
		wantCode(t, err, pactum.EINVALID)
		if f := pactum.ErrorFields(err); len(f) != 1 || f[0].Field != "requests[0].gpus" || !strings.Contains(f[0].Message, "at most 13824") {
			t.Errorf("field errors: %+v", f)
		}
	})
}

// mustSystem returns a system of the world's catalogue.
func mustSystem(t *testing.T, w *world, id string) *pactum.System {
	t.Helper()
	s, err := w.uc.FindSystemByID(storetest.As(w.f.ApplicantA), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
