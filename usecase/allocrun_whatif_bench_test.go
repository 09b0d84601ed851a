// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// newWhatIfBench is a store with a call on twelve systems (the
// catalogue's eight and four more) and n large-scale proposals from 50
// organizations, each asking for one to three of them, ranked by a panel
// (written directly, as in newRunBench) and past the cut-off.
func newWhatIfBench(b *testing.B, dialect string, n int) *runBench {
	b.Helper()
	clock := &storetest.Clock{T: t0}
	db, dsn := storetest.OpenDSN(b, dialect, sqlstore.Options{Now: clock.Now})
	f := storetest.Seed(b, db, t0)
	sys := pactum.NewContextWithUser(context.Background(), pactum.SystemUser())
	app := storetest.App(b, db, nil, clock.Now)
	mgr := storetest.As(f.Manager)
	catalogue, err := catalog.Systems()
	if err != nil {
		b.Fatal(err)
	}
	var extra []*pactum.System
	for i := range 4 {
		extra = append(extra, &pactum.System{ID: fmt.Sprintf("bench-gpu-%d", i+1), Name: fmt.Sprintf("Bench GPU %d", i+1), Site: "Bench",
			Country: "DE", Nodes: 500, GPUsPerNode: 4, PeakTFLOPSPerGPU: 400, Unit: pactum.UnitGPUHours, CapacityPerPeriod: 1_500_000,
			Software: "cuda", Scheduler: "slurm"})
	}
	if err := app.UpsertSystems(mgr, extra); err != nil {
		b.Fatal(err)
	}
	var systems []string
	for _, s := range append(catalogue, extra...) {
		systems = append(systems, s.ID)
	}
	modes, _ := catalog.Modes()
	call := &pactum.Call{Title: "What-if bench", OpensAt: t0.Add(-time.Hour), CutoffAt: t0.Add(30 * 24 * time.Hour), Modes: modes, SystemIDs: systems}
	if err := app.CreateCall(mgr, call); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var applicants []*pactum.User
	for i := range 50 {
		o := &pactum.Organization{LegalName: fmt.Sprintf("Bench AI %02d", i), Country: "DE", RegistrationNumber: fmt.Sprintf("HRB %d", i),
			FoundedOn: pactum.MustDate("2020-01-01"), Staff: 20 + 20*(i%15), TurnoverEUR: 5_000_000, BalanceSheetEUR: 5_000_000}
		if err := app.CreateOrganization(mgr, o); err != nil {
			b.Fatal(err)
		}
		u := &pactum.User{Email: fmt.Sprintf("a%d@bench.example", i), Name: "A", Role: pactum.RoleApplicant, OrganizationID: o.ID}
		if err := app.CreateUser(sys, u); err != nil {
			b.Fatal(err)
		}
		applicants = append(applicants, u)
	}
	var ids []string
	for i := range n {
		p := storetest.NewProposal(call.ID)
		p.Mode, p.Title = pactum.ModeLargeScale, fmt.Sprintf("Bench proposal %d", i)
		p.MinViableFraction = 0.3 + 0.6*rng.Float64()
		p.Requests = nil
		for _, k := range rng.Perm(len(systems))[:1+rng.IntN(3)] {
			amount := 20000 + rng.Float64()*80000
			if systems[k] == "karolina-gpu" {
				amount /= 8 // node-hours
			}
			p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: systems[k], Amount: amount})
		}
		if rng.IntN(5) == 0 {
			p.Software = pactum.SoftwareCUDA // then any LUMI-G request is dropped
		}
		if err := app.SubmitNewProposal(storetest.As(applicants[i%len(applicants)]), p); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	storetest.RankForBench(b, dialect, dsn, ids, func(int) float64 { return 3.5 + 1.5*rng.Float64() })
	clock.Advance(61 * 24 * time.Hour) // past the cut-off
	return &runBench{db: db, runs: app, mgr: mgr, callID: call.ID}
}

// BenchmarkAllocationWhatIf is the what-if figure over the store:
// a call of 2,000 reviewed proposals on 12 systems, a cold run, then a
// what-if warm from it with one system's capacity cut by 10 % (build the
// instance from the database, solve, store the run). Target: the what-if
// within 1 s.
//
//	go test -run '^$' -bench AllocationWhatIf -benchtime 1x ./usecase/
//
// on SQLite and, when PACTUM_TEST_POSTGRES names a server, PostgreSQL.
func BenchmarkAllocationWhatIf(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchAllocationWhatIf(b, dialect) })
	}
}

func benchAllocationWhatIf(b *testing.B, dialect string) {
	const n = 2000
	b.StopTimer()
	rb := newWhatIfBench(b, dialect, n)
	for range b.N {
		start := time.Now()
		base, err := rb.runs.CreateAllocationRun(rb.mgr, rb.callID, pactum.AllocationRunInput{})
		if err != nil {
			b.Fatal(err)
		}
		cold := time.Since(start)
		// The most contested system (highest marginal value) loses 10 %.
		most := base.Systems[0]
		for _, s := range base.Systems {
			if s.Price > most.Price {
				most = s
			}
		}
		in := pactum.AllocationRunInput{BaseRunID: base.ID, Capacities: map[string]float64{most.SystemID: 0.9 * most.CapacityGPUHours}}
		b.StartTimer()
		start = time.Now()
		whatIf, err := rb.runs.CreateAllocationRun(rb.mgr, rb.callID, in)
		if err != nil {
			b.Fatal(err)
		}
		warm := time.Since(start)
		b.StopTimer()
		if !whatIf.Warm || len(base.Systems) != 12 {
			b.Fatalf("what-if warm %v on %d systems", whatIf.Warm, len(base.Systems))
		}
		// The same what-if solved cold, for comparison.
		in.BaseRunID = ""
		start = time.Now()
		coldWhatIf, err := rb.runs.CreateAllocationRun(rb.mgr, rb.callID, pactum.AllocationRunInput{Capacities: in.Capacities})
		if err != nil {
			b.Fatal(err)
		}
		coldAgain := time.Since(start)
		b.ReportMetric(cold.Seconds(), "cold-create-s")
		b.ReportMetric(base.SolveSeconds, "cold-solve-s")
		b.ReportMetric(100*base.Gap, "cold-gap-%")
		b.ReportMetric(warm.Seconds(), "whatif-create-s")
		b.ReportMetric(whatIf.SolveSeconds, "whatif-solve-s")
		b.ReportMetric(100*whatIf.Gap, "whatif-gap-%")
		b.ReportMetric(float64(whatIf.Iterations), "whatif-iterations")
		b.ReportMetric(coldAgain.Seconds(), "whatif-cold-create-s")
		b.ReportMetric(100*coldWhatIf.Gap, "whatif-cold-gap-%")
	}
}
