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
		Root: slurm.Account{Name: "pactum", Parent: "root", Description: "pactum"},
		Accounts: []slurm.DesiredAccount{
			// Listed children first on purpose: Plan must order parents first.
			{Account: slurm.Account{Name: "al-1", Parent: "org-a", Description: "Allocation 1"}, Users: []string{"bob", "alice", "alice"}, Limits: slurm.TRES{"gres/gpu": 60000}},
			{Account: slurm.Account{Name: "al-2", Parent: "org-a"}, Users: []string{"carol"}, Limits: slurm.TRES{"node": 600}, Suspended: true},
			{Account: slurm.Account{Name: "org-a", Parent: "pactum", Description: "Org A", Organization: "Org A"}},
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

func oa(name, parent string, users []string, limits slurm.TRES, jobs, submit int64) *slurm.ObservedAccount {
	if limits == nil {
		limits = slurm.TRES{}
	}
	return &slurm.ObservedAccount{Account: slurm.Account{Name: name, Parent: parent}, Users: users, Limits: limits, GrpJobs: jobs, GrpSubmitJobs: submit}
}

// converged is what the cluster holds once desired() is applied.
func converged() *slurm.Observed {
	o := obs(
		oa("pactum", "root", nil, nil, -1, -1),
		oa("org-a", "pactum", nil, nil, -1, -1),
		oa("al-1", "org-a", []string{"alice", "bob"}, slurm.TRES{"gres/gpu": 60000}, -1, -1),
		oa("al-2", "org-a", []string{"carol"}, slurm.TRES{"node": 600}, 0, 0),
	)
	o.Accounts["org-a"].Description, o.Accounts["org-a"].Organization = "org a", "org a"
	o.Accounts["al-1"].Description = "allocation 1"
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
	o.Accounts["org-a"].Description = "something else"
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

func TestDesiredValidate(t *testing.T) {
	d := desired()
	if err := d.Validate(); err != nil {
		t.Fatalf("valid tree rejected: %v", err)
	}
	bad := slurm.Desired{
		Root: slurm.Account{Name: "root"},
		Accounts: []slurm.DesiredAccount{
			{Account: slurm.Account{Name: "Bad Name", Parent: "pactum"}},
			{Account: slurm.Account{Name: "a", Parent: "b"}},
			{Account: slurm.Account{Name: "b", Parent: "a"}},
			{Account: slurm.Account{Name: "c", Parent: "nowhere"}, Users: []string{"Bob"}, Limits: slurm.TRES{"gpu": 1}},
			{Account: slurm.Account{Name: "c", Parent: "root"}},
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
	want := []string{"root.name", "accounts[0].name", "accounts[3].users[0]", "accounts[3].limits.gpu", "accounts[4].name",
		"accounts[0].parent", "accounts[1].parent", "accounts[2].parent", "accounts[3].parent"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
