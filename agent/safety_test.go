// SPDX-License-Identifier: EUPL-1.2

package agent_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// forgetful serves the desired state with the allocations whose account
// drop reports true left out, as a server restored from an old backup, or
// pointed at the wrong database, would.
type forgetful struct {
	client.ClientWithResponsesInterface
	drop atomic.Pointer[func(acct string) bool]
}

func (f *forgetful) GetSiteDesiredStateWithResponse(ctx context.Context, site string, params *client.GetSiteDesiredStateParams, eds ...client.RequestEditorFn) (*client.GetSiteDesiredStateResponse, error) {
	resp, err := f.ClientWithResponsesInterface.GetSiteDesiredStateWithResponse(ctx, site, params, eds...)
	drop := f.drop.Load()
	if err != nil || resp.StatusCode() != 200 || drop == nil {
		return resp, err
	}
	var st pactum.SiteState
	if err := json.Unmarshal(resp.Body, &st); err != nil {
		return nil, err
	}
	st.Allocations = slices.DeleteFunc(st.Allocations, func(x pactum.DesiredAllocation) bool { return (*drop)(x.Account) })
	resp.Body, _ = json.Marshal(st)
	return resp, nil
}

func (w *world) forgetfulAgent(opts ...func(*agent.Config)) (*agent.Agent, *forgetful) {
	api, err := client.New(w.url, w.opToken)
	if err != nil {
		w.t.Fatal(err)
	}
	f := &forgetful{ClientWithResponsesInterface: api}
	return w.agent(append([]func(*agent.Config){func(c *agent.Config) { c.API = f }}, opts...)...), f
}

func (w *world) exists(acct string) bool {
	as, err := w.cluster.Associations(context.Background(), acct)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(as) > 0
}

// TestAbsentAccountsRemovedOnlyAfterCycles: an allocation the server stops
// listing (not one it marks for removal) keeps its account for
// RemoveAfter cycles.
func TestAbsentAccountsRemovedOnlyAfterCycles(t *testing.T) {
	w := newWorld(t)
	a1, a2, a3 := w.allocation(100), w.allocation(100), w.allocation(100)
	a, f := w.forgetfulAgent()
	w.cycle(a)
	gone := pactum.AllocationAccount(a3.ID)
	drop := func(acct string) bool { return acct == gone }
	f.drop.Store(&drop)
	for i := 1; i <= 2; i++ {
		rep := w.cycle(a)
		if !w.exists(gone) || !slices.Equal(rep.Absent, []string{gone}) || len(rep.Held) != 0 {
			t.Fatalf("cycle %d: account removed too early, or not reported: %+v", i, rep)
		}
	}
	rep := w.cycle(a)
	if w.exists(gone) || !slices.Equal(rep.Applied, []string{"remove_account " + gone}) {
		t.Fatalf("third cycle absent: %+v", rep)
	}
	for _, al := range []*pactum.Allocation{a1, a2} {
		if !w.exists(pactum.AllocationAccount(al.ID)) {
			t.Errorf("account of %s removed", al.ID)
		}
	}
}

// TestMassRemovalHeld: a desired state that suddenly lacks most of the
// allocations changes nothing until the removals are accepted.
func TestMassRemovalHeld(t *testing.T) {
	w := newWorld(t)
	als := []*pactum.Allocation{w.allocation(100), w.allocation(100), w.allocation(100)}
	a, f := w.forgetfulAgent()
	w.cycle(a)
	all := func(string) bool { return true }
	f.drop.Store(&all)
	for i := range 4 {
		rep := w.cycle(a)
		if len(rep.Applied) != 0 || len(rep.Held) != 4 { // three allocations and their organization
			t.Fatalf("cycle %d: %+v", i, rep)
		}
	}
	if !strings.Contains(w.logs.String(), "removals held") {
		t.Errorf("no warning logged:\n%s", w.logs)
	}
	a.Close()
	accepted, _ := w.forgetfulAgent(func(c *agent.Config) { c.AcceptRemovals = true; c.API = f })
	rep := w.cycle(accepted)
	if len(rep.Applied) != 4 || len(rep.Held) != 0 {
		t.Fatalf("accepted: %+v", rep)
	}
	for _, al := range als {
		if w.exists(pactum.AllocationAccount(al.ID)) {
			t.Errorf("account of %s kept after the removals were accepted", al.ID)
		}
	}
}

