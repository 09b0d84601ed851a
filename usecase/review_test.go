// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// reviewWorld is a world with the review, allocation-run and notification
// services, whose screener refers proposals declaring personal data to
// ethics review and passes the rest.
type reviewWorld struct {
	*world
	rubric *pactum.Rubric
	sys    context.Context
}

func newReviewWorld(t *testing.T, dialect string) *reviewWorld {
	t.Helper()
	w := &reviewWorld{world: newWorld(t, dialect), sys: pactum.NewContextWithUser(context.Background(), pactum.SystemUser())}
	r, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	w.rubric = r
	w.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		f := []pactum.Finding{}
		if in.Proposal.Ethics.PersonalData.Yes {
			f = append(f, pactum.Finding{RuleID: "ethics.personal_data", Basis: "Horizon Europe ethics", Effect: pactum.EffectRefer,
				Referral: "ethics", Message: "Personal data: ethics review."})
		}
		return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
	}
	return w
}

func (w *reviewWorld) user(t *testing.T, u *pactum.User) *pactum.User {
	t.Helper()
	if err := w.uc.CreateUser(w.sys, u); err != nil {
		t.Fatalf("create user %s: %v", u.Email, err)
	}
	return u
}

func (w *reviewWorld) reviewer(t *testing.T, email string, expertise []string, aff ...pactum.Affiliation) *pactum.User {
	t.Helper()
	u := w.user(t, &pactum.User{Email: email, Name: strings.Split(email, "@")[0], Role: pactum.RoleReviewer})
	if err := w.uc.UpdateReviewerProfile(storetest.As(u), &pactum.ReviewerProfile{UserID: u.ID, Expertise: expertise, Affiliations: aff}); err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *reviewWorld) org(t *testing.T, name string, staff int) *pactum.Organization {
	t.Helper()
	o := &pactum.Organization{LegalName: name, Country: "NL", RegistrationNumber: "KVK " + name, FoundedOn: pactum.MustDate("2015-01-01"),
		Staff: staff, TurnoverEUR: int64(staff) * 200_000, BalanceSheetEUR: int64(staff) * 200_000}
	if err := w.uc.CreateOrganization(storetest.As(w.f.Manager), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// largeScale returns a large-scale proposal for callID asking for amounts
// per system.
func largeScale(callID, title string, min float64, reqs ...pactum.ResourceRequest) *pactum.Proposal {
	p := storetest.NewProposal(callID)
	p.Mode, p.Title, p.DurationMonths, p.MinViableFraction = pactum.ModeLargeScale, title, 6, min
	p.Requests = reqs
	return p
}

func req(sys string, amount float64) pactum.ResourceRequest {
	return pactum.ResourceRequest{SystemID: sys, Amount: amount, StorageTB: 10}
}

func (w *reviewWorld) submit(t *testing.T, u *pactum.User, p *pactum.Proposal) *pactum.Proposal {
	t.Helper()
	if err := w.uc.SubmitNewProposal(storetest.As(u), p); err != nil {
		t.Fatal(err)
	}
	if p.State != pactum.ProposalInReview {
		t.Fatalf("%s: state %s, want in_review", p.Title, p.State)
	}
	return p
}

// technical writes the site's technical assessment of p: feasible, with
// the software fit the catalogue allows.
func (w *reviewWorld) technical(t *testing.T, op *pactum.User, p *pactum.Proposal) *pactum.Review {
	t.Helper()
	systems, _ := catalog.Systems()
	in := pactum.ReviewInput{Recommendation: pactum.RecommendAccept, CommentsForApplicant: "Runs on our system; scaling data convincing."}
	for _, r := range p.Requests {
		for _, s := range systems {
			if s.ID == r.SystemID && s.Site == op.Site {
				fits := p.Software == "" || p.Software == pactum.SoftwareAny || p.Software == s.Software
				in.Systems = append(in.Systems, pactum.SystemAssessment{SystemID: s.ID, Feasible: true, SoftwareFits: fits, ScalabilityEvidence: true})
			}
		}
	}
	rv, err := w.uc.SubmitReview(storetest.As(op), p.ID, in)
	if err != nil {
		t.Fatalf("technical review by %s: %v", op.Site, err)
	}
	return rv
}

func (w *reviewWorld) advance(t *testing.T, ps ...*pactum.Proposal) {
	t.Helper()
	for _, p := range ps {
		if _, err := w.uc.AdvanceReview(storetest.As(w.f.Manager), p.ID); err != nil {
			t.Fatalf("advance %s: %v", p.Title, err)
		}
	}
}

func scores(s int) []pactum.CriterionScore {
	return []pactum.CriterionScore{{Criterion: "excellence", Score: s}, {Criterion: "impact", Score: s},
		{Criterion: "implementation", Score: s}, {Criterion: "responsibility", Score: s}}
}

// peerReview assigns peer reviewers for the call and has each write a
// review scoring every criterion score[proposal].
func (w *reviewWorld) peerReview(t *testing.T, callID string, reviewers map[string]*pactum.User, score map[string]int) *pactum.AssignmentReport {
	t.Helper()
	rep, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), callID, pactum.StagePeer)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rep.Assignments {
		u := reviewers[a.ReviewerID]
		if u == nil {
			t.Fatalf("assigned unknown reviewer %s", a.ReviewerID)
		}
		if _, err := w.uc.SubmitReview(storetest.As(u), a.ProposalID, pactum.ReviewInput{Scores: scores(score[a.ProposalID]),
			Recommendation: pactum.RecommendAccept, CommentsForApplicant: "Solid plan.", ConfidentialComments: "Team is strong."}); err != nil {
			t.Fatalf("peer review: %v", err)
		}
	}
	return rep
}

