// SPDX-License-Identifier: EUPL-1.2

package slurmsim

import (
	"context"
	"fmt"
	"sync"
	"time"

	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// Cluster is a simulated Slurm cluster. Create it with New; it is safe
// for concurrent use.
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
	// Settings override the configuration Config reports.
	Settings map[string]string
}

// account is an account's association as slurmdbd keeps it, with the
// usage charged to it so far.
type account struct {
	slurm.Account
	limits        slurm.TRES
	grpJobs       int64
	grpSubmitJobs int64
	users         map[string]bool
	used          map[string]int64 // TRES-seconds of ended and running jobs
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

// Config implements slurm.ConfigReader: a configuration that enforces
// budgets, unless the test changes Settings.
func (c *Cluster) Config(ctx context.Context) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Config"); err != nil {
		return nil, err
	}
	cfg := map[string]string{"ClusterName": c.name, "AccountingStorageEnforce": "associations,limits,qos,safe",
		"PriorityType": "priority/multifactor", "AccountingStorageTRES": "cpu,mem,energy,node,billing,gres/gpu"}
	for k, v := range c.Settings {
		cfg[k] = v
	}
	return cfg, nil
}
