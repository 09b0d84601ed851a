// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"cmp"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/pactum/pactum/slurm"
)

// foreignCluster is the second cluster that scripts/slurm/up.sh registers
// in the same slurmdbd (PACTUM_SLURM_FOREIGN); the test registers it too if
// it is missing, as a site's second cluster would be.
func foreignCluster(t *testing.T, rc *realCluster) string {
	t.Helper()
	name := cmp.Or(os.Getenv("PACTUM_SLURM_FOREIGN"), "pactum-other")
	var out strings.Builder
	_ = rc.run.Run(context.Background(), &out, "sacctmgr", "-i", "add", "cluster", name) // exit 1: already there
	if err := rc.run.Run(context.Background(), &out, "sacctmgr", "-n", "-P", "show", "cluster", "where", "name="+name, "format=Cluster"); err != nil || !strings.Contains(out.String(), name) {
		t.Fatalf("second cluster %s not registered: %v %s", name, err, out.String())
	}
	return name
}

// snapshot lists, as text, every association of the given accounts on
// every cluster and their descriptions and organizations.
func snapshot(t *testing.T, rc *realCluster, accounts ...string) []string {
	t.Helper()
	var out []string
	for _, a := range accounts {
		var b strings.Builder
		if err := rc.run.Run(context.Background(), &b, "sacctmgr", "-n", "-P", "show", "assoc", "where", "account="+a,
			"format=Cluster,Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs,QOS"); err != nil {
			t.Fatal(err)
		}
		if err := rc.run.Run(context.Background(), &b, "sacctmgr", "-n", "-P", "show", "account", "where", "name="+a, "format=Account,Description,Organization"); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Split(strings.TrimSpace(b.String()), "\n")...)
	}
	slices.Sort(out)
	return out
}

// TestIntegrationOwnership: on a slurmdbd with a second cluster, with the
// site's own root account (which already has a child), a foreign account
// beside it, one made by hand beneath pactum's, and the same names on the
// other cluster, reconciling creates only pactum's accounts, on pactum's
// cluster, reports the foreign ones, and leaves every one of them as it
// was, also when pactum's accounts are removed.
func TestIntegrationOwnership(t *testing.T) {
	rc := realSlurm(t)
	ctx := context.Background()
	other := foreignCluster(t, rc)
	var jobs []string
	root := rc.tree(t, "own", &jobs) // the site's root: it exists before pactum runs
	theirs, beside, handmade := root+"-theirs", root+"-beside", root+"-hand"
	org, a1, a2 := root+"-o", root+"-a1", root+"-a2"
	t.Cleanup(func() {
		for _, a := range []string{beside, theirs, handmade, root, org, a1, a2} {
			_ = rc.run.Run(context.Background(), io.Discard, "sacctmgr", "-i", "remove", "account", "where", "name="+a)
		}
	})
	rc.sacctmgr(t, "add", "account", root, "cluster="+rc.Cluster, "description=eurohpc projects", "organization=eurohpc")
	rc.sacctmgr(t, "add", "account", theirs, "parent="+root, "cluster="+rc.Cluster, "description=physics", "GrpTRESMins=cpu=7")
	rc.sacctmgr(t, "add", "user", "root", "account="+theirs, "cluster="+rc.Cluster)
	rc.sacctmgr(t, "add", "account", beside, "cluster="+rc.Cluster, "description=chemistry")
	rc.sacctmgr(t, "add", "account", root, "cluster="+other)
	rc.sacctmgr(t, "add", "account", theirs, "parent="+root, "cluster="+other)
	rc.sacctmgr(t, "add", "account", beside, "cluster="+other)
	// A login whose default account predates pactum.
	rc.sacctmgr(t, "add", "user", "pactdef", "account="+beside, "cluster="+rc.Cluster)
	t.Cleanup(func() {
		_ = rc.run.Run(context.Background(), io.Discard, "sacctmgr", "-i", "remove", "user", "pactdef")
	})
	foreign := []string{root, theirs, beside}
	before := snapshot(t, rc, foreign...)

	d := tree(root,
		slurm.DesiredAccount{Account: slurm.Account{Name: org, Parent: root, Description: "Org"}},
		slurm.DesiredAccount{Account: slurm.Account{Name: a1, Parent: org}, Users: []string{"root"}, Limits: slurm.TRES{"gres/gpu": 60}},
		slurm.DesiredAccount{Account: slurm.Account{Name: a2, Parent: org}, Users: []string{"root", "pactdef"}, Limits: slurm.TRES{"gres/gpu": 60}},
	)
	d.Root.Description = "pactum:it" // Validate wants it; the existing root is used as it is
	r, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Applied) != 6 { // org, a1, a2, three users
		t.Errorf("applied %v", r.Applied)
	}
	if diff := gocmp.Diff([]string{theirs + ` (parent ` + root + `, description "physics")`}, r.Foreign); diff != "" {
		t.Errorf("foreign (-want +got):\n%s", diff)
	}
	// pactum's accounts exist on its cluster only.
	var b strings.Builder
	if err := rc.run.Run(ctx, &b, "sacctmgr", "-n", "-P", "show", "assoc", "where", "account="+a1, "format=Cluster"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(b.String()); !slices.Equal(got, []string{rc.Cluster, rc.Cluster}) {
		t.Errorf("a1's associations are on clusters %v, want only %s", got, rc.Cluster)
	}

	// By hand, beneath pactum's allocation (the organization is inherited).
	rc.sacctmgr(t, "add", "account", handmade, "parent="+a1, "cluster="+rc.Cluster)
	foreign = append(foreign, handmade)
	before = append(before, snapshot(t, rc, handmade)...)
	slices.Sort(before)
	for range 2 {
		r, err = slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
		if err != nil || len(r.Applied) != 0 || len(r.Foreign) != 2 {
			t.Fatalf("re-apply: %v, applied %v, foreign %v", err, r.Applied, r.Foreign)
		}
	}
	// Every allocation dropped: a2 goes; a1 and org stay, above the
	// hand-made account.
	d.Accounts = nil
	if r, err = slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	if got := actions(r.Applied); !slices.Equal(got, []string{"remove_account " + a2}) {
		t.Errorf("removals %v, want only %s", got, a2)
	}
	if diff := gocmp.Diff(before, snapshot(t, rc, foreign...)); diff != "" {
		t.Errorf("foreign accounts changed (-before +after):\n%s", diff)
	}
	b.Reset()
	if err := rc.run.Run(ctx, &b, "sacctmgr", "-n", "-P", "show", "user", "pactdef", "format=DefaultAccount"); err != nil || strings.TrimSpace(b.String()) != beside {
		t.Errorf("pactdef's default account is %q (%v), want %s as before pactum", b.String(), err, beside)
	}
}

func actions(xs []slurm.Action) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.String())
	}
	return out
}
