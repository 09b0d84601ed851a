// SPDX-License-Identifier: EUPL-1.2

package slurmsim

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// job is a job as slurmctld and slurmdbd know it.
type job struct {
	id      string
	account string
	user    string
	alloc   slurm.TRES // cpu, node, gres/gpu
	limit   time.Duration
	state   string
	reason  string
	submit  time.Time
	start   time.Time
	end     time.Time
	elapsed int64
	charged int64 // seconds already added to the accounts' usage
	comment string
	held    bool // scontrol hold
}

// Submit implements slurm.Jobs. The job stays PENDING or RUNNING until
// Finish.
func (c *Cluster) Submit(ctx context.Context, req slurm.SubmitRequest) (string, error) {
	if _, err := req.Command(); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Submit"); err != nil {
		return "", err
	}
	a, ok := c.accounts[req.Account]
	if !ok || !a.users[c.User] {
		return "", pactum.Errorf(pactum.EFORBIDDEN, "Slurm refused the job: you are not a member of account %s on this cluster (Invalid account or account/partition combination specified).", req.Account)
	}
	for _, x := range c.chain(req.Account) {
		if x.grpSubmitJobs == 0 {
			return "", pactum.Errorf(pactum.ECONFLICT, "Slurm refused the job: account %s accepts no new jobs; the allocation is suspended.", req.Account)
		}
	}
	limit := req.Time
	if limit == 0 {
		limit = time.Hour
	}
	limit = (limit + time.Minute - 1) / time.Minute * time.Minute
	j := &job{id: strconv.Itoa(c.nextID), account: req.Account, user: c.User, limit: limit,
		alloc: slurm.TRES{"cpu": 1, "node": 1, slurm.TRESGPU: int64(req.GPUs)}, state: "PENDING", submit: c.stamp(), comment: req.Comment}
	c.nextID++
	c.jobs[j.id] = j
	c.schedule()
	return j.id, nil
}

// reasons maps a limited TRES to the pending reason Slurm 22.05 gives.
var reasons = map[string]string{
	slurm.TRESGPU: "AssocGrpGRESMinutes", "node": "AssocGrpNodeMinutes",
	"cpu": "AssocGrpCPUMinutesLimit", "billing": "AssocGrpBillingMinutes", "mem": "AssocGrpMemMinutes",
}

// schedule starts every pending job that its accounts' limits allow, in
// submission order, and gives the others Slurm's reason. c.mu is held.
func (c *Cluster) schedule() {
	ids := make([]*job, 0, len(c.jobs))
	for _, j := range c.jobs {
		if j.state == "PENDING" {
			ids = append(ids, j)
		}
	}
	slices.SortFunc(ids, func(a, b *job) int {
		x, _ := strconv.Atoi(a.id)
		y, _ := strconv.Atoi(b.id)
		return cmp.Compare(x, y)
	})
	for _, j := range ids {
		j.reason = c.blocked(j)
		if j.reason == "" {
			j.state, j.reason, j.start = "RUNNING", "None", c.stamp()
		}
	}
}

// blocked returns why j cannot start, or "".
func (c *Cluster) blocked(j *job) string {
	if j.held {
		return "JobHeldAdmin"
	}
	for _, a := range c.chain(j.account) {
		if a.grpJobs == 0 {
			return "AssocGrpJobsLimit"
		}
		keys := make([]string, 0, len(a.limits))
		for k := range a.limits {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			lim := a.limits[k]
			if j.alloc[k] == 0 {
				continue // Slurm 22.05 lets a job that asks for none of a TRES run
			}
			used := a.used[k] / 60 // Slurm compares whole minutes
			need := int64(0)
			if c.Safe {
				need = j.alloc[k] * int64(j.limit/time.Minute)
			}
			if used >= lim || used+need > lim {
				return reasons[k]
			}
		}
	}
	return ""
}

// Finish ends a running job after elapsed, in state (COMPLETED if ""),
// charges its usage to its account and the account's parents, and
// schedules pending jobs. ECONFLICT unless the job is running.
func (c *Cluster) Finish(id string, elapsed time.Duration, state string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[id]
	if !ok || j.state != "RUNNING" {
		return pactum.Errorf(pactum.ECONFLICT, "job %s is not running", id)
	}
	j.elapsed = int64(elapsed / time.Second)
	j.state = cmp.Or(state, "COMPLETED")
	j.end = j.start.Add(elapsed)
	c.charge(j)
	c.schedule()
	return nil
}

// Progress charges a running job's usage up to elapsed, as
// PriorityCalcPeriod does for running jobs.
func (c *Cluster) Progress(id string, elapsed time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[id]
	if !ok || j.state != "RUNNING" {
		return pactum.Errorf(pactum.ECONFLICT, "job %s is not running", id)
	}
	j.elapsed = int64(elapsed / time.Second)
	c.charge(j)
	c.schedule()
	return nil
}