// TestDryRunChangesNothing: a dry run plans and reports, and touches
// neither the cluster, nor the server's allocations, nor the state file.
func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	a := w.agent(func(c *agent.Config) { c.DryRun = true })
	if a.State().Existed() {
		t.Fatal("a fresh state directory has a state")
	}
	rep := w.cycle(a)
	if !rep.DryRun || len(rep.Planned) != 4 || len(rep.Applied) != 0 || len(rep.Activated) != 0 {
		t.Fatalf("dry run: %+v", rep)
	}
	if w.exists("pactum") || w.state(al) != pactum.AllocationPending {
		t.Error("the dry run changed the cluster or the allocation")
	}
	if _, err := os.Stat(filepath.Join(w.stateDir, "agent-state.json")); !os.IsNotExist(err) {
		t.Errorf("state file written by a dry run: %v", err)
	}
}

// TestPreflight: the agent refuses to start with another role's token,
// on an unknown site or system, or on a cluster that cannot enforce a
// grant, naming what to change.
func TestPreflight(t *testing.T) {
	w := newWorld(t)
	if err := w.agent().Preflight(context.Background()); err != nil {
		t.Fatalf("operator's agent: %v", err)
	}
	w.cluster.Settings = map[string]string{"AccountingStorageEnforce": "associations"}
	err := w.agent(func(c *agent.Config) { c.StateDir = t.TempDir() }).Preflight(context.Background())
	if pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(err.Error(), "AccountingStorageEnforce") {
		t.Errorf("weak enforcement: %v", err)
	}
	w.cluster.Settings = nil
	for _, c := range []struct {
		site, system string
		code         string
	}{{"CSC", "leonardo", pactum.ENOTFOUND}, {"CINECA", "", pactum.EFORBIDDEN}} {
		a := w.agent(func(cfg *agent.Config) { cfg.Site, cfg.SystemID, cfg.StateDir = c.site, c.system, t.TempDir() })
		if err := a.Preflight(context.Background()); pactum.ErrorCode(err) != c.code {
			t.Errorf("site %s system %q: %v, want %s", c.site, c.system, err, c.code)
		}
	}
	_, tok, err := w.uc.CreateToken(storetest.As(w.f.Manager), w.f.Manager.ID, "not an operator", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := client.New(w.url, tok)
	a := w.agent(func(c *agent.Config) { c.API, c.StateDir = api, t.TempDir() })
	if err := a.Preflight(context.Background()); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
		t.Errorf("access manager's token: %v", err)
	}
	if err := a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "preflight") {
		t.Errorf("Run with a wrong token: %v", err)
	}
}

// TestSystemLoginsRefused: an access manager may map a person to root,
// slurm or a system account; the agent never gives such a login to an
// allocation.
func TestSystemLoginsRefused(t *testing.T) {
	w := newWorld(t)
	if _, err := w.uc.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, "root"); err != nil {
		t.Fatal(err)
	}
	al := w.allocation(100)
	w.cycle(w.agent())
	if _, users := w.assoc(pactum.AllocationAccount(al.ID)); len(users) != 0 {
		t.Errorf("users %v, want none", users)
	}
	if !strings.Contains(w.logs.String(), "login refused") {
		t.Errorf("no warning:\n%s", w.logs)
	}
}

