// SPDX-License-Identifier: EUPL-1.2

package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum/client"
)

// actor is one applicant organization of the demo with its client and
// proposal.
type actor struct {
	s        startup
	orgID    string
	userID   string
	c        *client.ClientWithResponses
	proposal *client.Proposal
	track    *client.ReviewTrack
}

// ReviewSummary is what the review workflow did.
type ReviewSummary struct {
	Reviewers   int `json:"reviewers"`
	Assignments int `json:"assignments"`
	Reviews     int `json:"reviews"`
	// Conflicts are the conflicts of interest recorded, one line each.
	Conflicts []string    `json:"conflicts"`
	Run       *RunSummary `json:"run,omitempty"`
}

// RunSummary is the allocation run that decided the panel-ranked proposals.
type RunSummary struct {
	ID           string       `json:"id"`
	Objective    float64      `json:"objective"`
	Bound        float64      `json:"bound"`
	Gap          float64      `json:"gap"`
	SolveSeconds float64      `json:"solve_seconds"`
	Outcomes     []RunOutcome `json:"outcomes"`
}

// RunOutcome is one proposal's outcome in the run.
type RunOutcome struct {
	ProposalID        string   `json:"proposal_id"`
	Title             string   `json:"title"`
	Outcome           string   `json:"outcome"`
	RequestedGPUHours float64  `json:"requested_gpu_hours"`
	GrantedGPUHours   float64  `json:"granted_gpu_hours"`
	Explanation       []string `json:"explanation"`
}

// demoOrgCap caps each organization in the demo's run, so the run shows a
// cut with its reason.
const demoOrgCap = 1_000_000

// phase runs the review workflow through the API.
type phase struct {
	*scenario

	sites     map[string]string // system → hosting site
	ops       map[string]*client.ClientWithResponses
	reviewers map[string]*client.ClientWithResponses // by user ID
	names     map[string]string                      // user ID → name
	sum       *ReviewSummary
}

func (ph *phase) run() error {
	ph.sum = &ReviewSummary{Conflicts: []string{}}
	ph.res.Review = ph.sum
	ph.ops, ph.reviewers, ph.names = map[string]*client.ClientWithResponses{}, map[string]*client.ClientWithResponses{}, map[string]string{}
	sys, err := ph.mgr.ListSystemsWithResponse(ph.ctx)
	if err := expect(sys, err, 200, "list systems"); err != nil {
		return err
	}
	ph.sites = map[string]string{}
	for _, s := range sys.JSON200.Items {
		ph.sites[s.Id] = s.Site
	}
	if err := ph.createReviewers(); err != nil {
		return err
	}
	for _, a := range ph.inReview() {
		if err := ph.refresh(a); err != nil {
			return err
		}
	}
	steps := []func() error{ph.technical, func() error { return ph.assigned(client.AssignEthics) },
		func() error { return ph.assigned(client.AssignPeer) }, ph.reply}
	stages := []client.ReviewStage{client.StageTechnical, client.StageEthics, client.StagePeer, client.StageReply}
	for i, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if err := ph.advance(stages[i]); err != nil {
			return err
		}
	}
	return ph.panelAndRun()
}

func (ph *phase) inReview() []*actor {
	var out []*actor
	for _, a := range ph.actors {
		if a.proposal.State == client.InReview {
			out = append(out, a)
		}
	}
	return out
}

func (ph *phase) refresh(a *actor) error {
	r, err := ph.mgr.GetReviewTrackWithResponse(ph.ctx, a.proposal.Id)
	if err := expect(r, err, 200, "read the review of "+a.proposal.Title); err != nil {
		return err
	}
	a.track = r.JSON200
	return nil
}

// createReviewers creates the demo's reviewers, who write their own
// profiles: one of them left an applicant organization recently.
func (ph *phase) createReviewers() error {
	orgs := map[string]string{}
	for _, a := range ph.actors {
		orgs[a.s.org.LegalName] = a.orgID
	}
	for _, r := range reviewers() {
		c, id, err := ph.newUser(client.UserInput{Email: r.user.Email, Name: r.user.Name, Role: client.Reviewer}, "demo", "create "+r.user.Email)
		if err != nil {
			return err
		}
		for i, af := range r.profile.Affiliations {
			r.profile.Affiliations[i].OrganizationID = orgs[af.Organization]
		}
		in, err := client.FromReviewerProfile(&r.profile)
		if err != nil {
			return err
		}
		pr, err := c.UpdateReviewerWithResponse(ph.ctx, id, in)
		if err := expect(pr, err, 200, "write the profile of "+r.user.Name); err != nil {
			return err
		}
		ph.reviewers[id], ph.names[id] = c, r.user.Name
		ph.sum.Reviewers++
		ph.progress("reviewer %s declared expertise %s", r.user.Name, strings.Join(r.profile.Expertise, ", "))
	}
	return nil
}

