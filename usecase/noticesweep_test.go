// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestNoticeSweep: an active allocation's organization is told 30, 14
// and 7 days before its end, each once however often (and however many
// instances) sweep, and only the most urgent when the sweep comes late;
// a silent site agent is reported to access managers and the site's
// operators once per silence.
func TestNoticeSweep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		sys := pactum.SystemUser()
		al := w.allocation(t, 100)
		w.activate(t, al)
		sweep := func() {
			t.Helper()
			if _, err := w.uc.SweepNoticesAs(context.Background(), sys, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.uc.SweepNoticesAs(context.Background(), w.f.ApplicantA, time.Hour); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("an applicant sweeping: %v", err)
		}
		expiry := func() []string {
			var out []string
			for _, n := range w.noticesOf(t, w.f.ApplicantA, pactum.NotifyExpiry) {
				out = append(out, n.Subject)
			}
			return out
		}
		sweep()
		if got := expiry(); len(got) != 0 {
			t.Fatalf("notices long before the end: %v", got)
		}
		w.clock.T = al.EndsAt.Add(-30*24*time.Hour + time.Minute)
		sweep()
		sweep()
		if got := expiry(); len(got) != 1 || !strings.Contains(got[0], "ends in 30 days") {
			t.Fatalf("at 30 days: %v", got)
		}
		w.clock.T = al.EndsAt.Add(-6 * 24 * time.Hour) // the sweep missed 14 days
		sweep()
		sweep()
		if got := expiry(); len(got) != 2 || !strings.Contains(got[0], "ends in 7 days") {
			t.Fatalf("at 6 days: %v", got)
		}

		if _, err := w.uc.Heartbeat(storetest.As(w.f.Operator), "CSC", pactum.AgentHeartbeat{Cluster: "lumi", Holder: "login1:10"}); err != nil {
			t.Fatal(err)
		}
		sweep()
		if n := w.countKind(t, w.f.Manager, pactum.NotifyAgentSilent); n != 0 {
			t.Fatalf("%d silence notices for an agent that just reported", n)
		}
		w.clock.Advance(2 * time.Hour)
		sweep()
		sweep()
		if m, o := w.countKind(t, w.f.Manager, pactum.NotifyAgentSilent), w.countKind(t, w.f.Operator, pactum.NotifyAgentSilent); m != 1 || o != 1 {
			t.Fatalf("silence notices: manager %d, operator %d", m, o)
		}
		if evs := w.events(t, "agent.silent"); len(evs) != 1 {
			t.Errorf("%d agent.silent events", len(evs))
		}
		if evs := w.events(t, "allocation.expiry_notice"); len(evs) != 2 {
			t.Errorf("%d allocation.expiry_notice events", len(evs))
		}
	})
}

// noticesOf lists u's notifications of kind, newest first.
func (w *world) noticesOf(t *testing.T, u *pactum.User, kind string) []*pactum.Notification {
	t.Helper()
	list, _, err := w.uc.FindNotifications(storetest.As(u), pactum.NotificationFilter{UserID: &u.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pactum.Notification
	for _, n := range list {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// TestReviewDueNotice: a reviewer whose review is still awaited
// ReviewDueDays before the decision is due is reminded, once; one who
// reviewed is not.
func TestReviewDueNotice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		ethicist := w.reviewer(t, "ethics@uni.example", []string{pactum.EthicsExpertise})
		w.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			f := []pactum.Finding{{RuleID: "ethics", Basis: "test", Effect: pactum.EffectRefer, Referral: "ethics", Message: "review"}}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeRefer, Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}
		p := w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: 100})
		if _, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics); err != nil {
			t.Fatal(err)
		}
		if w.countKind(t, ethicist, pactum.NotifyReviewAssigned) != 1 {
			t.Fatal("the ethicist was not told of the assignment")
		}
		got, err := w.uc.FindProposalByID(storetest.As(w.f.Manager), p.ID)
		if err != nil || got.DecisionDueAt == nil {
			t.Fatalf("decision due: %+v %v", got, err)
		}
		sweep := func() {
			t.Helper()
			if _, err := w.uc.SweepNoticesAs(context.Background(), pactum.SystemUser(), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		sweep()
		if n := w.countKind(t, ethicist, pactum.NotifyReviewDue); n != 0 {
			t.Fatalf("%d reminders long before the decision is due", n)
		}
		w.clock.T = got.DecisionDueAt.Add(-2 * 24 * time.Hour)
		sweep()
		sweep()
		ns := w.noticesOf(t, ethicist, pactum.NotifyReviewDue)
		if len(ns) != 1 || ns[0].ProposalID != p.ID || !strings.Contains(ns[0].Subject, "ethics review") {
			t.Fatalf("reminders: %+v", ns)
		}
	})
}
