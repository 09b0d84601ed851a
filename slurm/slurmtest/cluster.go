// SPDX-License-Identifier: EUPL-1.2

package slurmtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// Cluster is a fake Slurm cluster. Create it with New; it is safe for
// concurrent use.
type Cluster struct {
	mu       sync.Mutex
	name     string
	now      func() time.Time
	accounts map[string]*account
	jobs     map[string]*job
	nextID   int
	down     bool
	// Safe mirrors AccountingStorageEnforce=safe: a job whose own
	// worst case (TRES × time limit) exceeds the remaining budget is held.
	Safe bool
	// User is the user that Submit runs jobs as (the agent's user).
	User string
	// Fail, if set, is called with the operation's name ("EnsureAccount",
	// "Usage", ...) before each call; a non-nil error is returned as is.
	Fail func(op string) error
	// Calls counts the calls of each operation, for assertions.
	Calls map[string]int
}

type account struct {
	slurm.Account
	limits        slurm.TRES
	grpJobs       int64
	grpSubmitJobs int64
	users         map[string]bool
	used          map[string]int64 // TRES-seconds of ended and running jobs
}

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
}

// New returns a cluster named name with only Slurm's root account, whose
// clock is now (time.Now if nil).
func New(name string, now func() time.Time) *Cluster {
	if now == nil {
		now = time.Now
	}
	return &Cluster{
		name: name, now: now, User: "root", nextID: 1,
		accounts: map[string]*account{"root": {Account: slurm.Account{Name: "root", Description: "default root account", Organization: "root"},
			limits: slurm.TRES{}, grpJobs: slurm.NoLimit, grpSubmitJobs: slurm.NoLimit, users: map[string]bool{"root": true}, used: map[string]int64{}}},
		jobs:  map[string]*job{},
		Calls: map[string]int{},
	}
}

var _ slurm.Cluster = (*Cluster)(nil)

// Down makes every call fail as if slurmctld and slurmdbd were stopped
// (the error satisfies slurm.IsTransient) until Up.
func (c *Cluster) Down() { c.mu.Lock(); c.down = true; c.mu.Unlock() }

// Up ends Down.
func (c *Cluster) Up() { c.mu.Lock(); c.down = false; c.mu.Unlock() }

// stamp is the time as Slurm records it: UTC, whole seconds.
func (c *Cluster) stamp() time.Time { return c.now().UTC().Truncate(time.Second) }

// enter counts the call and returns an injected failure, if any. c.mu is held.
func (c *Cluster) enter(op string) error {
	c.Calls[op]++
	if c.down {
		return &slurm.ExecError{Name: "sacctmgr", ExitCode: 1, Err: fmt.Errorf("exit status 1"),
			Stderr: "sacctmgr: error: Sending PersistInit msg: Connection refused"}
	}
	if c.Fail != nil {
		return c.Fail(op)
	}
	return nil
}

func notFound(name string) error {
	return pactum.Errorf(pactum.ENOTFOUND, "Slurm: This account '%s' doesn't exist.", name)
}

func invalidAccount(name string) error {
	if !slurm.ValidAccountName(name) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a valid Slurm account name.", name)
	}
	return nil
}

// EnsureAccount implements slurm.Accounting.
func (c *Cluster) EnsureAccount(ctx context.Context, spec slurm.AccountSpec) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("EnsureAccount"); err != nil {
		return err
	}
	if err := invalidAccount(spec.Name); err != nil {
		return err
	}
	if err := spec.Limits.Validate(); err != nil {
		return err
	}
	if _, ok := c.accounts[spec.Name]; ok {
		return nil // "Nothing new added."
	}
	parent := cmp.Or(spec.Parent, "root")
	p, ok := c.accounts[parent]
	if !ok {
		return notFound(parent)
	}
	a := &account{
		Account: slurm.Account{Name: spec.Name, Parent: parent, Description: cmp.Or(slurm.CleanText(spec.Description), spec.Name),
			Organization: cmp.Or(slurm.CleanText(spec.Organization), p.Organization)},
		limits: slurm.TRES{}, grpJobs: slurm.NoLimit, grpSubmitJobs: slurm.NoLimit,
		users: map[string]bool{}, used: map[string]int64{},
	}
	for k, v := range spec.Limits {
		if v != slurm.NoLimit {
			a.limits[k] = v
		}
	}
	if spec.Suspended {
		a.grpJobs, a.grpSubmitJobs = 0, 0
	}
	c.accounts[spec.Name] = a
	return nil
}

// ModifyAccount implements slurm.Accounting.
func (c *Cluster) ModifyAccount(ctx context.Context, name string, u slurm.AccountUpdate) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("ModifyAccount"); err != nil {
		return err
	}
	a, ok := c.accounts[name]
	if !ok {
		return notFound(name)
	}
	if u.Parent != nil {
		if _, ok := c.accounts[*u.Parent]; !ok {
			return notFound(*u.Parent)
		}
		for p := *u.Parent; p != ""; p = c.accounts[p].Parent {
			if p == name {
				return pactum.Errorf(pactum.EINVALID, "Slurm: cannot move %s beneath itself.", name)
			}
		}
		a.Parent = *u.Parent
	}
	if u.Description != nil {
		a.Description = slurm.CleanText(*u.Description)
	}
	if u.Organization != nil {
		a.Organization = slurm.CleanText(*u.Organization)
	}
	return nil
}

