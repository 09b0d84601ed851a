// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// runBench is a store with n large-scale proposals of a call, ranked by a
// panel, ready for an allocation run.
type runBench struct {
	db     *sqlstore.DB
	runs   *usecase.App
	mgr    context.Context
	callID string
}

// newRunBench submits n large-scale proposals from 50 organizations over
// the fixture call's four systems and marks them ranked. Review is
// fast-forwarded by writing the tracks' panel verdicts directly: the
// benchmark measures the run, not the review.
func newRunBench(b *testing.B, dialect string, n int) *runBench {
	b.Helper()
	clock := &storetest.Clock{T: t0}
	db, dsn := storetest.OpenDSN(b, dialect, sqlstore.Options{Now: clock.Now})
	f := storetest.Seed(b, db, t0)
	sys := pactum.NewContextWithUser(context.Background(), pactum.SystemUser())
	props := storetest.App(b, db, nil, clock.Now)
	orgs, users := props, props
	rng := rand.New(rand.NewPCG(1, 2))
	var applicants []*pactum.User
	for i := range 50 {
		o := &pactum.Organization{LegalName: fmt.Sprintf("Bench AI %02d", i), Country: "DE", RegistrationNumber: fmt.Sprintf("HRB %d", i),
			FoundedOn: pactum.MustDate("2020-01-01"), Staff: 20 + 20*(i%15), TurnoverEUR: 5_000_000, BalanceSheetEUR: 5_000_000}
		if err := orgs.CreateOrganization(storetest.As(f.Manager), o); err != nil {
			b.Fatal(err)
		}
		u := &pactum.User{Email: fmt.Sprintf("a%d@bench.example", i), Name: "A", Role: pactum.RoleApplicant, OrganizationID: o.ID}
		if err := users.CreateUser(sys, u); err != nil {
			b.Fatal(err)
		}
		applicants = append(applicants, u)
	}
	systems := []string{"lumi-g", "leonardo-booster", "mn5-acc", "karolina-gpu"}
	var ids []string
	for i := range n {
		p := storetest.NewProposal(f.Call.ID)
		p.Mode, p.Title = pactum.ModeLargeScale, fmt.Sprintf("Bench proposal %d", i)
		p.MinViableFraction = 0.3 + 0.6*rng.Float64()
		p.Requests = nil
		for _, s := range systems {
			if rng.IntN(3) == 0 || (s == "leonardo-booster" && len(p.Requests) == 0) {
				amount := 20000 + rng.Float64()*80000
				if s == "karolina-gpu" {
					amount /= 8
				}
				p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: s, Amount: amount})
			}
		}
		if rng.IntN(5) == 0 {
			p.Software = pactum.SoftwareCUDA // then any LUMI-G request is dropped
		}
		if err := props.SubmitNewProposal(storetest.As(applicants[i%len(applicants)]), p); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	storetest.RankForBench(b, dialect, dsn, ids, func(int) float64 { return 3.5 + 1.5*rng.Float64() })
	clock.Advance(61 * 24 * time.Hour) // past the call's cut-off: large scale is not rolling
	return &runBench{db: db, runs: props, mgr: storetest.As(f.Manager), callID: f.Call.ID}
}

// BenchmarkAllocationRun measures an allocation run over the store for a
// call of 2,000 reviewed proposals on four systems: building the instance
// from the database, solving, storing the run (create), and publishing it
// (every decision, allocation, notification and audit event in one
// transaction).
//
//	go test -run '^$' -bench AllocationRun -benchtime 1x ./usecase/
//
// on SQLite and, when PACTUM_TEST_POSTGRES names a server, PostgreSQL.
func BenchmarkAllocationRun(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchAllocationRun(b, dialect) })
	}
}

func benchAllocationRun(b *testing.B, dialect string) {
	const n = 2000
	for range b.N {
		b.StopTimer()
		rb := newRunBench(b, dialect, n)
		b.StartTimer()
		start := time.Now()
		run, err := rb.runs.CreateAllocationRun(rb.mgr, rb.callID, pactum.AllocationRunInput{})
		if err != nil {
			b.Fatal(err)
		}
		created := time.Since(start)
		start = time.Now()
		if _, err := rb.runs.PublishAllocationRun(rb.mgr, run.ID); err != nil {
			b.Fatal(err)
		}
		published := time.Since(start)
		b.StopTimer()
		count := map[string]int{}
		for _, o := range run.Outcomes {
			count[o.Outcome]++
		}
		b.ReportMetric(created.Seconds(), "create-s")
		b.ReportMetric(run.SolveSeconds, "solve-s")
		b.ReportMetric(published.Seconds(), "publish-s")
		b.ReportMetric(100*run.Gap, "gap-%")
		b.ReportMetric(float64(count[pactum.RunOutcomeRefused]), "refused")
		b.StartTimer()
	}
}
