// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// requestOverride stores a pending override of p asking for decision in,
// requested by u: stage and why are where p's review stands and what
// MayDecide found missing. ECONFLICT when p is not in review, when the
// plan allows deciding it anyway (no override is needed), or when another
// override awaits confirmation.
func requestOverride(ctx context.Context, tx pactum.Tx, u *pactum.User, p *pactum.Proposal, in pactum.DecisionInput,
	stage pactum.ReviewStage, why error) error {
	if p.State != pactum.ProposalInReview {
		return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s; only a proposal in review can be overridden.", p.State)
	}
	if why == nil {
		return pactum.Errorf(pactum.ECONFLICT, "The review plan allows deciding this proposal now; decide it without an override.")
	}
	if p.Override.Pending() {
		return pactum.Errorf(pactum.ECONFLICT, "An override requested by %s at %s already awaits a second access manager's confirmation.",
			p.Override.RequestedBy, p.Override.RequestedAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	oldVersion := p.Version
	p.Override = &pactum.DecisionOverride{RequestedBy: u.ID, RequestedAt: tx.Now(), Justification: in.Override.Justification,
		Decision: pactum.OverrideDecision{Accept: in.Accept, Grants: in.Grants, Reason: in.Reason},
		Stage:    stage, Missing: pactum.ErrorMessage(why)}
	if err := saveState(ctx, tx, p, oldVersion); err != nil {
		return err
	}
	// The whole row, override included, so that the log rebuilds it
	// (audit verify --state).
	return tx.Record("proposal.override_request", "proposal", p.ID, nil, p)
}

// ConfirmOverride applies the pending override of a proposal in review:
// the decision it asks for, decided by the confirming access manager, with
// the confirmation kept on the proposal and in the audit log. Access
// managers only, never the one who requested it (EFORBIDDEN). ECONFLICT
// when no override is pending, the proposal is no longer in review, or a
// grant would exceed a system's capacity.
func (a *App) ConfirmOverride(ctx context.Context, id string) (*pactum.Proposal, error) {
	u, err := manager(ctx, "confirm overrides")
	if err != nil {
		return nil, err
	}
	var p *pactum.Proposal
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		if p, err = tx.GetProposal(ctx, id); err != nil {
			return err
		}
		if p.Override == nil {
			return pactum.Errorf(pactum.ECONFLICT, "No override of this proposal awaits confirmation.")
		}
		if err := p.Override.CheckConfirmer(u.ID); err != nil {
			return err
		}
		if p.State != pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s; its override can no longer be confirmed.", p.State)
		}
		systems, err := systemMap(ctx, tx)
		if err != nil {
			return err
		}
		now := tx.Now()
		p.Override.ConfirmedBy, p.Override.ConfirmedAt = u.ID, &now
		if err := tx.Record("proposal.override_confirm", "proposal", p.ID, nil, p.Override); err != nil {
			return err
		}
		return a.decide(ctx, tx, u, p, p.Override.Input(), systems)
	})
	if err != nil {
		return nil, err
	}
	a.observer.ProposalDecided(p, DecidedByOverride)
	return a.timed(ctx, p, nil)
}
