// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// day returns midnight UTC of an ISO date.
func day(s string) time.Time { return pactum.MustDate(s).Time() }

// testSystems is a small catalogue: one GPU-hour system (H100) and one
// node-hour system (8 A100 per node), with the peaks of the reference.
func testSystems() map[string]*pactum.System {
	return map[string]*pactum.System{
		// Its MFU band brackets the 0.5 of the guidelines' worked examples,
		// so that cleanInput's request fits its planned compute.
		"mn5-acc": {ID: "mn5-acc", Name: "MareNostrum 5 ACC", Site: "BSC", Country: "ES", Nodes: 1120, GPUsPerNode: 4,
			PeakTFLOPSPerGPU: 989.4, Unit: pactum.UnitGPUHours, CapacityPerPeriod: 1e7, Software: "cuda", Scheduler: "slurm",
			MFULow: 0.45, MFUHigh: 0.55},
		"karolina-gpu": {ID: "karolina-gpu", Name: "Karolina GPU", Site: "IT4I", Country: "CZ", Nodes: 72, GPUsPerNode: 8,
			PeakTFLOPSPerGPU: 312, Unit: pactum.UnitNodeHours, CapacityPerPeriod: 7500, Software: "cuda", Scheduler: "pbs"},
	}
}

// testCall offers the playground, fast lane and large scale with the caps of
// the access-mode catalogue.
func testCall() *pactum.Call {
	return &pactum.Call{ID: "call-1", Title: "AI Factories 2026", SystemIDs: []string{"mn5-acc", "karolina-gpu"},
		Modes: []pactum.CallMode{
			{Mode: pactum.ModePlayground, MaxGPUHours: 5000, MaxDurationMonths: 3, DecisionWorkingDays: 2, AutoApprove: true, RequiresSME: true, RequiresAIPact: true},
			{Mode: pactum.ModeFastLane, MaxGPUHours: 50000, MaxDurationMonths: 3, DecisionWorkingDays: 4, AutoApprove: true, RequiresSME: true, RequiresAIPact: true},
			{Mode: pactum.ModeLargeScale, MinGPUHours: 50000, MaxDurationMonths: 12, DecisionWorkingDays: 10},
		}}
}

// cleanInput is a fast-lane proposal that no rule fires on, on any date: a
// forecasting model (no generative modality, below every compute threshold,
// its 6PD estimate within 1 % of the hardware estimate of 20,000 H100-hours) by a young German SME with all core pledges and a clean ethics
// table. Cases change one or two facts of it.
func cleanInput() *pactum.ScreeningInput {
	in := &pactum.ScreeningInput{
		Proposal: &pactum.Proposal{ID: "p-1", OrganizationID: "o-1", ProposalInput: pactum.ProposalInput{CallID: "call-1", Mode: pactum.ModeFastLane, Title: "Grid load forecasting", ProposalContent: pactum.ProposalContent{
			Summary:        "Forecast grid load.",
			Requests:       []pactum.ResourceRequest{{SystemID: "mn5-acc", Amount: 20000}},
			DurationMonths: 3,
			AIWork: pactum.AIWork{
				ModelType: "forecasting", InputModalities: []string{"time_series"}, OutputModalities: []string{"time_series"},
				// 6PD 3.54e22, as the hardware estimate
				ParameterCount: 1e9, TrainingTokens: 5.9e12, IntendedUse: "Load forecasting for grid operators.",
				Purpose: "product_development", IntendsEUMarket: true, CivilianOnly: true,
				DataProvenance: pactum.DataProvenance{Sources: []string{"licensed"}, Description: "Metering data."},
			},
			Pledges: pactum.AIPactPledges{GovernanceStrategy: true, HighRiskMapping: true, AILiteracy: true},
		}}},
		Organization: &pactum.Organization{ID: "o-1", LegalName: "Netzlast GmbH", Country: "DE", RegistrationNumber: "HRB 1",
			FoundedOn: pactum.MustDate("2021-03-01"), Staff: 40, TurnoverEUR: 3_000_000, BalanceSheetEUR: 2_000_000},
		Call:    testCall(),
		Systems: testSystems(),
		At:      day("2026-09-01"),
	}
	in.Proposal.Questionnaire = allNo()
	return in
}

// allNo answers every question of the default ruleset no: the answers of
// an applicant whose work touches none of them. Cases that need a yes set
// it, or declare the fact in the profile.
func allNo() map[string]pactum.Answer { return maps.Clone(defaultAnswers()) }

var defaultAnswers = sync.OnceValue(func() map[string]pactum.Answer {
	rs, err := policy.Default()
	if err != nil {
		panic(err)
	}
	return rs.Questionnaire().Answers()
})

// llmInput is a typical fast-lane language-model proposal: 7B parameters on
// 2.4T tokens (6PD = 1.008e23, just above the GPAI criterion), 20,000
// H100-hours.
func llmInput() *pactum.ScreeningInput {
	in := cleanInput()
	w := &in.Proposal.AIWork
	w.ModelType = "language_model"
	w.InputModalities = []string{"text"}
	w.OutputModalities = []string{"text"}
	w.ParameterCount = 7e9
	w.TrainingTokens = 2.4e12
	w.DataProvenance.Sources = []string{"web_crawl", "public_datasets"}
	w.DataProvenance.TDMOptOutsHonoured = true
	in.Proposal.Title = "Multilingual 7B model"
	return in
}

func mustDefault(tb testing.TB) *policy.Ruleset {
	tb.Helper()
	rs, err := policy.Default()
	if err != nil {
		tb.Fatalf("Default: %v", err)
	}
	return rs
}

// checkFires reports each rule of fire that d's findings lack and each of
// quiet they hold.
func checkFires(t *testing.T, d *pactum.ScreeningDecision, fire, quiet []string) {
	t.Helper()
	got := firedIDs(d)
	for _, id := range fire {
		if !got[id] {
			t.Errorf("rule %s did not fire; findings: %v", id, ids(d))
		}
	}
	for _, id := range quiet {
		if got[id] {
			t.Errorf("rule %s fired; it should not", id)
		}
	}
}

func mustScreen(tb testing.TB, s *policy.Screener, in *pactum.ScreeningInput) *pactum.ScreeningDecision {
	tb.Helper()
	d, err := s.Screen(context.Background(), in)
	if err != nil {
		tb.Fatalf("Screen: %v", err)
	}
	return d
}

// passedTests are the info findings that say a refusal does not apply;
// every eligible proposal has them.
var passedTests = map[string]bool{"elig.establishment_passed": true, "elig.sme_passed": true}

// beyondPassed returns the findings other than passedTests.
func beyondPassed(d *pactum.ScreeningDecision) []pactum.Finding {
	var out []pactum.Finding
	for _, f := range d.Findings {
		if !passedTests[f.RuleID] {
			out = append(out, f)
		}
	}
	return out
}

func firedIDs(d *pactum.ScreeningDecision) map[string]bool {
	out := map[string]bool{}
	for _, f := range d.Findings {
		out[f.RuleID] = true
	}
	return out
}
