// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestHeartbeat: one agent per cluster holds the lease; a second is
// refused, naming the first, until the first's lease expires; the site's
// operators only.
func TestHeartbeat(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ops := storetest.As(w.f.Operator)
		a := pactum.AgentHeartbeat{Cluster: "lumi", Holder: "login1:10", Result: "ok"}
		b := pactum.AgentHeartbeat{Cluster: "lumi", Holder: "login2:20"}
		l, err := w.uc.Heartbeat(ops, "CSC", a)
		if err != nil || l.Holder != a.Holder || !l.ExpiresAt.Equal(l.RenewedAt.Add(pactum.AgentLeaseTTL)) {
			t.Fatalf("first heartbeat: %+v %v", l, err)
		}
		_, err = w.uc.Heartbeat(ops, "CSC", b)
		wantCode(t, err, pactum.ECONFLICT)
		w.clock.Advance(time.Minute)
		if l, err = w.uc.Heartbeat(ops, "CSC", a); err != nil || l.Holder != a.Holder {
			t.Fatalf("renewal: %+v %v", l, err)
		}
		if _, err := w.uc.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: "other", Holder: "login2:20"}); err != nil {
			t.Errorf("another cluster: %v", err)
		}
		w.clock.Advance(pactum.AgentLeaseTTL)
		if l, err = w.uc.Heartbeat(ops, "CSC", b); err != nil || l.Holder != b.Holder {
			t.Fatalf("takeover after expiry: %+v %v", l, err)
		}
		_, err = w.uc.Heartbeat(ops, "CINECA", a)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.Heartbeat(storetest.As(w.f.Manager), "CSC", a)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: "Bad Name", Holder: "x"})
		wantCode(t, err, pactum.EINVALID)
	})
}
