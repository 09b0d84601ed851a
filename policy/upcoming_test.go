// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// TestRulesComingIntoForceDuringTheAllocation checks that a rule starting
// within the requested period attaches a condition naming its date, and
// one starting after the period does not.
func TestRulesComingIntoForceDuringTheAllocation(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	in := cleanInput()
	in.Proposal.AIAct.AnnexIII = []string{"4a"}
	in.Proposal.AIAct.InteractsWithPersons = true

	in.At = day("2026-06-01") // three months: to 2026-09-01, past 2026-08-02
	d := mustScreen(t, s, in)
	got := firedIDs(d)
	for _, id := range []string{"annex3.4a.from_2026-08-02", "art50.1.from_2026-08-02", "highrisk.risk_data.from_2026-08-02"} {
		if !got[id] {
			t.Errorf("%s missing: %v", id, ids(d))
		}
	}
	if got["annex3.4a"] || d.Outcome != pactum.OutcomeApprove {
		t.Errorf("a rule not yet in force decided the outcome: %s %v", d.Outcome, ids(d))
	}
	for _, f := range d.Findings {
		if f.RuleID == "annex3.4a.from_2026-08-02" {
			if f.Effect != pactum.EffectCondition || !strings.Contains(f.Message, "From 2026-08-02") ||
				!strings.Contains(f.Basis, "Annex III point 4(a)") || !strings.Contains(f.Message, "refer from that date") {
				t.Errorf("finding %+v", f)
			}
		}
	}

	in.At = day("2026-05-01") // to 2026-08-01: nothing starts within
	d = mustScreen(t, s, in)
	for id := range firedIDs(d) {
		if strings.Contains(id, ".from_") {
			t.Errorf("%s fired for a period ending before the rule applies", id)
		}
	}
}

// TestEstimatesTrainingShareAndPrior checks the figures behind point 4: the
// hardware estimate scaled by the training share, and prior compute listed
// and added to the threshold figure.
func TestEstimatesTrainingShareAndPrior(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	in := cleanInput()
	base := mustScreen(t, s, in)
	in.Proposal.AIWork.ComputeSplit = &pactum.ComputeSplit{PreTraining: 0.4, FineTuning: 0.1, Experiments: 0.5}
	in.Proposal.AIWork.PriorTrainingFLOP = 1e22
	d := mustScreen(t, s, in)
	byMethod := func(d *pactum.ScreeningDecision) map[string]pactum.ComputeEstimate {
		out := map[string]pactum.ComputeEstimate{}
		for _, e := range d.Estimates {
			out[e.Method] = e
		}
		return out
	}
	b, a := byMethod(base), byMethod(d)
	if hw := a[policy.MethodHardware]; hw.FLOP < 0.499*b[policy.MethodHardware].FLOP || hw.FLOP > 0.501*b[policy.MethodHardware].FLOP ||
		!strings.Contains(hw.Assumptions, "training share 50 %") {
		t.Errorf("hardware estimate %+v, base %+v", hw, b[policy.MethodHardware])
	}
	if p := a[policy.MethodPrior]; p.FLOP != 1e22 || !strings.Contains(p.Assumptions, "Art. 51(2)") {
		t.Errorf("prior estimate %+v", p)
	}
	in.Proposal.AIWork.ComputeSplit = &pactum.ComputeSplit{PreTraining: 0.4}
	if err := in.Proposal.Validate(); err == nil || !strings.Contains(err.Error(), "") {
		t.Error("a split that does not sum to 1 is accepted")
	}
}
