// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// reviewer creates a reviewer who writes their own profile, and returns a
// client acting as them with their user ID.
func (e *env) reviewer(t *testing.T, email string, expertise []string, aff ...client.Affiliation) (*client.ClientWithResponses, string) {
	t.Helper()
	c := e.user(t, client.UserInput{Email: email, Name: email, Role: client.Reviewer})
	me, err := c.GetMeWithResponse(context.Background())
	want(t, me, err, 200, me.Body)
	if aff == nil {
		aff = []client.Affiliation{}
	}
	r, err := c.UpdateReviewerWithResponse(context.Background(), me.JSON200.Id, client.ReviewerProfileInput{Expertise: expertise,
		Affiliations: aff, DeclaredConflicts: []client.DeclaredConflict{}})
	want(t, r, err, 200, r.Body)
	if p := strict[client.ReviewerProfile](t, r.Body); p.Version != 1 || len(p.Expertise) != len(expertise) {
		t.Fatalf("profile %+v", p)
	}
	return c, me.JSON200.Id
}

func allCriteria(s int) *[]client.CriterionScore {
	return &[]client.CriterionScore{{Criterion: "excellence", Score: s}, {Criterion: "impact", Score: s},
		{Criterion: "implementation", Score: s}, {Criterion: "responsibility", Score: s}}
}

// reviewCast is a scenario for review: a site operator at CINECA and five
// reviewers, two of whom (the team member named in the proposal and a
// reviewer affiliated with Aleph Lingua) have a conflict of interest.
type reviewCast struct {
	*scenario
	ops, named, inside, ethicist *client.ClientWithResponses
	namedID, insideID            string
	byReviewer                   map[string]*client.ClientWithResponses
	proposalID                   string
}

func newReviewCast(t *testing.T, dialect string) *reviewCast {
	t.Helper()
	s := newScenario(t, dialect)
	c := &reviewCast{scenario: s, byReviewer: map[string]*client.ClientWithResponses{}}
	c.ops = s.user(t, client.UserInput{Email: "ops@cineca.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CINECA")})
	c.named, c.namedID = s.reviewer(t, "named@uni.example", []string{"language_model", "text"})
	c.inside, c.insideID = s.reviewer(t, "inside@uni.example", []string{"language_model", "text"},
		client.Affiliation{Organization: "Aleph Lingua", OrganizationId: &s.orgA, From: ptr(date("2024-01-01"))})
	lang1, _ := s.reviewer(t, "lang1@uni.example", []string{"language_model", "legal"})
	lang2, _ := s.reviewer(t, "lang2@uni.example", []string{"language_model", "text"})
	c.ethicist, _ = s.reviewer(t, "ethics@uni.example", []string{"ethics"})
	for _, rc := range []*client.ClientWithResponses{c.named, c.inside, lang1, lang2, c.ethicist} {
		me, _ := rc.GetMeWithResponse(s.ctx)
		c.byReviewer[me.JSON200.Id] = rc
	}
	return c
}

// TestReviewOverAPI takes a large-scale proposal through review and an
// allocation run over HTTP, decoding every response strictly into the
// generated types, and checks that reviewers with a conflict of interest
// get 404 from every endpoint that touches the proposal.
func TestReviewOverAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		c := newReviewCast(t, dialect)
		c.submit(t)
		c.technicalAndEthics(t)
		c.peerReview(t)
		c.conflictedSeeNothing(t)
		c.advance(t)
		c.reply(t)
		if tk := c.advance(t); tk.Stage != client.StagePanel {
			t.Fatalf("stage %s", tk.Stage)
		}
		runID := c.rankAndRun(t)
		c.awarded(t, runID)
	})
}

// advance moves the proposal's review to its next stage, as the manager.
func (c *reviewCast) advance(t *testing.T) client.ReviewTrack {
	t.Helper()
	r, err := c.manager.AdvanceReviewWithResponse(c.ctx, c.proposalID)
	want(t, r, err, 200, r.Body)
	return strict[client.ReviewTrack](t, r.Body)
}

