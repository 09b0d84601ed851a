// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

func TestMayDecide(t *testing.T) {
	fast := &pactum.CallMode{Mode: pactum.ModeFastLane, AutoApprove: true, Rolling: true}
	large := &pactum.CallMode{Mode: pactum.ModeLargeScale}
	refer := func(to string) *pactum.ScreeningDecision {
		return &pactum.ScreeningDecision{Findings: []pactum.Finding{{RuleID: "r", Effect: pactum.EffectRefer, Referral: to}}}
	}
	track := func(stage pactum.ReviewStage, stages ...pactum.ReviewStage) *pactum.ReviewTrack {
		return &pactum.ReviewTrack{Stage: stage, Stages: stages, StageStartedAt: at}
	}
	inReview := func(mode pactum.AccessMode, d *pactum.ScreeningDecision) *pactum.Proposal {
		return &pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: mode}, State: pactum.ProposalInReview, Screening: d}
	}
	ethicsPlan := []pactum.ReviewStage{pactum.StageEthics, pactum.StageDecision}
	bothPlan := []pactum.ReviewStage{pactum.StageTechnical, pactum.StageEthics, pactum.StageDecision}
	peerPlan := []pactum.ReviewStage{pactum.StageTechnical, pactum.StagePeer, pactum.StageReply, pactum.StagePanel, pactum.StageDecision}
	for _, tc := range []struct {
		name  string
		p     *pactum.Proposal
		mode  *pactum.CallMode
		t     *pactum.ReviewTrack
		pr    pactum.StageProgress
		want  string
		words []string
	}{
		{"large scale at technical", inReview(pactum.ModeLargeScale, nil), large, track(pactum.StageTechnical, peerPlan...), pactum.StageProgress{},
			pactum.ECONFLICT, []string{"large_scale proposals are decided by an allocation run", "stage is technical"}},
		{"large scale even at decision", inReview(pactum.ModeLargeScale, nil), large, track(pactum.StageDecision, peerPlan...), pactum.StageProgress{},
			pactum.ECONFLICT, []string{"allocation run", "stage is decision"}},
		{"unknown mode is peer-reviewed", inReview(pactum.ModeRegular, nil), nil, nil, pactum.StageProgress{},
			pactum.ECONFLICT, []string{"regular proposals", "not started"}},
		{"not in review", &pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane}, State: pactum.ProposalApproved}, fast, nil,
			pactum.StageProgress{}, pactum.ECONFLICT, []string{"approved", "only a proposal in review"}},
		{"referral, no ethics review yet", inReview(pactum.ModeFastLane, refer("ethics")), fast, track(pactum.StageEthics, ethicsPlan...),
			pactum.StageProgress{Assigned: 1}, pactum.ECONFLICT, []string{"screening asked for an ethics review", "0 submitted"}},
		{"referral, one of two assigned reviewers", inReview(pactum.ModeFastLane, refer("ethics")), fast, track(pactum.StageEthics, ethicsPlan...),
			pactum.StageProgress{Assigned: 2, Submitted: 1, Waiting: []string{"Dr. Sofia Almeida"}}, pactum.ECONFLICT,
			[]string{"1 of 2 assigned reviewers", "waiting for Dr. Sofia Almeida"}},
		{"referral, ethics review in", inReview(pactum.ModeFastLane, refer("ethics")), fast, track(pactum.StageEthics, ethicsPlan...),
			pactum.StageProgress{Assigned: 1, Submitted: 1}, "", nil},
		{"referral, at decision stage", inReview(pactum.ModeFastLane, refer("ethics")), fast, track(pactum.StageDecision, ethicsPlan...),
			pactum.StageProgress{}, "", nil},
		{"technical done, ethics to come", inReview(pactum.ModeFastLane, refer("ethics")), fast, track(pactum.StageTechnical, bothPlan...),
			pactum.StageProgress{SitesRequired: []string{"CINECA"}, SitesReviewed: []string{"CINECA"}}, pactum.ECONFLICT,
			[]string{"a technical assessment and an ethics review", "ethics review is not yet submitted", "stage technical"}},
		{"technical missing", inReview(pactum.ModeFastLane, refer("technical")), fast, track(pactum.StageTechnical, pactum.StageTechnical, pactum.StageDecision),
			pactum.StageProgress{SitesRequired: []string{"CINECA"}}, pactum.ECONFLICT, []string{"waiting for CINECA"}},
		{"capacity shortfall, no track", inReview(pactum.ModeFastLane, nil), fast, nil, pactum.StageProgress{}, "", nil},
		{"referral without track", inReview(pactum.ModeFastLane, refer("ethics")), fast, nil, pactum.StageProgress{},
			pactum.ECONFLICT, []string{"no review track"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pactum.MayDecide(tc.p, tc.mode, tc.t, tc.pr)
			if got := pactum.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q, want %q (%v)", got, tc.want, err)
			}
			for _, w := range tc.words {
				if !strings.Contains(pactum.ErrorMessage(err), w) {
					t.Errorf("message %q lacks %q", pactum.ErrorMessage(err), w)
				}
			}
		})
	}
}