// TestQueuedJobsOfExpiredAllocationCancelled: after the period, a queued
// job can never start under the suspended account and would keep it on the
// cluster forever; after the grace period it is cancelled, with a notice,
// and the running job goes on.
func TestQueuedJobsOfExpiredAllocationCancelled(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent()
	w.cycle(a)
	w.cluster.Safe = false
	running, err := w.submit(acct, 1, 100*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.cluster.Safe = true // the next job's worst case exceeds the grant: it waits
	queued, err := w.submit(acct, 1, 100*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.t = al.EndsAt.Add(time.Minute)
	if rep := w.cycle(a); !slices.Contains(rep.Deferred, acct) || len(rep.Cancelled) != 0 {
		t.Fatalf("at the end of the period: %+v", rep)
	}
	w.clock.Advance(2 * time.Hour)
	rep := w.cycle(a)
	if !slices.Equal(rep.Cancelled, []string{queued}) || !strings.Contains(w.logs.String(), "queued jobs of an expired allocation cancelled") {
		t.Fatalf("after the grace: %+v\n%s", rep, w.logs)
	}
	if st, _ := w.cluster.JobStatus(context.Background(), running); st.State != "RUNNING" {
		t.Errorf("the running job is %s", st.State)
	}
}

// TestOneAgentPerCluster: a second agent for the same cluster does
// nothing while the first holds the lease, and takes over once it lapses.
func TestOneAgentPerCluster(t *testing.T) {
	w := newWorld(t)
	w.allocation(100)
	first := w.agent(func(c *agent.Config) { c.Holder = "login1:1" })
	w.cycle(first)
	second := w.agent(func(c *agent.Config) { c.Holder = "login2:2"; c.StateDir = t.TempDir() })
	rep, err := second.Cycle(context.Background())
	if pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(err.Error(), "login1:1") || len(rep.Applied) != 0 {
		t.Fatalf("second agent: %v %+v", err, rep)
	}
	w.clock.Advance(pactum.AgentLeaseTTL + time.Second)
	if _, err := second.Cycle(context.Background()); err != nil {
		t.Fatalf("takeover after the lease lapsed: %v", err)
	}
	if _, err := first.Cycle(context.Background()); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("the first agent, back: %v", err)
	}
}

// TestSiteLoginMap: with a login map, the site decides the login: the
// mapped login joins the allocation, never pactum's username, and a person
// the map lacks gets none.
func TestSiteLoginMap(t *testing.T) {
	w := newWorld(t)
	if _, err := w.uc.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	m, err := agent.ParseLoginMap(strings.NewReader("# pactum username, site login\nada  u1234\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.cycle(w.agent(func(c *agent.Config) { c.LoginMap = m }))
	if _, users := w.assoc(acct); !slices.Equal(users, []string{"u1234"}) {
		t.Errorf("users %v, want the site's login u1234", users)
	}

	w2 := newWorld(t)
	if _, err := w2.uc.SetUsername(storetest.As(w2.f.Manager), w2.f.ApplicantA.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	al2 := w2.allocation(100)
	w2.cycle(w2.agent(func(c *agent.Config) { c.LoginMap = map[string]string{} }))
	if _, users := w2.assoc(pactum.AllocationAccount(al2.ID)); len(users) != 0 {
		t.Errorf("users %v, want none for a person the map lacks", users)
	}
	if !strings.Contains(w2.logs.String(), "not in the site's login map") {
		t.Errorf("no warning:\n%s", w2.logs)
	}
}

func TestParseLoginMap(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ada u1\n\n# c\nbob u2", ""},
		{"ada", "two words"},
		{"ada u1 extra", "two words"},
		{"ada u1\nada u2", "mapped twice"},
		{"ada u1\nbob u1", "already given to ada"},
		{"ada \x1b[2J", "letters"},
		{"ada r\u00e9mi", "letters"},
	} {
		m, err := agent.ParseLoginMap(strings.NewReader(tc.in))
		switch {
		case tc.want == "" && (err != nil || m["ada"] != "u1" || m["bob"] != "u2"):
			t.Errorf("%q: %v %v", tc.in, m, err)
		case tc.want != "" && (pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want invalid …%s…", tc.in, err, tc.want)
		}
	}
}

func FuzzParseLoginMap(f *testing.F) {
	f.Add("ada u1\nbob u2\n# x\n")
	f.Add("ada u1\nada u2")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := agent.ParseLoginMap(strings.NewReader(in))
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for u, l := range m {
			if u == "" || l == "" || seen[l] || strings.ContainsAny(u+l, " \t\n\x00") {
				t.Fatalf("bad pair %q → %q in %v", u, l, m)
			}
			seen[l] = true
		}
	})
}
