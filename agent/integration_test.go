// SPDX-License-Identifier: EUPL-1.2

package agent_test

// Real-cluster tests of the agent (scripts/slurm/up.sh): they run when
// PACTUM_SLURM_CONF names the cluster's slurm.conf, are skipped otherwise,
// and fail instead when PACTUM_REQUIRE_SLURM=1 (as in CI).

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmtest"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// faultRunner stops slurmdbd after a number of account changes and starts
// it again a few seconds later: an outage in the middle of a
// reconciliation.
type faultRunner struct {
	slurm.Runner
	t        *testing.T
	real     *slurmtest.Real
	after    int32
	down     time.Duration
	changes  atomic.Int32
	failed   atomic.Int32
	once     sync.Once
	restored chan struct{}
}

func (f *faultRunner) ctl(verb string) error {
	c := exec.Command("bash", f.real.Ctl, verb, "slurmdbd")
	c.Env = append(os.Environ(), "T="+f.real.Dir, "SLURM_CONF="+f.real.Conf)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("ctl.sh %s slurmdbd: %v: %s", verb, err, out)
	}
	return nil
}

func (f *faultRunner) Run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	err := f.Runner.Run(ctx, stdout, name, args...)
	if err != nil && slurm.IsTransient(err) {
		f.failed.Add(1)
	}
	if name == "sacctmgr" && len(args) > 1 && (args[1] == "add" || args[1] == "modify") && f.changes.Add(1) == f.after {
		f.once.Do(func() {
			if err := f.ctl("stop"); err != nil {
				f.t.Error(err)
			}
			go func() {
				defer close(f.restored)
				time.Sleep(f.down)
				if err := f.ctl("start"); err != nil {
					f.t.Error(err)
				}
			}()
		})
	}
	return err
}

// realWorld is the in-process server over a real clock, with organization
// A's applicant holding the username of the user running the tests (whose
// jobs these are), and a root account of its own on the shared cluster.
func realWorld(t *testing.T, rc *slurmtest.Real) (*world, *slurm.Client, string, *[]string) {
	t.Helper()
	w := newWorldAt(t, &clock{real: true})
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.uc.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, me.Username); err != nil {
		t.Fatal(err)
	}
	run := slurm.NewExecRunner(rc.Conf)
	run.Dir = os.TempDir()
	cfg, err := (&slurm.Client{Runner: run}).Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &slurm.Client{Runner: run, Cluster: cfg["ClusterName"]}
	root := fmt.Sprintf("pt%d", time.Now().UnixMilli()%1_000_000)
	var jobs []string
	t.Cleanup(func() {
		ctx := context.Background()
		for _, id := range jobs {
			_ = c.Cancel(ctx, id)
		}
		as, _ := c.Associations(ctx, root)
		err := retry.Do(ctx, retry.Policy{Initial: time.Second, Max: 2 * time.Second, Attempts: 30}, func(ctx context.Context) error {
			return c.RemoveAccount(ctx, root)
		})
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, a := range as { // the allocations' QOS
			_ = run.Run(ctx, io.Discard, "sacctmgr", "-i", "remove", "qos", "where", "name="+a.Account)
		}
	})
	return w, c, root, &jobs
}

