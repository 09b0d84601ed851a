// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum"
)

func TestSME(t *testing.T) {
	at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name             string
		staff            int
		turnover, sheet  int64
		founded          string
		wantSME, wantNew bool
	}{
		{"small young", 24, 2_000_000, 3_000_000, "2022-03-01", true, true},
		{"249 staff", 249, 10_000_000, 10_000_000, "2022-03-01", true, true},
		{"250 staff", 250, 10_000_000, 10_000_000, "2022-03-01", false, false},
		{"turnover at 50 M", 100, 50_000_000, 60_000_000, "2022-03-01", true, true},
		{"turnover over, balance sheet at 43 M", 100, 80_000_000, 43_000_000, "2022-03-01", true, true},
		{"both over", 100, 50_000_001, 43_000_001, "2022-03-01", false, false},
		{"SME founded 10 years ago today", 10, 1, 1, "2016-11-26", true, false},
		{"SME founded 10 years ago tomorrow", 10, 1, 1, "2016-11-27", true, true},
	}
	for _, tc := range cases {
		o := &pactum.Organization{Staff: tc.staff, TurnoverEUR: tc.turnover, BalanceSheetEUR: tc.sheet, FoundedOn: pactum.MustDate(tc.founded)}
		if got := o.IsSME(); got != tc.wantSME {
			t.Errorf("%s: IsSME = %v, want %v", tc.name, got, tc.wantSME)
		}
		if got := o.IsStartup(at); got != tc.wantNew {
			t.Errorf("%s: IsStartup = %v, want %v", tc.name, got, tc.wantNew)
		}
	}
}

func TestProposalStateMachine(t *testing.T) {
	legal := map[[2]pactum.ProposalState]bool{
		{pactum.ProposalDraft, pactum.ProposalSubmitted}:     true,
		{pactum.ProposalDraft, pactum.ProposalWithdrawn}:     true,
		{pactum.ProposalSubmitted, pactum.ProposalScreening}: true,
		{pactum.ProposalSubmitted, pactum.ProposalWithdrawn}: true,
		{pactum.ProposalScreening, pactum.ProposalApproved}:  true,
		{pactum.ProposalScreening, pactum.ProposalInReview}:  true,
		{pactum.ProposalScreening, pactum.ProposalRejected}:  true,
		{pactum.ProposalScreening, pactum.ProposalWithdrawn}: true,
		{pactum.ProposalInReview, pactum.ProposalAccepted}:   true,
		{pactum.ProposalInReview, pactum.ProposalRejected}:   true,
		{pactum.ProposalInReview, pactum.ProposalWithdrawn}:  true,
	}
	for _, from := range pactum.ProposalStates {
		for _, to := range pactum.ProposalStates {
			p := &pactum.Proposal{State: from}
			err := p.Transition(to)
			if legal[[2]pactum.ProposalState{from, to}] {
				if err != nil || p.State != to {
					t.Errorf("%s → %s should be allowed: %v", from, to, err)
				}
			} else if pactum.ErrorCode(err) != pactum.ECONFLICT || p.State != from {
				t.Errorf("%s → %s should be refused with a conflict, got %v (state %s)", from, to, err, p.State)
			}
		}
	}
	for _, s := range []pactum.ProposalState{pactum.ProposalApproved, pactum.ProposalAccepted, pactum.ProposalRejected, pactum.ProposalWithdrawn} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
}

func TestAllocationStateMachine(t *testing.T) {
	a := &pactum.Allocation{State: pactum.AllocationPending}
	for _, step := range []pactum.AllocationState{pactum.AllocationActive, pactum.AllocationSuspended, pactum.AllocationActive,
		pactum.AllocationExhausted, pactum.AllocationExpired} {
		if err := a.Transition(step); err != nil {
			t.Fatalf("→ %s: %v", step, err)
		}
	}
	if err := a.Transition(pactum.AllocationActive); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("expired → active: %v", err)
	}
	p := &pactum.Allocation{State: pactum.AllocationPending}
	if err := p.Transition(pactum.AllocationSuspended); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("pending → suspended: %v", err)
	}
}