// operator returns a client for a site operator of site, creating one the
// first time.
func (ph *phase) operator(site string) (*client.ClientWithResponses, error) {
	if c := ph.ops[site]; c != nil {
		return c, nil
	}
	email := "operations@" + strings.ToLower(site) + ".example"
	c, _, err := ph.newUser(client.UserInput{Email: email, Name: site + " operations", Role: client.SiteOperator, Site: &site},
		"demo", "create "+email)
	if err != nil {
		return nil, err
	}
	ph.ops[site] = c
	return c, nil
}

// technical has each hosting site assess the requested systems.
func (ph *phase) technical() error {
	for _, a := range ph.inReview() {
		if a.track.Stage != client.StageTechnical {
			continue
		}
		bySite := map[string][]client.SystemAssessment{}
		var order []string
		for _, r := range a.proposal.Requests {
			site := ph.sites[r.SystemId]
			if _, ok := bySite[site]; !ok {
				order = append(order, site)
			}
			bySite[site] = append(bySite[site], client.SystemAssessment{SystemId: r.SystemId, Feasible: true, SoftwareFits: true,
				ScalabilityEvidence: true, Comment: "Scaling runs on the system's nodes are convincing; the software stack is available."})
		}
		for _, site := range order {
			op, err := ph.operator(site)
			if err != nil {
				return err
			}
			systems := bySite[site]
			r, err := op.SubmitReviewWithResponse(ph.ctx, a.proposal.Id, client.ReviewInput{Systems: &systems,
				Recommendation: client.RecommendAccept, CommentsForApplicant: "Technically feasible as planned."})
			if err := expect(r, err, 200, "technical assessment of "+a.proposal.Title+" by "+site); err != nil {
				return err
			}
			ph.sum.Reviews++
			ph.progress("%s assessed %q: feasible", site, a.proposal.Title)
		}
	}
	return nil
}

// assigned assigns reviewers for stage and has each write their review.
func (ph *phase) assigned(stage client.AssignInputStage) error {
	ar, err := ph.mgr.AssignReviewersWithResponse(ph.ctx, ph.res.CallID, client.AssignInput{Stage: stage})
	if err := expect(ar, err, 200, "assign "+string(stage)+" reviewers"); err != nil {
		return err
	}
	rep := ar.JSON200
	for _, c := range rep.Conflicts {
		line := fmt.Sprintf("%s on %q: %s (%s) — %s", ph.names[c.ReviewerId], ph.title(c.ProposalId), c.Reason, c.Severity, c.Detail)
		ph.sum.Conflicts = append(ph.sum.Conflicts, line)
		ph.progress("conflict of interest recorded: %s", line)
		if err := ph.checkConflicted(c.ReviewerId, c.ProposalId); err != nil {
			return err
		}
	}
	for _, a := range rep.Assignments {
		ph.sum.Assignments++
		act := ph.actor(a.ProposalId)
		in := client.ReviewInput{Recommendation: client.RecommendAccept, CommentsForApplicant: "No concerns."}
		if stage == client.AssignEthics && act.s.ethics != nil {
			var err error
			if in, err = client.FromReview(act.s.ethics); err != nil {
				return err
			}
		}
		if stage == client.AssignPeer {
			sc := act.s.peer[ph.sum.Assignments%len(act.s.peer)]
			scores := []client.CriterionScore{{Criterion: "excellence", Score: sc[0]}, {Criterion: "impact", Score: sc[1]},
				{Criterion: "implementation", Score: sc[2]}, {Criterion: "responsibility", Score: sc[3]}}
			in = client.ReviewInput{Scores: &scores, Recommendation: client.RecommendAccept,
				CommentsForApplicant: "Ambitious and well planned; show scaling beyond 256 GPUs before the full run."}
		}
		r, err := ph.reviewers[a.ReviewerId].SubmitReviewWithResponse(ph.ctx, a.ProposalId, in)
		if err := expect(r, err, 200, string(stage)+" review of "+act.proposal.Title); err != nil {
			return err
		}
		ph.sum.Reviews++
		ph.progress("%s wrote the %s review of %q (matched on %s): %s", ph.names[a.ReviewerId], stage, act.proposal.Title,
			orNone(a.Matched), r.JSON200.Recommendation)
	}
	return nil
}

