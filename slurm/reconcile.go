// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
)

// Desired is the account tree pactum wants on one cluster: a root account
// of its own (so it never touches the site's other accounts) and, beneath
// it, one account per organization and one per allocation under that.
// Accounts beneath Root that Desired does not list are removed.
type Desired struct {
	Root     Account // e.g. {Name: "pactum", Parent: "root"}; Parent "" means "root"
	Accounts []DesiredAccount
	// Owner is pactum's mark for this site, e.g. "pactum:csc" (Mark):
	// every account pactum creates carries it at the start of its
	// description, and Plan never changes or removes an account without
	// it, whatever its parent. The description, unlike the organization,
	// is not inherited from the parent, so an account made by hand
	// beneath pactum's is never taken for pactum's.
	Owner string
	// Keep names accounts beneath Root that must not be removed although
	// Accounts does not list them (an allocation absent for too few
	// cycles, or removals held for confirmation); their ancestors stay too.
	Keep []string
}

// DesiredAccount is one account and what it must carry.
type DesiredAccount struct {
	Account
	Users []string
	// Limits is the account's whole GrpTRESMins: TRES not named here are
	// cleared, so a limit added by hand is drift too.
	Limits    TRES
	Suspended bool
}

// Validate returns EINVALID (with every problem) unless the tree is
// well-formed: valid, unique names, each parent either Root or another
// listed account, no cycles, valid users and limits.
func (d *Desired) Validate() error {
	var v pactum.Validator
	v.Check(ValidAccountName(d.Root.Name) && d.Root.Name != "root", "root.name", "must be a valid account name other than Slurm's root")
	v.Check(ValidMark(d.Owner), "owner", "must be pactum's mark, e.g. pactum:csc")
	v.Check(Owned(CleanText(d.Root.Description), d.Owner), "root.description", "must start with the owner's mark")
	parent := map[string]string{}
	for i, a := range d.Accounts {
		f := fmt.Sprintf("accounts[%d]", i)
		v.Check(ValidAccountName(a.Name), f+".name", "%q is not a valid account name", a.Name)
		v.Check(a.Name != d.Root.Name && a.Name != "root", f+".name", "%q is reserved", a.Name)
		_, dup := parent[a.Name]
		v.Check(!dup, f+".name", "%q is listed twice", a.Name)
		v.Check(Owned(CleanText(a.Description), d.Owner), f+".description", "must start with the owner's mark")
		parent[a.Name] = a.Parent
		for j, u := range a.Users {
			v.Check(ValidUserName(u), fmt.Sprintf("%s.users[%d]", f, j), "%q is not a valid user name", u)
		}
		v.Merge(f+".limits", a.Limits.Validate())
	}
	for i, a := range d.Accounts {
		f := fmt.Sprintf("accounts[%d].parent", i)
		p, seen := a.Parent, map[string]bool{a.Name: true}
		for p != d.Root.Name {
			next, ok := parent[p]
			if !ok {
				v.Add(f, "%q is neither the root nor a listed account", p)
				break
			}
			if seen[p] {
				v.Add(f, "the parents of %q form a cycle", a.Name)
				break
			}
			seen[p], p = true, next
		}
	}
	return v.Err("The desired Slurm accounts are not valid.")
}

// Observed is what a cluster has beneath pactum's root account.
type Observed struct {
	Root     string
	Accounts map[string]*ObservedAccount // Root itself too, if it exists
}

// ObservedAccount is one account as found.
type ObservedAccount struct {
	Account
	Users                  []string // sorted
	Limits                 TRES     // GrpTRESMins
	GrpJobs, GrpSubmitJobs int64    // NoLimit when unset
}

// Observe reads the subtree of root from the cluster.
func Observe(ctx context.Context, a Accounting, root string) (*Observed, error) {
	as, err := a.Associations(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("observe %s: %w", root, err)
	}
	o := &Observed{Root: root, Accounts: map[string]*ObservedAccount{}}
	for _, x := range as {
		if x.User == "" {
			o.Accounts[x.Account] = &ObservedAccount{
				Account: Account{Name: x.Account, Parent: x.Parent},
				Limits:  x.GrpTRESMins, GrpJobs: x.GrpJobs, GrpSubmitJobs: x.GrpSubmitJobs,
			}
		}
	}
	for _, x := range as {
		if oa := o.Accounts[x.Account]; x.User != "" && oa != nil {
			oa.Users = append(oa.Users, x.User)
		}
	}
	if len(o.Accounts) > 0 {
		accts, err := a.Accounts(ctx, root)
		if err != nil {
			return nil, fmt.Errorf("observe %s: %w", root, err)
		}
		for _, x := range accts {
			if oa := o.Accounts[x.Name]; oa != nil {
				oa.Description, oa.Organization = x.Description, x.Organization
			}
		}
	}
	for _, oa := range o.Accounts {
		slices.Sort(oa.Users)
	}
	return o, nil
}

