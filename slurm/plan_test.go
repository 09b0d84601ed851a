// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

func desired() slurm.Desired {
	return slurm.Desired{
		Owner: "pactum:csc",
		Root:  slurm.Account{Name: "pactum", Parent: "root", Description: "pactum:csc"},
		Accounts: []slurm.DesiredAccount{
			// Listed children first on purpose: Plan must order parents first.
			{Account: slurm.Account{Name: "al-1", Parent: "org-a", Description: "pactum:csc Allocation 1"}, Users: []string{"bob", "alice", "alice"}, Limits: slurm.TRES{"gres/gpu": 60000}},
			{Account: slurm.Account{Name: "al-2", Parent: "org-a", Description: "pactum:csc"}, Users: []string{"carol"}, Limits: slurm.TRES{"node": 600}, Suspended: true},
			{Account: slurm.Account{Name: "org-a", Parent: "pactum", Description: "pactum:csc Org A", Organization: "Org A"}},
		},
	}
}

func obs(accts ...*slurm.ObservedAccount) *slurm.Observed {
	o := &slurm.Observed{Root: "pactum", Accounts: map[string]*slurm.ObservedAccount{}}
	for _, a := range accts {
		o.Accounts[a.Name] = a
	}
	return o
}

// oa is an observed account carrying pactum's mark for site csc.
func oa(name, parent string, users []string, limits slurm.TRES, jobs, submit int64) *slurm.ObservedAccount {
	if limits == nil {
		limits = slurm.TRES{}
	}
	return &slurm.ObservedAccount{Account: slurm.Account{Name: name, Parent: parent, Description: "pactum:csc"}, Users: users, Limits: limits, GrpJobs: jobs, GrpSubmitJobs: submit}
}

// converged is what the cluster holds once desired() is applied.
func converged() *slurm.Observed {
	o := obs(
		oa("pactum", "root", nil, nil, -1, -1),
		oa("org-a", "pactum", nil, nil, -1, -1),
		oa("al-1", "org-a", []string{"alice", "bob"}, slurm.TRES{"gres/gpu": 60000}, -1, -1),
		oa("al-2", "org-a", []string{"carol"}, slurm.TRES{"node": 600}, 0, 0),
	)
	o.Accounts["org-a"].Description, o.Accounts["org-a"].Organization = "pactum:csc org a", "org a"
	o.Accounts["al-1"].Description = "pactum:csc allocation 1"
	return o
}

func kinds(acts []slurm.Action) []string {
	var out []string
	for _, a := range acts {
		s := string(a.Kind) + " " + a.Account
		if a.User != "" {
			s += " " + a.User
		}
		if a.Kind == slurm.ActSetLimits {
			s += " " + a.Limits.String()
		}
		if a.Drift {
			s += " drift"
		}
		out = append(out, s)
	}
	return out
}

