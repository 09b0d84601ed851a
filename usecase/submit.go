// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// SubmitNewProposal creates and submits a proposal in one transaction,
// under the rules of CreateProposal and SubmitProposal: either the screened
// proposal exists afterwards or nothing does.
//
// Everything that does not need the writer (validation against the call
// and catalogue, which never change under a proposal, screening, encoding
// the audit snapshots) happens before the transaction; inside it are only
// the capacity reservation and the writes.
func (a *App) SubmitNewProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := applicant(ctx)
	if err != nil {
		return err
	}
	call, systems, err := a.checkContent(ctx, p)
	if err != nil {
		return err
	}
	org, err := a.organization(ctx, u.OrganizationID)
	if err != nil {
		return err
	}
	now := a.now()
	created, err := newDraft(u, p, now)
	if err != nil {
		return err
	}
	events, err := a.screen(ctx, u, p, call, systems, org, now)
	if err != nil {
		return err
	}
	err = a.route(ctx, u, p, call, systems, append([]*pactum.AuditEvent{created}, events...), func(tx pactum.Tx) error {
		return tx.InsertProposal(ctx, p)
	})
	if err != nil {
		return err
	}
	a.observeSubmission(p)
	p.TimeToTrain = pactum.PlanTraining(p, systems)
	return nil
}