// submit has Ada submit a large-scale proposal with personal data that
// names a reviewer in its team; it enters technical review under the
// call's rubric.
func (c *reviewCast) submit(t *testing.T) {
	ctx, alice := c.ctx, c.alice
	body := proposalJSON(t, c.callID, func(p *pactum.Proposal) {
		p.Mode, p.Title, p.DurationMonths = pactum.ModeLargeScale, "Legal LLM at scale", 6
		p.Requests = []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 60000, StorageTB: 20}}
		p.AIWork.DataProvenance.PersonalData = true
		p.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "Court rulings; pseudonymised."}
		p.Team = []pactum.TeamMember{{Name: "Nadia", Email: "named@uni.example", Organization: "Universiteit Example"}}
		p.MinViableFraction = 0.6
	})
	cr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json", bytes.NewReader(body))
	want(t, cr, err, 201, cr.Body)
	p := strict[client.Proposal](t, cr.Body)
	if p.State != client.InReview || p.Team == nil || len(*p.Team) != 1 || p.MinViableFraction == nil || *p.MinViableFraction != 0.6 {
		t.Fatalf("submitted %+v", p)
	}
	c.proposalID = p.Id
	tr, err := alice.GetReviewTrackWithResponse(ctx, p.Id)
	want(t, tr, err, 200, tr.Body)
	if track := strict[client.ReviewTrack](t, tr.Body); track.Stage != client.StageTechnical || len(track.Stages) != 6 {
		t.Fatalf("track %+v", track)
	}
	rb, err := alice.GetRubricWithResponse(ctx, c.callID)
	want(t, rb, err, 200, rb.Body)
	if r := strict[client.Rubric](t, rb.Body); len(r.Criteria) != 4 {
		t.Fatalf("rubric %+v", r)
	}
}

// technicalAndEthics has the site review feasibility and the ethicist,
// the only ethics reviewer without a conflict, set a condition.
func (c *reviewCast) technicalAndEthics(t *testing.T) {
	ctx := c.ctx
	sr, err := c.ops.SubmitReviewWithResponse(ctx, c.proposalID, client.ReviewInput{Recommendation: client.RecommendAccept,
		CommentsForApplicant: "Feasible on Leonardo.", Systems: &[]client.SystemAssessment{{SystemId: "leonardo-booster", Feasible: true,
			SoftwareFits: true, ScalabilityEvidence: true, Comment: "Scaling runs to 256 GPUs shown."}}})
	want(t, sr, err, 200, sr.Body)
	strict[client.Review](t, sr.Body)
	c.advance(t)

	ar, err := c.manager.AssignReviewersWithResponse(ctx, c.callID, client.AssignInput{Stage: client.AssignEthics})
	want(t, ar, err, 200, ar.Body)
	rep := strict[client.AssignmentReport](t, ar.Body)
	if len(rep.Assignments) != 1 || len(rep.Conflicts) != 2 {
		t.Fatalf("ethics assignment: %d assignments, %d conflicts: %s", len(rep.Assignments), len(rep.Conflicts), ar.Body)
	}
	er, err := c.ethicist.SubmitReviewWithResponse(ctx, c.proposalID, client.ReviewInput{Recommendation: client.RecommendAcceptWithConditions,
		Conditions: &[]string{"Keep the training data in the EU."}, CommentsForApplicant: "Acceptable with safeguards."})
	want(t, er, err, 200, er.Body)
	c.advance(t)
}

