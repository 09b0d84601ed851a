// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

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
//
// Plan touches only accounts that carry d.Owner's mark (Owned): an
// existing root without it is used as a parent and left alone; a desired
// account whose name an unmarked account holds is skipped with all its
// desired descendants (Foreign reports both); an unmarked account beneath
// the root is never removed, nor any account above it, nor those in
// d.Keep and above them.
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
	owned := func(h *ObservedAccount) bool { return Owned(h.Description, d.Owner) }
	want := parentsFirst(root.Name, d.Accounts)
	blocked := blockedAccounts(root.Name, d.Owner, want, o)
	var acts []Action
	if h := have(root.Name); h == nil {
		acts = append(acts, Action{Kind: ActCreateAccount, Account: root.Name, Spec: AccountSpec{Account: root}})
	} else if owned(h) && h.Parent != root.Parent {
		acts = append(acts, Action{Kind: ActMoveAccount, Account: root.Name, Update: AccountUpdate{Parent: &root.Parent}, Drift: true, Found: "parent=" + h.Parent})
	}
	mine := want[:0:0]
	for _, a := range want {
		if !blocked[a.Name] {
			mine = append(mine, a)
		}
	}
	for _, a := range mine {
		if have(a.Name) == nil {
			acts = append(acts, createAction(a))
		}
	}
	// Existing accounts are corrected one kind of setting at a time, over
	// all of them, so that every move precedes every limit change.
	for _, correct := range [...]func(DesiredAccount, *ObservedAccount) (Action, bool){moveAction, updateAction, limitsAction, suspensionAction} {
		for _, a := range mine {
			if h := have(a.Name); h != nil {
				if x, ok := correct(a, h); ok {
					acts = append(acts, x)
				}
			}
		}
	}
	for _, a := range mine {
		acts = append(acts, addUserActions(a, have(a.Name))...)
	}
	for _, a := range mine {
		if h := have(a.Name); h != nil {
			acts = append(acts, removeUserActions(a, h)...)
		}
	}
	return append(acts, removeActions(d, want, o)...)
}

// blockedAccounts returns the desired accounts Plan must leave alone: those
// whose name an account without the owner's mark holds on the cluster, and
// every desired account beneath one of them.
func blockedAccounts(root, owner string, want []DesiredAccount, o *Observed) map[string]bool {
	blocked := map[string]bool{}
	if o == nil {
		return blocked
	}
	for _, a := range want { // parents first, so a parent's verdict is known
		if h := o.Accounts[a.Name]; (h != nil && !Owned(h.Description, owner)) || blocked[a.Parent] {
			blocked[a.Name] = true
		}
	}
	return blocked
}

// Foreign lists the accounts Plan leaves alone for want of the owner's
// mark: those beneath the root, and desired names held by such accounts,
// each as "name (parent P, description D)", sorted. The root itself is
// not listed: an existing root of the site's is used, not owned.
func Foreign(d Desired, o *Observed) []string {
	if o == nil {
		return nil
	}
	var out []string
	for name, h := range o.Accounts {
		if name != d.Root.Name && !Owned(h.Description, d.Owner) {
			out = append(out, fmt.Sprintf("%s (parent %s, description %q)", name, h.Parent, h.Description))
		}
	}
	slices.Sort(out)
	return out
}

// parentsFirst returns a copy of accounts sorted by depth beneath root,
// then by name, so that each is created after its parent.
func parentsFirst(root string, accounts []DesiredAccount) []DesiredAccount {
	want := slices.Clone(accounts)
	depth := map[string]int{root: 0}
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
	return want
}

// createAction creates a missing account with its limits and suspension
// already set.
func createAction(a DesiredAccount) Action {
	spec := AccountSpec{Account: a.Account, Limits: TRES{}, Suspended: a.Suspended}
	for k, v := range a.Limits {
		if v != NoLimit {
			spec.Limits[k] = v
		}
	}
	return Action{Kind: ActCreateAccount, Account: a.Name, Spec: spec}
}

// moveAction moves an existing account back under its desired parent.
func moveAction(a DesiredAccount, h *ObservedAccount) (Action, bool) {
	if h.Parent == a.Parent {
		return Action{}, false
	}
	p := a.Parent
	return Action{Kind: ActMoveAccount, Account: a.Name, Update: AccountUpdate{Parent: &p}, Drift: true, Found: "parent=" + h.Parent}, true
}

