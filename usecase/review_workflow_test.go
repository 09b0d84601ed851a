// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestReviewWorkflow takes two large-scale proposals through every stage
// (technical, ethics, peer with a conflicted reviewer, reply, panel) and an
// allocation run in which the second is refused rather than cut below its
// minimum viable fraction.
func TestReviewWorkflow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newWorkflowScenario(t, dialect)
		s.submitBoth(t)
		s.technicalStage(t)
		s.ethicsStage(t)
		s.peerStage(t)
		s.conflictedSeeNothing(t)
		s.reviewsBeforeReply(t)
		s.replyStage(t)
		s.panel(t)
		run := s.allocationRun(t)
		s.awards(t, run)
		s.auditTrail(t)
	})
}

// workflowScenario is TestReviewWorkflow's cast: IT4I's operator, who
// hosts Karolina; reviewers (two language-model experts, a vision expert,
// one working at Aleph, conflicted on its proposal, one named on Aleph's
// team, and an ethicist); and, once submitted, Aleph's proposal pa,
// referred to ethics review, and Bora's pb, which is not.
type workflowScenario struct {
	*reviewWorld
	mgr                            context.Context
	it4i                           *pactum.User
	lang1, inside, named, ethicist *pactum.User
	reviewers                      map[string]*pactum.User
	pa, pb                         *pactum.Proposal
	// peer lists the reviewers assigned to each proposal at the peer stage.
	peer map[string][]string
}

func newWorkflowScenario(t *testing.T, dialect string) *workflowScenario {
	t.Helper()
	w := newReviewWorld(t, dialect)
	s := &workflowScenario{reviewWorld: w, mgr: storetest.As(w.f.Manager), reviewers: map[string]*pactum.User{}}
	s.it4i = w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
	s.lang1 = w.reviewer(t, "lang1@uni.example", []string{"language_model", "text", "legal"})
	lang2 := w.reviewer(t, "lang2@uni.example", []string{"language_model", "text"})
	vision := w.reviewer(t, "vision@uni.example", []string{"vision", "image"})
	s.inside = w.reviewer(t, "inside@uni.example", []string{"language_model", "text", "legal"},
		pactum.Affiliation{Organization: "aleph lingua gmbh", From: pactum.MustDate("2023-01-01")})
	s.named = w.reviewer(t, "named@uni.example", []string{"language_model", "text", "legal"})
	s.ethicist = w.reviewer(t, "ethics@uni.example", []string{"ethics", "gdpr"})
	for _, u := range []*pactum.User{s.lang1, lang2, vision, s.inside, s.named, s.ethicist, w.f.Reviewer} {
		s.reviewers[u.ID] = u
	}
	return s
}

// submitBoth submits Aleph's and Bora's proposals on Karolina (7,500
// node-hours = 60,000 GPU-hours for the period); Aleph's names a reviewer
// in its team and declares personal data, so its track has an ethics stage.
func (s *workflowScenario) submitBoth(t *testing.T) {
	pa := largeScale(s.f.Call.ID, "Legal LLM continued pre-training", 0.9, req("karolina-gpu", 5000))
	pa.Team = []pactum.TeamMember{{Name: "Nadia Named", Email: "NAMED@uni.example", Organization: "Universiteit Example"}}
	pa.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "Court rulings name people; pseudonymised."}
	pa.AIWork.DataProvenance.PersonalData = true
	s.pa = s.submit(t, s.f.ApplicantA, pa)
	s.pb = s.submit(t, s.f.ApplicantB, largeScale(s.f.Call.ID, "Vision-language model", 0.9, req("karolina-gpu", 4000)))

	tr, err := s.uc.FindReviewTrack(storetest.As(s.f.ApplicantA), s.pa.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []pactum.ReviewStage{"technical", "ethics", "peer", "reply", "panel", "decision"}; tr.Stage != pactum.StageTechnical || !slices.Equal(tr.Stages, want) {
		t.Fatalf("track %+v, want stages %v", tr, want)
	}
	if tb, _ := s.uc.FindReviewTrack(s.mgr, s.pb.ID); !slices.Equal(tb.Stages, []pactum.ReviewStage{"technical", "peer", "reply", "panel", "decision"}) {
		t.Fatalf("unreferred large-scale proposal: %v", tb.Stages)
	}
}

