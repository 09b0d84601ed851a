// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
)

// reconcile brings the cluster to the desired state st, within what the
// agent owns (slurm.Plan), sparing accounts the server stopped mentioning
// until they have been absent for RemoveAfter cycles and holding every
// such removal when most of pactum's accounts vanish at once.
func (a *Agent) reconcile(ctx context.Context, st *pactum.SiteState, rep *Report) error {
	if a.cfg.Root != "" {
		st.Root = a.cfg.Root
	}
	d, err := Tree(st, a.cfg.CPUsPerNode)
	if err != nil {
		return fmt.Errorf("desired accounts: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, a.cfg.ReconcileTimeout)
	defer cancel()
	p := a.slurmPolicy()
	var o *slurm.Observed
	if err := retry.Do(rctx, p, func(ctx context.Context) error {
		var err error
		o, err = slurm.Observe(ctx, a.cfg.Cluster, d.Root.Name)
		if err != nil && !slurm.IsTransient(err) && slurm.IsCommandError(err) {
			return retry.Permanent(err)
		}
		return err
	}); err != nil {
		return fmt.Errorf("observe %s: %w", d.Root.Name, err)
	}
	a.spareAbsent(st, &d, o, rep)
	r, err := slurm.ReconcileWith(rctx, a.cfg.Cluster, d, p, slurm.Options{DryRun: a.cfg.DryRun})
	if pactum.ErrorCode(err) == pactum.ECONFLICT && !a.cfg.DryRun {
		// An account to remove still has jobs (Slurm refuses). Keep every
		// account the tree drops, suspended, and remove it once its jobs
		// are gone, in a later cycle.
		var kept []string
		d, kept, err = a.keepStale(rctx, d)
		if err == nil {
			var r2 slurm.Report
			r2, err = slurm.Reconcile(rctx, a.cfg.Cluster, d, p)
			r.Applied, r.Drift = append(r.Applied, r2.Applied...), append(r.Drift, r2.Drift...)
			rep.Deferred = kept
			a.log.Warn("removal deferred while jobs run; the accounts are suspended", "accounts", kept)
			a.cancelQueued(rctx, kept, rep)
		}
	}
	rep.Foreign = append(rep.Foreign, r.Foreign...)
	for _, f := range r.Foreign {
		a.log.Warn("drift: an account beneath pactum's root lacks pactum's mark; left alone", "account", f, "mark", d.Owner)
	}
	if a.cfg.DryRun {
		rep.Planned = append(rep.Planned, actions(r.Planned)...)
		return err
	}
	rep.Applied = append(rep.Applied, actions(r.Applied)...)
	for _, x := range r.Applied {
		a.log.Info("applied", "action", x.String())
	}
	if err != nil {
		return err
	}
	if err := a.budgets(rctx, st, o, d.Owner, rep); err != nil {
		return err
	}
	a.recordDrift(ctx, d, r, rep)
	a.state.Held, a.state.Foreign = rep.Held, r.Foreign
	if len(rep.Deferred) == 0 {
		a.state.Deferred = nil
	}
	return a.state.Save(a.cfg.StateDir, a.cfg.Now())
}

// slurmPolicy is the retry policy for Slurm, logging each wait so an
// operator watching an outage sees the agent retrying rather than hanging.
func (a *Agent) slurmPolicy() retry.Policy {
	p := *a.cfg.Reconcile
	if p.Sleep == nil {
		p.Sleep = func(ctx context.Context, dur time.Duration) error {
			a.log.Warn("slurm unreachable; retrying reconciliation", "in", dur)
			return retry.Sleep(ctx, dur)
		}
	}
	return p
}

// spareAbsent counts the cycles each of pactum's accounts has been absent
// from st (not listed at all, as opposed to marked for removal), and keeps
// in d those absent for fewer than RemoveAfter cycles, or all of them when
// their removal is held: more than half of pactum's accounts on the
// cluster, and at least two, vanished without AcceptRemovals.
func (a *Agent) spareAbsent(st *pactum.SiteState, d *slurm.Desired, o *slurm.Observed, rep *Report) {
	mentioned := map[string]bool{d.Root.Name: true}
	for _, x := range st.Allocations {
		mentioned[x.Account], mentioned[x.OrganizationAccount] = true, true
	}
	owned, absent := 0, []string{}
	for name, h := range o.Accounts {
		if name == d.Root.Name || !slurm.Owned(h.Description, d.Owner) {
			continue
		}
		owned++
		if !mentioned[name] {
			absent = append(absent, name)
		}
	}
	slices.Sort(absent)
	counts := map[string]int{}
	for _, name := range absent {
		counts[name] = a.state.Absent[name] + 1
	}
	if !a.cfg.DryRun {
		a.state.Absent = counts
	}
	rep.Absent = absent
	held := len(absent) >= 2 && 2*len(absent) > owned && !a.cfg.AcceptRemovals
	for _, name := range absent {
		switch {
		case held:
			rep.Held = append(rep.Held, name)
			d.Keep = append(d.Keep, name)
		case counts[name] < a.cfg.RemoveAfter:
			d.Keep = append(d.Keep, name)
		}
	}
	if held {
		a.log.Warn("removals held: the desired state lacks most of pactum's accounts on the cluster; check the server and --site/--system, then confirm with --accept-removals",
			"absent", len(absent), "owned", owned, "accounts", absent)
	} else if len(d.Keep) > 0 {
		a.log.Info("accounts absent from the desired state are kept for now", "accounts", d.Keep, "remove_after_cycles", a.cfg.RemoveAfter)
	}
}

// keepStale adds every account of pactum's beneath the root that d drops,
// suspended, with its users and limits as found.
func (a *Agent) keepStale(ctx context.Context, d slurm.Desired) (slurm.Desired, []string, error) {
	o, err := slurm.Observe(ctx, a.cfg.Cluster, d.Root.Name)
	if err != nil {
		return d, nil, err
	}
	wanted := map[string]bool{d.Root.Name: true}
	for _, x := range d.Accounts {
		wanted[x.Name] = true
	}
	var kept []string
	for name, oa := range o.Accounts {
		if wanted[name] || !slurm.Owned(oa.Description, d.Owner) {
			continue
		}
		kept = append(kept, name)
		d.Accounts = append(d.Accounts, slurm.DesiredAccount{Account: oa.Account, Users: oa.Users, Limits: oa.Limits, Suspended: true})
	}
	slices.Sort(kept)
	return d, kept, nil
}

// recordDrift reports, as drift, changes made by hand that the
// reconciliation undid (an action on an account whose desired state did
// not change since it was last applied; otherwise the award changed) and
// foreign accounts found beneath the root that were not reported before.
func (a *Agent) recordDrift(ctx context.Context, d slurm.Desired, r slurm.Report, rep *Report) {
	want := map[string]AppliedAccount{d.Root.Name: {Parent: "root", Description: slurm.CleanText(d.Root.Description),
		Organization: slurm.CleanText(d.Root.Organization), Users: []string{}}}
	for _, x := range d.Accounts {
		want[x.Name] = applied(x)
	}
	drift := r.Drift
	for _, x := range r.Applied {
		if x.Kind == slurm.ActAddUser || x.Kind == slurm.ActRemoveUser {
			drift = append(drift, x)
		}
	}
	for _, x := range drift {
		last, ok := a.state.Applied[x.Account]
		if !ok || !last.equal(want[x.Account]) {
			continue
		}
		found := x.Found
		if found == "" {
			found = "users changed by hand"
		}
		item := pactum.DriftItem{Account: x.Account, Action: x.String(), Found: found}
		rep.Drift = append(rep.Drift, item)
		a.log.Warn("drift restored: the cluster was changed by hand", "account", x.Account, "found", found, "action", x.String())
	}
	var report []pactum.DriftItem
	for _, f := range r.Foreign {
		if !slices.Contains(a.state.Foreign, f) {
			name, _, _ := cutSpace(f)
			report = append(report, pactum.DriftItem{Account: name, Action: "none: not pactum's (no mark " + d.Owner + "), left alone", Found: f})
		}
	}
	a.state.Applied = want
	if items := append(slices.Clone(rep.Drift), report...); len(items) > 0 {
		a.reportDrift(ctx, items)
	}
}

func cutSpace(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// PendingCanceller cancels an account's queued jobs (slurm.Client).
type PendingCanceller interface {
	CancelPending(ctx context.Context, account string) ([]string, error)
}

// cancelQueued cancels the queued jobs of accounts whose removal has been
// deferred for Config.QueueGrace: they would never start under the
// suspended account, and would keep it (and the expired allocation) on the
// cluster forever. Running jobs are left to end. Each cancellation is
// logged as a notice, with the job ids, and listed in the report.
func (a *Agent) cancelQueued(ctx context.Context, deferred []string, rep *Report) {
	now := a.cfg.Now()
	since := map[string]time.Time{}
	for _, acct := range deferred {
		since[acct] = a.state.Deferred[acct]
		if since[acct].IsZero() {
			since[acct] = now
		}
	}
	a.state.Deferred = since
	pc, ok := a.cfg.Cluster.(PendingCanceller)
	if !ok {
		return
	}
	for _, acct := range deferred {
		if now.Sub(since[acct]) < a.cfg.QueueGrace {
			continue
		}
		ids, err := pc.CancelPending(ctx, acct)
		if err != nil {
			a.log.Error("could not cancel the queued jobs of an expired allocation", "account", acct, "err", err)
			continue
		}
		if len(ids) > 0 {
			a.log.Warn("notice: queued jobs of an expired allocation cancelled after the grace period; running jobs go on",
				"account", acct, "jobs", ids, "grace", a.cfg.QueueGrace)
			rep.Cancelled = append(rep.Cancelled, ids...)
		}
	}
}