// updateAction corrects an existing account's description and
// organization, as Slurm stores them (CleanText); an empty desired value
// leaves the cluster's alone.
func updateAction(a DesiredAccount, h *ObservedAccount) (Action, bool) {
	var u AccountUpdate
	var found []string
	if d := CleanText(a.Description); d != "" && d != h.Description {
		u.Description, found = &d, append(found, "description="+h.Description)
	}
	if org := CleanText(a.Organization); org != "" && org != h.Organization {
		u.Organization, found = &org, append(found, "organization="+h.Organization)
	}
	if u.Description == nil && u.Organization == nil {
		return Action{}, false
	}
	return Action{Kind: ActUpdateAccount, Account: a.Name, Update: u, Drift: true, Found: strings.Join(found, " ")}, true
}

// limitsAction sets the GrpTRESMins that differ, and clears those the
// cluster has but the desired account does not.
func limitsAction(a DesiredAccount, h *ObservedAccount) (Action, bool) {
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
	if len(change) == 0 {
		return Action{}, false
	}
	return Action{Kind: ActSetLimits, Account: a.Name, Limits: change, Drift: true, Found: "GrpTRESMins=" + h.Limits.String()}, true
}

// suspensionAction suspends or resumes an existing account whose
// GrpJobs/GrpSubmitJobs say otherwise than the desired suspension.
func suspensionAction(a DesiredAccount, h *ObservedAccount) (Action, bool) {
	found := fmt.Sprintf("GrpJobs=%d GrpSubmitJobs=%d", h.GrpJobs, h.GrpSubmitJobs)
	if a.Suspended && (h.GrpJobs != 0 || h.GrpSubmitJobs != 0) {
		return Action{Kind: ActSuspend, Account: a.Name, Drift: true, Found: found}, true
	} else if !a.Suspended && (h.GrpJobs == 0 || h.GrpSubmitJobs == 0) {
		return Action{Kind: ActResume, Account: a.Name, Drift: true, Found: found}, true
	}
	return Action{}, false
}

// addUserActions adds the desired users that the account (h, nil if it
// is still to be created) lacks, in name order, each once.
func addUserActions(a DesiredAccount, h *ObservedAccount) []Action {
	var has []string
	if h != nil {
		has = h.Users
	}
	var acts []Action
	users := slices.Clone(a.Users)
	slices.Sort(users)
	for _, u := range slices.Compact(users) {
		if !slices.Contains(has, u) {
			acts = append(acts, Action{Kind: ActAddUser, Account: a.Name, User: u})
		}
	}
	return acts
}

// removeUserActions removes the users of an existing account that the
// desired account does not list.
func removeUserActions(a DesiredAccount, h *ObservedAccount) []Action {
	var acts []Action
	for _, u := range h.Users {
		if !slices.Contains(a.Users, u) {
			acts = append(acts, Action{Kind: ActRemoveUser, Account: a.Name, User: u})
		}
	}
	return acts
}

// removeActions removes the observed accounts beneath the root that are
// not wanted, children before parents (deepest in the observed tree
// first), sparing those without the owner's mark, those in d.Keep and
// every account above one of them.
func removeActions(d Desired, want []DesiredAccount, o *Observed) []Action {
	if o == nil {
		return nil
	}
	root := d.Root.Name
	wanted := map[string]bool{root: true}
	for _, a := range want {
		wanted[a.Name] = true
	}
	spared := map[string]bool{}
	for _, h := range o.Accounts {
		if !Owned(h.Description, d.Owner) || slices.Contains(d.Keep, h.Name) {
			for p, n := h, 0; p != nil && p.Name != root && n < 1<<10; n++ {
				spared[p.Name] = true
				p = o.Accounts[p.Parent]
			}
		}
	}
	var stale []*ObservedAccount
	for _, h := range o.Accounts {
		if !wanted[h.Name] && !spared[h.Name] {
			stale = append(stale, h)
		}
	}
	odepth := func(h *ObservedAccount) int {
		n := 0
		for p := h; p != nil && p.Name != root && n < 1<<10; n++ {
			p = o.Accounts[p.Parent]
		}
		return n
	}
	slices.SortFunc(stale, func(a, b *ObservedAccount) int {
		return cmp.Or(cmp.Compare(odepth(b), odepth(a)), strings.Compare(a.Name, b.Name))
	})
	acts := make([]Action, 0, len(stale))
	for _, h := range stale {
		acts = append(acts, Action{Kind: ActRemoveAccount, Account: h.Name})
	}
	return acts
}
