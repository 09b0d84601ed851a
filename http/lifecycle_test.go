// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestLifecycle takes proposals from draft to award over HTTP: one screened
// and approved automatically, then provisioned and suspended; one referred
// to ethics review and decided by the manager. Every response is decoded
// strictly into the generated types.
func TestLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		bob := s.bob(t)
		p := s.draftAndSubmit(t, bob)
		s.provisionAward(t, p.Id)
		s.referToEthics(t)
		s.auditTrail(t, p.Id)
		s.readEverything(t)
	})
}

// draftAndSubmit drafts, updates and submits a clean fast-lane proposal,
// which is approved; bob, of another organization, can neither see nor
// submit it.
func (s *scenario) draftAndSubmit(t *testing.T, bob *client.ClientWithResponses) client.Proposal {
	ctx, alice := s.ctx, s.alice
	cr, err := alice.CreateProposalWithBodyWithResponse(ctx, nil, "application/json", bytes.NewReader(proposalJSON(t, s.callID, nil)))
	want(t, cr, err, 201, cr.Body)
	draft := strict[client.Proposal](t, cr.Body)
	if draft.State != client.Draft || draft.OrganizationId != s.orgA {
		t.Fatalf("draft: %+v", draft)
	}
	ur, err := alice.UpdateProposalWithBodyWithResponse(ctx, draft.Id, "application/json", bytes.NewReader(
		proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Requests[0].Amount = 25000 })))
	want(t, ur, err, 200, ur.Body)

	// Another organization cannot see, change or submit it.
	gr, err := bob.GetProposalWithResponse(ctx, draft.Id)
	want(t, gr, err, 404, gr.Body)
	br, err := bob.SubmitProposalWithResponse(ctx, draft.Id)
	want(t, br, err, 404, br.Body)
	lr, err := bob.ListProposalsWithResponse(ctx, &client.ListProposalsParams{})
	want(t, lr, err, 200, lr.Body)
	if lr.JSON200.Total != 0 {
		t.Fatalf("Bora sees %d of Aleph's proposals", lr.JSON200.Total)
	}

	sr, err := alice.SubmitProposalWithResponse(ctx, draft.Id)
	want(t, sr, err, 200, sr.Body)
	p := strict[client.Proposal](t, sr.Body)
	if p.State != client.Approved || p.Screening == nil || p.Screening.Outcome != client.ScreeningDecisionOutcomeApprove || p.Screening.RulesetHash == "" {
		t.Fatalf("submitted: state %s screening %+v", p.State, p.Screening)
	}
	// Illegal transition: a decided proposal cannot be submitted again.
	sr2, err := alice.SubmitProposalWithResponse(ctx, draft.Id)
	want(t, sr2, err, 409, sr2.Body)
	if !strings.Contains(string(sr2.Body), "draft") {
		t.Errorf("conflict should explain the state: %s", sr2.Body)
	}
	return p
}

// provisionAward checks that the award became an allocation awaiting
// provisioning, with the screening's conditions attached; the site
// (CINECA hosts Leonardo) provisions it, the manager suspends and resumes
// it, and an applicant may do neither.
func (s *scenario) provisionAward(t *testing.T, proposalID string) {
	ctx, alice := s.ctx, s.alice
	ar, err := alice.ListAllocationsWithResponse(ctx, &client.ListAllocationsParams{ProposalId: &proposalID})
	want(t, ar, err, 200, ar.Body)
	allocs := strict[client.AllocationList](t, ar.Body)
	if allocs.Total != 1 || allocs.Items[0].Amount != 25000 || allocs.Items[0].State != client.PendingProvisioning {
		t.Fatalf("allocations: %+v", allocs)
	}
	alloc := allocs.Items[0]

	op := s.user(t, client.UserInput{Email: "ops@cineca.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CINECA")})
	tr, err := alice.TransitionAllocationWithResponse(ctx, alloc.Id, client.TransitionInput{State: client.Active})
	want(t, tr, err, 403, tr.Body)
	tr, err = op.TransitionAllocationWithResponse(ctx, alloc.Id, client.TransitionInput{State: client.Active, Reason: ptr("accounts created")})
	want(t, tr, err, 200, tr.Body)
	tr, err = s.manager.TransitionAllocationWithResponse(ctx, alloc.Id, client.TransitionInput{State: client.Suspended, Reason: ptr("incident under review")})
	want(t, tr, err, 200, tr.Body)
	tr, err = s.manager.TransitionAllocationWithResponse(ctx, alloc.Id, client.TransitionInput{State: client.Active})
	want(t, tr, err, 200, tr.Body)
	if strict[client.Allocation](t, tr.Body).State != client.Active {
		t.Fatal("resume failed")
	}
}