func TestPlanFromNothing(t *testing.T) {
	acts := slurm.Plan(desired(), obs())
	want := []string{
		"create_account pactum",
		"create_account org-a",
		"create_account al-1",
		"create_account al-2",
		"add_user al-1 alice",
		"add_user al-1 bob",
		"add_user al-2 carol",
	}
	if diff := cmp.Diff(want, kinds(acts)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	// Limits and suspension travel with the creation, so no job can start
	// in between.
	if got := acts[2].Spec; got.Parent != "org-a" || got.Limits["gres/gpu"] != 60000 || got.Suspended {
		t.Errorf("al-1 spec = %+v", got)
	}
	if got := acts[3].Spec; got.Limits["node"] != 600 || !got.Suspended {
		t.Errorf("al-2 spec = %+v", got)
	}
	if got := acts[0].Spec.Parent; got != "root" {
		t.Errorf("root's parent = %q", got)
	}
}

func TestPlanConverged(t *testing.T) {
	if acts := slurm.Plan(desired(), converged()); len(acts) != 0 {
		t.Errorf("converged cluster gets a plan: %v", kinds(acts))
	}
}

func TestPlanDriftAndChanges(t *testing.T) {
	o := converged()
	o.Accounts["al-1"].Limits = slurm.TRES{"gres/gpu": 99999, "cpu": 5} // changed and added by hand
	o.Accounts["al-2"].GrpJobs = -1                                     // half resumed by hand
	o.Accounts["org-a"].Parent = "root"                                 // moved by hand
	o.Accounts["org-a"].Description = "pactum:csc something else"
	o.Accounts["al-1"].Users = []string{"alice", "mallory"} // bob missing, mallory added
	o.Accounts["old"] = oa("old", "org-a", []string{"x"}, nil, -1, -1)
	o.Accounts["old-child"] = oa("old-child", "old", nil, nil, -1, -1)
	o.Accounts["org-gone"] = oa("org-gone", "pactum", nil, nil, -1, -1)
	acts := slurm.Plan(desired(), o)
	want := []string{
		"move_account org-a drift",
		"update_account org-a drift",
		"set_limits al-1 cpu=-1,gres/gpu=60000 drift",
		"suspend al-2 drift",
		"add_user al-1 bob",
		"remove_user al-1 mallory",
		"remove_account old-child",
		"remove_account old",
		"remove_account org-gone",
	}
	if diff := cmp.Diff(want, kinds(acts)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	if got := acts[2].Found; got != "GrpTRESMins=cpu=5,gres/gpu=99999" {
		t.Errorf("Found = %q", got)
	}
	if p := acts[0].Update.Parent; p == nil || *p != "pactum" {
		t.Errorf("move to %v", p)
	}
}

func TestPlanResumeAndClearLimit(t *testing.T) {
	d := desired()
	d.Accounts[1].Suspended = false
	d.Accounts[0].Limits = slurm.TRES{"gres/gpu": 120000, "node": slurm.NoLimit}
	o := converged()
	o.Accounts["al-1"].Limits["node"] = 5
	acts := slurm.Plan(d, o)
	want := []string{"set_limits al-1 gres/gpu=120000,node=-1 drift", "resume al-2 drift"}
	if diff := cmp.Diff(want, kinds(acts)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
}

// TestPlanOwnership: accounts without pactum's mark are never changed or
// removed, whatever their parent, nor anything above them; a desired
// name held by such an account is skipped with what lies beneath it; an
// existing unmarked root is used as it is.
func TestPlanOwnership(t *testing.T) {
	o := converged()
	o.Accounts["pactum"].Description, o.Accounts["pactum"].Parent = "eurohpc projects", "elsewhere" // the site's own root
	o.Accounts["handmade"] = oa("handmade", "org-a", []string{"eve"}, slurm.TRES{"cpu": 1}, -1, -1)
	o.Accounts["handmade"].Description = "handmade" // made by hand beneath pactum's, organization inherited
	o.Accounts["handmade"].Organization = "pactum:csc"
	o.Accounts["old"] = oa("old", "pactum", nil, nil, -1, -1) // pactum's, stale, but above a foreign one
	o.Accounts["theirs"] = oa("theirs", "old", nil, nil, -1, -1)
	o.Accounts["theirs"].Description = "physics"
	o.Accounts["al-2"].Description = "someone else's al-2" // a desired name, held by a foreign account
	o.Accounts["al-2"].Users = []string{"zed"}
	o.Accounts["gone"] = oa("gone", "pactum", nil, nil, -1, -1) // pactum's, stale: removed
	d := desired()
	d.Accounts = append(d.Accounts, slurm.DesiredAccount{Account: slurm.Account{Name: "al-3", Parent: "al-2", Description: "pactum:csc"}})
	acts := slurm.Plan(d, o)
	if diff := cmp.Diff([]string{"remove_account gone"}, kinds(acts)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	want := []string{`al-2 (parent org-a, description "someone else's al-2")`, `handmade (parent org-a, description "handmade")`, `theirs (parent old, description "physics")`}
	if diff := cmp.Diff(want, slurm.Foreign(d, o)); diff != "" {
		t.Errorf("foreign (-want +got):\n%s", diff)
	}
	// Kept accounts stay, with their parents.
	d.Keep = []string{"gone"}
	if acts := slurm.Plan(d, o); len(acts) != 0 {
		t.Errorf("plan with gone kept: %v", kinds(acts))
	}
}

func TestDesiredValidate(t *testing.T) {
	d := desired()
	if err := d.Validate(); err != nil {
		t.Fatalf("valid tree rejected: %v", err)
	}
	m := "pactum:x"
	bad := slurm.Desired{
		Owner: m,
		Root:  slurm.Account{Name: "root", Description: m},
		Accounts: []slurm.DesiredAccount{
			{Account: slurm.Account{Name: "Bad Name", Parent: "pactum", Description: "not marked"}},
			{Account: slurm.Account{Name: "a", Parent: "b", Description: m}},
			{Account: slurm.Account{Name: "b", Parent: "a", Description: m}},
			{Account: slurm.Account{Name: "c", Parent: "nowhere", Description: m}, Users: []string{"Bob"}, Limits: slurm.TRES{"gpu": 1}},
			{Account: slurm.Account{Name: "c", Parent: "root", Description: m}},
		},
	}
	err := bad.Validate()
	if pactum.ErrorCode(err) != pactum.EINVALID {
		t.Fatalf("Validate = %v", err)
	}
	var fields []string
	for _, f := range pactum.ErrorFields(err) {
		fields = append(fields, f.Field)
	}
	want := []string{"root.name", "accounts[0].name", "accounts[0].description", "accounts[3].users[0]", "accounts[3].limits.gpu", "accounts[4].name",
		"accounts[0].parent", "accounts[1].parent", "accounts[2].parent", "accounts[3].parent"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	unowned := desired()
	unowned.Owner = ""
	if err := unowned.Validate(); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("a tree without an owner: %v", err)
	}
}