// peerReview assigns peer reviewers, none of them conflicted, who score
// the proposal; the two conflicts found are real and cannot be waived.
func (c *reviewCast) peerReview(t *testing.T) {
	ctx := c.ctx
	pr, err := c.manager.AssignReviewersWithResponse(ctx, c.callID, client.AssignInput{Stage: client.AssignPeer})
	want(t, pr, err, 200, pr.Body)
	for _, a := range strict[client.AssignmentReport](t, pr.Body).Assignments {
		if a.ReviewerId == c.namedID || a.ReviewerId == c.insideID {
			t.Fatalf("conflicted reviewer assigned: %+v", a)
		}
		rr, err := c.byReviewer[a.ReviewerId].SubmitReviewWithResponse(ctx, c.proposalID, client.ReviewInput{Scores: allCriteria(4),
			Recommendation: client.RecommendAccept, CommentsForApplicant: "Good.", ConfidentialComments: ptr("Strong team.")})
		want(t, rr, err, 200, rr.Body)
		if rv := strict[client.Review](t, rr.Body); rv.Score == nil || *rv.Score != 4 {
			t.Errorf("weighted score %v", rv.Score)
		}
	}
	cl, err := c.manager.ListConflictsWithResponse(ctx, &client.ListConflictsParams{ProposalId: &c.proposalID})
	want(t, cl, err, 200, cl.Body)
	conflicts := strict[client.ConflictOfInterestList](t, cl.Body)
	if conflicts.Total != 2 {
		t.Fatalf("conflicts %s", cl.Body)
	}
	wr, err := c.manager.WaiveConflictWithResponse(ctx, conflicts.Items[0].Id, client.ReasonInput{Reason: "no"})
	want(t, wr, err, 409, wr.Body) // real conflicts cannot be waived
}

// conflictedSeeNothing checks that a conflicted reviewer cannot open the
// proposal, nor learn it exists, from any endpoint.
func (c *reviewCast) conflictedSeeNothing(t *testing.T) {
	ctx, id := c.ctx, c.proposalID
	for _, rc := range []*client.ClientWithResponses{c.named, c.inside} {
		g, err := rc.GetProposalWithResponse(ctx, id)
		want(t, g, err, 404, g.Body)
		l, err := rc.ListProposalsWithResponse(ctx, &client.ListProposalsParams{})
		want(t, l, err, 200, l.Body)
		if strict[client.ProposalList](t, l.Body).Total != 0 {
			t.Errorf("a conflicted reviewer lists the proposal: %s", l.Body)
		}
		rv, err := rc.ListReviewsWithResponse(ctx, id, &client.ListReviewsParams{})
		want(t, rv, err, 404, rv.Body)
		tk, err := rc.GetReviewTrackWithResponse(ctx, id)
		want(t, tk, err, 404, tk.Body)
		rp, err := rc.GetReplyWithResponse(ctx, id)
		want(t, rp, err, 404, rp.Body)
		sb, err := rc.SubmitReviewWithResponse(ctx, id, client.ReviewInput{Scores: allCriteria(0), Recommendation: client.RecommendReject, CommentsForApplicant: "x"})
		want(t, sb, err, 404, sb.Body)
		as, err := rc.ListAssignmentsWithResponse(ctx, &client.ListAssignmentsParams{})
		want(t, as, err, 200, as.Body)
		if strict[client.AssignmentList](t, as.Body).Total != 0 {
			t.Errorf("a conflicted reviewer holds an assignment: %s", as.Body)
		}
	}
}

// reply has the applicant hear of the reviews, read them anonymised and
// reply.
func (c *reviewCast) reply(t *testing.T) {
	ctx, alice := c.ctx, c.alice
	nl, err := alice.ListNotificationsWithResponse(ctx, &client.ListNotificationsParams{Unread: ptr(true)})
	want(t, nl, err, 200, nl.Body)
	notes := strict[client.NotificationList](t, nl.Body)
	// Newest first: the reply window, then the submission's screening and receipt.
	if notes.Total != 3 || notes.Items[0].Kind != client.NotifyReplyOpen || notes.Items[2].Kind != client.NotifySubmitted {
		t.Fatalf("notifications %s", nl.Body)
	}
	mr, err := alice.MarkNotificationReadWithResponse(ctx, notes.Items[0].Id)
	want(t, mr, err, 200, mr.Body)
	if strict[client.Notification](t, mr.Body).ReadAt == nil {
		t.Error("not marked read")
	}
	lr, err := alice.ListReviewsWithResponse(ctx, c.proposalID, &client.ListReviewsParams{})
	want(t, lr, err, 200, lr.Body)
	for _, rv := range strict[client.ReviewList](t, lr.Body).Items {
		if rv.ReviewerId != nil || rv.ConfidentialComments != nil {
			t.Errorf("applicant sees who reviewed or confidential comments: %+v", rv)
		}
	}
	rp, err := alice.SubmitReplyWithResponse(ctx, c.proposalID, client.ReplyInput{Text: "Thank you; we will add the requested ablations."})
	want(t, rp, err, 200, rp.Body)
	strict[client.Reply](t, rp.Body)
}