func TestRoute(t *testing.T) {
	fast := &pactum.CallMode{Mode: pactum.ModeFastLane, AutoApprove: true}
	large := &pactum.CallMode{Mode: pactum.ModeLargeScale}
	for _, tc := range []struct {
		mode    *pactum.CallMode
		outcome pactum.Outcome
		want    pactum.ProposalState
	}{
		{fast, pactum.OutcomeApprove, pactum.ProposalApproved},
		{fast, pactum.OutcomeRefer, pactum.ProposalInReview},
		{fast, pactum.OutcomeDeny, pactum.ProposalRejected},
		{large, pactum.OutcomeApprove, pactum.ProposalInReview},
		{large, pactum.OutcomeDeny, pactum.ProposalRejected},
	} {
		if got := pactum.Route(tc.mode, &pactum.ScreeningDecision{Outcome: tc.outcome}); got != tc.want {
			t.Errorf("%s/%s: got %s, want %s", tc.mode.Mode, tc.outcome, got, tc.want)
		}
	}
	f := []pactum.Finding{{Effect: pactum.EffectInfo}, {Effect: pactum.EffectCondition}, {Effect: pactum.EffectRefer}}
	if got := pactum.OutcomeOf(f); got != pactum.OutcomeRefer {
		t.Errorf("OutcomeOf refer: %s", got)
	}
	if got := pactum.OutcomeOf(append(f, pactum.Finding{Effect: pactum.EffectDeny})); got != pactum.OutcomeDeny {
		t.Errorf("OutcomeOf deny: %s", got)
	}
}

func TestWorkingDaysAndMonths(t *testing.T) {
	fri := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) // a Friday
	if got := pactum.AddWorkingDays(fri, 4); !got.Equal(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("Friday + 4 working days = %v, want Thursday 3 December", got)
	}
	if got := pactum.AddWorkingDays(fri, 2); got.Weekday() != time.Tuesday {
		t.Errorf("Friday + 2 working days = %v, want a Tuesday", got.Weekday())
	}
	jan31 := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	if got := pactum.AddMonths(jan31, 1); !got.Equal(time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("31 Jan + 1 month = %v", got)
	}
}

func TestProposalValidation(t *testing.T) {
	p := &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: "c", Mode: "warp_speed", Title: "x", ProposalContent: pactum.ProposalContent{
		DurationMonths: 40,
		Requests:       []pactum.ResourceRequest{{SystemID: "a", Amount: 1}, {SystemID: "a", Amount: 0}},
		AIWork: pactum.AIWork{ModelType: "language_model", OutputModalities: []string{"smell"}, Utilisation: 1.5,
			FineTune: true, Purpose: "research", IntendedUse: "x", DataProvenance: pactum.DataProvenance{Sources: []string{"web_crawl"}, PersonalData: true}},
		AIAct:  pactum.AIActProfile{AnnexIII: []string{"9z"}, EmotionRecognition: true},
		Ethics: pactum.EthicsAssessment{Animals: pactum.EthicsAnswer{Yes: true}},
	}}}
	err := p.Validate()
	want := []string{"mode", "title", "summary", "requests[1].system_id", "requests[1].amount", "duration_months",
		"ai_work.output_modalities[0]", "ai_work.utilisation", "ai_work.base_model", "ai_act.annex_iii[0]",
		"ai_act.emotion_setting", "ethics.animals.details", "ethics.personal_data.yes"}
	got := map[string]bool{}
	for _, f := range pactum.ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no error for %s", f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got errors for %v, want exactly %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	if pactum.ErrorCode(nil) != "" || pactum.ErrorCode(errPlain{}) != pactum.EINTERNAL {
		t.Error("ErrorCode of nil or a plain error")
	}
	if pactum.ErrorMessage(errPlain{}) != "Internal error." {
		t.Error("a plain error's details must not leak")
	}
	e := pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", "x")
	if pactum.ErrorCode(e) != pactum.ENOTFOUND || pactum.ErrorMessage(e) != `Proposal "x" not found.` {
		t.Errorf("Errorf: %v", e)
	}
}

type errPlain struct{}

func (errPlain) Error() string { return "database exploded at 0xdeadbeef" }
