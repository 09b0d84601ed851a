// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

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
	parent := map[string]string{}
	for i, a := range d.Accounts {
		f := fmt.Sprintf("accounts[%d]", i)
		v.Check(ValidAccountName(a.Name), f+".name", "%q is not a valid account name", a.Name)
		v.Check(a.Name != d.Root.Name && a.Name != "root", f+".name", "%q is reserved", a.Name)
		_, dup := parent[a.Name]
		v.Check(!dup, f+".name", "%q is listed twice", a.Name)
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
	if len(o.Accounts) > 1 {
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

// ActionKind says what an Action does.
type ActionKind string

// The action kinds, in the order Plan emits them.
const (
	ActCreateAccount ActionKind = "create_account"
	ActMoveAccount   ActionKind = "move_account"
	ActUpdateAccount ActionKind = "update_account"
	ActSetLimits     ActionKind = "set_limits"
	ActSuspend       ActionKind = "suspend"
	ActResume        ActionKind = "resume"
	ActAddUser       ActionKind = "add_user"
	ActRemoveUser    ActionKind = "remove_user"
	ActRemoveAccount ActionKind = "remove_account"
)

// Action is one step that brings a cluster closer to the desired state.
type Action struct {
	Kind    ActionKind
	Account string
	User    string        // ActAddUser, ActRemoveUser
	Spec    AccountSpec   // ActCreateAccount
	Update  AccountUpdate // ActMoveAccount, ActUpdateAccount
	Limits  TRES          // ActSetLimits: the TRES to change; NoLimit clears
	// Drift is set when an existing account's settings (parent,
	// description, limits, suspension) differ from the desired ones: a
	// change by hand on the cluster, or a changed award, which the caller
	// tells apart by comparing with the desired state it applied last.
	Drift bool
	// Found describes what the cluster had, for reports, e.g.
	// "GrpTRESMins=gres/gpu=500".
	Found string
}

func (a Action) String() string {
	s := string(a.Kind) + " " + a.Account
	switch a.Kind {
	case ActAddUser, ActRemoveUser:
		s += " user=" + a.User
	case ActSetLimits:
		s += " GrpTRESMins=" + a.Limits.String()
	case ActMoveAccount:
		s += " parent=" + *a.Update.Parent
	case ActCreateAccount:
		s += " parent=" + a.Spec.Parent
	}
	if a.Drift {
		s += " (drift: found " + a.Found + ")"
	}
	return s
}

// Plan compares the desired tree with what was observed and returns the
// actions that reconcile them, in a safe order: accounts are created
// parents first and already carrying their limits and suspension; then
// moves, descriptions, limits, suspension; users are added only after
// that, so no one can submit under an account before its limits hold;
// users are removed next and stale accounts last, children first. An
// empty plan means the cluster matches. d must be valid (Validate).
func Plan(d Desired, o *Observed) []Action {
	root := d.Root
	if root.Parent == "" {
		root.Parent = "root"
	}
	have := func(name string) *ObservedAccount {
		if o == nil {
			return nil
		}
		return o.Accounts[name]
	}
	want := slices.Clone(d.Accounts)
	depth := map[string]int{root.Name: 0}
	var depthOf func(string) int
	depthOf = func(name string) int {
		if n, ok := depth[name]; ok {
			return n
		}
		depth[name] = 1 << 20 // guards against cycles in invalid input
		for _, a := range want {
			if a.Name == name {
				depth[name] = depthOf(a.Parent) + 1
			}
		}
		return depth[name]
	}
	slices.SortStableFunc(want, func(a, b DesiredAccount) int {
		return cmp.Or(cmp.Compare(depthOf(a.Name), depthOf(b.Name)), strings.Compare(a.Name, b.Name))
	})

	var acts []Action
	if have(root.Name) == nil {
		acts = append(acts, Action{Kind: ActCreateAccount, Account: root.Name, Spec: AccountSpec{Account: root}})
	} else if p := have(root.Name).Parent; p != root.Parent {
		acts = append(acts, Action{Kind: ActMoveAccount, Account: root.Name, Update: AccountUpdate{Parent: &root.Parent}, Drift: true, Found: "parent=" + p})
	}
	for _, a := range want {
		if have(a.Name) == nil {
			spec := AccountSpec{Account: a.Account, Limits: TRES{}, Suspended: a.Suspended}
			for k, v := range a.Limits {
				if v != NoLimit {
					spec.Limits[k] = v
				}
			}
			acts = append(acts, Action{Kind: ActCreateAccount, Account: a.Name, Spec: spec})
		}
	}
	for _, a := range want {
		if h := have(a.Name); h != nil && h.Parent != a.Parent {
			p := a.Parent
			acts = append(acts, Action{Kind: ActMoveAccount, Account: a.Name, Update: AccountUpdate{Parent: &p}, Drift: true, Found: "parent=" + h.Parent})
		}
	}
	for _, a := range want {
		h := have(a.Name)
		if h == nil {
			continue
		}
		var u AccountUpdate
		var found []string
		if d := CleanText(a.Description); d != "" && d != h.Description {
			u.Description, found = &d, append(found, "description="+h.Description)
		}
		if org := CleanText(a.Organization); org != "" && org != h.Organization {
			u.Organization, found = &org, append(found, "organization="+h.Organization)
		}
		if u.Description != nil || u.Organization != nil {
			acts = append(acts, Action{Kind: ActUpdateAccount, Account: a.Name, Update: u, Drift: true, Found: strings.Join(found, " ")})
		}
	}
	for _, a := range want {
		h := have(a.Name)
		if h == nil {
			continue
		}
		change := TRES{}
		for k, v := range a.Limits {
			if v == NoLimit {
				if _, ok := h.Limits[k]; ok {
					change[k] = NoLimit
				}
			} else if hv, ok := h.Limits[k]; !ok || hv != v {
				change[k] = v
			}
		}
		for k := range h.Limits {
			if _, ok := a.Limits[k]; !ok {
				change[k] = NoLimit
			}
		}
		if len(change) > 0 {
			acts = append(acts, Action{Kind: ActSetLimits, Account: a.Name, Limits: change, Drift: true, Found: "GrpTRESMins=" + h.Limits.String()})
		}
	}
	for _, a := range want {
		h := have(a.Name)
		if h == nil {
			continue
		}
		found := fmt.Sprintf("GrpJobs=%d GrpSubmitJobs=%d", h.GrpJobs, h.GrpSubmitJobs)
		if a.Suspended && (h.GrpJobs != 0 || h.GrpSubmitJobs != 0) {
			acts = append(acts, Action{Kind: ActSuspend, Account: a.Name, Drift: true, Found: found})
		} else if !a.Suspended && (h.GrpJobs == 0 || h.GrpSubmitJobs == 0) {
			acts = append(acts, Action{Kind: ActResume, Account: a.Name, Drift: true, Found: found})
		}
	}
	for _, a := range want {
		var has []string
		if h := have(a.Name); h != nil {
			has = h.Users
		}
		users := slices.Clone(a.Users)
		slices.Sort(users)
		for _, u := range slices.Compact(users) {
			if !slices.Contains(has, u) {
				acts = append(acts, Action{Kind: ActAddUser, Account: a.Name, User: u})
			}
		}
	}
	wanted := map[string]bool{root.Name: true}
	for _, a := range want {
		wanted[a.Name] = true
	}
	var stale []*ObservedAccount
	if o != nil {
		for _, h := range o.Accounts {
			if !wanted[h.Name] {
				stale = append(stale, h)
			}
		}
	}
	for _, a := range want {
		h := have(a.Name)
		if h == nil {
			continue
		}
		for _, u := range h.Users {
			if !slices.Contains(a.Users, u) {
				acts = append(acts, Action{Kind: ActRemoveUser, Account: a.Name, User: u})
			}
		}
	}
	// Children before parents: depth in the observed tree, deepest first.
	odepth := func(h *ObservedAccount) int {
		n := 0
		for p := h; p != nil && p.Name != root.Name && n < 1<<10; n++ {
			p = o.Accounts[p.Parent]
		}
		return n
	}
	slices.SortFunc(stale, func(a, b *ObservedAccount) int {
		return cmp.Or(cmp.Compare(odepth(b), odepth(a)), strings.Compare(a.Name, b.Name))
	})
	for _, h := range stale {
		acts = append(acts, Action{Kind: ActRemoveAccount, Account: h.Name})
	}
	return acts
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
	Applied  []Action
	Attempts int
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
	var r Report
	if err := d.Validate(); err != nil {
		return r, err
	}
	observed := false
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		r.Attempts++
		o, err := Observe(ctx, a, d.Root.Name)
		if err != nil {
			return err
		}
		acts := Plan(d, o)
		if !observed {
			observed = true
			for _, x := range acts {
				if x.Drift {
					r.Drift = append(r.Drift, x)
				}
			}
		}
		if len(acts) == 0 {
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
			return err
		}
		if o, err = Observe(ctx, a, d.Root.Name); err != nil {
			return err
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
