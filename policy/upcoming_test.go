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
