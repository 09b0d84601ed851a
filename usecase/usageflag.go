// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"slices"

	"github.com/pactum/pactum"
)

// flagNotAsAsked records, in the ingesting transaction, each of the
// batch's allocations whose labelled GPU-hours became mostly evaluation,
// inference or other work (pactum.MostlyOtherWork), once per allocation
// (usage_flags), and raises the flag when the allocation was granted
// mostly for pre-training (pactum.NotAsAsked): an audit event
// allocation.usage_flag and a notification to every access manager and
// to the proposal's applicant. deltas are the batch's changes to the
// running totals.
//
// The ingest path stays cheap: only allocations whose labels moved
// towards other work (more other hours, or fewer training hours) are
// looked at, all in one query that leaves out those already on file. Only
// the first time an allocation's labels are mostly other work are its
// proposal read (all of the batch's in one query) and its flag written
// and notified, once per allocation for good.
func (a *App) flagNotAsAsked(ctx context.Context, tx pactum.Tx, bt *batch, deltas []pactum.ModelUsageDelta) error {
	var ids []string
	seen := map[string]bool{}
	for i := range deltas {
		d := &deltas[i]
		other := d.Phase != pactum.PhaseNone && !d.Phase.Training()
		if (other && d.GPUSeconds > 0 || d.Phase.Training() && d.GPUSeconds < 0) && !seen[d.AllocationID] {
			seen[d.AllocationID] = true
			ids = append(ids, d.AllocationID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids) // one order whatever the batch's, for the flags and their events
	rows, err := tx.ListAllocationPhaseUsage(ctx, pactum.UsageFlagNotAsAsked, ids)
	if err != nil {
		return err
	}
	flags := pactum.MostlyOtherWork(rows, tx.Now())
	if len(flags) == 0 {
		return nil
	}
	// The first time only: the grants' proposals, in one query.
	allocs := make([]*pactum.Allocation, len(flags))
	var pids []string
	for i := range flags {
		al, err := bt.allocation(ctx, tx, flags[i].AllocationID)
		if err != nil {
			return err
		}
		allocs[i] = al
		pids = append(pids, al.ProposalID)
	}
	list, err := tx.ListProposalsByID(ctx, pids)
	if err != nil {
		return err
	}
	proposals := make(map[string]*pactum.Proposal, len(list))
	for _, p := range list {
		proposals[p.ID] = p
	}
	var managers []*pactum.User
	for i := range flags {
		f, al := &flags[i], allocs[i]
		p := proposals[al.ProposalID]
		if p == nil {
			return fmt.Errorf("allocation %s: proposal %s not found", al.ID, al.ProposalID)
		}
		f.RaiseNotAsAsked(p.PreTrainingShare())
		isNew, err := tx.InsertUsageFlag(ctx, *f)
		if err != nil {
			return err
		}
		if !isNew || !f.Raised {
			continue // on file already (a batch alongside), or not what the grant was for
		}
		if err := tx.Record("allocation.usage_flag", "allocation", al.ID, nil, f); err != nil {
			return err
		}
		if managers == nil {
			role := pactum.RoleAccessManager
			if managers, _, err = tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Limit: 1000}); err != nil {
				return err
			}
		}
		to := []string{p.ApplicantID}
		for _, m := range managers {
			to = append(to, m.ID)
		}
		for _, id := range to {
			if err := a.notify(ctx, tx, pactum.NotAsAskedNotice(id, f, al, p)); err != nil {
				return err
			}
		}
	}
	return nil
}
