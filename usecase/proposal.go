// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"time"

	"github.com/pactum/pactum"
)

// FindProposalByID returns a proposal the caller may see
// (CanSeeProposalWith), or ENOTFOUND, so that existence is not leaked.
func (a *App) FindProposalByID(ctx context.Context, id string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := visibleProposal(ctx, a.store, u, id)
	return a.timed(ctx, p, err)
}

// visibleProposal loads a proposal u may see, or ENOTFOUND.
func visibleProposal(ctx context.Context, q pactum.Queries, u *pactum.User, id string) (*pactum.Proposal, error) {
	p, err := q.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := canSeeProposal(ctx, q, u, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
	}
	return p, nil
}

// canSeeProposal applies pactum.CanSeeProposalWith, looking up the
// assignment, conflict and site facts it needs for reviewers and site
// operators.
func canSeeProposal(ctx context.Context, q pactum.Queries, u *pactum.User, p *pactum.Proposal) (bool, error) {
	var access pactum.ProposalAccess
	if reviewer, site := pactum.AccessFacts(u); reviewer != "" || site != "" {
		var err error
		if access, err = q.GetProposalAccess(ctx, p.ID, reviewer, site); err != nil {
			return false, err
		}
	}
	return pactum.CanSeeProposalWith(u, p, access), nil
}

// editable loads a proposal for a change by its applicant organization:
// EFORBIDDEN for others who may see it, ENOTFOUND for everyone else.
func editable(ctx context.Context, q pactum.Queries, u *pactum.User, id string) (*pactum.Proposal, error) {
	p, err := q.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if pactum.CanEditProposal(u, p) {
		return p, nil
	}
	visible, err := canSeeProposal(ctx, q, u, p)
	if err != nil {
		return nil, err
	}
	if visible {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only the applicant organization may change proposal %q.", id)
	}
	return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
}

// FindProposals lists the proposals the caller may see, newest first, and
// the total matching.
func (a *App) FindProposals(ctx context.Context, f pactum.ProposalFilter) ([]*pactum.Proposal, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	list, total, err := a.store.ListProposals(ctx, pactum.ProposalScope(u), f)
	if err != nil {
		return nil, 0, err
	}
	if err := a.withTimeToTrain(ctx, list...); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// applicant returns the caller if they may write proposals.
func applicant(ctx context.Context) (*pactum.User, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != pactum.RoleApplicant {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only applicants may write proposals.")
	}
	return u, nil
}

// checkContent validates a proposal's content against its call and the
// catalogue as it must be to be submitted (pactum.Proposal.ValidateAgainst),
// reporting every problem at once. The call and catalogue it returns are
// shared cached values: read them, never change them.
func (a *App) checkContent(ctx context.Context, p *pactum.Proposal) (*pactum.Call, map[string]*pactum.System, error) {
	return a.checkProposal(ctx, p, false)
}

// checkDraft validates a draft's content as checkContent does, except that
// what is missing is left for submission (pactum.Proposal.ValidateDraft).
func (a *App) checkDraft(ctx context.Context, p *pactum.Proposal) error {
	_, _, err := a.checkProposal(ctx, p, true)
	return err
}

func (a *App) checkProposal(ctx context.Context, p *pactum.Proposal, draft bool) (*pactum.Call, map[string]*pactum.System, error) {
	var call *pactum.Call
	if p.CallID != "" {
		c, err := a.call(ctx, p.CallID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return nil, nil, err
		}
		call = c
	}
	systems, err := a.systems(ctx)
	if err != nil {
		return nil, nil, err
	}
	var v pactum.Validator
	if draft {
		v.Merge("", p.ValidateDraft(call, systems))
	} else {
		v.Merge("", p.ValidateAgainst(call, systems))
	}
	if p.CallID != "" && call == nil {
		v.Add("call_id", "names no call: %q", p.CallID)
	}
	if err := v.Err("The proposal is not valid."); err != nil {
		return nil, nil, err
	}
	return call, systems, nil
}

// newDraft makes p a new draft of u's organization and returns the audit
// event of its creation, encoded before any transaction.
func newDraft(u *pactum.User, p *pactum.Proposal, now time.Time) (*pactum.AuditEvent, error) {
	p.ID = newID()
	p.OrganizationID = u.OrganizationID
	p.ApplicantID = u.ID
	p.State = pactum.ProposalDraft
	p.Screening, p.Decision, p.SubmittedAt, p.DecisionDueAt, p.TimeToTrain = nil, nil, nil, nil, nil
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	return pactum.NewAuditEvent(u.ID, "proposal.create", "proposal", p.ID, nil, p)
}

// CreateProposal stores a draft. Applicants only, for their own
// organization: OrganizationID and ApplicantID are the caller's. A draft
// may be incomplete; what it gives must be well-formed (ValidateDraft).
// EINVALID for bad content or an unknown call.
func (a *App) CreateProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := applicant(ctx)
	if err != nil {
		return err
	}
	if err := a.checkDraft(ctx, p); err != nil {
		return err
	}
	created, err := newDraft(u, p, a.now())
	if err != nil {
		return err
	}
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		tx.Adopt([]*pactum.AuditEvent{created})
		return tx.InsertProposal(ctx, p)
	})
	if err != nil {
		return err
	}
	return a.withTimeToTrain(ctx, p)
}

