// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// instance starts a second server instance on the scenario's database: its
// own store handle (pool, audit sequencer, idempotency claims) and its own
// HTTP server, as a second process behind a load balancer would have. It
// returns the instance's URL and closes it when the test ends.
func (e *env) instance(t *testing.T) (string, *sqlstore.DB) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), e.dsn, sqlstore.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rs, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, db, storetest.App(t, db, policy.NewScreener(rs), e.clock.Now), e.clock, nil), db
}

// TestTwoInstances runs two server instances on one PostgreSQL database and
// sends them the same traffic at once: fast-lane submissions for more
// capacity than the system has, and one idempotent request sent to both.
// Nothing is lost or doubled: exactly the submissions that fit are
// approved, on whichever instance; the idempotent request makes one
// proposal; every proposal has its events, sealed into one chain by the
// two instances' sequencers, and its notices once; the log replays to the
// tables. An instance that stops with events pending has them sealed by
// the other.
func TestTwoInstances(t *testing.T) {
	s := newScenario(t, sqlstore.Postgres)
	url2, db2 := s.instance(t)
	ctx := s.ctx
	me, err := s.alice.GetMeWithResponse(ctx)
	want(t, me, err, 200, me.Body)
	tr, err := s.manager.CreateTokenWithResponse(ctx, me.JSON200.Id, client.TokenInput{Name: "second instance"})
	want(t, tr, err, 201, tr.Body)
	alice2, err := client.New(url2, tr.JSON201.Secret)
	if err != nil {
		t.Fatal(err)
	}
	clients := []*client.ClientWithResponses{s.alice, alice2}

	// Room for 20 of 60 submissions of 1,000 GPU-hours each.
	raw, err := sql.Open("pgx", s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
	leonardo, err := s.db.GetSystem(ctx, "leonardo-booster")
	if err != nil {
		t.Fatal(err)
	}
	leonardo.CapacityPerPeriod = 20000
	if err := storetest.App(t, s.db, nil, nil).UpsertSystems(sys, []*pactum.System{leonardo}); err != nil {
		t.Fatal(err)
	}
	const n = 60
	body := proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Requests[0].Amount = 1000 })
	states := make([]string, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := clients[i%2].CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)},
				"application/json", bytes.NewReader(body))
			if err != nil {
				t.Errorf("submission %d on instance %d: %v", i, i%2+1, err)
				return
			}
			if r.StatusCode() != 201 || r.JSON201 == nil {
				t.Errorf("submission %d on instance %d: %d %s", i, i%2+1, r.StatusCode(), r.Body)
				return
			}
			states[i], ids[i] = string(r.JSON201.State), r.JSON201.Id
		})
	}
	// One idempotent request, sent to both instances at once, twice each.
	key := "5e1f0c7a-2b3d-4e8f-9a6b-7c5d4e3f2a1b"
	other := proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Title = "Sent to both instances"; p.Requests[0].Amount = 1 })
	replies := make([]*client.CreateProposalResponse, 4)
	for i := range replies {
		wg.Go(func() {
			r, err := clients[i%2].CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true), IdempotencyKey: &key},
				"application/json", bytes.NewReader(other))
			if err != nil {
				t.Errorf("idempotent request %d: %v", i, err)
				return
			}
			replies[i] = r
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	count := map[string]int{}
	for _, st := range states {
		count[st]++
	}
	var idem string
	var idemApproved int
	for i, r := range replies {
		switch r.StatusCode() {
		case 201:
			if idem == "" {
				idem = r.JSON201.Id
				if r.JSON201.State == client.Approved {
					idemApproved = 1
				}
			} else if r.JSON201.Id != idem {
				t.Errorf("idempotent request %d made proposal %s, another made %s", i, r.JSON201.Id, idem)
			}
		case 409:
			// Still running on the other instance: the client retries.
		default:
			t.Errorf("idempotent request %d: %d %s", i, r.StatusCode(), r.Body)
		}
	}
	if idem == "" {
		t.Fatal("no reply to the idempotent request created its proposal")
	}
	// The idempotent proposal (1 GPU-hour), when approved before the
	// capacity ran out, leaves room for one fewer 1,000-hour request.
	approved := count[string(client.Approved)]
	if approved != 20-idemApproved || count[string(client.InReview)] != n-approved {
		t.Fatalf("states %v (idempotent proposal approved: %d): want %d approved, the rest in review", count, idemApproved, 20-idemApproved)
	}
	var proposals, allocations, routes int
	var granted, allocated float64
	for _, q := range []struct {
		sql  string
		dest []any
	}{
		{`SELECT COUNT(*) FROM proposals`, []any{&proposals}},
		{`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM allocations WHERE system_id = 'leonardo-booster'`, []any{&allocations, &allocated}},
		{`SELECT SUM(granted) FROM call_grant_shards WHERE system_id = 'leonardo-booster'`, []any{&granted}},
	} {
		if err := raw.QueryRow(q.sql).Scan(q.dest...); err != nil {
			t.Fatal(err)
		}
	}
	if proposals != n+1 {
		t.Errorf("%d proposals stored, want %d (each submission once, the idempotent request once)", proposals, n+1)
	}
	if allocated > 20000 || allocated != granted || allocations != approved+idemApproved {
		t.Errorf("%d allocations of %g GPU-hours, running total %g: want %d within the capacity of 20000, equal to the total",
			allocations, allocated, granted, approved+idemApproved)
	}

	// Both instances' events in one chain: every proposal routed once,
	// every approval and referral noticed once.
	if err := s.db.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'proposal.route'`).Scan(&routes); err != nil {
		t.Fatal(err)
	}
	if routes != n+1 {
		t.Errorf("%d proposal.route events, want %d", routes, n+1)
	}
	var doubled int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM (SELECT user_id, proposal_id, kind FROM notifications
		GROUP BY user_id, proposal_id, kind HAVING COUNT(*) > 1) d`).Scan(&doubled); err != nil {
		t.Fatal(err)
	}
	if doubled != 0 {
		t.Errorf("%d notices were stored more than once", doubled)
	}

	// An instance that stops right after its commits: the other seals.
	for i := range 5 {
		r, err := alice2.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Title = fmt.Sprintf("Draft %d", i) })))
		want(t, r, err, 201, r.Body)
	}
	db2.Close()
	rep, err := usecase.VerifyAuditState(ctx, s.db, nil)
	if err != nil || !rep.OK || rep.State == nil || !rep.State.OK {
		b, _ := json.Marshal(rep)
		t.Fatalf("audit after two instances: %s %v", b, err)
	}
	if err := s.db.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err = usecase.VerifyAudit(ctx, s.db); err != nil || !rep.OK || rep.Pending != 0 {
		t.Fatalf("audit once sealed: %+v %v", rep, err)
	}
}
