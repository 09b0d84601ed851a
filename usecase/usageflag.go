// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
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
// looked at, all in one query that leaves out those already on file; the
// proposal is read, and the flag written and notified, only the first
// time, once per allocation for good.
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
	for i := range flags {
		f := &flags[i]
		al, err := bt.allocation(ctx, tx, f.AllocationID)
		if err != nil {
			return err
		}
		p, err := tx.GetProposal(ctx, al.ProposalID)
		if err != nil {
			return err
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
		role := pactum.RoleAccessManager
		managers, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Limit: 1000})
		if err != nil {
			return err
		}
		to := []string{p.ApplicantID}
		for _, m := range managers {
			to = append(to, m.ID)
		}
		for _, id := range to {
			if err := notify(ctx, tx, pactum.NotAsAskedNotice(id, f, al, p)); err != nil {
				return err
			}
		}
	}
	return nil
}
