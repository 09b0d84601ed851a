// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/pactum/pactum"
)

// HeldJob is a job the agent held because its model was held
// (DesiredAllocation.HeldModels), kept in its state so that it releases
// exactly the jobs it held, and no job held by someone else.
type HeldJob struct {
	Account string `json:"account"`
	Model   string `json:"model"`
}

// holdJobs holds the pending jobs whose claim (pactum.ParseJobLabel) names
// a model held under their account, and releases the jobs it held once
// their model no longer is (acknowledged, or the call's term turned off).
// A job released by hand while its model is held is held again. Running
// jobs go on: the hold is of further jobs. Slurm decides nothing here;
// a job that started or went away in between is dropped from the state.
func (a *Agent) holdJobs(ctx context.Context, st *pactum.SiteState, rep *Report) error {
	held := map[string]map[string]bool{} // account → held model labels
	for _, x := range st.Allocations {
		if len(x.HeldModels) == 0 || x.Remove {
			continue
		}
		held[x.Account] = map[string]bool{}
		for _, m := range x.HeldModels {
			held[x.Account][m] = true
		}
	}
	if len(held) == 0 && len(a.state.HeldJobs) == 0 {
		return nil
	}
	if a.state.HeldJobs == nil {
		a.state.HeldJobs = map[string]HeldJob{}
	}
	var errs []error
	// Release first: what the agent held for a model no longer held.
	for _, id := range slices.Sorted(maps.Keys(a.state.HeldJobs)) {
		hj := a.state.HeldJobs[id]
		if held[hj.Account][hj.Model] {
			continue
		}
		if a.cfg.DryRun {
			rep.Planned = append(rep.Planned, "release job "+id+" of model "+hj.Model)
			continue
		}
		err := a.cfg.Cluster.Release(ctx, id)
		switch {
		case err == nil:
			rep.JobsReleased = append(rep.JobsReleased, id)
			a.log.Info("released a held job: its model's hold was acknowledged", "job", id, "model", hj.Model, "account", hj.Account)
		case pactum.ErrorCode(err) == pactum.ECONFLICT:
			a.log.Info("a held job is gone; forgotten", "job", id, "model", hj.Model)
		default:
			errs = append(errs, err)
			continue
		}
		delete(a.state.HeldJobs, id)
	}
	if len(held) > 0 {
		jobs, err := a.cfg.Cluster.PendingJobs(ctx, slices.Sorted(maps.Keys(held)))
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		pending := map[string]bool{}
		for _, j := range jobs {
			pending[j.ID] = true
			model, _ := pactum.ParseJobLabel(j.Comment)
			if !held[j.Account][model] || j.Held() {
				continue
			}
			if a.cfg.DryRun {
				rep.Planned = append(rep.Planned, "hold job "+j.ID+" of model "+model)
				continue
			}
			err := a.cfg.Cluster.Hold(ctx, j.ID)
			if pactum.ErrorCode(err) == pactum.ECONFLICT {
				continue // it started in between: running jobs go on
			} else if err != nil {
				errs = append(errs, err)
				continue
			}
			a.state.HeldJobs[j.ID] = HeldJob{Account: j.Account, Model: model}
			rep.JobsHeld = append(rep.JobsHeld, j.ID)
			a.log.Warn("notice: held a pending job of a model held until an access manager acknowledges (AI Act Art. 52)",
				"job", j.ID, "model", model, "account", j.Account)
		}
		// Jobs the agent held that are no longer pending were cancelled
		// (a held job does not start): nothing to release.
		for id, hj := range a.state.HeldJobs {
			if held[hj.Account][hj.Model] && !pending[id] && !a.cfg.DryRun {
				delete(a.state.HeldJobs, id)
			}
		}
	}
	if a.cfg.DryRun {
		return errors.Join(errs...)
	}
	if len(a.state.HeldJobs) == 0 {
		a.state.HeldJobs = nil
	}
	return errors.Join(append(errs, a.state.Save(a.cfg.StateDir, a.cfg.Now()))...)
}
