// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// DecideProposal accepts or rejects a proposal in review when its review
// plan allows (pactum.MayDecide); acceptance creates allocations carrying
// the screening's and the ethics review's conditions. Access managers
// only. ECONFLICT saying what the review still lacks, when the proposal is
// not in review, or when a grant would exceed a system's capacity.
// Peer-reviewed proposals are decided by publishing an allocation run,
// never here. With in.Override it decides nothing: it stores a pending
// override for a second access manager to confirm (ConfirmOverride).
func (a *App) DecideProposal(ctx context.Context, id string, in pactum.DecisionInput) (*pactum.Proposal, error) {
	u, err := manager(ctx, "decide proposals")
	if err != nil {
		return nil, err
	}
	if in.Override != nil {
		if err := in.Override.Validate(); err != nil {
			return nil, err
		}
	}
	var p *pactum.Proposal
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		if p, err = tx.GetProposal(ctx, id); err != nil {
			return err
		}
		if err := in.Validate(p); err != nil {
			return err
		}
		stage, why, err := a.mayDecide(ctx, tx, p)
		if err != nil {
			return err
		}
		if in.Override != nil {
			return requestOverride(ctx, tx, u, p, in, stage, why)
		}
		if why != nil && p.State == pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "%s %s", pactum.ErrorMessage(why), pactum.OverrideHint)
		}
		if why != nil {
			return why
		}
		systems, err := systemMap(ctx, tx)
		if err != nil {
			return err
		}
		return a.decide(ctx, tx, u, p, in, systems)
	})
	if err != nil {
		return nil, err
	}
	if in.Override == nil {
		a.observer.ProposalDecided(p, DecidedByManager)
	}
	return a.timed(ctx, p, nil)
}

// mayDecide reads what pactum.MayDecide needs about p and asks it. It
// returns p's review stage (empty without a track), MayDecide's refusal
// (nil when p may be decided), and the store's errors apart.
func (a *App) mayDecide(ctx context.Context, tx pactum.Tx, p *pactum.Proposal) (pactum.ReviewStage, error, error) {
	call, err := tx.GetCall(ctx, p.CallID)
	if err != nil {
		return "", nil, err
	}
	t, _, err := tx.GetReviewTrack(ctx, p.ID)
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		t, err = nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	var pr pactum.StageProgress
	var stage pactum.ReviewStage
	if t != nil {
		stage = t.Stage
		if pr, err = tx.GetStageProgress(ctx, t); err != nil {
			return "", nil, err
		}
		if pr.Rubric, err = a.callRubric(ctx, tx, p.CallID); err != nil {
			return "", nil, err
		}
		pr.Now = tx.Now()
	}
	return stage, pactum.MayDecide(p, call.Mode(p.Mode), t, pr), nil
}

// decide applies a decision to p, read in the same transaction: the
// transition, the capacity, the record and, for an acceptance, the
// allocations. systems is the catalogue as the transaction reads it.
// Whether p may be decided is the caller's question: DecideProposal asks
// MayDecide, ConfirmOverride the override, and publishing an allocation
// run decides the proposals its panel ranked.
func (a *App) decide(ctx context.Context, tx pactum.Tx, u *pactum.User, p *pactum.Proposal, in pactum.DecisionInput,
	systems map[string]*pactum.System) error {
	if err := in.Validate(p); err != nil {
		return err
	}
	to := pactum.ProposalRejected
	if in.Accept {
		to = pactum.ProposalAccepted
	}
	from, oldVersion := p.State, p.Version
	if err := p.Transition(to); err != nil {
		return err
	}
	grants := in.Grants
	if in.Accept && len(grants) == 0 {
		grants = p.RequestedGrants()
	}
	if in.Accept {
		if err := reserve(ctx, tx, p.CallID, systems, grants); err != nil {
			return err
		}
	}
	p.Decision = &pactum.ProposalDecision{Accept: in.Accept, Grants: grants, Reason: in.Reason, DecidedBy: u.ID, DecidedAt: tx.Now()}
	if err := saveState(ctx, tx, p, oldVersion); err != nil {
		return err
	}
	if err := tx.Record("proposal.decide", "proposal", p.ID, pactum.StateChange{State: from}, p); err != nil {
		return err
	}
	if err := a.notify(ctx, tx, pactum.DecisionNotice(p, in)); err != nil {
		return err
	}
	if in.Accept {
		return a.createAllocations(ctx, tx, p, systems)
	}
	return nil
}

// reserve takes grants out of the call's capacity, or returns ECONFLICT
// saying which system lacks room, having taken nothing.
func reserve(ctx context.Context, tx pactum.Tx, callID string, systems map[string]*pactum.System, grants []pactum.Grant) error {
	for _, g := range grants {
		if systems[g.SystemID] == nil {
			return pactum.Errorf(pactum.EINVALID, "System %q is not in the catalogue.", g.SystemID)
		}
	}
	short, err := tx.ReserveCapacity(ctx, callID, grants)
	if err != nil {
		return err
	}
	if short != nil {
		return short.Err(systems[short.SystemID])
	}
	return nil
}

// createAllocations turns a proposal's decision into allocations awaiting
// provisioning, with the award's conditions (pactum.AwardConditions).
func (a *App) createAllocations(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, systems map[string]*pactum.System) error {
	var ethics []*pactum.Review
	if p.State == pactum.ProposalAccepted {
		var err error
		if ethics, err = tx.ListCountedReviews(ctx, p.ID, pactum.StageEthics); err != nil {
			return err
		}
	}
	for _, al := range pactum.NewAllocations(p, systems, pactum.AwardConditions(p, ethics), tx.Now(), newID) {
		if err := tx.InsertAllocation(ctx, al, p.CallID); err != nil {
			return err
		}
		if err := tx.Record("allocation.create", "allocation", al.ID, nil, al); err != nil {
			return err
		}
		if err := a.createObligations(ctx, tx, p, al); err != nil {
			return err
		}
	}
	return nil
}