// rankAndRun ranks the call's panel and runs the allocation, which the
// manager alone may publish; it returns the run's ID.
func (c *reviewCast) rankAndRun(t *testing.T) string {
	ctx, callID := c.ctx, c.callID
	// Large scale is not rolling: nothing is ranked or allocated before
	// the call's cut-off.
	pn, err := c.manager.RankPanelWithResponse(ctx, callID, client.PanelInput{})
	want(t, pn, err, 409, pn.Body)
	early, err := c.manager.CreateAllocationRunWithResponse(ctx, callID, client.AllocationRunInput{})
	want(t, early, err, 409, early.Body)
	if !strings.Contains(string(early.Body), "cut-off") {
		t.Errorf("the refusal should name the cut-off: %s", early.Body)
	}
	c.clock.Advance(63 * 24 * time.Hour)
	pn, err = c.manager.RankPanelWithResponse(ctx, callID, client.PanelInput{})
	want(t, pn, err, 200, pn.Body)
	if ranked := strict[client.PanelEntryList](t, pn.Body); ranked.Total != 1 || ranked.Items[0].Score != 4 || !ranked.Items[0].Passes {
		t.Fatalf("panel %s", pn.Body)
	}
	rk, err := c.manager.GetRankingWithResponse(ctx, callID)
	want(t, rk, err, 200, rk.Body)
	strict[client.PanelEntryList](t, rk.Body)
	rk2, err := c.alice.GetRankingWithResponse(ctx, callID)
	want(t, rk2, err, 403, rk2.Body)

	run, err := c.manager.CreateAllocationRunWithResponse(ctx, callID, client.AllocationRunInput{})
	want(t, run, err, 201, run.Body)
	r := strict[client.AllocationRun](t, run.Body)
	if r.State != client.RunDraft || r.Outcomes == nil || len(*r.Outcomes) != 1 || (*r.Outcomes)[0].Outcome != client.OutcomeFull {
		t.Fatalf("run %s", run.Body)
	}
	in, err := c.manager.GetAllocationRunInstanceWithResponse(ctx, r.Id)
	want(t, in, err, 200, in.Body)
	if inst := strict[client.AllocationInstance](t, in.Body); len(inst.Proposals) != 1 || inst.Proposals[0].MinFraction != 0.6 {
		t.Fatalf("instance %s", in.Body)
	}
	rl, err := c.manager.ListAllocationRunsWithResponse(ctx, &client.ListAllocationRunsParams{CallId: &callID})
	want(t, rl, err, 200, rl.Body)
	if l := strict[client.AllocationRunList](t, rl.Body); l.Total != 1 || l.Items[0].Outcomes != nil {
		t.Fatalf("run list %s", rl.Body)
	}
	c.whatIf(t, r)
	pb, err := c.alice.PublishAllocationRunWithResponse(ctx, r.Id)
	want(t, pb, err, 403, pb.Body)
	pb, err = c.manager.PublishAllocationRunWithResponse(ctx, r.Id)
	want(t, pb, err, 200, pb.Body)
	if strict[client.AllocationRun](t, pb.Body).State != client.RunPublished {
		t.Fatal("not published")
	}
	return r.Id
}