// checkConflicted records the invariant: a conflicted reviewer cannot
// open the proposal.
func (ph *phase) checkConflicted(reviewerID, proposalID string) error {
	r, err := ph.reviewers[reviewerID].GetProposalWithResponse(ph.ctx, proposalID)
	if err != nil {
		return err
	}
	ph.res.Checks = append(ph.res.Checks, Check{What: fmt.Sprintf("%s, conflicted, opens %q", ph.names[reviewerID], ph.title(proposalID)),
		Result: fmt.Sprintf("HTTP %d", r.StatusCode()), OK: r.StatusCode() == 404})
	return nil
}

// reply has each applicant with reviews to answer reply.
func (ph *phase) reply() error {
	for _, a := range ph.inReview() {
		if a.track.Stage != client.StageReply || a.s.reply == "" {
			continue
		}
		r, err := a.c.SubmitReplyWithResponse(ph.ctx, a.proposal.Id, client.ReplyInput{Text: a.s.reply})
		if err := expect(r, err, 200, "reply to the reviews of "+a.proposal.Title); err != nil {
			return err
		}
		ph.progress("%s replied to the reviews", a.s.org.LegalName)
	}
	return nil
}

// advance moves every proposal at stage to its next stage.
func (ph *phase) advance(stage client.ReviewStage) error {
	for _, a := range ph.inReview() {
		if a.track.Stage != stage {
			continue
		}
		r, err := ph.mgr.AdvanceReviewWithResponse(ph.ctx, a.proposal.Id)
		if err := expect(r, err, 200, "advance the review of "+a.proposal.Title); err != nil {
			return err
		}
		a.track = r.JSON200
		ph.progress("%q: %s stage done, now %s", a.proposal.Title, stage, a.track.Stage)
	}
	return nil
}

// panelAndRun ranks the panel-stage proposals, solves the allocation run
// and publishes it.
func (ph *phase) panelAndRun() error {
	if ph.passCutoff == nil {
		return fmt.Errorf("demo: the panel ranks only after the call's cut-off, and Options.PassCutoff is not set")
	}
	if err := ph.passCutoff(ph.cutoff); err != nil {
		return err
	}
	ph.progress("the call's cut-off (%s) has passed: the panel ranks the large-scale proposals together", ph.cutoff.UTC().Format(time.RFC3339))
	pn, err := ph.mgr.RankPanelWithResponse(ph.ctx, ph.res.CallID, client.PanelInput{})
	if err := expect(pn, err, 200, "rank the panel"); err != nil {
		return err
	}
	if pn.JSON200.Total == 0 {
		return nil
	}
	for _, e := range pn.JSON200.Items {
		ph.progress("panel ranked %q #%d with %.2f/5", e.Title, e.Rank, e.Score)
	}
	orgCap := float64(demoOrgCap)
	rr, err := ph.mgr.CreateAllocationRunWithResponse(ph.ctx, ph.res.CallID, client.AllocationRunInput{OrgCapGpuHours: &orgCap})
	if err := expect(rr, err, 201, "run the allocation"); err != nil {
		return err
	}
	run := rr.JSON201
	pr, err := ph.mgr.PublishAllocationRunWithResponse(ph.ctx, run.Id)
	if err := expect(pr, err, 200, "publish the allocation run"); err != nil {
		return err
	}
	sum := &RunSummary{ID: run.Id, Objective: run.Objective, Bound: run.Bound, Gap: run.Gap, SolveSeconds: run.SolveSeconds}
	for _, o := range *run.Outcomes {
		sum.Outcomes = append(sum.Outcomes, RunOutcome{ProposalID: o.ProposalId, Title: o.Title, Outcome: string(o.Outcome),
			RequestedGPUHours: o.RequestedGpuHours, GrantedGPUHours: o.GrantedGpuHours, Explanation: o.Explanation})
	}
	ph.sum.Run = sum
	ph.progress("allocation run %s published: objective %s, proven gap %.3f %%", run.Id, fmtNum(run.Objective), 100*run.Gap)
	for _, a := range ph.actors {
		if a.track == nil {
			continue
		}
		g, err := ph.mgr.GetProposalWithResponse(ph.ctx, a.proposal.Id)
		if err := expect(g, err, 200, "read "+a.proposal.Title); err != nil {
			return err
		}
		a.proposal = g.JSON200
	}
	return nil
}

func (ph *phase) actor(proposalID string) *actor {
	for _, a := range ph.actors {
		if a.proposal.Id == proposalID {
			return a
		}
	}
	return &actor{proposal: &client.Proposal{Id: proposalID, Title: proposalID}}
}

func (ph *phase) title(proposalID string) string { return ph.actor(proposalID).proposal.Title }

func orNone(s []string) string {
	if len(s) == 0 {
		return "no expertise keyword; chosen for load"
	}
	return strings.Join(s, ", ")
}
