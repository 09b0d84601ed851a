// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/web"
)

// BenchmarkPortalRunPages renders the allocation-run pages for a call of
// 2,000 ranked proposals on the catalogue's eight systems, on each
// engine: the call's runs, a run (2,000 outcomes, the best 200 listed)
// and a what-if of it with what changed. It reports p95-ms beside the
// mean; the budget is 50 ms at p95. Review is fast-forwarded by
// writing the panel's verdicts directly, as in the usecase benchmarks.
//
//	go test -run '^$' -bench PortalRunPages -benchtime 50x ./web/
func BenchmarkPortalRunPages(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchPortalRunPages(b, dialect) })
	}
}

func benchPortalRunPages(b *testing.B, dialect string) {
	const n = 2000
	dsn := storetest.DSN(b, dialect)
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	f := storetest.Seed(b, db, now)
	app := storetest.App(b, db, nil, nil)
	mgr := storetest.As(f.Manager)
	modes, _ := catalog.Modes()
	var dev []pactum.CallMode
	for _, m := range modes {
		if m.Mode == pactum.ModeDevelopment {
			dev = append(dev, m)
		}
	}
	systems, _ := catalog.Systems()
	var ids []string
	for _, s := range systems {
		ids = append(ids, s.ID)
	}
	call := &pactum.Call{Title: "Development bench", OpensAt: now.Add(-time.Hour), CutoffAt: now.Add(90 * 24 * time.Hour), Modes: dev, SystemIDs: ids}
	if err := app.CreateCall(mgr, call); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var props []string
	for i := range n {
		p := storetest.NewProposal(call.ID)
		p.Mode, p.DurationMonths, p.MinViableFraction, p.Title = pactum.ModeDevelopment, 6, 0.3+0.6*rng.Float64(), fmt.Sprintf("Bench model %04d", i)
		p.Requests = nil
		for _, k := range rng.Perm(len(ids))[:1+rng.IntN(3)] {
			amount := 2000 + 4000*rng.Float64()
			if ids[k] == "karolina-gpu" {
				amount /= 8
			}
			p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: ids[k], Amount: amount})
		}
		u := f.ApplicantA
		if i%2 == 1 {
			u = f.ApplicantB
		}
		if err := app.SubmitNewProposal(storetest.As(u), p); err != nil {
			b.Fatal(err)
		}
		props = append(props, p.ID)
	}
	storetest.RankForBench(b, dialect, dsn, props, func(int) float64 { return 3.5 + 1.5*rng.Float64() })
	// Capacities a tenth of the demand, so that the run cuts and refuses.
	caps := map[string]float64{}
	for _, s := range ids {
		caps[s] = 250_000
	}
	base, err := app.CreateAllocationRun(mgr, call.ID, pactum.AllocationRunInput{Capacities: caps})
	if err != nil {
		b.Fatal(err)
	}
	whatIf, err := app.CreateAllocationRun(mgr, call.ID, pactum.AllocationRunInput{BaseRunID: base.ID, Capacities: map[string]float64{"leonardo-booster": 200_000}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := web.New(web.Config{Services: app, Session: func(r *http.Request) (*pactum.User, string, error) {
		return f.Manager, "csrf", nil
	}})
	if err != nil {
		b.Fatal(err)
	}
	benchPages(b, p, []benchPage{
		{"runs", nil, "/portal/calls/" + call.ID + "/runs", ""},
		{"run", nil, "/portal/runs/" + base.ID, ""},
		{"whatif", nil, "/portal/runs/" + whatIf.ID, ""},
	})
}