// technicalStage: only the hosting site assesses.
func (s *workflowScenario) technicalStage(t *testing.T) {
	pa := s.pa
	_, err := s.uc.AdvanceReview(s.mgr, pa.ID)
	if wantCode(t, err, pactum.ECONFLICT); !strings.Contains(err.Error(), "IT4I") {
		t.Errorf("advance before the technical assessment should name the site: %v", err)
	}
	_, err = s.uc.SubmitReview(storetest.As(s.f.ApplicantA), pa.ID, pactum.ReviewInput{Recommendation: "accept", CommentsForApplicant: "mine is great"})
	wantCode(t, err, pactum.EFORBIDDEN)
	_, err = s.uc.SubmitReview(storetest.As(s.f.Operator), pa.ID, pactum.ReviewInput{Recommendation: "accept", CommentsForApplicant: "x"})
	wantCode(t, err, pactum.ENOTFOUND) // CSC hosts no requested system
	list, _, err := s.uc.FindProposals(storetest.As(s.it4i), pactum.ProposalFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("IT4I's operator sees %d proposals in review (%v), want 2", len(list), err)
	}
	s.technical(t, s.it4i, pa)
	s.technical(t, s.it4i, s.pb)
	s.advance(t, pa, s.pb)
}

// ethicsStage: only the ethicist qualifies, is notified, and must state
// the conditions they recommend.
func (s *workflowScenario) ethicsStage(t *testing.T) {
	pa, ethicist := s.pa, s.ethicist
	rep, err := s.uc.AssignReviewers(s.mgr, s.f.Call.ID, pactum.StageEthics)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID != ethicist.ID || rep.Assignments[0].ProposalID != pa.ID {
		t.Fatalf("ethics assignments: %+v", rep.Assignments)
	}
	if ns, _, err := s.uc.FindNotifications(storetest.As(ethicist), pactum.NotificationFilter{}); err != nil || len(ns) != 1 ||
		ns[0].Kind != pactum.NotifyReviewAssigned || !strings.Contains(ns[0].Body, rep.Assignments[0].ID) {
		t.Errorf("the ethicist's notifications: %+v %v", ns, err)
	}
	_, err = s.uc.SubmitReview(storetest.As(ethicist), pa.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
		CommentsForApplicant: "Acceptable with safeguards."})
	wantCode(t, err, pactum.EINVALID) // conditions missing
	if _, err := s.uc.SubmitReview(storetest.As(ethicist), pa.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
		Conditions: []string{"Keep the training data in the EU."}, CommentsForApplicant: "Acceptable with safeguards."}); err != nil {
		t.Fatal(err)
	}
	s.advance(t, pa) // Bora's proposal, not referred, is at peer review already
}

// peerStage: conflicts are detected and recorded, and the conflicted never
// get the proposal.
func (s *workflowScenario) peerStage(t *testing.T) {
	pa, pb := s.pa, s.pb
	s.clock.Advance(time.Hour)
	prep := s.peerReview(t, s.f.Call.ID, s.reviewers, map[string]int{pa.ID: 5, pb.ID: 4})
	// Conflicts were detected, and recorded, at the ethics round
	// already: every candidate is checked against every proposal.
	cs, _, err := s.uc.FindConflicts(s.mgr, pactum.ConflictFilter{ProposalID: &pa.ID})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]pactum.ConflictReason{}
	for _, c := range cs {
		reasons[c.ReviewerID] = c.Reason
	}
	if reasons[s.inside.ID] != pactum.ConflictSameOrganization || reasons[s.named.ID] != pactum.ConflictNamed || len(reasons) != 2 {
		t.Errorf("conflicts on Aleph's proposal: %v", reasons)
	}
	s.peer = map[string][]string{}
	for _, a := range prep.Assignments {
		s.peer[a.ProposalID] = append(s.peer[a.ProposalID], a.ReviewerID)
	}
	if len(s.peer[pa.ID]) != 2 || len(s.peer[pb.ID]) != 2 || len(prep.Shortfalls) != 0 {
		t.Fatalf("peer assignments %v, shortfalls %v", s.peer, prep.Shortfalls)
	}
	if slices.Contains(s.peer[pa.ID], s.inside.ID) || slices.Contains(s.peer[pa.ID], s.named.ID) {
		t.Fatalf("a conflicted reviewer was assigned: %v", s.peer[pa.ID])
	}
}