// SubmitProposal submits a draft: it is screened at once and routed
// (approved in the fast lane, to review, or rejected). The applicant's
// organization only. ECONFLICT when it is not a draft, the call is closed,
// or it changed concurrently.
func (a *App) SubmitProposal(ctx context.Context, id string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := editable(ctx, a.store, u, id)
	if err != nil {
		return nil, err
	}
	if p.State != pactum.ProposalDraft {
		return nil, pactum.Errorf(pactum.ECONFLICT, "Only a draft can be submitted; this proposal is %s.", p.State)
	}
	call, systems, err := a.checkContent(ctx, p)
	if err != nil {
		return nil, err
	}
	org, err := a.store.GetOrganization(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	oldVersion := p.Version
	events, err := a.screen(ctx, u, p, call, systems, org, a.now())
	if err != nil {
		return nil, err
	}
	err = a.route(ctx, u, p, call, systems, events, func(tx pactum.Tx) error {
		// The version guard makes a concurrent second submission (or
		// edit) fail with a conflict instead of screening twice.
		return saveState(ctx, tx, p, oldVersion)
	})
	if err != nil {
		return nil, err
	}
	a.observeSubmission(p)
	p.TimeToTrain = pactum.PlanTraining(p, systems)
	return p, nil
}

// screen moves a validated draft through submitted to screening and
// screens it, returning the audit events of both steps. It needs no
// transaction: the route is settled in one (settle), where capacity can be
// reserved.
func (a *App) screen(ctx context.Context, u *pactum.User, p *pactum.Proposal, call *pactum.Call,
	systems map[string]*pactum.System, org *pactum.Organization, now time.Time) ([]*pactum.AuditEvent, error) {
	if !call.IsOpen(now) {
		return nil, pactum.Errorf(pactum.ECONFLICT, "Call %q is not open for submissions (it opens %s and closes %s).",
			call.Title, call.OpensAt.Format(time.RFC3339), call.CutoffAt.Format(time.RFC3339))
	}
	// draft → submitted: bind the event to the exact content submitted.
	content, err := json.Marshal(p.ProposalContent)
	if err != nil {
		return nil, fmt.Errorf("encode proposal: %w", err)
	}
	sum := sha256.Sum256(content)
	if err := p.Transition(pactum.ProposalSubmitted); err != nil {
		return nil, err
	}
	p.SubmittedAt = &now
	submitted, err := pactum.NewAuditEvent(u.ID, "proposal.submit", "proposal", p.ID, pactum.StateChange{State: pactum.ProposalDraft},
		map[string]any{"state": p.State, "content_sha256": hex.EncodeToString(sum[:])})
	if err != nil {
		return nil, err
	}
	// submitted → screening.
	if err := p.Transition(pactum.ProposalScreening); err != nil {
		return nil, err
	}
	screening, err := pactum.NewAuditEvent(u.ID, "proposal.screen", "proposal", p.ID, pactum.StateChange{State: pactum.ProposalSubmitted},
		pactum.StateChange{State: p.State})
	if err != nil {
		return nil, err
	}
	d, err := a.screener.Screen(ctx, &pactum.ScreeningInput{Proposal: p, Organization: org, Call: call, Systems: systems, At: now})
	if err != nil {
		return nil, fmt.Errorf("screen proposal %s: %w", p.ID, err)
	}
	p.Screening = d
	due := pactum.DecisionDue(call, call.Mode(p.Mode), now)
	p.DecisionDueAt = &due
	return []*pactum.AuditEvent{submitted, screening}, nil
}

// route settles a screened proposal's route and writes it in one
// transaction: write stores the proposal's row, then its route is recorded
// and followed (a review track, or allocations). An automatic approval's
// capacity is reserved last, just before the commit: the call's grant row
// per system is the one row every automatic approval in the call updates,
// so its lock, held until commit, is held for as few statements as
// possible (on PostgreSQL, where transactions run side by side, taking it
// first queued every submission behind the previous one's writes). When
// the capacity is short, the transaction is run once more with the
// proposal routed to review and the shortfall as a finding.
func (a *App) route(ctx context.Context, u *pactum.User, p *pactum.Proposal, call *pactum.Call,
	systems map[string]*pactum.System, events []*pactum.AuditEvent, write func(tx pactum.Tx) error) error {
	saved, findings := *p, len(p.Screening.Findings)
	var short error
	for {
		err := a.update(ctx, u, func(tx pactum.Tx) error {
			tx.Adopt(events)
			if err := blockOverdue(ctx, tx, call, p.OrganizationID); err != nil {
				return err
			}
			if err := settle(p, call, short); err != nil {
				return err
			}
			if err := write(tx); err != nil {
				return err
			}
			if err := recordRoute(tx, p); err != nil {
				return err
			}
			if err := a.afterRouting(ctx, tx, p, call, systems); err != nil {
				return err
			}
			if err := a.notifyRouted(ctx, tx, p); err != nil {
				return err
			}
			if p.State != pactum.ProposalApproved {
				return nil
			}
			if err := reserve(ctx, tx, call.ID, systems, p.Decision.Grants); err != nil {
				if pactum.ErrorCode(err) == pactum.ECONFLICT && short == nil {
					return &capacityShort{err}
				}
				return err
			}
			return nil
		})
		var cs *capacityShort
		if !errors.As(err, &cs) {
			return err
		}
		*p = saved
		p.Screening.Findings = p.Screening.Findings[:findings]
		short = cs.err
	}
}

// capacityShort ends a submission's transaction whose automatic approval
// found the capacity short, for route to run it again routed to review.
type capacityShort struct{ err error }

func (c *capacityShort) Error() string { return c.err.Error() }

// settle routes a screened proposal: approved in the fast lane (its
// capacity reserved by route), rejected, or to review. short, when not
// nil, is the capacity shortfall an automatic approval met: the proposal
// goes to review instead, with the shortfall as a finding.
func settle(p *pactum.Proposal, call *pactum.Call, short error) error {
	d := p.Screening
	at := *p.SubmittedAt
	route := pactum.Route(call.Mode(p.Mode), d)
	switch {
	case route == pactum.ProposalApproved && short != nil:
		route = pactum.ProposalInReview
		d.Findings = append(d.Findings, pactum.CapacityFinding(short))
	case route == pactum.ProposalApproved:
		p.Decision = pactum.AutoApproval(p, at)
	case route == pactum.ProposalRejected:
		p.Decision = pactum.ScreeningRefusal(d, at)
	}
	return p.Transition(route)
}

// recordRoute records a settled proposal's route, once its row is written:
// the event's After is the row, with the screening's outcome and rules
// beside it.
func recordRoute(tx pactum.Tx, p *pactum.Proposal) error {
	d := p.Screening
	return tx.Record("proposal.route", "proposal", p.ID, pactum.StateChange{State: pactum.ProposalScreening}, pactum.Noted(p, map[string]any{
		"outcome": d.Outcome, "ruleset_version": d.RulesetVersion, "ruleset_hash": d.RulesetHash, "rules": d.RuleIDs(),
	}))
}

// afterRouting does what a routed proposal's state asks once its row is
// written: a review track for one in review, allocations for one approved.
func (a *App) afterRouting(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, call *pactum.Call, systems map[string]*pactum.System) error {
	switch p.State {
	case pactum.ProposalInReview:
		return openReview(ctx, tx, p, call)
	case pactum.ProposalApproved:
		return a.createAllocations(ctx, tx, p, systems)
	}
	return nil
}

// openReview starts the review track of a proposal just routed to review.
func openReview(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, call *pactum.Call) error {
	t := pactum.NewReviewTrack(p, call.Mode(p.Mode), tx.Now())
	if err := tx.InsertReviewTrack(ctx, t); err != nil {
		return err
	}
	return tx.Record("review.open", "proposal", p.ID, nil, map[string]any{"stage": t.Stage, "stages": t.Stages})
}

// notifyRouted tells the applicant that their proposal was received, how
// its screening came out and, when the screening decided it (approved in
// the fast lane, or denied), the decision.
func (a *App) notifyRouted(ctx context.Context, tx pactum.Tx, p *pactum.Proposal) error {
	if err := a.notify(ctx, tx, pactum.SubmissionNotice(p)); err != nil {
		return err
	}
	if err := a.notify(ctx, tx, pactum.ScreeningNotice(p)); err != nil {
		return err
	}
	if p.Decision != nil && (p.State == pactum.ProposalApproved || p.State == pactum.ProposalRejected) {
		return a.notify(ctx, tx, pactum.DecisionNotice(p, pactum.DecisionInput{Accept: p.Decision.Accept, Reason: p.Decision.Reason}))
	}
	return nil
}