// awarded checks the published run's award: the full grant with the
// ethics review's condition, and a decision that names the run.
func (c *reviewCast) awarded(t *testing.T, runID string) {
	ctx, alice := c.ctx, c.alice
	al, err := alice.ListAllocationsWithResponse(ctx, &client.ListAllocationsParams{ProposalId: &c.proposalID})
	want(t, al, err, 200, al.Body)
	allocs := strict[client.AllocationList](t, al.Body)
	if allocs.Total != 1 || allocs.Items[0].Amount != 60000 || allocs.Items[0].Conditions == nil {
		t.Fatalf("allocations %s", al.Body)
	}
	found := false
	for _, cond := range *allocs.Items[0].Conditions {
		found = found || cond.RuleId == "ethics.review"
	}
	if !found {
		t.Errorf("the ethics review's condition is not on the award: %s", al.Body)
	}
	gp, err := alice.GetProposalWithResponse(ctx, c.proposalID)
	want(t, gp, err, 200, gp.Body)
	if got := strict[client.Proposal](t, gp.Body); got.State != client.Accepted || !strings.Contains(got.Decision.Reason, runID) {
		t.Errorf("decision %+v", got.Decision)
	}
	rs, err := c.manager.ListReviewersWithResponse(ctx, &client.ListReviewersParams{Expertise: ptr("ethics")})
	want(t, rs, err, 200, rs.Body)
	if strict[client.ReviewerProfileList](t, rs.Body).Total != 1 {
		t.Errorf("reviewers with ethics expertise: %s", rs.Body)
	}
}

// whatIf runs a what-if of run r with its first system's capacity halved:
// a warm run naming its base, diffable against it by default; a capacity
// of a system the call does not offer is refused naming the field; a run
// that is no what-if needs against.
func (c *reviewCast) whatIf(t *testing.T, r client.AllocationRun) {
	ctx := c.ctx
	sys := r.Systems[0]
	bad, err := c.manager.CreateAllocationRunWithResponse(ctx, c.callID, client.AllocationRunInput{BaseRunId: &r.Id,
		Capacities: &map[string]float64{"no-such-system": 1}})
	want(t, bad, err, 400, bad.Body)
	if !strings.Contains(string(bad.Body), "capacities.no-such-system") {
		t.Errorf("the refusal should name the field: %s", bad.Body)
	}
	wi, err := c.manager.CreateAllocationRunWithResponse(ctx, c.callID, client.AllocationRunInput{BaseRunId: &r.Id,
		Capacities: &map[string]float64{sys.SystemId: sys.CapacityGpuHours / 2}})
	want(t, wi, err, 201, wi.Body)
	w := strict[client.AllocationRun](t, wi.Body)
	if w.BaseRunId == nil || *w.BaseRunId != r.Id || w.Warm == nil || !*w.Warm || w.Params.Capacities == nil ||
		(*w.Params.Capacities)[sys.SystemId] != sys.CapacityGpuHours/2 {
		t.Fatalf("what-if run %s", wi.Body)
	}
	auditor := c.user(t, client.UserInput{Email: "aldo@eurohpc.example", Name: "Aldo Auditor", Role: client.Auditor})
	d, err := auditor.DiffAllocationRunWithResponse(ctx, w.Id, &client.DiffAllocationRunParams{})
	want(t, d, err, 200, d.Body)
	diff := strict[client.RunDiff](t, d.Body)
	if diff.BeforeId != r.Id || diff.AfterId != w.Id || diff.Systems[0].CapacityGpuHours.After != sys.CapacityGpuHours/2 {
		t.Errorf("diff %s", d.Body)
	}
	nd, err := c.manager.DiffAllocationRunWithResponse(ctx, r.Id, &client.DiffAllocationRunParams{})
	want(t, nd, err, 400, nd.Body)
	back, err := c.manager.DiffAllocationRunWithResponse(ctx, r.Id, &client.DiffAllocationRunParams{Against: &w.Id})
	want(t, back, err, 200, back.Body)
	ad, err := c.alice.DiffAllocationRunWithResponse(ctx, w.Id, &client.DiffAllocationRunParams{})
	want(t, ad, err, 403, ad.Body)
}
