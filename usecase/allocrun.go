// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
)

// CreateAllocationRun solves the call's allocation problem and stores the
// result as a draft; it changes no proposal. The solve runs on a snapshot
// read before, and outside, any write transaction, so a large call does not
// hold up other writers; publishing checks that its inputs still hold.
// Access managers only. ENOTFOUND for an unknown call, EINVALID for bad
// parameters, ECONFLICT before the cut-off of a call offering a mode that
// is not rolling (pactum.Call.CheckRankable).
//
// With in.BaseRunID the run is a what-if of an earlier run of the call: the
// parameters in leaves unset are the base run's (AllocationRunInput.Over),
// the optimiser starts from the base run's solution, and the run keeps
// what changed from it (Changes). EINVALID naming
// base_run_id for an unknown run or a run of another call, and naming
// capacities.<system> for a system the call does not offer.
func (a *App) CreateAllocationRun(ctx context.Context, callID string, in pactum.AllocationRunInput) (*pactum.AllocationRun, error) {
	u, err := manager(ctx, "run allocations")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var snap *pactum.RunSnapshot
	var base *pactum.AllocationRun
	if err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		if snap, err = q.GetRunSnapshot(ctx, callID); err != nil {
			return err
		}
		if in.BaseRunID == "" {
			return nil
		}
		var baseIn *pactum.AllocationRunInput
		base, baseIn, err = q.GetRun(ctx, in.BaseRunID)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND {
			return invalidRun("names no allocation run")
		} else if err != nil {
			return err
		}
		if base.CallID != callID {
			return invalidRun("is a run of another call (%s)", base.CallID)
		}
		in = in.Over(*baseIn)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := in.CheckSystems(snap.Call); err != nil {
		return nil, err
	}
	if err := snap.Call.CheckRankable(a.clock(), "run an allocation"); err != nil {
		return nil, err
	}
	left, _, err := snap.Remaining()
	if err != nil {
		return nil, err
	}
	run, instance, err := a.allocator.Solve(ctx, snap, in.Resolve(left), base)
	if err != nil {
		return nil, err
	}
	run.CallID, run.State, run.NotReady, run.CreatedBy, run.Version = callID, pactum.RunDraft, snap.NotReady(), u.ID, 1
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		run.ID, run.CreatedAt = newID(), tx.Now()
		if base != nil {
			if run.Changes, err = pactum.DiffRuns(base, run); err != nil {
				return err
			}
		}
		if err := tx.InsertRun(ctx, run, in, instance); err != nil {
			return err
		}
		return tx.Record("allocation_run.create", "allocation_run", run.ID, nil, runSummary(run))
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// runSummary is what the audit log keeps of a run; the run itself holds the
// outcomes.
func runSummary(r *pactum.AllocationRun) map[string]any {
	count := map[string]int{}
	for _, o := range r.Outcomes {
		count[o.Outcome]++
	}
	sum := map[string]any{"call_id": r.CallID, "state": r.State, "params": r.Params, "input_hash": r.InputHash,
		"objective": r.Objective, "bound": r.Bound, "gap": r.Gap, "outcomes": count, "not_ready": r.NotReady}
	if r.BaseRunID != "" {
		sum["base_run_id"] = r.BaseRunID
	}
	return sum
}

// FindAllocationRunByID returns a run. Access managers and auditors only;
// EFORBIDDEN otherwise.
func (a *App) FindAllocationRunByID(ctx context.Context, id string) (*pactum.AllocationRun, error) {
	if _, err := reader(ctx, "read allocation runs"); err != nil {
		return nil, err
	}
	r, _, err := a.store.GetRun(ctx, id)
	return r, err
}

// FindAllocationRuns lists runs newest first, without their outcomes.
// Access managers and auditors only.
func (a *App) FindAllocationRuns(ctx context.Context, f pactum.AllocationRunFilter) ([]*pactum.AllocationRun, int, error) {
	if _, err := reader(ctx, "read allocation runs"); err != nil {
		return nil, 0, err
	}
	return a.store.ListRuns(ctx, f)
}

// AllocationRunInstance returns the solver's input of a run as JSON, for
// cross-checking with another solver. Access managers and auditors only.
func (a *App) AllocationRunInstance(ctx context.Context, id string) ([]byte, error) {
	if _, err := reader(ctx, "read allocation runs"); err != nil {
		return nil, err
	}
	return a.store.GetRunInstance(ctx, id)
}

// PublishAllocationRun makes a draft run the committee's decision, in one
// transaction: accepted proposals get allocations (capacity reserved as for
// any decision), refused ones are rejected with the run's explanation, each
// applicant is notified, and all of it is audited. Access managers only.
// ECONFLICT when the run was published or its inputs changed since it was
// solved (solve again): the input hash is recomputed from a snapshot read
// inside the transaction.
func (a *App) PublishAllocationRun(ctx context.Context, id string) (*pactum.AllocationRun, error) {
	u, err := manager(ctx, "publish allocation runs")
	if err != nil {
		return nil, err
	}
	var run *pactum.AllocationRun
	var decided []*pactum.Proposal
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		decided = nil
		var in *pactum.AllocationRunInput
		var err error
		if run, in, err = tx.GetRun(ctx, id); err != nil {
			return err
		}
		if run.State == pactum.RunPublished {
			return pactum.Errorf(pactum.ECONFLICT, "Allocation run %s was already published.", id)
		}
		snap, err := a.checkInputs(ctx, tx, run, *in)
		if err != nil {
			return err
		}
		accepted, err := a.decideRun(ctx, tx, u, run, snap.Systems, &decided)
		if err != nil {
			return err
		}
		before := runSummary(run)
		now := tx.Now()
		oldVersion := run.Version
		run.State, run.PublishedBy, run.PublishedAt, run.Version = pactum.RunPublished, u.ID, &now, oldVersion+1
		if err := tx.UpdateRunPublished(ctx, run, oldVersion); err != nil {
			return err
		}
		after := runSummary(run)
		after["accepted"], after["refused"] = accepted, len(run.Outcomes)-accepted
		return tx.Record("allocation_run.publish", "allocation_run", run.ID, before, after)
	})
	if err != nil {
		return nil, err
	}
	for _, p := range decided {
		a.observer.ProposalDecided(p, DecidedByAllocationRun)
	}
	return run, nil
}