// conflictedSeeNothing: every read path refuses the conflicted reviewers,
// as if the proposal did not exist.
func (s *workflowScenario) conflictedSeeNothing(t *testing.T) {
	pa := s.pa
	for _, u := range []*pactum.User{s.inside, s.named} {
		ctx := storetest.As(u)
		_, err := s.uc.FindProposalByID(ctx, pa.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		mine, _, err := s.uc.FindProposals(ctx, pactum.ProposalFilter{})
		if err != nil || slices.ContainsFunc(mine, func(p *pactum.Proposal) bool { return p.ID == pa.ID }) {
			t.Errorf("%s lists the proposal (%v)", u.Email, err)
		}
		_, err = s.uc.FindReviews(ctx, pa.ID, pactum.ReviewFilter{})
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = s.uc.FindReviewTrack(ctx, pa.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = s.uc.FindReply(ctx, pa.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = s.uc.SubmitReview(ctx, pa.ID, pactum.ReviewInput{Scores: scores(1), Recommendation: "reject", CommentsForApplicant: "x"})
		wantCode(t, err, pactum.ENOTFOUND)
	}
}

// reviewsBeforeReply checks who reads which reviews before the reply
// stage, then moves both proposals to it.
func (s *workflowScenario) reviewsBeforeReply(t *testing.T) {
	pa := s.pa
	// A reviewer sees their own review, not their colleague's.
	first := s.peer[pa.ID][0]
	rv, err := s.uc.FindReviews(storetest.As(s.reviewers[first]), pa.ID, pactum.ReviewFilter{})
	if err != nil || len(rv) != 1 || rv[0].ReviewerID != first {
		t.Fatalf("reviewer's view of reviews: %+v %v", rv, err)
	}
	// The site reads its own technical assessment, not the ethics and
	// peer reviews.
	if rv, err := s.uc.FindReviews(storetest.As(s.it4i), pa.ID, pactum.ReviewFilter{}); err != nil || len(rv) != 1 || rv[0].Stage != pactum.StageTechnical {
		t.Errorf("IT4I's view of the reviews: %+v %v", rv, err)
	}
	// The applicant sees nothing before the reply stage.
	if rv, err := s.uc.FindReviews(storetest.As(s.f.ApplicantA), pa.ID, pactum.ReviewFilter{}); err != nil || len(rv) != 0 {
		t.Fatalf("applicant saw %d reviews before the reply stage (%v)", len(rv), err)
	}
	s.advance(t, pa, s.pb)
}

// replyStage: the applicant is notified, reads the reviews anonymised,
// and replies; only its own organization may. Bora does not reply and
// its window runs out.
func (s *workflowScenario) replyStage(t *testing.T) {
	pa, pb := s.pa, s.pb
	all, _, err := s.uc.FindNotifications(storetest.As(s.f.ApplicantA), pactum.NotificationFilter{})
	var ns []*pactum.Notification // besides the submissions' receipts and screenings
	for _, n := range all {
		if n.Kind != pactum.NotifySubmitted && n.Kind != pactum.NotifyScreening {
			ns = append(ns, n)
		}
	}
	if err != nil || len(ns) != 1 || ns[0].Kind != pactum.NotifyReplyOpen || ns[0].ProposalID != pa.ID {
		t.Fatalf("applicant notifications: %+v %v", ns, err)
	}
	rv, err := s.uc.FindReviews(storetest.As(s.f.ApplicantA), pa.ID, pactum.ReviewFilter{})
	if err != nil || len(rv) != 4 {
		t.Fatalf("applicant sees %d reviews (%v), want technical, ethics and two peer", len(rv), err)
	}
	labels := []string{}
	for _, r := range rv {
		if r.ReviewerID != "" || r.ConfidentialComments != "" {
			t.Errorf("applicant's view is not anonymised: %+v", r)
		}
		labels = append(labels, r.Reviewer)
	}
	if want := []string{"Technical assessment (IT4I)", "Ethics reviewer 1", "Reviewer 1", "Reviewer 2"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	_, err = s.uc.FindReviews(storetest.As(s.f.ApplicantB), pa.ID, pactum.ReviewFilter{})
	wantCode(t, err, pactum.ENOTFOUND)
	_, err = s.uc.SubmitReply(storetest.As(s.f.ApplicantB), pa.ID, "I like it")
	wantCode(t, err, pactum.ENOTFOUND)
	_, err = s.uc.SubmitReply(storetest.As(s.lang1), pb.ID, "reviewers do not reply")
	if pactum.ErrorCode(err) != pactum.EFORBIDDEN && pactum.ErrorCode(err) != pactum.ENOTFOUND {
		t.Errorf("reviewer reply: %v", err)
	}
	if _, err := s.uc.SubmitReply(storetest.As(s.f.ApplicantA), pa.ID, "We will add the scaling runs the reviewers asked for."); err != nil {
		t.Fatal(err)
	}
	s.advance(t, pa)
	_, err = s.uc.AdvanceReview(s.mgr, pb.ID)
	wantCode(t, err, pactum.ECONFLICT) // Bora may still reply
	s.clock.Advance(8 * 24 * time.Hour)
	s.advance(t, pb)
}

// panel ranks by score, with one adjustment the panel justifies, once the
// call's cut-off has passed: its large-scale proposals are not rolling.
func (s *workflowScenario) panel(t *testing.T) {
	cutoff := s.f.Call.CutoffAt.UTC().Format(time.RFC3339)
	_, err := s.uc.RankPanel(s.mgr, s.f.Call.ID, pactum.PanelInput{})
	if pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(pactum.ErrorMessage(err), cutoff) {
		t.Errorf("ranking before the cut-off: %v", err)
	}
	_, err = s.uc.CreateAllocationRun(s.mgr, s.f.Call.ID, pactum.AllocationRunInput{})
	if pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(pactum.ErrorMessage(err), cutoff) {
		t.Errorf("allocation run before the cut-off: %v", err)
	}
	s.passCutoff(t, s.f.Call.ID)
	ranked, err := s.uc.RankPanel(s.mgr, s.f.Call.ID, pactum.PanelInput{Adjustments: []pactum.PanelAdjustment{
		{ProposalID: s.pb.ID, Score: 3.8, Justification: "Reply did not address the data gaps."}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ranked) != 2 || ranked[0].ProposalID != s.pa.ID || ranked[0].Score != 5 || ranked[1].Score != 3.8 || !ranked[1].Passes {
		t.Fatalf("ranking %+v", ranked)
	}
}

// allocationRun solves and publishes the call's run. Aleph asks 40,000
// GPU-hours and needs 90 %; Bora 32,000 and needs 90 %. With Aleph capped
// at 36,000, what is left for Bora (24,000) is below its 28,800: refused,
// not cut.
func (s *workflowScenario) allocationRun(t *testing.T) *pactum.AllocationRun {
	cap := 36000.0
	run, err := s.uc.CreateAllocationRun(s.mgr, s.f.Call.ID, pactum.AllocationRunInput{OrgCapGPUHours: &cap})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]pactum.RunOutcome{}
	for _, o := range run.Outcomes {
		byID[o.ProposalID] = o
	}
	if o := byID[s.pa.ID]; o.Outcome != pactum.RunOutcomeCut || math.Abs(o.GrantedGPUHours-36000) > 1e-3 {
		t.Errorf("Aleph: %+v", o)
	}
	ob := byID[s.pb.ID]
	if ob.Outcome != pactum.RunOutcomeRefused || ob.GrantedGPUHours != 0 || !strings.Contains(strings.Join(ob.Explanation, " "), "Refused, not cut") {
		t.Errorf("Bora should be refused, not cut: %+v", ob)
	}
	// The bound is proven but not tight here: the Lagrangian relaxes
	// Bora's minimum across the capacity row.
	if run.Objective != 5*36000 || run.Bound < run.Objective || run.Gap < 0 || run.Gap >= 1 {
		t.Errorf("gap %g, bound %g, objective %g", run.Gap, run.Bound, run.Objective)
	}
	if _, err := s.uc.CreateAllocationRun(storetest.As(s.f.ApplicantA), s.f.Call.ID, pactum.AllocationRunInput{}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
		t.Errorf("applicant run: %v", err)
	}
	if _, err := s.uc.PublishAllocationRun(s.mgr, run.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.uc.PublishAllocationRun(s.mgr, run.ID)
	wantCode(t, err, pactum.ECONFLICT)
	return run
}

// awards: Aleph accepted with an allocation carrying the ethics
// condition; Bora rejected with the explanation, no allocation, and told.
func (s *workflowScenario) awards(t *testing.T, run *pactum.AllocationRun) {
	pa, pb := s.pa, s.pb
	got, err := s.uc.FindProposalByID(storetest.As(s.f.ApplicantA), pa.ID)
	if err != nil || got.State != pactum.ProposalAccepted || !strings.Contains(got.Decision.Reason, run.ID) {
		t.Fatalf("Aleph after publish: %+v %v", got, err)
	}
	allocs, _, err := s.uc.FindAllocations(s.mgr, pactum.AllocationFilter{ProposalID: &pa.ID})
	if err != nil || len(allocs) != 1 || math.Abs(allocs[0].Amount-4500) > 1e-6 || allocs[0].Unit != pactum.UnitNodeHours {
		t.Fatalf("Aleph's allocations: %+v %v", allocs, err)
	}
	if c := allocs[0].Conditions; len(c) != 1 || c[0].RuleID != "ethics.review" || c[0].Message != "Keep the training data in the EU." {
		t.Errorf("conditions on the award: %+v", c)
	}
	gotB, _ := s.uc.FindProposalByID(storetest.As(s.f.ApplicantB), pb.ID)
	if gotB.State != pactum.ProposalRejected || !strings.Contains(gotB.Decision.Reason, "Refused, not cut") {
		t.Errorf("Bora after publish: %s %q", gotB.State, gotB.Decision.Reason)
	}
	if n, _, _ := s.uc.FindAllocations(s.mgr, pactum.AllocationFilter{ProposalID: &pb.ID}); len(n) != 0 {
		t.Errorf("a refused proposal got %d allocations", len(n))
	}
	ns, _, _ := s.uc.FindNotifications(storetest.As(s.f.ApplicantB), pactum.NotificationFilter{Unread: true})
	// The decision, the reply window, the submission's screening and receipt.
	if len(ns) != 4 || ns[0].Kind != pactum.NotifyDecision || !strings.Contains(ns[0].Subject, "refused") {
		t.Errorf("Bora's notifications: %+v", ns)
	}
	if n, err := s.uc.MarkNotificationRead(storetest.As(s.f.ApplicantB), ns[0].ID); err != nil || n.ReadAt == nil {
		t.Errorf("mark read: %v", err)
	}
	_, err = s.uc.MarkNotificationRead(storetest.As(s.f.ApplicantA), ns[1].ID)
	wantCode(t, err, pactum.ENOTFOUND)
}

// auditTrail: the whole story is in the audit chain, which verifies.
func (s *workflowScenario) auditTrail(t *testing.T) {
	ev, _, err := s.uc.FindAuditEvents(storetest.As(s.f.Auditor), pactum.AuditFilter{SubjectID: &s.pa.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range ev {
		actions = append(actions, e.Action)
	}
	want := "proposal.create,proposal.submit,proposal.screen,proposal.route,review.open,review.advance,review.advance,review.advance," +
		"review.reply,review.advance,review.rank,proposal.decide"
	if got := strings.Join(actions, ","); got != want {
		t.Errorf("audit trail of Aleph's proposal:\n got %s\nwant %s", got, want)
	}
	// The log rebuilds every table it covers, after every stage.
	wantStateOK(t, s.verifyState(t))
}