// referToEthics submits a proposal with personal data: it is referred to
// ethics review, invisible to reviewers not assigned to it, and decided by
// the manager with a cut grant.
func (s *scenario) referToEthics(t *testing.T) {
	ctx, alice := s.ctx, s.alice
	cr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
		bytes.NewReader(proposalJSON(t, s.callID, func(p *pactum.Proposal) {
			p.Title = "Clinical notes summariser"
			p.AIWork.DataProvenance.PersonalData = true
			p.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "Pseudonymised clinical notes; DPIA done."}
		})))
	want(t, cr, err, 201, cr.Body)
	ref := strict[client.Proposal](t, cr.Body)
	if ref.State != client.InReview || ref.Screening.Outcome != client.ScreeningDecisionOutcomeRefer {
		t.Fatalf("referred: %s %s", ref.State, ref.Screening.Outcome)
	}
	rev := s.user(t, client.UserInput{Email: "rev@example.org", Name: "Rev", Role: client.Reviewer})
	rr, err := rev.GetProposalWithResponse(ctx, ref.Id)
	want(t, rr, err, 404, rr.Body)
	dr, err := alice.DecideProposalWithResponse(ctx, ref.Id, client.DecisionInput{Accept: true, Reason: "self-approval"})
	want(t, dr, err, 403, dr.Body)
	decision := client.DecisionInput{Accept: true, Reason: "Ethics review passed.", Grants: &[]client.Grant{{SystemId: "leonardo-booster", Amount: 10000}}}
	dr, err = s.manager.DecideProposalWithResponse(ctx, ref.Id, decision)
	want(t, dr, err, 409, dr.Body) // the ethics review screening asked for is not in
	if !strings.Contains(string(dr.Body), "ethics review") {
		t.Errorf("the refusal should name the missing review: %s", dr.Body)
	}
	ethicist, _ := s.reviewer(t, "ethics@uni.example", []string{"ethics"})
	ar, err := s.manager.AssignReviewersWithResponse(ctx, s.callID, client.AssignInput{Stage: client.AssignEthics})
	want(t, ar, err, 200, ar.Body)
	er, err := ethicist.SubmitReviewWithResponse(ctx, ref.Id, client.ReviewInput{Recommendation: client.RecommendAcceptWithConditions,
		Conditions: &[]string{"Keep the clinical notes in the EU."}, CommentsForApplicant: "Acceptable with safeguards."})
	want(t, er, err, 200, er.Body)
	dr, err = s.manager.DecideProposalWithResponse(ctx, ref.Id, decision)
	want(t, dr, err, 200, dr.Body)
	if d := strict[client.Proposal](t, dr.Body); d.State != client.Accepted || d.Decision == nil || d.Decision.Automatic {
		t.Fatalf("decided: %+v", d)
	}
	al, err := s.manager.ListAllocationsWithResponse(ctx, &client.ListAllocationsParams{ProposalId: &ref.Id})
	want(t, al, err, 200, al.Body)
	if !strings.Contains(string(al.Body), "Keep the clinical notes in the EU.") {
		t.Errorf("the ethics review's condition is not on the award: %s", al.Body)
	}
}