// TestReviewWorkflow takes two large-scale proposals through every stage
// (technical, ethics, peer with a conflicted reviewer, reply, panel) and an
// allocation run in which the second is refused rather than cut below its
// minimum viable fraction.
func TestReviewWorkflow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		it4i := w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
		// Reviewers: two language-model experts, a vision expert, one
		// working at Aleph (conflicted on its proposal), one named on
		// Aleph's team, and an ethicist.
		lang1 := w.reviewer(t, "lang1@uni.example", []string{"language_model", "text", "legal"})
		lang2 := w.reviewer(t, "lang2@uni.example", []string{"language_model", "text"})
		vision := w.reviewer(t, "vision@uni.example", []string{"vision", "image"})
		inside := w.reviewer(t, "inside@uni.example", []string{"language_model", "text", "legal"},
			pactum.Affiliation{Organization: "aleph lingua gmbh", From: pactum.MustDate("2023-01-01")})
		named := w.reviewer(t, "named@uni.example", []string{"language_model", "text", "legal"})
		ethicist := w.reviewer(t, "ethics@uni.example", []string{"ethics", "gdpr"})
		reviewers := map[string]*pactum.User{}
		for _, u := range []*pactum.User{lang1, lang2, vision, inside, named, ethicist, w.f.Reviewer} {
			reviewers[u.ID] = u
		}

		// Karolina: 7,500 node-hours = 60,000 GPU-hours for the period.
		pa := largeScale(w.f.Call.ID, "Legal LLM continued pre-training", 0.9, req("karolina-gpu", 5000))
		pa.Team = []pactum.TeamMember{{Name: "Nadia Named", Email: "NAMED@uni.example", Organization: "Universiteit Example"}}
		pa.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "Court rulings name people; pseudonymised."}
		pa.AIWork.DataProvenance.PersonalData = true
		pa = w.submit(t, w.f.ApplicantA, pa)
		pb := w.submit(t, w.f.ApplicantB, largeScale(w.f.Call.ID, "Vision-language model", 0.9, req("karolina-gpu", 4000)))

		tr, err := w.uc.FindReviewTrack(storetest.As(w.f.ApplicantA), pa.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []pactum.ReviewStage{"technical", "ethics", "peer", "reply", "panel", "decision"}; tr.Stage != pactum.StageTechnical || !slices.Equal(tr.Stages, want) {
			t.Fatalf("track %+v, want stages %v", tr, want)
		}
		if tb, _ := w.uc.FindReviewTrack(mgr, pb.ID); !slices.Equal(tb.Stages, []pactum.ReviewStage{"technical", "peer", "reply", "panel", "decision"}) {
			t.Fatalf("unreferred large-scale proposal: %v", tb.Stages)
		}

		// Technical stage: only the hosting site assesses.
		_, err = w.uc.AdvanceReview(mgr, pa.ID)
		if wantCode(t, err, pactum.ECONFLICT); !strings.Contains(err.Error(), "IT4I") {
			t.Errorf("advance before the technical assessment should name the site: %v", err)
		}
		_, err = w.uc.SubmitReview(storetest.As(w.f.ApplicantA), pa.ID, pactum.ReviewInput{Recommendation: "accept", CommentsForApplicant: "mine is great"})
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.SubmitReview(storetest.As(w.f.Operator), pa.ID, pactum.ReviewInput{Recommendation: "accept", CommentsForApplicant: "x"})
		wantCode(t, err, pactum.ENOTFOUND) // CSC hosts no requested system
		list, _, err := w.uc.FindProposals(storetest.As(it4i), pactum.ProposalFilter{})
		if err != nil || len(list) != 2 {
			t.Fatalf("IT4I's operator sees %d proposals in review (%v), want 2", len(list), err)
		}
		w.technical(t, it4i, pa)
		w.technical(t, it4i, pb)
		w.advance(t, pa, pb)

		// Ethics: only the ethicist qualifies.
		rep, err := w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StageEthics)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID != ethicist.ID || rep.Assignments[0].ProposalID != pa.ID {
			t.Fatalf("ethics assignments: %+v", rep.Assignments)
		}
		if ns, _, err := w.uc.FindNotifications(storetest.As(ethicist), pactum.NotificationFilter{}); err != nil || len(ns) != 1 ||
			ns[0].Kind != pactum.NotifyReviewAssigned || !strings.Contains(ns[0].Body, rep.Assignments[0].ID) {
			t.Errorf("the ethicist's notifications: %+v %v", ns, err)
		}
		_, err = w.uc.SubmitReview(storetest.As(ethicist), pa.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			CommentsForApplicant: "Acceptable with safeguards."})
		wantCode(t, err, pactum.EINVALID) // conditions missing
		if _, err := w.uc.SubmitReview(storetest.As(ethicist), pa.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			Conditions: []string{"Keep the training data in the EU."}, CommentsForApplicant: "Acceptable with safeguards."}); err != nil {
			t.Fatal(err)
		}
		w.advance(t, pa) // Bora's proposal, not referred, is at peer review already

		// Peer review: conflicts are detected and recorded, and the
		// conflicted never get the proposal.
		w.clock.Advance(time.Hour)
		prep := w.peerReview(t, w.f.Call.ID, reviewers, map[string]int{pa.ID: 5, pb.ID: 4})
		// Conflicts were detected, and recorded, at the ethics round
		// already: every candidate is checked against every proposal.
		cs, _, err := w.uc.FindConflicts(mgr, pactum.ConflictFilter{ProposalID: &pa.ID})
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]pactum.ConflictReason{}
		for _, c := range cs {
			reasons[c.ReviewerID] = c.Reason
		}
		if reasons[inside.ID] != pactum.ConflictSameOrganization || reasons[named.ID] != pactum.ConflictNamed || len(reasons) != 2 {
			t.Errorf("conflicts on Aleph's proposal: %v", reasons)
		}
		perProposal := map[string][]string{}
		for _, a := range prep.Assignments {
			perProposal[a.ProposalID] = append(perProposal[a.ProposalID], a.ReviewerID)
		}
		if len(perProposal[pa.ID]) != 2 || len(perProposal[pb.ID]) != 2 || len(prep.Shortfalls) != 0 {
			t.Fatalf("peer assignments %v, shortfalls %v", perProposal, prep.Shortfalls)
		}
		if slices.Contains(perProposal[pa.ID], inside.ID) || slices.Contains(perProposal[pa.ID], named.ID) {
			t.Fatalf("a conflicted reviewer was assigned: %v", perProposal[pa.ID])
		}
		// Every read path refuses the conflicted reviewer, as if the
		// proposal did not exist.
		for _, u := range []*pactum.User{inside, named} {
			ctx := storetest.As(u)
			_, err := w.uc.FindProposalByID(ctx, pa.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			mine, _, err := w.uc.FindProposals(ctx, pactum.ProposalFilter{})
			if err != nil || slices.ContainsFunc(mine, func(p *pactum.Proposal) bool { return p.ID == pa.ID }) {
				t.Errorf("%s lists the proposal (%v)", u.Email, err)
			}
			_, err = w.uc.FindReviews(ctx, pa.ID, pactum.ReviewFilter{})
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.FindReviewTrack(ctx, pa.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.FindReply(ctx, pa.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.SubmitReview(ctx, pa.ID, pactum.ReviewInput{Scores: scores(1), Recommendation: "reject", CommentsForApplicant: "x"})
			wantCode(t, err, pactum.ENOTFOUND)
		}
		// A reviewer sees their own review, not their colleague's.
		rv, err := w.uc.FindReviews(storetest.As(reviewers[perProposal[pa.ID][0]]), pa.ID, pactum.ReviewFilter{})
		if err != nil || len(rv) != 1 || rv[0].ReviewerID != perProposal[pa.ID][0] {
			t.Fatalf("reviewer's view of reviews: %+v %v", rv, err)
		}
		// The site reads its own technical assessment, not the ethics and
		// peer reviews.
		if rv, err := w.uc.FindReviews(storetest.As(it4i), pa.ID, pactum.ReviewFilter{}); err != nil || len(rv) != 1 || rv[0].Stage != pactum.StageTechnical {
			t.Errorf("IT4I's view of the reviews: %+v %v", rv, err)
		}
		// The applicant sees nothing before the reply stage.
		if rv, err := w.uc.FindReviews(storetest.As(w.f.ApplicantA), pa.ID, pactum.ReviewFilter{}); err != nil || len(rv) != 0 {
			t.Fatalf("applicant saw %d reviews before the reply stage (%v)", len(rv), err)
		}
		w.advance(t, pa, pb)

		// Reply: the applicant is notified, reads the reviews anonymised,
		// and replies; only its own organization may.
		ns, _, err := w.uc.FindNotifications(storetest.As(w.f.ApplicantA), pactum.NotificationFilter{})
		if err != nil || len(ns) != 1 || ns[0].Kind != pactum.NotifyReplyOpen || ns[0].ProposalID != pa.ID {
			t.Fatalf("applicant notifications: %+v %v", ns, err)
		}
		rv, err = w.uc.FindReviews(storetest.As(w.f.ApplicantA), pa.ID, pactum.ReviewFilter{})
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
		_, err = w.uc.FindReviews(storetest.As(w.f.ApplicantB), pa.ID, pactum.ReviewFilter{})
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.SubmitReply(storetest.As(w.f.ApplicantB), pa.ID, "I like it")
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.SubmitReply(storetest.As(lang1), pb.ID, "reviewers do not reply")
		if pactum.ErrorCode(err) != pactum.EFORBIDDEN && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("reviewer reply: %v", err)
		}
		if _, err := w.uc.SubmitReply(storetest.As(w.f.ApplicantA), pa.ID, "We will add the scaling runs the reviewers asked for."); err != nil {
			t.Fatal(err)
		}
		w.advance(t, pa)
		_, err = w.uc.AdvanceReview(mgr, pb.ID)
		wantCode(t, err, pactum.ECONFLICT) // Bora may still reply
		w.clock.Advance(8 * 24 * time.Hour)
		w.advance(t, pb)

		// Panel: ranked by score, then the run.
		ranked, err := w.uc.RankPanel(mgr, w.f.Call.ID, pactum.PanelInput{Adjustments: []pactum.PanelAdjustment{
			{ProposalID: pb.ID, Score: 3.8, Justification: "Reply did not address the data gaps."}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ranked) != 2 || ranked[0].ProposalID != pa.ID || ranked[0].Score != 5 || ranked[1].Score != 3.8 || !ranked[1].Passes {
			t.Fatalf("ranking %+v", ranked)
		}

		// Aleph asks 40,000 GPU-hours and needs 90 %; Bora 32,000 and
		// needs 90 %. With Aleph capped at 36,000, what is left for Bora
		// (24,000) is below its 28,800: refused, not cut.
		cap := 36000.0
		run, err := w.uc.CreateAllocationRun(mgr, w.f.Call.ID, pactum.AllocationRunInput{OrgCapGPUHours: &cap})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]pactum.RunOutcome{}
		for _, o := range run.Outcomes {
			byID[o.ProposalID] = o
		}
		if o := byID[pa.ID]; o.Outcome != pactum.RunOutcomeCut || math.Abs(o.GrantedGPUHours-36000) > 1e-3 {
			t.Errorf("Aleph: %+v", o)
		}
		ob := byID[pb.ID]
		if ob.Outcome != pactum.RunOutcomeRefused || ob.GrantedGPUHours != 0 || !strings.Contains(strings.Join(ob.Explanation, " "), "Refused, not cut") {
			t.Errorf("Bora should be refused, not cut: %+v", ob)
		}
		// The bound is proven but not tight here: the Lagrangian relaxes
		// Bora's minimum across the capacity row.
		if run.Objective != 5*36000 || run.Bound < run.Objective || run.Gap < 0 || run.Gap >= 1 {
			t.Errorf("gap %g, bound %g, objective %g", run.Gap, run.Bound, run.Objective)
		}
		if _, err := w.uc.CreateAllocationRun(storetest.As(w.f.ApplicantA), w.f.Call.ID, pactum.AllocationRunInput{}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("applicant run: %v", err)
		}
		if _, err := w.uc.PublishAllocationRun(mgr, run.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.PublishAllocationRun(mgr, run.ID)
		wantCode(t, err, pactum.ECONFLICT)

		// Awards: Aleph accepted with an allocation carrying the ethics
		// condition; Bora rejected with the explanation, no allocation.
		got, err := w.uc.FindProposalByID(storetest.As(w.f.ApplicantA), pa.ID)
		if err != nil || got.State != pactum.ProposalAccepted || !strings.Contains(got.Decision.Reason, run.ID) {
			t.Fatalf("Aleph after publish: %+v %v", got, err)
		}
		allocs, _, err := w.uc.FindAllocations(mgr, pactum.AllocationFilter{ProposalID: &pa.ID})
		if err != nil || len(allocs) != 1 || math.Abs(allocs[0].Amount-4500) > 1e-6 || allocs[0].Unit != pactum.UnitNodeHours {
			t.Fatalf("Aleph's allocations: %+v %v", allocs, err)
		}
		if c := allocs[0].Conditions; len(c) != 1 || c[0].RuleID != "ethics.review" || c[0].Message != "Keep the training data in the EU." {
			t.Errorf("conditions on the award: %+v", c)
		}
		gotB, _ := w.uc.FindProposalByID(storetest.As(w.f.ApplicantB), pb.ID)
		if gotB.State != pactum.ProposalRejected || !strings.Contains(gotB.Decision.Reason, "Refused, not cut") {
			t.Errorf("Bora after publish: %s %q", gotB.State, gotB.Decision.Reason)
		}
		if n, _, _ := w.uc.FindAllocations(mgr, pactum.AllocationFilter{ProposalID: &pb.ID}); len(n) != 0 {
			t.Errorf("a refused proposal got %d allocations", len(n))
		}
		ns, _, _ = w.uc.FindNotifications(storetest.As(w.f.ApplicantB), pactum.NotificationFilter{Unread: true})
		if len(ns) != 2 || ns[0].Kind != pactum.NotifyDecision || !strings.Contains(ns[0].Subject, "refused") {
			t.Errorf("Bora's notifications: %+v", ns)
		}
		if n, err := w.uc.MarkNotificationRead(storetest.As(w.f.ApplicantB), ns[0].ID); err != nil || n.ReadAt == nil {
			t.Errorf("mark read: %v", err)
		}
		_, err = w.uc.MarkNotificationRead(storetest.As(w.f.ApplicantA), ns[1].ID)
		wantCode(t, err, pactum.ENOTFOUND)

		// The whole story is in the audit chain, which verifies.
		ev, _, err := w.uc.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{SubjectID: &pa.ID})
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
		if r, err := usecase.VerifyAudit(context.Background(), w.db); err != nil || !r.OK {
			t.Errorf("audit: %+v %v", r, err)
		}
	})
}

