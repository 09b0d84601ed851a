// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// Budgeter is a cluster that can give each allocation a QOS of its own
// that makes its grant a hard budget (slurm.Client.ReconcileBudgets).
type Budgeter interface {
	ReconcileBudgets(ctx context.Context, mark string, budgets []slurm.Budget, gone []string) (slurm.BudgetReport, error)
}

// Budgets returns the hard budget of each allocation st provisions whose
// account is pactum's (not held by a foreign account in o): its grant and
// the usage counted, in the grant's TRES minutes (rounded up), blocked
// once exhausted; and the accounts of allocations being removed.
func Budgets(st *pactum.SiteState, o *slurm.Observed, owner string, cpusPerNode int) ([]slurm.Budget, []string, error) {
	var bs []slurm.Budget
	var gone []string
	for _, x := range st.Allocations {
		if x.Remove {
			gone = append(gone, x.Account)
			continue
		}
		if h := o.Accounts[x.Account]; h != nil && !slurm.Owned(h.Description, owner) {
			continue
		}
		var grant slurm.TRES
		var err error
		if x.Unit == pactum.UnitNodeHours && cpusPerNode > 0 {
			grant, err = slurm.CPULimitsFor(x.Amount, cpusPerNode)
		} else {
			grant, err = slurm.LimitsFor(x.Amount, x.Unit)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("allocation %s: %w", x.AllocationID, err)
		}
		b := slurm.Budget{Account: x.Account, Grant: grant, Counted: slurm.TRES{}, Blocked: x.State == pactum.AllocationExhausted}
		for k, g := range grant {
			secs := x.ChargeSeconds
			if k == "cpu" && x.Unit == pactum.UnitNodeHours {
				secs *= int64(cpusPerNode)
			}
			b.Counted[k] = (secs + 59) / 60
			if b.Counted[k] >= g {
				b.Blocked = true
			}
		}
		bs = append(bs, b)
	}
	return bs, gone, nil
}

// budgets reconciles the allocations' QOS when the cluster can; o is the
// observation made before this cycle's reconcile.
func (a *Agent) budgets(ctx context.Context, st *pactum.SiteState, o *slurm.Observed, owner string, rep *Report) error {
	b, ok := a.cfg.Cluster.(Budgeter)
	if !ok || a.cfg.DryRun {
		return nil
	}
	bs, gone, err := Budgets(st, o, owner, a.cfg.CPUsPerNode)
	if err != nil {
		return err
	}
	r, err := b.ReconcileBudgets(ctx, owner, bs, gone)
	rep.Applied = append(rep.Applied, r.Applied...)
	for _, x := range r.Applied {
		a.log.Info("applied", "action", x)
	}
	for _, f := range r.Foreign {
		a.log.Warn("drift: a QOS named like an allocation lacks pactum's mark; left alone", "qos", f)
		rep.Foreign = append(rep.Foreign, f)
	}
	if err != nil {
		return fmt.Errorf("budgets: %w", err)
	}
	return nil
}
