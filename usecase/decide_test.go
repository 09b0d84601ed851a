// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// TestDecisionNeedsReview: a large-scale proposal at the technical stage
// is not decided by an access manager, only by an allocation run; an
// override does it, visibly, with a justification by one access manager
// and the confirmation of a second, never the same.
func TestDecisionNeedsReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		a, b := storetest.As(w.f.Manager), w.user(t, &pactum.User{Email: "second@eurohpc.example", Name: "Second Manager", Role: pactum.RoleAccessManager})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "JUPITER-scale pre-training", 0.5, req("mn5-acc", 300000)))

		_, err := w.uc.DecideProposal(a, p.ID, pactum.DecisionInput{Accept: true, Reason: "looks fine"})
		wantCode(t, err, pactum.ECONFLICT)
		if msg := pactum.ErrorMessage(err); !strings.Contains(msg, "large_scale proposals are decided by an allocation run") ||
			!strings.Contains(msg, "stage is technical") || !strings.Contains(msg, "override") {
			t.Errorf("refusal: %s", msg)
		}

		justification := "MareNostrum 5 maintenance window: the applicant's run must start before the panel meets."
		decision := pactum.DecisionInput{Accept: true, Reason: "Emergency grant, half the request.",
			Grants: []pactum.Grant{{SystemID: "mn5-acc", Amount: 150000}}}
		short := decision
		short.Override = &pactum.OverrideInput{Justification: "urgent"}
		_, err = w.uc.DecideProposal(a, p.ID, short)
		wantCode(t, err, pactum.EINVALID)

		decision.Override = &pactum.OverrideInput{Justification: justification}
		got, err := w.uc.DecideProposal(a, p.ID, decision)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != pactum.ProposalInReview || !got.Override.Pending() || got.Override.RequestedBy != w.f.Manager.ID ||
			got.Override.Justification != justification || got.Override.Stage != pactum.StageTechnical || got.Override.Missing == "" {
			t.Fatalf("pending override %+v on a proposal %s", got.Override, got.State)
		}
		_, err = w.uc.DecideProposal(storetest.As(b), p.ID, decision)
		wantCode(t, err, pactum.ECONFLICT) // one override at a time

		_, err = w.uc.ConfirmOverride(a, p.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		if !strings.Contains(pactum.ErrorMessage(err), "second access manager") {
			t.Errorf("self-confirmation refusal: %v", err)
		}
		_, err = w.uc.ConfirmOverride(storetest.As(w.f.ApplicantA), p.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		// The pending override is on the proposal's row; the log rebuilds it.
		if r, err := usecase.VerifyAuditState(t.Context(), w.db, nil); err != nil || !r.OK {
			t.Fatalf("audit with --state while the override is pending: %+v %v", r, err)
		}

		got, err = w.uc.ConfirmOverride(storetest.As(b), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != pactum.ProposalAccepted || got.Decision.DecidedBy != b.ID || got.Override.ConfirmedBy != b.ID || got.Override.ConfirmedAt == nil {
			t.Fatalf("confirmed: %s %+v %+v", got.State, got.Decision, got.Override)
		}
		// Shown on the proposal as stored.
		read, err := w.uc.FindProposalByID(storetest.As(w.f.ApplicantA), p.ID)
		if err != nil || read.Override == nil || read.Override.ConfirmedBy != b.ID || read.Override.Justification != justification {
			t.Fatalf("stored override %+v %v", read, err)
		}
		allocs, _, err := w.uc.FindAllocations(a, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(allocs) != 1 || allocs[0].Amount != 150000 {
			t.Fatalf("allocations %+v %v", allocs, err)
		}
		_, err = w.uc.ConfirmOverride(storetest.As(b), p.ID)
		wantCode(t, err, pactum.ECONFLICT)

		ev, _, err := w.uc.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{SubjectID: &p.ID})
		if err != nil {
			t.Fatal(err)
		}
		byAction := map[string]*pactum.AuditEvent{}
		for _, e := range ev {
			byAction[e.Action] = e
		}
		req, conf := byAction["proposal.override_request"], byAction["proposal.override_confirm"]
		if req == nil || conf == nil || byAction["proposal.decide"] == nil {
			t.Fatalf("audit trail lacks the override: %+v", byAction)
		}
		if req.ActorID != w.f.Manager.ID || conf.ActorID != b.ID || !strings.Contains(string(req.After), justification) {
			t.Errorf("override events: request by %s %s, confirmation by %s", req.ActorID, req.After, conf.ActorID)
		}
		if r, err := usecase.VerifyAuditState(t.Context(), w.db, nil); err != nil || !r.OK {
			t.Errorf("audit with --state: %+v %v", r, err)
		}
	})
}

// TestOverrideOnlyWhenNeeded: a decision the review plan allows takes no
// override, and a decided proposal takes none.
func TestOverrideOnlyWhenNeeded(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		// Capacity shortfall: a fast-lane proposal in review with no
		// review asked for, decided at once.
		first := w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: 6000})
		second := w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: 2000})
		if first.State != pactum.ProposalApproved || second.State != pactum.ProposalInReview {
			t.Fatalf("states %s %s", first.State, second.State)
		}
		in := pactum.DecisionInput{Accept: false, Reason: "No room left this period.",
			Override: &pactum.OverrideInput{Justification: "Deciding quickly because the call is oversubscribed."}}
		_, err := w.uc.DecideProposal(mgr, second.ID, in)
		wantCode(t, err, pactum.ECONFLICT)
		if !strings.Contains(pactum.ErrorMessage(err), "without an override") {
			t.Errorf("refusal: %v", err)
		}
		_, err = w.uc.DecideProposal(mgr, first.ID, in)
		wantCode(t, err, pactum.ECONFLICT)
		in.Override = nil
		if p, err := w.uc.DecideProposal(mgr, second.ID, in); err != nil || p.State != pactum.ProposalRejected || p.Override != nil {
			t.Fatalf("rejected: %+v %v", p, err)
		}
	})
}