// checkInputs refuses a run whose inputs changed since it was solved: the
// call's proposals, reviews or capacity as the transaction sees them give
// another input hash. It returns the snapshot it read.
func (a *App) checkInputs(ctx context.Context, tx pactum.Tx, run *pactum.AllocationRun, in pactum.AllocationRunInput) (*pactum.RunSnapshot, error) {
	snap, err := tx.GetRunSnapshot(ctx, run.CallID)
	if err != nil {
		return nil, err
	}
	left, _, err := snap.Remaining()
	if err != nil {
		return nil, err
	}
	for _, id := range snap.Call.SystemIDs {
		if c, ok := in.Capacities[id]; ok && c > left[id]*(1+1e-9) {
			return nil, pactum.Errorf(pactum.ECONFLICT, "Allocation run %s assumes %.0f GPU-hours on %s, but the call has %.0f left there: it is a what-if; run it again within the capacity to publish.",
				run.ID, c, id, left[id])
		}
	}
	hash, err := a.allocator.InputHash(snap, in.Resolve(left))
	if err != nil {
		return nil, err
	}
	if hash != run.InputHash {
		return nil, pactum.Errorf(pactum.ECONFLICT, "The call's proposals, reviews or capacity changed since allocation run %s was solved; run it again.", run.ID)
	}
	return snap, nil
}

// decideRun decides every outcome of a run and notifies its applicant,
// returning how many were accepted and appending each decided proposal to
// decided. systems is the catalogue the transaction read with the run's
// inputs.
func (a *App) decideRun(ctx context.Context, tx pactum.Tx, u *pactum.User, run *pactum.AllocationRun, systems map[string]*pactum.System,
	decided *[]*pactum.Proposal) (int, error) {
	accepted := 0
	for _, o := range run.Outcomes {
		d := pactum.CommitteeDecision(run, o, len(run.Outcomes))
		p, err := tx.GetProposal(ctx, o.ProposalID)
		if err == nil {
			err = a.decide(ctx, tx, u, p, d, systems)
		}
		if err != nil {
			return 0, fmt.Errorf("proposal %s: %w", o.ProposalID, err)
		}
		*decided = append(*decided, p)
		if d.Accept {
			accepted++
		}
	}
	return accepted, nil
}

// DiffAllocationRuns returns what changed from run beforeID to run afterID
// of the same call (pactum.DiffRuns); an empty beforeID is the run afterID
// is a what-if of. Access managers and auditors only; ENOTFOUND for an
// unknown run, EINVALID for runs of different calls or an empty beforeID
// with a run that is no what-if.
func (a *App) DiffAllocationRuns(ctx context.Context, beforeID, afterID string) (*pactum.RunDiff, error) {
	if _, err := reader(ctx, "read allocation runs"); err != nil {
		return nil, err
	}
	var before, after *pactum.AllocationRun
	if err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		var err error
		if after, _, err = q.GetRun(ctx, afterID); err != nil {
			return err
		}
		if beforeID == "" {
			if beforeID = after.BaseRunID; beforeID == "" {
				var v pactum.Validator
				v.Add("against", "is required: run %s is not a what-if of another run", afterID)
				return v.Err("Name the run to compare with.")
			}
		}
		before, _, err = q.GetRun(ctx, beforeID)
		return err
	}); err != nil {
		return nil, err
	}
	return pactum.DiffRuns(before, after)
}

// invalidRun is EINVALID naming base_run_id.
func invalidRun(format string, args ...any) error {
	var v pactum.Validator
	v.Add("base_run_id", format, args...)
	return v.Err("The allocation run is not valid.")
}
