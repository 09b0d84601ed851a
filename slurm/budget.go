// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	pactum "github.com/pactum/pactum"
)

// A grant is a hard budget through a QOS of its own per allocation, named
// after the allocation's account, with Flags=NoDecay,DenyOnLimit:
//
//   - NoDecay: its usage never decays, whatever PriorityDecayHalfLife or
//     PriorityUsageResetPeriod do to the association's usage (fair-share),
//     so the limit does not leak budget on production clusters.
//   - GrpTRESMins is the grant less the usage pactum had counted when the
//     QOS was created ("counted:" in its description). Deleting and
//     recreating the account, or the QOS, therefore never refills the
//     budget: a new QOS starts from what pactum has counted.
//   - GrpTRESRunMins is what is left (limit less the QOS's own usage),
//     refreshed every cycle: the jobs running at once cannot reserve more
//     than the budget left, which bounds the overshoot of concurrent jobs.
//   - DenyOnLimit makes sbatch refuse at once a job that could not fit.
//   - An exhausted allocation's QOS gets GrpJobs=0 and GrpSubmitJobs=0:
//     nothing is submitted or started under it.
//
// QOS are slurmdbd-wide (sacctmgr takes no cluster for them); the
// description carries pactum's mark and the cluster, and a QOS without the
// mark is never changed or removed.

// Budget is what one allocation's QOS must carry.
type Budget struct {
	Account string // the allocation's account; the QOS has its name
	Grant   TRES   // the grant, in minutes (LimitsFor)
	Counted TRES   // the usage pactum has counted, in whole minutes (rounded up)
	Blocked bool   // exhausted: no job may be submitted or started
}

// ObservedQOS is a QOS as found.
type ObservedQOS struct {
	Name, Description, Flags    string
	GrpTRESMins, GrpTRESRunMins TRES
	GrpJobs, GrpSubmitJobs      int64
	Used                        TRES // minutes used, from slurmctld's association manager
}

// BudgetReport says what ReconcileBudgets did.
type BudgetReport struct {
	Applied []string
	Foreign []string // QOS named like an allocation but without pactum's mark
}

// budgetDescription is the QOS description: mark, cluster, counted usage.
func budgetDescription(mark, cluster string, counted TRES) string {
	parts := []string{mark, "cluster:" + cluster}
	keys := make([]string, 0, len(counted))
	for k := range counted {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, "counted:"+k+":"+strconv.FormatInt(counted[k], 10))
	}
	return strings.Join(parts, " ")
}

// parseCounted reads the counted usage back from a QOS description.
func parseCounted(desc string) TRES {
	t := TRES{}
	for _, f := range strings.Fields(desc) {
		if rest, ok := strings.CutPrefix(f, "counted:"); ok {
			if i := strings.LastIndexByte(rest, ':'); i > 0 {
				if n, err := strconv.ParseInt(rest[i+1:], 10, 64); err == nil {
					t[rest[:i]] = n
				}
			}
		}
	}
	return t
}

// Limits returns the QOS limits for b given the counted usage the QOS was
// created with (base) and its own usage since (used).
func (b Budget) Limits(base, used TRES) (grp, run TRES) {
	grp, run = TRES{}, TRES{}
	for k, g := range b.Grant {
		grp[k] = max(0, g-base[k])
		run[k] = max(0, grp[k]-used[k])
	}
	return grp, run
}

// QOSes returns every QOS with its usage.
func (c *Client) QOSes(ctx context.Context) (map[string]*ObservedQOS, error) {
	out, err := output(ctx, c.Runner, "sacctmgr", "show", "qos", "format=Name,Description,Flags,GrpTRESMins,GrpTRESRunMins,GrpJobs,GrpSubmitJobs",
		"--parsable2", "--noheader")
	if err != nil {
		return nil, fmt.Errorf("show qos: %w", err)
	}
	qs := map[string]*ObservedQOS{}
	for n, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 7 {
			return nil, fmt.Errorf("show qos: line %d: %d fields, want 7", n+1, len(f))
		}
		q := &ObservedQOS{Name: f[0], Description: f[1], Flags: f[2], Used: TRES{}}
		var err1, err2, err3, err4 error
		q.GrpTRESMins, err1 = ParseTRES(f[3])
		q.GrpTRESRunMins, err2 = ParseTRES(f[4])
		q.GrpJobs, err3 = parseLimit(f[5])
		q.GrpSubmitJobs, err4 = parseLimit(f[6])
		if err := cmpErr(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("show qos: line %d: %w", n+1, err)
		}
		qs[q.Name] = q
	}
	mgr, err := output(ctx, c.Runner, "scontrol", "-o", "show", "assoc_mgr", "flags=qos")
	if err != nil {
		return nil, fmt.Errorf("qos usage: %w", err)
	}
	for _, line := range strings.Split(string(mgr), "\n") {
		name, used, ok := parseQOSUsage(line)
		if q := qs[name]; ok && q != nil {
			q.Used = used
		}
	}
	return qs, nil
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// parseQOSUsage reads one line of "scontrol -o show assoc_mgr flags=qos":
// "QOS=name(id) ... GrpTRESMins=cpu=N(0),...,gres/gpu=60(12),...": the
// used minutes are in parentheses.
func parseQOSUsage(line string) (string, TRES, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "QOS=")
	if !ok {
		return "", nil, false
	}
	name, _, _ := strings.Cut(rest, "(")
	used := TRES{}
	for _, f := range strings.Fields(rest) {
		v, ok := strings.CutPrefix(f, "GrpTRESMins=")
		if !ok {
			continue
		}
		for _, pair := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(pair, "=")
			if i := strings.IndexByte(val, '('); i >= 0 && strings.HasSuffix(val, ")") {
				if n, err := strconv.ParseInt(val[i+1:len(val)-1], 10, 64); err == nil && n > 0 {
					used[k] = n
				}
			}
		}
	}
	return name, used, true
}

