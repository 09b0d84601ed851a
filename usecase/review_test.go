// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore/storetest"
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
	w.passCutoff(t, callID)
	ranked, err := w.uc.RankPanel(storetest.As(w.f.Manager), callID, pactum.PanelInput{})
	if err != nil {
		t.Fatal(err)
	}
	return ranked
}

// passCutoff moves the clock past the call's cut-off: a call offering a
// mode that is not rolling is ranked and allocated only then.
func (w *reviewWorld) passCutoff(t *testing.T, callID string) {
	t.Helper()
	c, err := w.uc.FindCallByID(storetest.As(w.f.Manager), callID)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.CutoffAt.Sub(w.clock.Now()); d >= 0 {
		w.clock.Advance(d + time.Minute)
	}
}

// ethicsReview assigns the call's ethics reviewers and has each write an
// ethics review recommending rec with conditions.
func (w *reviewWorld) ethicsReview(t *testing.T, callID string, reviewers map[string]*pactum.User, rec pactum.Recommendation, conditions ...string) {
	t.Helper()
	rep, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), callID, pactum.StageEthics)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Assignments) == 0 {
		t.Fatal("no ethics reviewer assigned")
	}
	for _, a := range rep.Assignments {
		u := reviewers[a.ReviewerID]
		if u == nil {
			t.Fatalf("assigned unknown reviewer %s", a.ReviewerID)
		}
		if _, err := w.uc.SubmitReview(storetest.As(u), a.ProposalID, pactum.ReviewInput{Recommendation: rec, Conditions: conditions,
			CommentsForApplicant: "Reviewed for ethics."}); err != nil {
			t.Fatalf("ethics review: %v", err)
		}
	}
}