// RemoveAccount implements slurm.Accounting; like Slurm it removes the
// account's sub-accounts too, and refuses while any of them has jobs.
func (c *Cluster) RemoveAccount(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("RemoveAccount"); err != nil {
		return err
	}
	if name == "root" {
		return pactum.Errorf(pactum.EINVALID, "Slurm's root account cannot be removed.")
	}
	if _, ok := c.accounts[name]; !ok {
		return nil // "Nothing deleted"
	}
	sub := c.subtree(name)
	for _, j := range c.jobs {
		if (j.state == "RUNNING" || j.state == "PENDING") && slices.Contains(sub, j.account) {
			return pactum.Errorf(pactum.ECONFLICT, "Slurm: Job(s) active, cancel job(s) before remove (job %s).", j.id)
		}
	}
	for _, n := range sub {
		delete(c.accounts, n)
	}
	return nil
}

// subtree returns name and every account beneath it, parents first.
func (c *Cluster) subtree(name string) []string {
	out := []string{name}
	for i := 0; i < len(out); i++ {
		var kids []string
		for n, a := range c.accounts {
			if a.Parent == out[i] && n != "root" {
				kids = append(kids, n)
			}
		}
		slices.Sort(kids)
		out = append(out, kids...)
	}
	return out
}

// EnsureUser implements slurm.Accounting.
func (c *Cluster) EnsureUser(ctx context.Context, acct, user string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("EnsureUser"); err != nil {
		return err
	}
	if !slurm.ValidUserName(user) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a valid user name.", user)
	}
	a, ok := c.accounts[acct]
	if !ok {
		return notFound(acct)
	}
	a.users[user] = true
	return nil
}

// RemoveUser implements slurm.Accounting.
func (c *Cluster) RemoveUser(ctx context.Context, acct, user string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("RemoveUser"); err != nil {
		return err
	}
	if a, ok := c.accounts[acct]; ok {
		delete(a.users, user)
	}
	return nil
}

// SetLimits implements slurm.Accounting.
func (c *Cluster) SetLimits(ctx context.Context, acct string, limits slurm.TRES) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("SetLimits"); err != nil {
		return err
	}
	if err := limits.Validate(); err != nil {
		return err
	}
	a, ok := c.accounts[acct]
	if !ok {
		return notFound(acct)
	}
	for k, v := range limits {
		if v == slurm.NoLimit {
			delete(a.limits, k)
		} else {
			a.limits[k] = v
		}
	}
	c.schedule()
	return nil
}

// Suspend implements slurm.Accounting.
func (c *Cluster) Suspend(ctx context.Context, acct string) error {
	return c.setJobs("Suspend", acct, 0)
}

// Resume implements slurm.Accounting.
func (c *Cluster) Resume(ctx context.Context, acct string) error {
	return c.setJobs("Resume", acct, slurm.NoLimit)
}

func (c *Cluster) setJobs(op, acct string, v int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(op); err != nil {
		return err
	}
	a, ok := c.accounts[acct]
	if !ok {
		return notFound(acct)
	}
	a.grpJobs, a.grpSubmitJobs = v, v
	c.schedule()
	return nil
}

// SetByHand changes an account's settings behind pactum's back, as an
// administrator with sacctmgr would, to test drift. It bypasses Fail.
func (c *Cluster) SetByHand(acct string, limits slurm.TRES, grpJobs, grpSubmitJobs *int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.accounts[acct]
	if !ok {
		return notFound(acct)
	}
	for k, v := range limits {
		if v == slurm.NoLimit {
			delete(a.limits, k)
		} else {
			a.limits[k] = v
		}
	}
	if grpJobs != nil {
		a.grpJobs = *grpJobs
	}
	if grpSubmitJobs != nil {
		a.grpSubmitJobs = *grpSubmitJobs
	}
	return nil
}

// Associations implements slurm.Accounting.
func (c *Cluster) Associations(ctx context.Context, root string) ([]slurm.Association, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Associations"); err != nil {
		return nil, err
	}
	out := []slurm.Association{}
	if _, ok := c.accounts[root]; !ok {
		return out, nil
	}
	for _, n := range c.subtree(root) {
		a := c.accounts[n]
		out = append(out, slurm.Association{Account: n, Parent: a.Parent, GrpTRESMins: clone(a.limits), GrpJobs: a.grpJobs, GrpSubmitJobs: a.grpSubmitJobs})
		users := make([]string, 0, len(a.users))
		for u := range a.users {
			users = append(users, u)
		}
		slices.Sort(users)
		for _, u := range users {
			out = append(out, slurm.Association{Account: n, Parent: a.Parent, User: u, GrpTRESMins: slurm.TRES{}, GrpJobs: slurm.NoLimit, GrpSubmitJobs: slurm.NoLimit})
		}
	}
	return out, nil
}

// Accounts implements slurm.Accounting.
func (c *Cluster) Accounts(ctx context.Context, parent string) ([]slurm.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Accounts"); err != nil {
		return nil, err
	}
	out := []slurm.Account{}
	if _, ok := c.accounts[parent]; !ok {
		return out, nil
	}
	for _, n := range c.subtree(parent)[1:] {
		out = append(out, c.accounts[n].Account)
	}
	return out, nil
}

func clone(t slurm.TRES) slurm.TRES {
	out := slurm.TRES{}
	for k, v := range t {
		out[k] = v
	}
	return out
}

// chain returns acct and its ancestors up to (not including) Slurm's root.
func (c *Cluster) chain(acct string) []*account {
	var out []*account
	for a := c.accounts[acct]; a != nil && a.Name != "root"; a = c.accounts[a.Parent] {
		out = append(out, a)
	}
	return out
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
		alloc: slurm.TRES{"cpu": 1, "node": 1, slurm.TRESGPU: int64(req.GPUs)}, state: "PENDING", submit: c.stamp()}
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
		r := slurm.Record{Cluster: c.name, JobID: j.id, ArrayTaskID: -1, Account: j.account, User: j.user,
			State: j.state, Elapsed: j.elapsed, Submit: j.submit, Start: j.start, End: j.end}
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
