// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
)

var at = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestPlanReview(t *testing.T) {
	large := &pactum.CallMode{Mode: pactum.ModeLargeScale}
	fast := &pactum.CallMode{Mode: pactum.ModeFastLane, AutoApprove: true}
	refer := func(referrals ...string) *pactum.ScreeningDecision {
		d := &pactum.ScreeningDecision{}
		for _, r := range referrals {
			d.Findings = append(d.Findings, pactum.Finding{RuleID: r, Effect: pactum.EffectRefer, Referral: r})
		}
		// A condition names no review.
		d.Findings = append(d.Findings, pactum.Finding{RuleID: "c", Effect: pactum.EffectCondition, Referral: "ethics"})
		return d
	}
	cases := []struct {
		name string
		mode *pactum.CallMode
		d    *pactum.ScreeningDecision
		want string
	}{
		{"large scale, clean", large, refer(), "technical,peer,reply,panel,decision"},
		{"large scale, ethics", large, refer("ethics"), "technical,ethics,peer,reply,panel,decision"},
		{"large scale, legal goes to ethics", large, refer("legal"), "technical,ethics,peer,reply,panel,decision"},
		{"fast lane, ethics", fast, refer("ethics"), "ethics,decision"},
		{"fast lane, technical and ethics", fast, refer("technical", "ethics"), "technical,ethics,decision"},
		{"fast lane, capacity shortfall only", fast, refer(), "decision"},
	}
	for _, tc := range cases {
		var got []string
		for _, s := range pactum.PlanReview(tc.mode, tc.d) {
			got = append(got, string(s))
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, g, tc.want)
		}
	}
}

func TestReviewTrackMachine(t *testing.T) {
	rubric := &pactum.Rubric{MinReviewers: 2, ReplyDays: 7}
	p := &pactum.Proposal{ID: "p", Screening: &pactum.ScreeningDecision{}, ProposalInput: pactum.ProposalInput{CallID: "c"}}
	tr := pactum.NewReviewTrack(p, &pactum.CallMode{Mode: pactum.ModeLargeScale}, at)
	if tr.Stage != pactum.StageTechnical || tr.Reached(pactum.StageReply) {
		t.Fatalf("new track %+v", tr)
	}
	steps := []struct {
		progress pactum.StageProgress
		blocked  string // what CanClose must say, before the progress that unblocks it
		ok       pactum.StageProgress
	}{
		{pactum.StageProgress{SitesRequired: []string{"CSC", "IT4I"}, SitesReviewed: []string{"CSC"}}, "IT4I",
			pactum.StageProgress{SitesRequired: []string{"CSC", "IT4I"}, SitesReviewed: []string{"CSC", "IT4I"}}},
		{pactum.StageProgress{Assigned: 3, Submitted: 2, Rubric: rubric}, "2 of 3",
			pactum.StageProgress{Assigned: 2, Submitted: 2, Rubric: rubric}},
		{pactum.StageProgress{Rubric: rubric, Now: at.AddDate(0, 0, 3)}, "may reply until",
			pactum.StageProgress{Rubric: rubric, Now: at.AddDate(0, 0, 7)}},
	}
	for _, st := range steps {
		from := tr.Stage
		if err := tr.CanClose(st.progress); pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(err.Error(), st.blocked) {
			t.Fatalf("%s: CanClose = %v, want a conflict naming %q", from, err, st.blocked)
		}
		if err := tr.CanClose(st.ok); err != nil {
			t.Fatalf("%s: CanClose = %v", from, err)
		}
		if err := tr.Advance(at); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Stage != pactum.StagePanel || !tr.Reached(pactum.StageReply) {
		t.Fatalf("after three stages: %s", tr.Stage)
	}
	// The panel closes only by ranking the call; a reply closes the
	// reply stage at once.
	if err := tr.CanClose(pactum.StageProgress{}); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("panel closed alone: %v", err)
	}
	if err := tr.Advance(at); err != nil || tr.Stage != pactum.StageDecision {
		t.Fatalf("to decision: %v", err)
	}
	if err := tr.Advance(at); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("advance past the decision: %v", err)
	}
	reply := &pactum.ReviewTrack{Stage: pactum.StageReply, Stages: []pactum.ReviewStage{pactum.StageReply, pactum.StageDecision}, StageStartedAt: at}
	if err := reply.CanClose(pactum.StageProgress{Replied: true, Rubric: rubric, Now: at}); err != nil {
		t.Errorf("replied: %v", err)
	}
	// Peer review needs the rubric's minimum even when everyone assigned
	// has submitted.
	peer := &pactum.ReviewTrack{Stage: pactum.StagePeer}
	if err := peer.CanClose(pactum.StageProgress{Assigned: 1, Submitted: 1, Rubric: rubric}); err == nil {
		t.Error("peer review closed with one review of two")
	}
}