// Apply carries out actions in order against a and stops at the first
// failure, since later actions may depend on it. It returns how many
// succeeded and the failure, naming the action. Running it again after a
// failure is safe: every action is idempotent.
func Apply(ctx context.Context, a Accounting, actions []Action) (int, error) {
	for i, x := range actions {
		var err error
		switch x.Kind {
		case ActCreateAccount:
			err = a.EnsureAccount(ctx, x.Spec)
		case ActMoveAccount, ActUpdateAccount:
			err = a.ModifyAccount(ctx, x.Account, x.Update)
		case ActSetLimits:
			err = a.SetLimits(ctx, x.Account, x.Limits)
		case ActSuspend:
			err = a.Suspend(ctx, x.Account)
		case ActResume:
			err = a.Resume(ctx, x.Account)
		case ActAddUser:
			err = a.EnsureUser(ctx, x.Account, x.User)
		case ActRemoveUser:
			err = a.RemoveUser(ctx, x.Account, x.User)
		case ActRemoveAccount:
			err = a.RemoveAccount(ctx, x.Account)
		default:
			err = pactum.Errorf(pactum.EINVALID, "Unknown action %q.", x.Kind)
		}
		if err != nil {
			return i, fmt.Errorf("%s: %w", x, err)
		}
	}
	return len(actions), nil
}

// Report says what Reconcile found and did.
type Report struct {
	// Drift lists the differences found by the first successful
	// observation on accounts that already existed.
	Drift []Action
	// Applied lists every action carried out, over all attempts.
	Applied []Action
	// Foreign lists what the first successful observation found beneath
	// the root without pactum's mark (see Foreign): left alone, reported.
	Foreign  []string
	Attempts int
	// Planned is the plan of the first successful observation, which a
	// dry run (Reconcile with DryRun) returns without applying it.
	Planned []Action
}

// Options change how Reconcile works.
type Options struct {
	// DryRun observes and plans once, and applies nothing.
	DryRun bool
}

// Reconcile makes the cluster match d: it observes, plans and applies,
// then observes again to confirm that nothing is left, retrying the whole
// round with p while Slurm is unreachable or the round did not converge.
// Because each round starts from a fresh observation and every action is
// idempotent, an outage in the middle of a round leaves no duplicates and
// loses nothing. EINVALID (not retried) if d is not valid; an action
// Slurm refuses for good (EINVALID, or ECONFLICT for removing an account
// that still has jobs) ends it at once with that error.
func Reconcile(ctx context.Context, a Accounting, d Desired, p retry.Policy) (Report, error) {
	return ReconcileWith(ctx, a, d, p, Options{})
}

// ReconcileWith is Reconcile with options.
func ReconcileWith(ctx context.Context, a Accounting, d Desired, p retry.Policy, opt Options) (Report, error) {
	var r Report
	if err := d.Validate(); err != nil {
		return r, err
	}
	observed := false
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		r.Attempts++
		o, err := Observe(ctx, a, d.Root.Name)
		if err != nil {
			return permanentUnlessTransient(err)
		}
		acts := Plan(d, o)
		if !observed {
			observed = true
			r.Planned, r.Foreign = acts, Foreign(d, o)
			for _, x := range acts {
				if x.Drift {
					r.Drift = append(r.Drift, x)
				}
			}
		}
		if len(acts) == 0 || opt.DryRun {
			return nil
		}
		n, err := Apply(ctx, a, acts)
		r.Applied = append(r.Applied, acts[:n]...)
		if err != nil {
			// A bad request, or a refusal such as removing an account
			// that still has jobs, will not change by retrying now.
			if c := pactum.ErrorCode(err); c == pactum.EINVALID || c == pactum.ECONFLICT {
				return retry.Permanent(err)
			}
			return permanentUnlessTransient(err)
		}
		if o, err = Observe(ctx, a, d.Root.Name); err != nil {
			return permanentUnlessTransient(err)
		}
		if left := Plan(d, o); len(left) > 0 {
			return fmt.Errorf("not converged: %d actions left, first %s", len(left), left[0])
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("reconcile %s: %w", d.Root.Name, err)
	}
	return r, nil
}

// permanentUnlessTransient marks a failed Slurm command that is not an
// outage (IsTransient), such as "permission denied" for a user without
// AdminLevel=Operator, as not worth retrying: it is returned at once with
// Slurm's own text. Errors that are not from a command (a fake cluster's,
// a round that did not converge) are retried as before.
func permanentUnlessTransient(err error) error {
	var e *ExecError
	if err == nil || !errors.As(err, &e) || IsTransient(err) {
		return err
	}
	return retry.Permanent(err)
}