func (c *Cluster) charge(j *job) {
	delta := j.elapsed - j.charged
	j.charged = j.elapsed
	for _, a := range c.chain(j.account) {
		for k, n := range j.alloc {
			a.used[k] += n * delta
		}
	}
}

// JobStatus implements slurm.Jobs.
func (c *Cluster) JobStatus(ctx context.Context, id string) (slurm.JobStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("JobStatus"); err != nil {
		return slurm.JobStatus{}, err
	}
	j, ok := c.jobs[id]
	if !ok {
		return slurm.JobStatus{}, pactum.Errorf(pactum.ENOTFOUND, "Job %s is not known to Slurm.", id)
	}
	return slurm.JobStatus{ID: id, State: j.state, Reason: j.reason}, nil
}

// Cancel implements slurm.Jobs.
func (c *Cluster) Cancel(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Cancel"); err != nil {
		return err
	}
	if j, ok := c.jobs[id]; ok && (j.state == "PENDING" || j.state == "RUNNING") {
		if j.state == "RUNNING" {
			j.elapsed = int64(c.now().Sub(j.start) / time.Second)
			c.charge(j)
		}
		j.state, j.end = "CANCELLED", c.stamp()
		c.schedule()
	}
	return nil
}

// Usage implements slurm.UsageReader: every job pending or running at
// some moment of the window, as sacct reports it.
func (c *Cluster) Usage(ctx context.Context, q slurm.Query, fn func(*slurm.Record) error) ([]slurm.LineError, error) {
	if _, err := q.Args(""); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if err := c.enter("Usage"); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	var recs []slurm.Record
	for _, j := range c.jobs {
		if j.submit.After(q.End) || (!j.end.IsZero() && j.end.Before(q.Start)) {
			continue
		}
		if len(q.Accounts) > 0 && !slices.Contains(q.Accounts, j.account) {
			continue
		}
		// No energy gathering, nor GPUs to measure: as on Slurm 22.05
		// with the comments kept (AccountingStoreFlags=job_comment).
		r := slurm.Record{Cluster: c.name, JobID: j.id, ArrayTaskID: -1, Account: j.account, User: j.user,
			State: j.state, Elapsed: j.elapsed, Submit: j.submit, Start: j.start, End: j.end,
			EnergyJoules: -1, GPUUtil: -1, Comment: j.comment}
		switch j.state {
		case "PENDING", "RUNNING":
		default:
			r.Final = true
		}
		if !j.start.IsZero() {
			r.CPUs, r.Nodes, r.GPUs = j.alloc["cpu"], j.alloc["node"], j.alloc[slurm.TRESGPU]
			r.AllocTRES = slurm.TRES{"cpu": r.CPUs, "node": r.Nodes, slurm.TRESGPU: r.GPUs}.String()
		}
		recs = append(recs, r)
	}
	c.mu.Unlock()
	slices.SortFunc(recs, func(a, b slurm.Record) int {
		x, _ := strconv.Atoi(a.JobID)
		y, _ := strconv.Atoi(b.JobID)
		return cmp.Compare(x, y)
	})
	for i := range recs {
		if err := fn(&recs[i]); err != nil {
			return []slurm.LineError{}, err
		}
	}
	return []slurm.LineError{}, nil
}

// CancelPending cancels account's pending jobs, as slurm.Client does.
func (c *Cluster) CancelPending(ctx context.Context, account string) ([]string, error) {
	c.mu.Lock()
	var ids []string
	for id, j := range c.jobs {
		if j.account == account && j.state == "PENDING" {
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := c.Cancel(ctx, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// PendingJobs implements slurm.JobHolder, as squeue lists them.
func (c *Cluster) PendingJobs(ctx context.Context, accounts []string) ([]slurm.PendingJob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("PendingJobs"); err != nil {
		return nil, err
	}
	var out []slurm.PendingJob
	for _, j := range c.jobs {
		if j.state == "PENDING" && slices.Contains(accounts, j.account) {
			out = append(out, slurm.PendingJob{ID: j.id, Account: j.account, Reason: j.reason, Comment: j.comment})
		}
	}
	slices.SortFunc(out, func(a, b slurm.PendingJob) int {
		x, _ := strconv.Atoi(a.ID)
		y, _ := strconv.Atoi(b.ID)
		return cmp.Compare(x, y)
	})
	return out, nil
}

// Hold implements slurm.JobHolder: the job stays pending, JobHeldAdmin.
func (c *Cluster) Hold(ctx context.Context, id string) error { return c.setHeld("Hold", id, true) }

// Release implements slurm.JobHolder and schedules the released job.
func (c *Cluster) Release(ctx context.Context, id string) error {
	return c.setHeld("Release", id, false)
}

func (c *Cluster) setHeld(op, id string, held bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(op); err != nil {
		return err
	}
	j, ok := c.jobs[id]
	if !ok || j.state != "PENDING" {
		return pactum.Errorf(pactum.ECONFLICT, "Job %s is not pending.", id)
	}
	j.held = held
	c.schedule()
	return nil
}