func TestRubricValidate(t *testing.T) {
	r := &pactum.Rubric{Version: "v", PassScore: 6, MinReviewers: 0, ReplyDays: 90, Criteria: []pactum.RubricCriterion{
		{ID: "Excellence", Name: "E", Weight: 0.5, Threshold: 3}, {ID: "impact", Name: "", Weight: 0.4, Threshold: 7}}}
	err := r.Validate()
	got := map[string]bool{}
	for _, f := range pactum.ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"criteria[0].id", "criteria[1].name", "criteria[1].threshold", "criteria", "pass_score", "min_reviewers", "reply_days"} {
		if !got[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
}

func TestReviewInputValidate(t *testing.T) {
	rubric := &pactum.Rubric{Criteria: []pactum.RubricCriterion{{ID: "a", Weight: 0.5}, {ID: "b", Weight: 0.5}}}
	lumi := &pactum.System{ID: "lumi-g", Site: "CSC", Software: "rocm"}
	cuda := &pactum.Proposal{ProposalInput: pactum.ProposalInput{ProposalContent: pactum.ProposalContent{
		Software: pactum.SoftwareCUDA,
	}}}
	cases := []struct {
		name   string
		stage  pactum.ReviewStage
		in     pactum.ReviewInput
		fields []string
	}{
		{"peer ok", pactum.StagePeer, pactum.ReviewInput{Scores: []pactum.CriterionScore{{Criterion: "a", Score: 5}, {Criterion: "b", Score: 0}},
			Recommendation: "accept", CommentsForApplicant: "fine"}, nil},
		{"peer missing, unknown and out of range", pactum.StagePeer, pactum.ReviewInput{Scores: []pactum.CriterionScore{{Criterion: "a", Score: 6},
			{Criterion: "z", Score: 1}}, Recommendation: "accept", CommentsForApplicant: "x"}, []string{"scores[0].score", "scores[1].criterion", "scores"}},
		{"peer with conditions", pactum.StagePeer, pactum.ReviewInput{Scores: []pactum.CriterionScore{{Criterion: "a"}, {Criterion: "b"}},
			Conditions: []string{"x"}, Recommendation: "accept_with_conditions", CommentsForApplicant: "x"}, []string{"conditions", "recommendation"}},
		{"no explanation", pactum.StageEthics, pactum.ReviewInput{Recommendation: "reject"}, []string{"comments_for_applicant"}},
		{"ethics conditions without the recommendation", pactum.StageEthics, pactum.ReviewInput{Recommendation: "accept",
			Conditions: []string{"keep data in the EU"}, CommentsForApplicant: "x"}, []string{"conditions"}},
		{"ethics deadlines ok", pactum.StageEthics, pactum.ReviewInput{Recommendation: "accept_with_conditions",
			Conditions: []string{"a", "b"}, ConditionDueDays: []int{0, 1100}, CommentsForApplicant: "x"}, nil},
		{"ethics deadlines miscounted and out of range", pactum.StageEthics, pactum.ReviewInput{Recommendation: "accept_with_conditions",
			Conditions: []string{"a"}, ConditionDueDays: []int{-1, 1101}, CommentsForApplicant: "x"},
			[]string{"condition_due_days", "condition_due_days[0]", "condition_due_days[1]"}},
		{"peer with deadlines", pactum.StagePeer, pactum.ReviewInput{Scores: []pactum.CriterionScore{{Criterion: "a"}, {Criterion: "b"}},
			ConditionDueDays: []int{3}, Recommendation: "accept", CommentsForApplicant: "x"}, []string{"condition_due_days"}},
		{"technical claims CUDA on LUMI", pactum.StageTechnical, pactum.ReviewInput{Recommendation: "accept", CommentsForApplicant: "x",
			Systems: []pactum.SystemAssessment{{SystemID: "lumi-g", Feasible: true, SoftwareFits: true}}}, []string{"systems[0].software_fits"}},
		{"technical misses its system", pactum.StageTechnical, pactum.ReviewInput{Recommendation: "reject", CommentsForApplicant: "x"}, []string{"systems"}},
		{"technical ok", pactum.StageTechnical, pactum.ReviewInput{Recommendation: "reject", CommentsForApplicant: "CUDA code; LUMI runs ROCm.",
			Systems: []pactum.SystemAssessment{{SystemID: "lumi-g", Feasible: true, SoftwareFits: false}}}, nil},
	}
	for _, tc := range cases {
		err := tc.in.Validate(pactum.ReviewContext{Stage: tc.stage, Rubric: rubric, Proposal: cuda, SiteSystems: []*pactum.System{lumi}})
		var got []string
		for _, f := range pactum.ErrorFields(err) {
			got = append(got, f.Field)
		}
		for _, f := range tc.fields {
			if !slices.Contains(got, f) {
				t.Errorf("%s: no error for %s in %v", tc.name, f, got)
			}
		}
		if tc.fields == nil && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestDetectConflicts(t *testing.T) {
	org := &pactum.Organization{ID: "org-aleph", LegalName: "Aleph Lingua GmbH"}
	app := &pactum.User{ID: "u-app", Email: "ada@aleph.example"}
	p := &pactum.Proposal{ID: "p1", OrganizationID: org.ID, ProposalInput: pactum.ProposalInput{ProposalContent: pactum.ProposalContent{
		Team: []pactum.TeamMember{
			{Name: "Bea", Email: "bea@uni-x.example", Organization: "Universität X", OrganizationID: "org-unix"}},
	}}}
	subj := pactum.ConflictSubject{Proposal: p, Organization: org, Applicant: app}
	rev := &pactum.User{ID: "r", Email: "rev@elsewhere.example"}
	aff := func(name, id, from, until string) pactum.Affiliation {
		a := pactum.Affiliation{Organization: name, OrganizationID: id, From: pactum.MustDate(from)}
		if until != "" {
			a.Until = pactum.MustDate(until)
		}
		return a
	}
	cases := []struct {
		name    string
		email   string
		profile pactum.ReviewerProfile
		want    []pactum.ConflictReason
	}{
		{"none", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("Other AG", "", "2010-01-01", "")}}, nil},
		{"applicant's e-mail", "ADA@aleph.example", pactum.ReviewerProfile{}, []pactum.ConflictReason{pactum.ConflictNamed}},
		{"on the team", "bea@uni-x.example", pactum.ReviewerProfile{}, []pactum.ConflictReason{pactum.ConflictNamed}},
		{"works at the applicant, name written differently", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("  aleph  lingua GmbH.", "", "2024-01-01", "")}},
			[]pactum.ConflictReason{pactum.ConflictSameOrganization}},
		{"works at a team member's organization, by ID", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("UX", "org-unix", "2020-01-01", "")}},
			[]pactum.ConflictReason{pactum.ConflictSameOrganization}},
		{"same name, different registered organization", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("Universität X", "org-other", "2020-01-01", "")}}, nil},
		{"left two years ago", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("Aleph Lingua GmbH", "org-aleph", "2019-01-01", "2024-11-30")}},
			[]pactum.ConflictReason{pactum.ConflictRecentOrganization}},
		{"left four years ago", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("Aleph Lingua GmbH", "org-aleph", "2015-01-01", "2022-11-25")}}, nil},
		{"leaves next month", "", pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{aff("Aleph Lingua GmbH", "", "2015-01-01", "2026-12-31")}},
			[]pactum.ConflictReason{pactum.ConflictSameOrganization}},
		{"declared", "", pactum.ReviewerProfile{DeclaredConflicts: []pactum.DeclaredConflict{{OrganizationID: "org-aleph", Reason: "competitor"}}},
			[]pactum.ConflictReason{pactum.ConflictDeclared}},
		{"everything at once, in order", "bea@uni-x.example", pactum.ReviewerProfile{
			DeclaredConflicts: []pactum.DeclaredConflict{{Organization: "Universität X", Reason: "my spouse works there"}},
			Affiliations:      []pactum.Affiliation{aff("Aleph Lingua GmbH", "", "2019-01-01", "2025-01-01"), aff("Aleph Lingua GmbH", "", "2025-02-01", "")}},
			[]pactum.ConflictReason{pactum.ConflictNamed, pactum.ConflictSameOrganization, pactum.ConflictRecentOrganization, pactum.ConflictDeclared}},
	}
	for _, tc := range cases {
		u := *rev
		if tc.email != "" {
			u.Email = tc.email
		}
		got := pactum.DetectConflicts(subj, &u, &tc.profile, at)
		var reasons []pactum.ConflictReason
		for _, c := range got {
			reasons = append(reasons, c.Reason)
			if c.Status != pactum.ConflictActive || c.ProposalID != "p1" || c.Detail == "" {
				t.Errorf("%s: %+v", tc.name, c)
			}
			want := pactum.SeverityReal
			if c.Reason == pactum.ConflictRecentOrganization {
				want = pactum.SeverityApparent
			}
			if c.Severity != want {
				t.Errorf("%s: %s has severity %s", tc.name, c.Reason, c.Severity)
			}
		}
		if diff := cmp.Diff(tc.want, reasons); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestAffinity(t *testing.T) {
	p := &pactum.Proposal{ProposalInput: pactum.ProposalInput{Title: "Legal-domain language model", ProposalContent: pactum.ProposalContent{
		AIWork: pactum.AIWork{ModelType: "language_model",
			InputModalities: []string{"text"}, OutputModalities: []string{"text", "code"}, IntendedUse: "Drafting assistance for lawyers in German courts."},
	}}}
	score, why := pactum.Affinity(p, []string{"Language_Model", "code", "legal", "german courts", "vision", "drafting model"})
	// model type 3 + code 2 + "legal" 1 + "german courts" 1; "drafting
	// model" matches: "model" is a stop word, "drafting" appears.
	if score != 8 || len(why) != 5 {
		t.Errorf("affinity %d %v", score, why)
	}
	if s, _ := pactum.Affinity(p, nil); s != 0 {
		t.Errorf("no expertise scores %d", s)
	}
}

// assignWorld builds n proposals and m reviewers for PlanAssignments.
func assignWorld(n, m int) ([]*pactum.Proposal, []pactum.Candidate) {
	var props []*pactum.Proposal
	for i := range n {
		mt := []string{"language_model", "vision", "speech"}[i%3]
		props = append(props, &pactum.Proposal{ID: fmt.Sprintf("p%02d", i), ProposalInput: pactum.ProposalInput{Title: "Proposal", ProposalContent: pactum.ProposalContent{
			AIWork: pactum.AIWork{ModelType: mt},
		}}})
	}
	var cands []pactum.Candidate
	for j := range m {
		exp := []string{[]string{"language_model", "vision", "speech"}[j%3]}
		if j%4 == 0 {
			exp = append(exp, pactum.EthicsExpertise)
		}
		id := fmt.Sprintf("r%02d", j)
		cands = append(cands, pactum.Candidate{User: &pactum.User{ID: id}, Profile: &pactum.ReviewerProfile{UserID: id, Expertise: exp}})
	}
	return props, cands
}

func TestPlanAssignments(t *testing.T) {
	props, cands := assignWorld(12, 7)
	excluded := map[[2]string]bool{{"p00", "r00"}: true, {"p00", "r03"}: true, {"p05", "r02"}: true}
	plan := pactum.AssignmentPlan{Stage: pactum.StagePeer, Proposals: props, Candidates: cands, Min: 3,
		Assigned: map[string][]string{"p01": {"r01"}}, Excluded: excluded}
	got, short := pactum.PlanAssignments(plan)
	if len(short) != 0 {
		t.Fatalf("shortfalls %v", short)
	}
	per := map[string][]string{}
	load := map[string]int{"r01": 1}
	for _, a := range got {
		if excluded[[2]string{a.ProposalID, a.ReviewerID}] {
			t.Errorf("conflicted pair assigned: %+v", a)
		}
		if slices.Contains(per[a.ProposalID], a.ReviewerID) || (a.ProposalID == "p01" && a.ReviewerID == "r01") {
			t.Errorf("reviewer assigned twice to %s", a.ProposalID)
		}
		per[a.ProposalID] = append(per[a.ProposalID], a.ReviewerID)
		load[a.ReviewerID]++
	}
	for _, p := range props {
		want := 3
		if p.ID == "p01" {
			want = 2
		}
		if len(per[p.ID]) != want {
			t.Errorf("%s has %d new reviewers, want %d", p.ID, len(per[p.ID]), want)
		}
	}
	// 36 assignments over 7 reviewers: nobody above ceil(36/7) = 6.
	for r, n := range load {
		if n > 6 {
			t.Errorf("%s carries %d reviews; fair share is 6", r, n)
		}
	}
	// Expertise counts where load allows: most assignments match the
	// model type.
	matched := 0
	for _, a := range got {
		if a.Affinity > 0 {
			matched++
		}
	}
	if matched < len(got)/2 {
		t.Errorf("only %d of %d assignments match the reviewer's expertise", matched, len(got))
	}
	// Deterministic: the same plan, with inputs in another order, gives
	// the same assignments.
	slices.Reverse(plan.Candidates)
	again, _ := pactum.PlanAssignments(plan)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("not deterministic (-first +second):\n%s", diff)
	}

	// Ethics needs ethics expertise: with r00 and r04 the only ethicists
	// and r00 conflicted on p00, p00 gets one and is short of none (min 1).
	eth, short := pactum.PlanAssignments(pactum.AssignmentPlan{Stage: pactum.StageEthics, Proposals: props[:1], Candidates: cands, Min: 2,
		Excluded: excluded})
	if len(eth) != 1 || eth[0].ReviewerID != "r04" || len(short) != 1 || short[0].Found != 1 || !strings.Contains(short[0].Reason, "ethics") {
		t.Errorf("ethics plan %+v, shortfalls %+v", eth, short)
	}
}