// TestOverrideOverAPI: a large-scale proposal at the technical stage is
// refused to one access manager; an override with a justification waits
// for a second, who alone may confirm it.
func TestOverrideOverAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		ctx := s.ctx
		cr, err := s.alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, func(p *pactum.Proposal) {
				p.Mode, p.Title, p.DurationMonths = pactum.ModeLargeScale, "Large pre-training run", 6
				p.Requests[0].Amount = 300000
			})))
		want(t, cr, err, 201, cr.Body)
		p := strict[client.Proposal](t, cr.Body)
		in := client.DecisionInput{Accept: true, Reason: "looks fine"}
		dr, err := s.manager.DecideProposalWithResponse(ctx, p.Id, in)
		want(t, dr, err, 409, dr.Body)
		if !strings.Contains(string(dr.Body), "large_scale proposals are decided by an allocation run") || !strings.Contains(string(dr.Body), "stage is technical") {
			t.Errorf("refusal: %s", dr.Body)
		}
		in.Override = &client.OverrideInput{Justification: "Leonardo is decommissioned next week; the run cannot wait for the panel."}
		dr, err = s.manager.DecideProposalWithResponse(ctx, p.Id, in)
		want(t, dr, err, 200, dr.Body)
		if o := strict[client.Proposal](t, dr.Body); o.State != client.InReview || o.Override == nil || o.Override.ConfirmedBy != nil {
			t.Fatalf("pending override: %s", dr.Body)
		}
		cf, err := s.manager.ConfirmOverrideWithResponse(ctx, p.Id)
		want(t, cf, err, 403, cf.Body)
		second := s.user(t, client.UserInput{Email: "second@eurohpc.example", Name: "Second", Role: client.AccessManager})
		cf, err = second.ConfirmOverrideWithResponse(ctx, p.Id)
		want(t, cf, err, 200, cf.Body)
		if o := strict[client.Proposal](t, cf.Body); o.State != client.Accepted || o.Override == nil || o.Override.ConfirmedBy == nil {
			t.Fatalf("confirmed override: %s", cf.Body)
		}
	})
}

// auditTrail checks that the audit log has every step of the proposal, and
// that the chain verifies for the manager only.
func (s *scenario) auditTrail(t *testing.T, proposalID string) {
	ctx := s.ctx
	er, err := s.manager.ListAuditEventsWithResponse(ctx, &client.ListAuditEventsParams{SubjectId: &proposalID})
	want(t, er, err, 200, er.Body)
	var actions []string
	for _, ev := range strict[client.AuditEventList](t, er.Body).Items {
		actions = append(actions, ev.Action)
	}
	if got := strings.Join(actions, ","); got != "proposal.create,proposal.update,proposal.submit,proposal.screen,proposal.route" {
		t.Errorf("audit trail of the proposal: %s", got)
	}
	vr, err := s.manager.VerifyAuditWithResponse(ctx)
	want(t, vr, err, 200, vr.Body)
	if rep := strict[client.AuditReport](t, vr.Body); !rep.Ok || rep.Events < 20 {
		t.Fatalf("audit: %+v", rep)
	}
	ar2, err := s.alice.VerifyAuditWithResponse(ctx)
	want(t, ar2, err, 403, ar2.Body)
}

// readEverything reads the other resources through the client,
// schema-checked.
func (s *scenario) readEverything(t *testing.T) {
	ctx, alice := s.ctx, s.alice
	me, err := alice.GetMeWithResponse(ctx)
	want(t, me, err, 200, me.Body)
	strict[client.User](t, me.Body)
	sl, err := alice.ListSystemsWithResponse(ctx)
	want(t, sl, err, 200, sl.Body)
	if strict[client.SystemList](t, sl.Body).Total != 8 {
		t.Error("the catalogue should hold the eight EuroHPC systems")
	}
	ol, err := s.manager.ListOrganizationsWithResponse(ctx, &client.ListOrganizationsParams{})
	want(t, ol, err, 200, ol.Body)
	strict[client.OrganizationList](t, ol.Body)
	cl, err := alice.ListCallsWithResponse(ctx, &client.ListCallsParams{Open: ptr(true)})
	want(t, cl, err, 200, cl.Body)
	if strict[client.CallList](t, cl.Body).Total != 1 {
		t.Error("one open call expected")
	}
	pl, err := alice.ListProposalsWithResponse(ctx, &client.ListProposalsParams{State: ptr(client.Approved)})
	want(t, pl, err, 200, pl.Body)
	if strict[client.ProposalList](t, pl.Body).Total != 1 {
		t.Error("one approved proposal expected")
	}
	tl, err := alice.ListTokensWithResponse(ctx, me.JSON200.Id)
	want(t, tl, err, 200, tl.Body)
	strict[client.TokenList](t, tl.Body)
	ul, err := s.manager.ListUsersWithResponse(ctx, &client.ListUsersParams{})
	want(t, ul, err, 200, ul.Body)
	strict[client.UserList](t, ul.Body)
}
