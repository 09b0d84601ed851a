// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// heldUnder returns the models the allocation's admission and the site's
// desired state list as held under it; they must agree.
func (w *world) heldUnder(t *testing.T, al *pactum.Allocation) []string {
	t.Helper()
	ad, err := w.uc.Admission(storetest.As(w.f.ApplicantA), al.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.uc.DesiredState(storetest.As(w.f.Operator), "CSC", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range st.Allocations {
		if d.AllocationID == al.ID && !slices.Equal(d.HeldModels, ad.HeldModels) {
			t.Fatalf("desired state holds %v, admission %v", d.HeldModels, ad.HeldModels)
		}
	}
	return ad.HeldModels
}

func (w *world) countKind(t *testing.T, u *pactum.User, kind string) int {
	t.Helper()
	ns, _, err := w.uc.FindNotifications(storetest.As(u), pactum.NotificationFilter{UserID: &u.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// TestModelHold: a model reaching the systemic-risk margin is held only
// when a call of its organization's allocations opts in; the hold is
// recorded once, audit-logged and notified; the allocation's admission and
// the site's desired state list it until an access manager acknowledges,
// which only access managers may, once.
func TestModelHold(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)
		w.activate(t, al)
		acct := pactum.AllocationAccount(al.ID)
		// 1,024 GPUs for 30 days: about 1.3·10^23 FLOP, over 10^25 with 9.9·10^24 declared.
		run := func(label, id string) pactum.UsageRecordInput {
			return labelled(job(acct, id, "ada", true, 1024, 30*86400), label, pactum.PhasePreTraining)
		}

		// The call does not hold models: the alert is recorded, nothing is held.
		free := w.model(t, w.f.ApplicantA, pactum.Model{Name: "free", Version: "1", PriorTrainingFLOP: 9.9e24})
		w.ingest(t, w.f.Operator, run("free@1", "1"))
		if mc := w.compute(t, w.f.Manager, free.ID); mc.Notification == nil || mc.Hold != nil {
			t.Fatalf("without the call's term: notification %v, hold %+v", mc.Notification != nil, mc.Hold)
		}
		if h := w.heldUnder(t, al); len(h) != 0 {
			t.Fatalf("held %v without the call's term", h)
		}

		// Only access managers change the term.
		if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.ApplicantA), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("an applicant set the call's term: %v", err)
		}
		c, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)})
		if err != nil || !c.HoldModelsAtSystemicRisk {
			t.Fatalf("set term: %+v %v", c, err)
		}
		if c, _ := w.uc.FindCallByID(storetest.As(w.f.ApplicantA), w.f.Call.ID); !c.HoldModelsAtSystemicRisk {
			t.Fatal("the call does not show its term")
		}
		if n := len(w.events(t, "call.update")); n != 1 {
			t.Fatalf("%d call.update events, want 1", n)
		}

		big := w.model(t, w.f.ApplicantA, pactum.Model{Name: "big", Version: "2", PriorTrainingFLOP: 9.9e24})
		w.ingest(t, w.f.Operator, run("big@2", "2"))
		w.ingest(t, w.f.Operator, run("big@2", "2"), run("big@2", "3")) // a replay and more: held once
		mc := w.compute(t, w.f.ApplicantA, "big@2")
		if !mc.Hold.Held() || mc.Hold.CallID != w.f.Call.ID || !mc.Hold.HeldAt.Equal(t0) || mc.Hold.Model != "big@2" {
			t.Fatalf("hold = %+v", mc.Hold)
		}
		if h := w.heldUnder(t, al); !slices.Equal(h, []string{"big@2"}) {
			t.Fatalf("held under the allocation: %v, want [big@2] (free@1 crossed before the term)", h)
		}
		if n := len(w.events(t, "model.hold")); n != 1 {
			t.Errorf("%d model.hold events, want 1", n)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyModelHold); n != 1 {
			t.Errorf("the creator got %d hold notices, want 1", n)
		}
		if n := w.countKind(t, w.f.Manager, pactum.NotifyModelHold); n != 1 {
			t.Errorf("the access manager got %d hold notices, want 1", n)
		}

		// Who may acknowledge.
		ack := func(u *pactum.User, ref, note string) (*pactum.ModelHold, error) {
			return w.uc.AcknowledgeModelHold(storetest.As(u), ref, note)
		}
		if _, err := ack(w.f.ApplicantA, big.ID, "sent"); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("the holder acknowledged: %v", err)
		}
		if _, err := ack(w.f.ApplicantB, big.ID, "sent"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another organization's applicant: %v", err)
		}
		if _, err := ack(w.f.Auditor, big.ID, "sent"); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("an auditor acknowledged: %v", err)
		}
		if _, err := ack(w.f.Manager, big.ID, " "); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("an empty note: %v", err)
		}
		if _, err := ack(w.f.Manager, free.ID, "nothing to do"); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("a model never held: %v", err)
		}
		if _, err := ack(w.f.Manager, "nope", "nothing to do"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("an unknown model: %v", err)
		}
		if !w.compute(t, w.f.Auditor, big.ID).Hold.Held() {
			t.Fatal("a refused acknowledgement released the model")
		}

		w.clock.Advance(time.Hour)
		h, err := ack(w.f.Manager, big.ID, "  The provider sent its Art. 52 notification on 2 December.  ")
		if err != nil || h.Held() || h.AcknowledgedBy != w.f.Manager.ID || h.Note != "The provider sent its Art. 52 notification on 2 December." {
			t.Fatalf("acknowledge: %+v %v", h, err)
		}
		w.clock.Advance(time.Hour)
		again, err := ack(w.f.Manager, big.ID, "again")
		if err != nil || !again.AcknowledgedAt.Equal(*h.AcknowledgedAt) || again.Note != h.Note {
			t.Fatalf("a second acknowledgement changed the first: %+v %v", again, err)
		}
		if n := len(w.events(t, "model.acknowledge_hold")); n != 1 {
			t.Errorf("%d acknowledge events, want 1", n)
		}
		if held := w.heldUnder(t, al); len(held) != 0 {
			t.Fatalf("still held after the acknowledgement: %v", held)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyModelHold); n != 2 {
			t.Errorf("the creator got %d hold notices, want 2 (held, released)", n)
		}
		// A model is held once: more compute after the acknowledgement
		// does not hold it again.
		w.ingest(t, w.f.Operator, run("big@2", "4"))
		if h := w.compute(t, w.f.Auditor, big.ID).Hold; h.Held() {
			t.Fatalf("held again: %+v", h)
		}
	})
}

// TestModelHoldTermOff: turning the call's term off releases the jobs of
// the models it held (the hold itself stays on file, unacknowledged).
func TestModelHoldTermOff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)
		w.activate(t, al)
		if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		big := w.model(t, w.f.ApplicantA, pactum.Model{Name: "big", Version: "2", PriorTrainingFLOP: 9.9e24})
		w.ingest(t, w.f.Operator, labelled(job(pactum.AllocationAccount(al.ID), "1", "ada", true, 1024, 30*86400), "big@2", pactum.PhasePreTraining))
		if h := w.heldUnder(t, al); !slices.Equal(h, []string{"big@2"}) {
			t.Fatalf("held: %v", h)
		}
		if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if h := w.heldUnder(t, al); len(h) != 0 {
			t.Fatalf("held with the term off: %v", h)
		}
		if !w.compute(t, w.f.Auditor, big.ID).Hold.Held() {
			t.Fatal("the hold itself should stay on file until acknowledged")
		}
	})
}