func TestCanSeeProposalWith(t *testing.T) {
	inReview := &pactum.Proposal{OrganizationID: "o1", State: pactum.ProposalInReview}
	draft := &pactum.Proposal{OrganizationID: "o1", State: pactum.ProposalDraft}
	rev := &pactum.User{Role: pactum.RoleReviewer}
	op := &pactum.User{Role: pactum.RoleSiteOperator, Site: "CSC"}
	cases := []struct {
		name string
		u    *pactum.User
		p    *pactum.Proposal
		a    pactum.ProposalAccess
		want bool
	}{
		{"reviewer, not assigned", rev, inReview, pactum.ProposalAccess{}, false},
		{"reviewer, assigned", rev, inReview, pactum.ProposalAccess{Assigned: true}, true},
		{"reviewer, assigned but conflicted", rev, inReview, pactum.ProposalAccess{Assigned: true, Conflicted: true}, false},
		{"reviewer, assigned to a draft (impossible, still no)", rev, draft, pactum.ProposalAccess{Assigned: true}, false},
		{"site operator hosting a request", op, inReview, pactum.ProposalAccess{HostsRequest: true}, true},
		{"site operator, other site", op, inReview, pactum.ProposalAccess{}, false},
		{"site operator, draft", op, draft, pactum.ProposalAccess{HostsRequest: true}, false},
		{"applicant, own", &pactum.User{Role: pactum.RoleApplicant, OrganizationID: "o1"}, draft, pactum.ProposalAccess{}, true},
		{"applicant, other", &pactum.User{Role: pactum.RoleApplicant, OrganizationID: "o2"}, inReview, pactum.ProposalAccess{Assigned: true}, false},
		{"auditor", &pactum.User{Role: pactum.RoleAuditor}, draft, pactum.ProposalAccess{Conflicted: true}, true},
		{"nobody", nil, inReview, pactum.ProposalAccess{Assigned: true}, false},
	}
	for _, tc := range cases {
		if got := pactum.CanSeeProposalWith(tc.u, tc.p, tc.a); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if pactum.CanSeeProposal(rev, inReview) {
		t.Error("CanSeeProposal without access facts lets a reviewer see a proposal in review")
	}
}

func TestRankPanel(t *testing.T) {
	entries := []*pactum.PanelEntry{{ProposalID: "c", Score: 4, Passes: true}, {ProposalID: "a", Score: 4.5, Passes: false},
		{ProposalID: "b", Score: 4, Passes: true}, {ProposalID: "d", Score: 4.2, Passes: true}}
	pactum.RankPanel(entries)
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s%d", e.ProposalID, e.Rank))
	}
	if g := strings.Join(got, " "); g != "d1 b2 c3 a4" {
		t.Errorf("ranking %s", g)
	}
}

