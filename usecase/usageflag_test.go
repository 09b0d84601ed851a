// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// notices returns the usage-flag notifications of u.
func (w *world) notices(t *testing.T, u *pactum.User) []*pactum.Notification {
	t.Helper()
	list, _, err := w.uc.FindNotifications(storetest.As(u), pactum.NotificationFilter{UserID: &u.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pactum.Notification
	for _, n := range list {
		if n.Kind == pactum.NotifyUsageFlag {
			out = append(out, n)
		}
	}
	return out
}

// allocationSplit has applicant A submit a proposal for amount GPU-hours
// on LUMI-G with split (nil for none), and returns its active allocation.
func (w *world) allocationSplit(t *testing.T, amount float64, split *pactum.ComputeSplit) *pactum.Allocation {
	t.Helper()
	p := storetest.NewProposal(w.f.Call.ID)
	p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: amount, StorageTB: 1}}
	p.AIWork.ComputeSplit = split
	if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	as, _, err := w.uc.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(as) != 1 {
		t.Fatalf("allocation of %s: %v %v", p.ID, as, err)
	}
	w.activate(t, as[0])
	return as[0]
}

// TestNotAsAskedNotified: an allocation granted for pre-training (no
// compute split) whose labelled hours become mostly evaluation is flagged
// at ingestion, in the ingesting batch: recorded once, audited once, and
// notified once to the access manager and to the proposal's applicant,
// however many batches follow. An allocation granted mostly for
// evaluation reaches the same labels without a flag: its answer is on
// file too, so that it is not looked at again. Unattributed hours count
// neither way.
func TestNotAsAskedNotified(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		w.model(t, w.f.ApplicantA, pactum.Model{Name: "aleph-7b", Version: "1"})
		pre := w.allocationSplit(t, 1000, nil)
		evalSplit := &pactum.ComputeSplit{PreTraining: 0.2, EvaluationInference: 0.8}
		ev := w.allocationSplit(t, 1000, evalSplit)
		preAcct, evAcct := pactum.AllocationAccount(pre.ID), pactum.AllocationAccount(ev.ID)

		// 8 GPU-hours of pre-training, 4 of evaluation, 100 unattributed.
		w.ingest(t, w.f.Operator,
			labelled(job(preAcct, "1", "ada", true, 8, 3600), "aleph-7b@1", pactum.PhasePreTraining),
			labelled(job(preAcct, "2", "ada", true, 4, 3600), "aleph-7b@1", pactum.PhaseEvaluation),
			job(preAcct, "3", "ada", true, 100, 3600),
			labelled(job(evAcct, "4", "ada", true, 8, 3600), "aleph-7b@1", pactum.PhaseInference))
		if n := w.notices(t, w.f.Manager); len(n) != 0 {
			t.Fatalf("notified before the labels are mostly other work: %v", n)
		}
		if f := w.summary(t, ev).Flags; len(f) != 0 {
			t.Errorf("an allocation granted for evaluation is flagged: %v", f)
		}

		// 6 more of inference: 10 against 8.
		w.ingest(t, w.f.Operator, labelled(job(preAcct, "5", "ada", true, 6, 3600), "aleph-7b@1", pactum.PhaseInference))
		evs := w.events(t, "allocation.usage_flag")
		if len(evs) != 1 || evs[0].SubjectID != pre.ID || !strings.Contains(string(evs[0].After), `"training_gpu_seconds":28800`) ||
			!strings.Contains(string(evs[0].After), `"other_gpu_seconds":36000`) {
			t.Fatalf("audit events: %+v", evs)
		}
		for _, u := range []*pactum.User{w.f.Manager, w.f.ApplicantA} {
			n := w.notices(t, u)
			if len(n) != 1 || !strings.Contains(n[0].Subject, pre.ID) || !strings.Contains(n[0].Body, "label 10 GPU-hours as evaluation") ||
				!strings.Contains(n[0].Body, "100 % of its request planned for pre-training") {
				t.Errorf("notifications of %s: %+v", u.Email, n)
			}
		}
		if n := w.notices(t, w.f.ApplicantB); len(n) != 0 {
			t.Errorf("another organization's applicant notified: %v", n)
		}
		if f := w.summary(t, pre).Flags; len(f) != 1 {
			t.Errorf("summary flags: %v", f)
		}

		// More of the same, and a running job replaced: nothing new.
		w.ingest(t, w.f.Operator, labelled(job(preAcct, "6", "ada", true, 8, 3600), "aleph-7b@1", pactum.PhaseEvaluation),
			labelled(job(evAcct, "7", "ada", true, 8, 3600), "aleph-7b@1", pactum.PhaseEvaluation))
		if evs := w.events(t, "allocation.usage_flag"); len(evs) != 1 {
			t.Errorf("flagged again: %d events", len(evs))
		}
		if n := w.notices(t, w.f.Manager); len(n) != 1 {
			t.Errorf("notified again: %d", len(n))
		}

		for _, c := range []struct {
			al     *pactum.Allocation
			raised bool
		}{{pre, true}, {ev, false}} {
			flags, err := w.db.ListUsageFlags(t.Context(), c.al.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(flags) != 1 || flags[0].Kind != pactum.UsageFlagNotAsAsked || flags[0].Raised != c.raised {
				t.Errorf("flags on file for %s: %+v", c.al.ID, flags)
			}
		}
	})
}