func TestCheckRankable(t *testing.T) {
	cutoff := at.Add(48 * time.Hour)
	fixed := pactum.CallMode{Mode: pactum.ModeLargeScale}
	rolling := pactum.CallMode{Mode: pactum.ModeBenchmark, Rolling: true}
	fast := pactum.CallMode{Mode: pactum.ModeFastLane, AutoApprove: true}
	for _, tc := range []struct {
		name  string
		modes []pactum.CallMode
		now   time.Time
		want  string
	}{
		{"fixed before cut-off", []pactum.CallMode{fast, fixed}, at, pactum.ECONFLICT},
		{"fixed at cut-off", []pactum.CallMode{fixed}, cutoff, ""},
		{"fixed after cut-off", []pactum.CallMode{fixed}, cutoff.Add(time.Hour), ""},
		{"rolling before cut-off", []pactum.CallMode{rolling}, at, ""},
		{"auto-approved modes are never ranked", []pactum.CallMode{fast}, at, ""},
		{"a rolling mode beside a fixed one waits", []pactum.CallMode{rolling, fixed}, at, pactum.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &pactum.Call{Title: "Q4", CutoffAt: cutoff, Modes: tc.modes}
			err := c.CheckRankable(tc.now, "rank the panel")
			if got := pactum.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q, want %q (%v)", got, tc.want, err)
			}
			if err != nil && !strings.Contains(pactum.ErrorMessage(err), cutoff.Format(time.RFC3339)) {
				t.Errorf("message %q does not name the cut-off", pactum.ErrorMessage(err))
			}
		})
	}
}

func TestDecisionOverride(t *testing.T) {
	in := pactum.OverrideInput{Justification: "too short"}
	if pactum.ErrorCode(in.Validate()) != pactum.EINVALID {
		t.Error("a nine-character justification was accepted")
	}
	in.Justification = "Site outage ends the review window; the applicant's grant expires tomorrow."
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	o := &pactum.DecisionOverride{RequestedBy: "A", Justification: in.Justification, Decision: pactum.OverrideDecision{Accept: true, Reason: "r"}}
	if err := o.CheckConfirmer("A"); pactum.ErrorCode(err) != pactum.EFORBIDDEN || !strings.Contains(pactum.ErrorMessage(err), "second access manager") {
		t.Errorf("requester confirming: %v", err)
	}
	if err := o.CheckConfirmer("B"); err != nil {
		t.Errorf("second manager confirming: %v", err)
	}
	o.ConfirmedBy = "B"
	if err := o.CheckConfirmer("C"); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("confirming a confirmed override: %v", err)
	}
	if d := o.Input(); !d.Accept || d.Reason != "r" || d.Override != nil {
		t.Errorf("Input() = %+v", d)
	}
}