func TestProposalTeamAndSoftware(t *testing.T) {
	systems := map[string]*pactum.System{"lumi-g": {ID: "lumi-g", Software: "rocm"}, "leonardo-booster": {ID: "leonardo-booster", Software: "cuda"},
		"mn5-acc": {ID: "mn5-acc", Software: "cuda"}}
	p := &pactum.Proposal{ProposalInput: pactum.ProposalInput{ProposalContent: pactum.ProposalContent{
		Requests: []pactum.ResourceRequest{{SystemID: "leonardo-booster"}, {SystemID: "mn5-acc"}},
	}}}
	if s := p.SoftwareStack(systems); s != "cuda" {
		t.Errorf("CUDA systems only: %s", s)
	}
	p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: "lumi-g"})
	if s := p.SoftwareStack(systems); s != "any" {
		t.Errorf("both kinds requested: %s", s)
	}
	p.Software = "cuda"
	if s := p.SoftwareStack(systems); s != "cuda" {
		t.Errorf("declared: %s", s)
	}
	if p.MinFraction() != pactum.DefaultMinViableFraction {
		t.Errorf("default minimum fraction %g", p.MinFraction())
	}
	p.Software, p.MinViableFraction = "opencl", 1.5
	p.Team = []pactum.TeamMember{{Name: "A", Email: "a@x.example", Organization: "X"}, {Name: "", Email: "A@x.example", Organization: ""}}
	err := p.Validate()
	got := map[string]bool{}
	for _, f := range pactum.ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"software", "min_viable_fraction", "team[1].name", "team[1].email", "team[1].organization"} {
		if !got[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
	if got["team[0].email"] {
		t.Errorf("the first member is valid: %v", err)
	}
}
