// SPDX-License-Identifier: EUPL-1.2

package slurmsim

import (
	"cmp"
	"context"
	"slices"

	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

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
	for _, n := range c.subtree(parent) {
		out = append(out, c.accounts[n].Account)
	}
	return out, nil
}
