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
