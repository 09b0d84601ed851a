// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// DecideProposal accepts or rejects a proposal in review; acceptance
// creates allocations carrying the screening's and the ethics review's
// conditions. Access managers only. ECONFLICT when the proposal is not in
// review or a grant would exceed a system's capacity. It does not wait for
// the review stages: it is how the fast lane's referrals are decided after
// their review; peer-reviewed proposals are normally decided by publishing
// an allocation run.
func (a *App) DecideProposal(ctx context.Context, id string, in pactum.DecisionInput) (*pactum.Proposal, error) {
	u, err := manager(ctx, "decide proposals")
	if err != nil {
		return nil, err
	}
	var p *pactum.Proposal
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		systems, err := systemMap(ctx, tx)
		if err != nil {
			return err
		}
		p, err = decide(ctx, tx, u, id, in, systems)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decide applies a decision inside a transaction: the transition, the
// capacity, the record and, for an acceptance, the allocations. systems is
// the catalogue as the transaction reads it. Publishing an allocation run
// decides its proposals through it too.
func decide(ctx context.Context, tx pactum.Tx, u *pactum.User, id string, in pactum.DecisionInput,
	systems map[string]*pactum.System) (*pactum.Proposal, error) {
	p, err := tx.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(p); err != nil {
		return nil, err
	}
	to := pactum.ProposalRejected
	if in.Accept {
		to = pactum.ProposalAccepted
	}
	from, oldVersion := p.State, p.Version
	if err := p.Transition(to); err != nil {
		return nil, err
	}
	grants := in.Grants
	if in.Accept && len(grants) == 0 {
		grants = p.RequestedGrants()
	}
	if in.Accept {
		if err := reserve(ctx, tx, p.CallID, systems, grants); err != nil {
			return nil, err
		}
	}
	p.Decision = &pactum.ProposalDecision{Accept: in.Accept, Grants: grants, Reason: in.Reason, DecidedBy: u.ID, DecidedAt: tx.Now()}
	if err := saveState(ctx, tx, p, oldVersion); err != nil {
		return nil, err
	}
	if err := tx.Record("proposal.decide", "proposal", p.ID, pactum.StateChange{State: from}, p); err != nil {
		return nil, err
	}
	if in.Accept {
		if err := createAllocations(ctx, tx, p, systems); err != nil {
			return nil, err
		}
	}
	return p, nil
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
func createAllocations(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, systems map[string]*pactum.System) error {
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
	}
	return nil
}
