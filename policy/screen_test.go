// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

func TestEstimates(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	tests := []struct {
		name string
		edit func(in *pactum.ScreeningInput)
		want map[string]float64 // method → FLOP
	}{
		{"6PD and hardware at the default utilisation", nil, map[string]float64{
			policy.Method6PD:      6 * 1e9 * 5.9e12,
			policy.MethodHardware: 20000 * 3600 * 989.4e12 * 0.5,
		}},
		{"declared utilisation and a declared estimate", work(func(w *pactum.AIWork) {
			w.Utilisation, w.PlannedTrainingFLOP = 0.4, 3e22
		}), map[string]float64{
			policy.Method6PD:      6 * 1e9 * 5.9e12,
			policy.MethodHardware: 20000 * 3600 * 989.4e12 * 0.4,
			policy.MethodDeclared: 3e22,
		}},
		{"node-hours on two systems, no 6PD", func(in *pactum.ScreeningInput) {
			in.Proposal.AIWork.TrainingTokens = 0
			in.Proposal.Requests = []pactum.ResourceRequest{{SystemID: "mn5-acc", Amount: 1000}, {SystemID: "karolina-gpu", Amount: 100}}
		}, map[string]float64{
			policy.MethodHardware: 1000*3600*989.4e12*0.5 + 100*8*3600*312e12*0.5,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := cleanInput()
			if tc.edit != nil {
				tc.edit(in)
			}
			d := mustScreen(t, s, in)
			got := map[string]float64{}
			for _, e := range d.Estimates {
				got[e.Method] = e.FLOP
				if e.Assumptions == "" {
					t.Errorf("estimate %s states no assumptions", e.Method)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool {
				return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
			})); diff != "" {
				t.Errorf("estimates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEstimateAssumptionsNameTheUtilisation(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	in := cleanInput()
	hw := func(d *pactum.ScreeningDecision) string {
		for _, e := range d.Estimates {
			if e.Method == policy.MethodHardware {
				return e.Assumptions
			}
		}
		return ""
	}
	if a := hw(mustScreen(t, s, in)); !strings.Contains(a, "default utilisation 0.5") || !strings.Contains(a, "mn5-acc") {
		t.Errorf("default assumptions: %q", a)
	}
	in.Proposal.AIWork.Utilisation = 0.38
	if a := hw(mustScreen(t, s, in)); !strings.Contains(a, "declared utilisation 0.38") {
		t.Errorf("declared assumptions: %q", a)
	}
}

func TestScreenDecisionFields(t *testing.T) {
	rs := mustDefault(t)
	s := policy.NewScreener(rs)
	in := llmInput()
	in.Organization.Country = "NO"
	in.Proposal.AIAct.AnnexIII = []string{"4a"}
	d := mustScreen(t, s, in)
	if d.RulesetVersion != rs.Version() || d.RulesetHash != rs.Hash() || !d.ScreenedAt.Equal(in.At) {
		t.Errorf("decision carries %s %s %v", d.RulesetVersion, d.RulesetHash, d.ScreenedAt)
	}
	if d.Outcome != pactum.OutcomeRefer || d.Outcome != pactum.OutcomeOf(d.Findings) {
		t.Errorf("outcome %s", d.Outcome)
	}
	// Strongest effect first.
	rank := map[pactum.Effect]int{pactum.EffectDeny: 0, pactum.EffectRefer: 1, pactum.EffectCondition: 2, pactum.EffectInfo: 3}
	for i := 1; i < len(d.Findings); i++ {
		if rank[d.Findings[i-1].Effect] > rank[d.Findings[i].Effect] {
			t.Errorf("finding %d (%s) after a weaker one", i, d.Findings[i].RuleID)
		}
	}
	// Messages quote the facts they used.
	msg := map[string]string{}
	for _, f := range d.Findings {
		msg[f.RuleID] = f.Message
	}
	for id, want := range map[string]string{
		"gpai.art53_documentation":   "1.0e+23 FLOP (6PD estimate)",
		"gpai.art54_representative":  "outside the EU (NO)",
		"compute.estimates_disagree": "6·P·D gives 1.0e+23 FLOP, the requested GPU-hours give 3.6e+22",
	} {
		if !strings.Contains(msg[id], want) {
			t.Errorf("%s message %q lacks %q", id, msg[id], want)
		}
	}
	if got := len(d.Conditions()); got == 0 {
		t.Error("no conditions for a GPAI model")
	}
}

func TestScreenIsDeterministicAndConcurrencySafe(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	inputs := []*pactum.ScreeningInput{cleanInput(), llmInput()}
	inputs[1].Proposal.AIAct.AnnexIII = []string{"4a", "5b"}
	inputs[1].Proposal.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "x"}
	want := make([]*pactum.ScreeningDecision, len(inputs))
	for i, in := range inputs {
		want[i] = mustScreen(t, s, in)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 50; n++ {
				i := n % len(inputs)
				d, err := s.Screen(context.Background(), inputs[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				if diff := cmp.Diff(want[i], d); diff != "" {
					errs <- diff
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestScreenErrors(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	ctx := context.Background()
	cases := map[string]*pactum.ScreeningInput{
		"nil input": nil,
		"no organization": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Organization = nil
			return in
		}(),
		"no call": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Call = nil
			return in
		}(),
		"no date": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.At = time.Time{}
			return in
		}(),
		"unknown system": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Proposal.Requests[0].SystemID = "nowhere"
			return in
		}(),
		// Validation bounds these; a proposal stored before the bounds
		// must still never be screened into an infinite estimate.
		"infinite 6PD estimate": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Proposal.AIWork.ParameterCount, in.Proposal.AIWork.TrainingTokens = 1e200, 1e200
			return in
		}(),
		"infinite hardware estimate": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Proposal.Requests[0].Amount = 1.7e308
			return in
		}(),
		"infinite GPU-hours on a node-hour system": func() *pactum.ScreeningInput {
			in := cleanInput()
			in.Proposal.Requests = []pactum.ResourceRequest{{SystemID: "karolina-gpu", Amount: 1.7e308}}
			return in
		}(),
	}
	for name, in := range cases {
		if d, err := s.Screen(ctx, in); err == nil || d != nil || pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%s: got %v, %v; want EINVALID", name, d, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Screen(cancelled, cleanInput()); err == nil {
		t.Error("a cancelled context screened")
	}
}

// TestRouteFastLane checks the screener against the lead's routing: a
// clean fast-lane proposal is approved at submission, a referred one goes
// to review, a denied one is rejected.
func TestRouteFastLane(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	mode := testCall().Mode(pactum.ModeFastLane)
	clean := cleanInput()
	referred := cleanInput()
	referred.Proposal.Ethics.Humans = pactum.EthicsAnswer{Yes: true, Details: "User study."}
	denied := cleanInput()
	denied.Proposal.AIAct.SocialScoring = true
	for _, tc := range []struct {
		in   *pactum.ScreeningInput
		want pactum.ProposalState
	}{{clean, pactum.ProposalApproved}, {referred, pactum.ProposalInReview}, {denied, pactum.ProposalRejected}} {
		if got := pactum.Route(mode, mustScreen(t, s, tc.in)); got != tc.want {
			t.Errorf("%s: routed to %s, want %s", tc.in.Proposal.Title, got, tc.want)
		}
	}
}