// ReconcileBudgets gives each budget's account its QOS (creating it with
// the counted usage, correcting its limits and flags, attaching it as the
// account's only and default QOS), and removes the QOS of accounts in
// gone that no longer exist on the cluster. Only QOS carrying mark are
// changed; the others are reported. Stops at the first failure.
func (c *Client) ReconcileBudgets(ctx context.Context, mark string, budgets []Budget, gone []string) (BudgetReport, error) {
	var r BudgetReport
	if err := c.checkCluster(); err != nil {
		return r, err
	}
	qs, err := c.QOSes(ctx)
	if err != nil {
		return r, err
	}
	for _, b := range budgets {
		if err := checkAccount(b.Account); err != nil {
			return r, err
		}
		q := qs[b.Account]
		if q != nil && !Owned(q.Description, mark) {
			r.Foreign = append(r.Foreign, fmt.Sprintf("qos %s (description %q)", q.Name, q.Description))
			continue
		}
		if err := c.budget(ctx, mark, b, q, &r); err != nil {
			return r, err
		}
	}
	for _, name := range gone {
		q := qs[name]
		if q == nil || !Owned(q.Description, mark) || checkAccount(name) != nil {
			continue
		}
		as, err := c.Associations(ctx, name)
		if err != nil {
			return r, err
		}
		if len(as) > 0 {
			continue // the account is still there (its jobs run): later
		}
		if _, err := c.sacctmgr(ctx, "remove", "qos", "where", "name="+name); err != nil {
			return r, fmt.Errorf("remove qos %s: %w", name, err)
		}
		r.Applied = append(r.Applied, "remove_qos "+name)
	}
	return r, nil
}

// budget brings one allocation's QOS and association to b.
func (c *Client) budget(ctx context.Context, mark string, b Budget, q *ObservedQOS, r *BudgetReport) error {
	jobs := "-1"
	if b.Blocked {
		jobs = "0"
	}
	if q == nil {
		grp, run := b.Limits(b.Counted, nil)
		args := []string{"add", "qos", b.Account, "description=" + budgetDescription(mark, c.Cluster, b.Counted), "flags=NoDecay,DenyOnLimit",
			"GrpTRESMins=" + grp.String(), "GrpTRESRunMins=" + run.String()}
		if b.Blocked {
			args = append(args, "GrpJobs=0", "GrpSubmitJobs=0")
		}
		if _, err := c.sacctmgr(ctx, args...); err != nil {
			return fmt.Errorf("add qos %s: %w", b.Account, err)
		}
		r.Applied = append(r.Applied, fmt.Sprintf("create_qos %s GrpTRESMins=%s counted=%s", b.Account, grp, b.Counted))
	} else {
		grp, run := b.Limits(parseCounted(q.Description), q.Used)
		wantJobs := int64(NoLimit)
		if b.Blocked {
			wantJobs = 0
		}
		flagsOK := strings.Contains(q.Flags, "NoDecay") && strings.Contains(q.Flags, "DenyOnLimit")
		if !sameTRES(q.GrpTRESMins, grp) || !sameTRES(q.GrpTRESRunMins, run) || q.GrpJobs != wantJobs || q.GrpSubmitJobs != wantJobs || !flagsOK {
			if _, err := c.sacctmgr(ctx, "modify", "qos", "where", "name="+b.Account, "set", "flags=NoDecay,DenyOnLimit",
				"GrpTRESMins="+grp.String(), "GrpTRESRunMins="+run.String(), "GrpJobs="+jobs, "GrpSubmitJobs="+jobs); err != nil {
				return fmt.Errorf("modify qos %s: %w", b.Account, err)
			}
			r.Applied = append(r.Applied, fmt.Sprintf("set_qos %s GrpTRESMins=%s GrpTRESRunMins=%s GrpJobs=%s", b.Account, grp, run, jobs))
		}
	}
	return c.attach(ctx, b.Account, r)
}

// sameTRES compares limits, treating a missing TRES as no limit.
func sameTRES(have, want TRES) bool {
	for k, v := range want {
		if have[k] != v {
			if _, ok := have[k]; ok || v != NoLimit {
				return false
			}
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			return false
		}
	}
	return true
}

// attach makes the QOS named like account its only and default QOS, on
// this cluster, users' associations included.
func (c *Client) attach(ctx context.Context, account string, r *BudgetReport) error {
	out, err := output(ctx, c.Runner, "sacctmgr", "show", "assoc", "where", "account="+account, "cluster="+c.Cluster,
		"format=User,QOS,DefaultQOS", "--parsable2", "--noheader")
	if err != nil {
		return fmt.Errorf("qos of %s: %w", account, err)
	}
	rows := strings.Split(strings.TrimSpace(string(out)), "\n")
	ok := len(rows) > 0 && rows[0] != ""
	for _, row := range rows {
		f := strings.Split(row, "|")
		if len(f) != 3 || f[1] != account || f[2] != account {
			ok = false
		}
	}
	if ok {
		return nil
	}
	if _, err := c.sacctmgr(ctx, "modify", "account", "where", "name="+account, "cluster="+c.Cluster, "set", "qos="+account, "defaultqos="+account); err != nil {
		if pactum.ErrorCode(err) == pactum.ENOTFOUND {
			return err
		}
		return fmt.Errorf("attach qos %s: %w", account, err)
	}
	r.Applied = append(r.Applied, "attach_qos "+account)
	return nil
}