// reviewToDecision takes proposals of a call through technical assessment,
// peer review (every criterion scored score[proposal]), the reply window
// and the panel.
func (w *reviewWorld) reviewToDecision(t *testing.T, callID string, ops map[string]*pactum.User, reviewers map[string]*pactum.User,
	props []*pactum.Proposal, score map[string]int) []*pactum.PanelEntry {
	t.Helper()
	systems, _ := catalog.Systems()
	site := map[string]string{}
	for _, s := range systems {
		site[s.ID] = s.Site
	}
	for _, p := range props {
		done := map[string]bool{}
		for _, r := range p.Requests {
			if s := site[r.SystemID]; !done[s] {
				done[s] = true
				w.technical(t, ops[s], p)
			}
		}
	}
	w.advance(t, props...)
	w.peerReview(t, callID, reviewers, score)
	w.advance(t, props...)
	w.clock.Advance(8 * 24 * time.Hour)
	w.advance(t, props...)
	ranked, err := w.uc.RankPanel(storetest.As(w.f.Manager), callID, pactum.PanelInput{})
	if err != nil {
		t.Fatal(err)
	}
	return ranked
}

// TestAllocationRunInvariants publishes a run on two contested systems with
// organization caps, a startup/SME reserve, a below-threshold proposal and a
// request on a system the proposal's software cannot use, and checks the
// awards in the store: capacities, caps and the reserve are never
// violated, nobody is cut below their minimum, the same input gives the
// same result, and a stale run cannot be published.
func TestAllocationRunInvariants(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		modes, _ := catalog.Modes()
		call := &pactum.Call{Title: "Large scale 2027-A", OpensAt: t0.Add(-time.Hour), CutoffAt: t0.Add(30 * 24 * time.Hour), Modes: modes,
			SystemIDs: []string{"karolina-gpu", "vega-gpu", "lumi-g"}}
		if err := w.uc.CreateCall(mgr, call); err != nil {
			t.Fatal(err)
		}
		ops := map[string]*pactum.User{"CSC": w.f.Operator}
		for _, s := range []string{"IT4I", "IZUM"} {
			ops[s] = w.user(t, &pactum.User{Email: "ops@" + strings.ToLower(s) + ".example", Name: s, Role: pactum.RoleSiteOperator, Site: s})
		}
		reviewers := map[string]*pactum.User{w.f.Reviewer.ID: w.f.Reviewer}
		for _, e := range []string{"r1@x.example", "r2@x.example", "r3@x.example"} {
			u := w.reviewer(t, e, []string{"language_model", "text"})
			reviewers[u.ID] = u
		}
		orgC := w.org(t, "Colossus AI N.V.", 500) // not an SME
		orgD := w.org(t, "Delta Models B.V.", 30)
		appC := w.user(t, &pactum.User{Email: "c@colossus.example", Name: "C", Role: pactum.RoleApplicant, OrganizationID: orgC.ID})
		appD := w.user(t, &pactum.User{Email: "d@delta.example", Name: "D", Role: pactum.RoleApplicant, OrganizationID: orgD.ID})

		// Karolina 7,500 node-h = 60,000 GPU-h; Vega 28,400 GPU-h.
		a1 := w.submit(t, w.f.ApplicantA, largeScale(call.ID, "Proposal A1", 0.5, req("karolina-gpu", 3000), req("vega-gpu", 10000)))
		a2 := w.submit(t, w.f.ApplicantA, largeScale(call.ID, "Proposal A2", 0.5, req("karolina-gpu", 2000)))
		b1 := w.submit(t, w.f.ApplicantB, largeScale(call.ID, "Proposal B1", 0.9, req("vega-gpu", 20000)))
		c1 := w.submit(t, appC, largeScale(call.ID, "Proposal C1", 0.5, req("karolina-gpu", 4000), req("vega-gpu", 15000)))
		c2 := w.submit(t, appC, largeScale(call.ID, "Proposal C2", 1, req("karolina-gpu", 1000)))
		d1p := largeScale(call.ID, "Proposal D1", 0.5, req("lumi-g", 50000), req("karolina-gpu", 500))
		d1p.Software = pactum.SoftwareCUDA // LUMI-G runs ROCm: that request cannot be served
		d1 := w.submit(t, appD, d1p)
		d2 := w.submit(t, appD, largeScale(call.ID, "Proposal D2", 0.5, req("karolina-gpu", 1000)))
		props := []*pactum.Proposal{a1, a2, b1, c1, c2, d1, d2}
		score := map[string]int{a1.ID: 5, a2.ID: 4, b1.ID: 5, c1.ID: 5, c2.ID: 4, d1.ID: 4, d2.ID: 3}
		ranked := w.reviewToDecision(t, call.ID, ops, reviewers, props, score)
		if last := ranked[len(ranked)-1]; last.ProposalID != d2.ID || last.Passes {
			t.Fatalf("D2 (all threes, pass score 3.5) should rank last and fail: %+v", last)
		}

		orgCap, share := 40000.0, 0.3
		in := pactum.AllocationRunInput{OrgCapGPUHours: &orgCap, ReservedShare: &share}
		run, err := w.uc.CreateAllocationRun(mgr, call.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.uc.CreateAllocationRun(mgr, call.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(run, again, cmpopts.IgnoreFields(pactum.AllocationRun{}, "ID", "CreatedAt", "SolveSeconds")); diff != "" {
			t.Errorf("the same input gave another result (-first +second):\n%s", diff)
		}
		out := map[string]pactum.RunOutcome{}
		for _, o := range run.Outcomes {
			out[o.ProposalID] = o
		}
		if o := out[d2.ID]; o.Outcome != pactum.RunOutcomeRefused || !strings.Contains(o.Explanation[0], "below the call's rubric") {
			t.Errorf("D2: %+v", o)
		}
		if o := out[d1.ID]; !strings.Contains(strings.Join(o.Explanation, " "), "lumi-g is dropped") {
			t.Errorf("D1's LUMI-G request should be dropped: %+v", o)
		}
		for _, o := range run.Outcomes {
			t.Logf("%s %-8s %6.0f of %6.0f GPU-h: %s", o.Title, o.Outcome, o.GrantedGPUHours, o.RequestedGPUHours, strings.Join(o.Explanation, " | "))
		}
		t.Logf("objective %.0f, bound %.0f, gap %.3f %%", run.Objective, run.Bound, 100*run.Gap)
		if run.Gap > 0.005 {
			t.Errorf("proven gap %.4f %%", 100*run.Gap)
		}

		raw, err := w.uc.AllocationRunInstance(mgr, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var inst solver.Instance
		if err := json.Unmarshal(raw, &inst); err != nil {
			t.Fatal(err)
		}
		if _, err := w.uc.PublishAllocationRun(mgr, run.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.PublishAllocationRun(mgr, again.ID)
		wantCode(t, err, pactum.ECONFLICT) // its inputs changed: the proposals are decided

		// Check the published awards as the store holds them.
		systems, _ := catalog.Systems()
		sysByID := map[string]*pactum.System{}
		for _, s := range systems {
			sysByID[s.ID] = s
		}
		allocs, _, err := w.uc.FindAllocations(mgr, pactum.AllocationFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		propIdx, sysIdx := map[string]int{}, map[string]int{}
		for i, p := range inst.Proposals {
			propIdx[p.ID] = i
		}
		for i, s := range inst.Systems {
			sysIdx[s.ID] = i
		}
		grants := make([][]float64, len(inst.Proposals))
		for i := range grants {
			grants[i] = make([]float64, len(inst.Systems))
		}
		used := map[string]float64{}
		byOrg := map[string]float64{}
		bigOrg := map[string]float64{}
		for _, a := range allocs {
			sys := sysByID[a.SystemID]
			gh := sys.GPUHours(a.Amount)
			used[a.SystemID] += a.Amount
			byOrg[a.OrganizationID] += gh
			if a.OrganizationID == orgC.ID {
				bigOrg[a.SystemID] += gh
			}
			i, ok := propIdx[a.ProposalID]
			if !ok {
				t.Fatalf("allocation for proposal %s outside the run", a.ProposalID)
			}
			grants[i][sysIdx[a.SystemID]] += gh
		}
		if err := solver.CheckGrants(&inst, grants); err != nil {
			t.Errorf("published awards violate the model: %v", err)
		}
		for id, u := range used {
			if c := sysByID[id].CapacityPerPeriod; u > c*(1+1e-9) {
				t.Errorf("%s: %g granted, capacity %g", id, u, c)
			}
			if big := bigOrg[id]; big > (1-share)*sysByID[id].GPUHours(sysByID[id].CapacityPerPeriod)*(1+1e-9) {
				t.Errorf("%s: %g GPU-h to a large enterprise eats into the startup/SME reserve", id, big)
			}
		}
		for org, g := range byOrg {
			if g > orgCap*(1+1e-9) {
				t.Errorf("organization %s got %g GPU-h, cap %g", org, g, orgCap)
			}
		}
		if used["karolina-gpu"] < 7000 || used["vega-gpu"] < 20000 {
			t.Errorf("contested systems left idle: %v", used)
		}
		// Every proposal was decided as the run said, and every
		// applicant heard.
		for _, p := range props {
			got, err := w.uc.FindProposalByID(mgr, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			o := out[p.ID]
			want := pactum.ProposalRejected
			if o.Outcome != pactum.RunOutcomeRefused {
				want = pactum.ProposalAccepted
			}
			if got.State != want {
				t.Errorf("%s: state %s, run outcome %s", p.Title, got.State, o.Outcome)
			}
			ns, _, _ := w.uc.FindNotifications(mgr, pactum.NotificationFilter{UserID: &p.ApplicantID, ProposalID: &p.ID})
			if len(ns) != 2 || ns[0].Kind != pactum.NotifyDecision || ns[1].Kind != pactum.NotifyReplyOpen {
				t.Errorf("%s: %d notifications, want the reply window's and the decision's", p.Title, len(ns))
			}
		}
		if r, err := usecase.VerifyAudit(context.Background(), w.db); err != nil || !r.OK {
			t.Errorf("audit: %+v %v", r, err)
		}
	})
}

// TestAuditSealsLargeUseCase writes one use case with more audit events
// than one INSERT holds (publishing a large allocation run does) and checks
// that the chain is whole and every event is there.
func TestAuditSealsLargeUseCase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		before, err := usecase.VerifyAudit(context.Background(), w.db)
		if err != nil {
			t.Fatal(err)
		}
		var systems []*pactum.System
		for i := range 150 {
			systems = append(systems, &pactum.System{ID: fmt.Sprintf("test-%03d", i), Name: "Test", Site: "TEST", Country: "DE", Partition: "p",
				Accelerator: "x", Nodes: 1, GPUsPerNode: 4, PeakTFLOPSPerGPU: 1, Unit: pactum.UnitGPUHours, CapacityPerPeriod: 1, Software: "cuda", Scheduler: "slurm"})
		}
		if err := w.uc.UpsertSystems(w.sys, systems); err != nil {
			t.Fatal(err)
		}
		after, err := usecase.VerifyAudit(context.Background(), w.db)
		if err != nil || !after.OK || after.Events != before.Events+150 {
			t.Fatalf("after a 150-event use case: %+v (before %d events) %v", after, before.Events, err)
		}
	})
}

// TestRecuseWaiveAndProfileChange covers conflicts found after assignment:
// a reviewer recuses, which records a declared conflict and hides the
// proposal from them; re-assigning fills the gap with someone else; an
// apparent conflict, once waived, lets that reviewer be assigned, a real one
// cannot be waived; and a reviewer whose new profile conflicts is recused at
// once.
func TestRecuseWaiveAndProfileChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		it4i := w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
		var revs []*pactum.User
		for _, e := range []string{"x@uni.example", "y@uni.example", "z@uni.example"} {
			revs = append(revs, w.reviewer(t, e, []string{"language_model"}))
		}
		former := w.reviewer(t, "former@uni.example", []string{"language_model", "text", "legal"},
			pactum.Affiliation{OrganizationID: w.f.OrgA.ID, Organization: "Aleph", From: pactum.MustDate("2020-01-01"), Until: pactum.MustDate("2025-06-30")})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "Legal LLM", 0.5, req("karolina-gpu", 1000)))
		w.technical(t, it4i, p)
		w.advance(t, p)

		rep, err := w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Conflicts) != 1 || rep.Conflicts[0].ReviewerID != former.ID || rep.Conflicts[0].Severity != pactum.SeverityApparent {
			t.Fatalf("conflicts %+v", rep.Conflicts)
		}
		apparent := rep.Conflicts[0]
		assigned := map[string]*pactum.Assignment{}
		for _, a := range rep.Assignments {
			assigned[a.ReviewerID] = a
		}
		if len(assigned) != 2 || assigned[former.ID] != nil {
			t.Fatalf("assignments %+v", rep.Assignments)
		}
		var x *pactum.User
		for _, r := range revs {
			if assigned[r.ID] != nil {
				x = r
				break
			}
		}

		// x recuses: a declared conflict, and the proposal disappears.
		if _, err := w.uc.FindReviewTrack(storetest.As(x), p.ID); err != nil {
			t.Fatalf("assigned reviewer cannot see the proposal: %v", err)
		}
		_, err = w.uc.Recuse(storetest.As(revs[0]), assigned[x.ID].ID+"-nope", "x")
		wantCode(t, err, pactum.ENOTFOUND)
		if a, err := w.uc.Recuse(storetest.As(x), assigned[x.ID].ID, "I co-authored with the applicant's CTO last year."); err != nil || a.State != pactum.AssignmentRecused {
			t.Fatalf("recuse: %+v %v", a, err)
		}
		_, err = w.uc.Recuse(storetest.As(x), assigned[x.ID].ID, "again")
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.FindProposalByID(storetest.As(x), p.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		cs, _, err := w.uc.FindConflicts(storetest.As(x), pactum.ConflictFilter{})
		if err != nil || len(cs) != 1 || cs[0].Reason != pactum.ConflictDeclared || cs[0].Severity != pactum.SeverityReal {
			t.Fatalf("x's conflicts: %+v %v", cs, err)
		}
		_, err = w.uc.WaiveConflict(mgr, cs[0].ID, "we need them")
		wantCode(t, err, pactum.ECONFLICT) // real conflicts stay

		// Re-assigning fills the gap with the third reviewer, not x and
		// not the former employee.
		rep, err = w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID == x.ID || rep.Assignments[0].ReviewerID == former.ID {
			t.Fatalf("refill %+v", rep.Assignments)
		}
		z := rep.Assignments[0].ReviewerID

		// z's new profile makes them an employee of the applicant: recused
		// at once, conflict recorded.
		var zu *pactum.User
		for _, r := range revs {
			if r.ID == z {
				zu = r
			}
		}
		if err := w.uc.UpdateReviewerProfile(storetest.As(zu), &pactum.ReviewerProfile{UserID: z, Expertise: []string{"language_model"},
			Affiliations: []pactum.Affiliation{{Organization: "Aleph Lingua GmbH", From: pactum.MustDate("2026-01-01")}}}); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.FindProposalByID(storetest.As(zu), p.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		as, _, _ := w.uc.FindAssignments(storetest.As(zu), pactum.AssignmentFilter{})
		if len(as) != 1 || as[0].State != pactum.AssignmentRecused {
			t.Errorf("z's assignment after the profile change: %+v", as)
		}

		// With the apparent conflict waived, the former employee is the
		// only one left, and gets the proposal.
		if _, err := w.uc.WaiveConflict(storetest.As(w.f.ApplicantA), apparent.ID, "trust me"); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("applicant waiver: %v", err)
		}
		wc, err := w.uc.WaiveConflict(mgr, apparent.ID, "Left 17 months ago, no shared work since; the only legal-NLP expert available.")
		if err != nil || wc.Status != pactum.ConflictWaived || wc.WaivedBy != w.f.Manager.ID {
			t.Fatalf("waive: %+v %v", wc, err)
		}
		rep, err = w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil || len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID != former.ID {
			t.Fatalf("after the waiver: %+v %v", rep, err)
		}
		if _, err := w.uc.FindProposalByID(storetest.As(former), p.ID); err != nil {
			t.Errorf("the waived reviewer cannot see the proposal: %v", err)
		}
	})
}
