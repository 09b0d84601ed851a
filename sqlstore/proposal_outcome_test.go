// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestProposalOutcomeFilters: a call's proposals are listed by screening
// outcome, decision outcome and screening rule (migration 00290's
// indexes, written with each proposal); after the migration goes down and
// up again, its backfill from the screening and decision JSON gives the
// same answers, on both engines.
func TestProposalOutcomeFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := storetest.Seed(t, db, time.Now().UTC())
		// Titles say what the screener finds: "refer" refers with rule
		// r.refer (and r.info), "deny" denies with r.deny, else approve.
		screener := &mock.Screener{ScreenFn: func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			var fs []pactum.Finding
			switch in.Proposal.Title {
			case "refer":
				fs = []pactum.Finding{{RuleID: "r.refer", Effect: pactum.EffectRefer, Referral: "ethics", Message: "m"},
					{RuleID: "r.info", Effect: pactum.EffectInfo, Message: "m"}}
			case "deny":
				fs = []pactum.Finding{{RuleID: "r.deny", Effect: pactum.EffectDeny, Message: "m"}, {RuleID: "r.info", Effect: pactum.EffectInfo, Message: "m"}}
			}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(fs), Findings: fs, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}}
		app := storetest.App(t, db, screener, nil)
		ids := map[string]string{}
		for _, title := range []string{"approve", "refer", "deny", "draft"} {
			p := storetest.NewProposal(f.Call.ID)
			p.Title = title
			var err error
			if title == "draft" {
				err = app.CreateProposal(storetest.As(f.ApplicantA), p)
			} else {
				err = app.SubmitNewProposal(storetest.As(f.ApplicantA), p)
			}
			if err != nil {
				t.Fatal(err)
			}
			ids[title] = p.ID
		}
		check := func(when string, q pactum.Queries) {
			t.Helper()
			o := func(s pactum.Outcome) *pactum.Outcome { return &s }
			d := func(s pactum.DecisionOutcome) *pactum.DecisionOutcome { return &s }
			r := func(s string) *string { return &s }
			for _, tc := range []struct {
				name string
				f    pactum.ProposalFilter
				want []string
			}{
				{"screening approve", pactum.ProposalFilter{CallID: &f.Call.ID, ScreeningOutcome: o(pactum.OutcomeApprove)}, []string{"approve"}},
				{"screening refer", pactum.ProposalFilter{CallID: &f.Call.ID, ScreeningOutcome: o(pactum.OutcomeRefer)}, []string{"refer"}},
				{"screening deny, any call", pactum.ProposalFilter{ScreeningOutcome: o(pactum.OutcomeDeny)}, []string{"deny"}},
				{"decided accepted", pactum.ProposalFilter{CallID: &f.Call.ID, DecisionOutcome: d(pactum.DecisionAccepted)}, []string{"approve"}},
				{"rule r.info", pactum.ProposalFilter{CallID: &f.Call.ID, RuleID: r("r.info")}, []string{"refer", "deny"}},
				{"rule r.info and refer", pactum.ProposalFilter{CallID: &f.Call.ID, RuleID: r("r.info"), ScreeningOutcome: o(pactum.OutcomeRefer)}, []string{"refer"}},
				{"rule r.refer, any call", pactum.ProposalFilter{RuleID: r("r.refer")}, []string{"refer"}},
				{"unknown rule", pactum.ProposalFilter{CallID: &f.Call.ID, RuleID: r("nope")}, nil},
			} {
				ps, n, err := q.ListProposals(ctx, pactum.Scope{All: true}, tc.f)
				if err != nil {
					t.Fatalf("%s: %s: %v", when, tc.name, err)
				}
				var got []string
				for _, p := range ps {
					got = append(got, p.Title)
				}
				slices.Sort(got)
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if !slices.Equal(got, want) || n != len(want) {
					t.Errorf("%s: %s: got %v (total %d), want %v", when, tc.name, got, n, want)
				}
			}
		}
		check("written", db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		raw, p := gooseProvider(t, dialect, dsn)
		if _, err := p.DownTo(ctx, 280); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := raw.Exec(`SELECT COUNT(*) FROM proposal_rules`); err == nil {
			t.Fatal("proposal_rules survived the migration's Down")
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		raw.Close()
		db2, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		check("backfilled", db2)
	})
}

// gooseProvider opens dsn without pactum's store, with the goose provider
// of its migrations.
func gooseProvider(t *testing.T, dialect, dsn string) (*sql.DB, *goose.Provider) {
	t.Helper()
	driver, gd := "sqlite", goose.DialectSQLite3
	if dialect == sqlstore.Postgres {
		driver, gd = "pgx", goose.DialectPostgres
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	p, err := goose.NewProvider(gd, raw, os.DirFS("migrations/"+dialect))
	if err != nil {
		t.Fatal(err)
	}
	return raw, p
}