// UpdateProposal replaces the content of a draft. Its applicant's
// organization only. The draft may stay incomplete, as in CreateProposal.
// ECONFLICT when it is not a draft or changed concurrently.
func (a *App) UpdateProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	old, err := editable(ctx, a.store, u, p.ID)
	if err != nil {
		return err
	}
	if old.State != pactum.ProposalDraft {
		return pactum.Errorf(pactum.ECONFLICT, "Only a draft can be changed; this proposal is %s.", old.State)
	}
	p.CallID = old.CallID // a proposal stays in its call
	if err := a.checkDraft(ctx, p); err != nil {
		return err
	}
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		p.OrganizationID, p.ApplicantID, p.State = old.OrganizationID, old.ApplicantID, old.State
		p.CreatedAt, p.UpdatedAt, p.Version = old.CreatedAt, tx.Now(), old.Version+1
		p.Screening, p.Decision, p.SubmittedAt, p.DecisionDueAt, p.TimeToTrain = nil, nil, nil, nil, nil
		// The version guard refuses the update if the draft changed since
		// it was read.
		if err := tx.UpdateProposalContent(ctx, p, old.Version); err != nil {
			return err
		}
		return tx.Record("proposal.update", "proposal", p.ID, old, p)
	})
	if err != nil {
		return err
	}
	return a.withTimeToTrain(ctx, p)
}

// WithdrawProposal withdraws an open proposal. Its applicant's
// organization only. ECONFLICT once decided.
func (a *App) WithdrawProposal(ctx context.Context, id, reason string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.CheckNote("The withdrawal is not valid.", "reason", reason, false, 5000, true); err != nil {
		return nil, err
	}
	var p *pactum.Proposal
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		var err error
		if p, err = editable(ctx, tx, u, id); err != nil {
			return err
		}
		from, oldVersion := p.State, p.Version
		if err := p.Transition(pactum.ProposalWithdrawn); err != nil {
			return err
		}
		if err := saveState(ctx, tx, p, oldVersion); err != nil {
			return err
		}
		return tx.Record("proposal.withdraw", "proposal", p.ID, pactum.StateChange{State: from}, pactum.Noted(p, map[string]any{"reason": reason}))
	})
	return a.timed(ctx, p, err)
}

// saveState writes a proposal's state and decisions as a new version.
func saveState(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, oldVersion int) error {
	p.UpdatedAt, p.Version = tx.Now(), oldVersion+1
	return tx.UpdateProposalState(ctx, p, oldVersion)
}
