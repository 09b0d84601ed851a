// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// FindAllocationByID returns an allocation the caller may see
// (CanSeeAllocation), or ENOTFOUND.
func (a *App) FindAllocationByID(ctx context.Context, id string) (*pactum.Allocation, error) {
	al, _, err := visibleAllocation(ctx, a.store, id)
	return al, err
}

// visibleAllocation returns an allocation the caller may see and its site,
// or ENOTFOUND.
func visibleAllocation(ctx context.Context, q pactum.Queries, id string) (*pactum.Allocation, string, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, "", err
	}
	al, site, err := q.GetAllocation(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if !pactum.CanSeeAllocation(u, al, site) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	}
	return al, site, nil
}

// FindAllocations lists the allocations the caller may see, newest first,
// and the total matching.
func (a *App) FindAllocations(ctx context.Context, f pactum.AllocationFilter) ([]*pactum.Allocation, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListAllocations(ctx, pactum.AllocationScope(u), f)
}

// TransitionAllocation changes an allocation's state
// (CanTransitionAllocation): site operators of its site activate it once
// provisioned; access managers suspend, resume and expire it. Moving to the
// state it is in changes nothing, so a retry is harmless. EINVALID for an
// unknown state, ENOTFOUND when the caller may not see it, EFORBIDDEN for
// the wrong role, ECONFLICT for an illegal transition.
func (a *App) TransitionAllocation(ctx context.Context, id string, to pactum.AllocationState, reason string) (*pactum.Allocation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !to.Valid() {
		return nil, invalid("The transition is not valid.", "state", "must be one of pending_provisioning, active, suspended, exhausted, expired")
	}
	if err := pactum.CheckNote("The transition is not valid.", "reason", reason, false, 5000, true); err != nil {
		return nil, err
	}
	var al *pactum.Allocation
	// Forgotten after the commit too, so that an ingest that cached the
	// old state while this ran does not keep it.
	a.cache.dropAllocation(id)
	defer a.cache.dropAllocation(id)
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		var err error
		al, err = transitionAllocation(ctx, tx, u, id, to, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return al, nil
}

func transitionAllocation(ctx context.Context, tx pactum.Tx, u *pactum.User, id string, to pactum.AllocationState, reason string) (*pactum.Allocation, error) {
	al, site, err := tx.GetAllocation(ctx, id)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeAllocation(u, al, site) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	}
	if al.State == to {
		return al, nil
	}
	if !pactum.CanTransitionAllocation(u, site, al.State, to) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "A %s may not move an allocation from %s to %s.", u.Role, al.State, to)
	}
	from, oldVersion := al.State, al.Version
	if err := al.Transition(to); err != nil {
		return nil, err
	}
	al.UpdatedAt, al.Version = tx.Now(), oldVersion+1
	if err := tx.UpdateAllocationState(ctx, al, oldVersion); err != nil {
		return nil, err
	}
	if err := tx.Record("allocation."+transitionVerb(to), "allocation", al.ID,
		map[string]any{"state": from}, pactum.Noted(al, map[string]any{"reason": reason})); err != nil {
		return nil, err
	}
	return al, nil
}

func transitionVerb(to pactum.AllocationState) string {
	switch to {
	case pactum.AllocationActive:
		return "activate"
	case pactum.AllocationSuspended:
		return "suspend"
	case pactum.AllocationExhausted:
		return "exhaust"
	case pactum.AllocationExpired:
		return "expire"
	}
	return "transition"
}