// TestIntegrationSlurmdbdRestartDuringReconcile provisions an award, runs a
// job, then stops slurmdbd while the agent provisions three more awards:
// the agent keeps retrying and converges once slurmdbd is back, with no
// duplicate associations, and the job, which ended during the outage, is
// accounted exactly once.
func TestIntegrationSlurmdbdRestartDuringReconcile(t *testing.T) {
	rc := slurmtest.RealCluster(t)
	if rc.Ctl == "" {
		rc.Ctl = filepath.Join("..", "scripts", "slurm", "ctl.sh")
	}
	w, c, root, jobs := realWorld(t, rc)
	ctx := context.Background()
	first := w.allocation(10)
	real := func(cfg *agent.Config) {
		cfg.Cluster, cfg.ClusterName, cfg.Root, cfg.Overlap = c, c.Cluster, root, 5*time.Minute
		cfg.Reconcile = &retry.Policy{Initial: 500 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}
		cfg.ReconcileTimeout = 2 * time.Minute
		cfg.MinUID, cfg.DenyUsers = -1, []string{} // the tests' jobs run as root
	}
	a := w.agent(real)
	if rep := w.cycle(a); len(rep.Activated) != 1 {
		t.Fatalf("first cycle: %+v", rep)
	}
	job, err := c.Submit(ctx, slurm.SubmitRequest{Account: pactum.AllocationAccount(first.ID), GPUs: 1, Time: time.Minute, Wrap: "sleep 3", Output: "/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	*jobs = append(*jobs, job)

	more := []*pactum.Allocation{w.allocation(20), w.allocation(30), w.allocation(40)}
	a.Close()
	fr := &faultRunner{Runner: c.Runner, t: t, real: rc, after: 3, down: 8 * time.Second, restored: make(chan struct{})}
	b := w.agent(real, func(cfg *agent.Config) { cfg.Cluster = &slurm.Client{Runner: fr, Cluster: c.Cluster} })
	start := time.Now()
	rep := w.cycle(b)
	select {
	case <-fr.restored:
	case <-time.After(30 * time.Second):
		t.Fatal("slurmdbd was not restarted")
	}
	if fr.changes.Load() < 3 || fr.failed.Load() == 0 || len(rep.Activated) != 3 || !strings.Contains(w.logs.String(), "retrying reconciliation") {
		t.Fatalf("the outage did not hit the reconciliation: %d changes, %d failed commands, report %+v", fr.changes.Load(), fr.failed.Load(), rep)
	}
	t.Logf("converged %v after the outage began; %d Slurm commands failed meanwhile", time.Since(start).Round(time.Second), fr.failed.Load())

	// Converged: nothing left to do, every association once.
	d, err := agent.Tree(mustDesired(t, w, root), 0)
	if err != nil {
		t.Fatal(err)
	}
	o, err := slurm.Observe(ctx, c, root)
	if err != nil {
		t.Fatal(err)
	}
	if left := slurm.Plan(d, o); len(left) != 0 {
		t.Fatalf("not converged: %v", left)
	}
	as, err := c.Associations(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, x := range as {
		if k := x.Account + "/" + x.User; seen[k] {
			t.Errorf("duplicate association %s", k)
		} else {
			seen[k] = true
		}
	}
	if want := 1 + 1 + 2*4; len(as) != want { // root, organization, 4 allocations with one member each
		t.Errorf("%d associations, want %d: %v", len(as), want, as)
	}
	for _, al := range append(more, first) {
		if s := w.state(al); s != pactum.AllocationActive {
			t.Errorf("allocation %s is %s", al.ID, s)
		}
	}

	// The job ended while slurmdbd was down; slurmctld kept its record and
	// sent it on. The agent accounts it once, however often it reads.
	deadline := time.Now().Add(60 * time.Second)
	for {
		w.cycle(b)
		if s := w.summary(first); s.Jobs == 1 {
			recs, _, err := w.uc.FindUsageRecords(storetest.As(w.f.Manager), pactum.UsageFilter{AllocationID: first.ID})
			if err == nil && len(recs) == 1 && recs[0].Final {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job was not accounted as ended: %+v", w.summary(first))
		}
		time.Sleep(2 * time.Second)
	}
	want := w.summary(first)
	for range 2 {
		w.cycle(b)
	}
	got := w.summary(first)
	// A "sleep 3" on one GPU: at least 3 GPU-seconds, and at most its
	// time limit of a minute. Its elapsed time is Slurm's and varies with
	// the outage (21 s was seen once, with slurmctld busy retrying).
	if got.Jobs != 1 || got.GPUSeconds != want.GPUSeconds || got.GPUSeconds < 3 || got.GPUSeconds > 60 {
		t.Errorf("usage after more reads: %+v (was %+v)", got.UsageTotals, want.UsageTotals)
	}
}

// mustDesired fetches the site's desired state as the agent does.
func mustDesired(t *testing.T, w *world, root string) *pactum.SiteState {
	t.Helper()
	api, err := client.New(w.url, w.opToken)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.GetSiteDesiredStateWithResponse(context.Background(), "CSC", &client.GetSiteDesiredStateParams{})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("desired state: %v %s", err, resp.Body)
	}
	st, err := client.ToSiteState(resp)
	if err != nil {
		t.Fatal(err)
	}
	st.Root = root
	return st
}
