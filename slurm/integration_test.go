// SPDX-License-Identifier: EUPL-1.2

package slurm_test

// Integration tests against a real Slurm cluster (scripts/slurm/up.sh).
// They run when PACTUM_SLURM_CONF names its slurm.conf, are skipped
// otherwise, and fail instead when PACTUM_REQUIRE_SLURM=1 (as in CI).
// Jobs run as the user running the tests (root in CI).

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmtest"
)

type realCluster struct {
	*slurm.Client
	conf     string
	run      *slurm.ExecRunner
	safe     bool
	comments bool // AccountingStoreFlags=job_comment: sacct reports comments
}

func realSlurm(t *testing.T) *realCluster {
	t.Helper()
	conf := slurmtest.RealCluster(t).Conf // skips or fails without one; holds it for the test
	r := slurm.NewExecRunner(conf)
	r.Dir = os.TempDir()
	rc := &realCluster{Client: &slurm.Client{Runner: r}, conf: conf, run: r}
	var out strings.Builder
	if err := r.Run(context.Background(), &out, "scontrol", "show", "config"); err != nil {
		t.Fatalf("cluster not reachable: %v", err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "AccountingStorageEnforce") {
			rc.safe = strings.Contains(line, "safe")
		}
		if strings.HasPrefix(line, "AccountingStoreFlags") {
			rc.comments = strings.Contains(line, "job_comment")
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "ClusterName" {
			rc.Cluster = strings.TrimSpace(v)
		}
	}
	return rc
}

// sacctmgr runs sacctmgr by hand, as a site administrator would.
func (rc *realCluster) sacctmgr(t *testing.T, args ...string) {
	t.Helper()
	if err := rc.run.Run(context.Background(), io.Discard, "sacctmgr", append([]string{"-i"}, args...)...); err != nil {
		t.Fatalf("sacctmgr %v: %v", args, err)
	}
}

// tree returns a fresh root name for one test, and removes that root with
// everything beneath it (cancelling the test's jobs first) at the end.
func (rc *realCluster) tree(t *testing.T, name string, jobs *[]string) string {
	root := fmt.Sprintf("it%d-%s", time.Now().UnixMilli()%1_000_000, name)
	t.Cleanup(func() {
		ctx := context.Background()
		for _, id := range *jobs {
			_ = rc.Cancel(ctx, id)
		}
		err := retry.Do(ctx, retry.Policy{Initial: time.Second, Max: 2 * time.Second, Attempts: 30}, func(ctx context.Context) error {
			return rc.RemoveAccount(ctx, root)
		})
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return root
}

// waitJob polls until the job has ended and returns its final status.
func waitJob(t *testing.T, c slurm.Jobs, id string, limit time.Duration) slurm.JobStatus {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st, err := c.JobStatus(context.Background(), id)
		if err == nil && st.State != "PENDING" && st.State != "RUNNING" && st.State != "CONFIGURING" && st.State != "COMPLETING" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not end within %v: %+v %v", id, limit, st, err)
		}
		time.Sleep(time.Second)
	}
}

// waitReason polls until the job is pending for reason, and fails if it
// starts instead.
func waitReason(t *testing.T, c slurm.Jobs, id, reason string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := c.JobStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != "PENDING" {
			t.Fatalf("job %s is %s (%s), want PENDING with %s", id, st.State, st.Reason, reason)
		}
		if st.Reason == reason {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s pending for %s, want %s", id, st.Reason, reason)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func records(t *testing.T, c slurm.UsageReader, since time.Time, accounts ...string) map[string]slurm.Record {
	t.Helper()
	got := map[string]slurm.Record{}
	q := slurm.Query{Window: slurm.Window{Start: since.Add(-time.Minute), End: time.Now().Add(time.Minute)}, Accounts: accounts}
	bad, err := c.Usage(context.Background(), q, func(r *slurm.Record) error {
		if _, dup := got[r.JobID]; dup {
			return fmt.Errorf("job %s listed twice", r.JobID)
		}
		got[r.JobID] = *r
		return nil
	})
	if err != nil || len(bad) > 0 {
		t.Fatalf("usage: %v, malformed %v", err, bad)
	}
	return got
}

// finalRecords polls sacct until every job in ids is listed as ended:
// slurmctld sends job records to slurmdbd asynchronously, so a job that
// squeue shows as done may reach sacct a moment later.
func finalRecords(t *testing.T, c slurm.UsageReader, since time.Time, account string, ids ...string) map[string]slurm.Record {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		recs := records(t, c, since, account)
		missing := ""
		for _, id := range ids {
			if r, ok := recs[id]; !ok || !r.Final {
				missing = id
			}
		}
		if missing == "" {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s has no final sacct record: %v", missing, recs)
		}
		time.Sleep(time.Second)
	}
}

// testMark is the owner's mark of the integration tests' trees.
const testMark = "pactum:it"

// tree returns a desired tree under root whose accounts all carry
// testMark in front of their descriptions.
func tree(root string, accts ...slurm.DesiredAccount) slurm.Desired {
	for i := range accts {
		accts[i].Description = slurm.Marked(testMark, accts[i].Description)
	}
	return slurm.Desired{Owner: testMark, Root: slurm.Account{Name: root, Parent: "root", Description: slurm.Marked(testMark, "integration test")}, Accounts: accts}
}

// TestIntegrationGPUBudget provisions an award in GPU-hours, runs GPU jobs
// under it, reads them back through sacct, spends the budget and shows the
// next job held with Slurm's limit reason.
func TestIntegrationGPUBudget(t *testing.T) {
	rc := realSlurm(t)
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "gpu", &jobs)
	org, alloc := root+"-org", root+"-al"
	// A grant of 2 GPU-minutes, as the server would send it.
	limits, err := slurm.LimitsFor(2.0/60, pactum.UnitGPUHours)
	if err != nil || limits["gres/gpu"] != 2 {
		t.Fatalf("LimitsFor = %v, %v", limits, err)
	}
	d := tree(root,
		slurm.DesiredAccount{Account: slurm.Account{Name: org, Parent: root, Description: "Org", Organization: "Org"}},
		slurm.DesiredAccount{Account: slurm.Account{Name: alloc, Parent: org}, Users: []string{"root", "alice"}, Limits: limits},
	)
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	submit := func(gpus int, cmd string) string {
		t.Helper()
		id, err := rc.Submit(ctx, slurm.SubmitRequest{Account: alloc, GPUs: gpus, Time: time.Minute, Wrap: cmd, Output: "/dev/null", Name: "pactum-it"})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, id)
		return id
	}

	// 1. A 2-GPU job runs 45 s: 90 GPU-seconds, 1 whole GPU-minute.
	a := submit(2, "sleep 45")
	if st := waitJob(t, rc, a, 3*time.Minute); st.State != "COMPLETED" {
		t.Fatalf("job A: %+v", st)
	}
	ra := finalRecords(t, rc, start, alloc, a)[a]
	if ra.GPUs != 2 || !ra.Final || ra.State != "COMPLETED" || ra.Elapsed < 45 || ra.Elapsed > 55 ||
		ra.GPUSeconds() != 2*ra.Elapsed || ra.Account != alloc || ra.User != "root" || ra.End.Sub(ra.Start) != time.Duration(ra.Elapsed)*time.Second {
		t.Fatalf("job A record: %+v", ra)
	}
	if gh, _ := slurm.Charge(&ra, pactum.UnitGPUHours); gh != float64(ra.GPUSeconds())/3600 {
		t.Errorf("charge %v", gh)
	}

	// 2. With 'safe', a job whose own worst case (2 GPUs × 1 min) exceeds
	// what is left (2 − 1 whole minutes) is held before usage reaches the
	// limit.
	if rc.safe {
		s := submit(2, "true")
		waitReason(t, rc, s, "AssocGrpGRESMinutes")
		if err := rc.Cancel(ctx, s); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("cluster runs without AccountingStorageEnforce=safe: skipping the up-front hold")
	}

	// 3. A 1-GPU job fits and runs 31 s: usage reaches ≥ 121 GPU-s, the limit.
	b := submit(1, "sleep 31")
	if st := waitJob(t, rc, b, 3*time.Minute); st.State != "COMPLETED" && st.State != "TIMEOUT" {
		t.Fatalf("job B: %+v", st)
	}

	// 4. The next job stays pending with Slurm's limit reason.
	c := submit(1, "true")
	waitReason(t, rc, c, "AssocGrpGRESMinutes")
	time.Sleep(6 * time.Second) // past a scheduling pass (sched_interval=5)
	if st, _ := rc.JobStatus(ctx, c); st.State != "PENDING" || st.Reason != "AssocGrpGRESMinutes" {
		t.Fatalf("job C after a scheduling pass: %+v", st)
	}

	// 5. What pactum charges for the allocation has reached the grant.
	var used int64
	for _, r := range finalRecords(t, rc, start, alloc, a, b) {
		if r.Final {
			used += r.GPUSeconds()
		}
	}
	if grant := limits["gres/gpu"] * 60; used < grant {
		t.Errorf("sacct shows %d GPU-s, want at least the grant %d", used, grant)
	}
	t.Logf("GPU budget spent: %d GPU-s against a grant of %d", used, limits["gres/gpu"]*60)

	// 6. An amended award (more minutes) releases the held job.
	d.Accounts[1].Limits = slurm.TRES{"gres/gpu": 10}
	r, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil || len(r.Applied) != 1 || r.Applied[0].Kind != slurm.ActSetLimits {
		t.Fatalf("raise limit: %v %v", err, r.Applied)
	}
	if st := waitJob(t, rc, c, time.Minute); st.State != "COMPLETED" {
		t.Fatalf("job C after the raise: %+v", st)
	}
}

// TestIntegrationSuspendResume shows that Suspend keeps new jobs out (at
// submission, and already queued ones from starting) and Resume lets them in.
func TestIntegrationSuspendResume(t *testing.T) {
	rc := realSlurm(t)
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "susp", &jobs)
	alloc := root + "-al"
	d := tree(root, slurm.DesiredAccount{Account: slurm.Account{Name: alloc, Parent: root}, Users: []string{"root"}, Suspended: true})
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	req := slurm.SubmitRequest{Account: alloc, Time: time.Minute, Wrap: "true", Output: "/dev/null"}
	if id, err := rc.Submit(ctx, req); pactum.ErrorCode(err) != pactum.ECONFLICT {
		jobs = append(jobs, id)
		t.Fatalf("submit while suspended: %q %v, want ECONFLICT", id, err)
	} else if !strings.Contains(pactum.ErrorMessage(err), "suspended") {
		t.Errorf("refusal does not say why: %q", pactum.ErrorMessage(err))
	}

	// An administrator lifts only GrpSubmitJobs by hand: the job is
	// accepted but GrpJobs=0 keeps it from starting, and pactum calls the
	// half-lifted suspension drift.
	rc.sacctmgr(t, "modify", "account", "where", "name="+alloc, "set", "GrpSubmitJobs=-1")
	id, err := rc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, id)
	waitReason(t, rc, id, "AssocGrpJobsLimit")
	r, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil || len(r.Drift) != 1 || r.Drift[0].Kind != slurm.ActSuspend {
		t.Fatalf("drift: %v %v", err, r.Drift)
	}

	// Resume: the queued job runs and new ones are accepted.
	d.Accounts[0].Suspended = false
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	if st := waitJob(t, rc, id, time.Minute); st.State != "COMPLETED" {
		t.Fatalf("queued job after resume: %+v", st)
	}
	id2, err := rc.Submit(ctx, req)
	if err != nil {
		t.Fatalf("submit after resume: %v", err)
	}
	jobs = append(jobs, id2)
	if st := waitJob(t, rc, id2, time.Minute); st.State != "COMPLETED" {
		t.Fatalf("new job after resume: %+v", st)
	}
}

// TestIntegrationIdempotentAndDrift re-applies a tree (no duplicates), finds
// and restores limits changed by hand, and removes expired allocations.
func TestIntegrationIdempotentAndDrift(t *testing.T) {
	rc := realSlurm(t)
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "drift", &jobs)
	org := root + "-org"
	d := tree(root,
		slurm.DesiredAccount{Account: slurm.Account{Name: org, Parent: root, Description: "Mistral AI", Organization: "Mistral AI"}},
		slurm.DesiredAccount{Account: slurm.Account{Name: root + "-a1", Parent: org, Description: "LLM pre-training"}, Users: []string{"alice", "bob"}, Limits: slurm.TRES{"gres/gpu": 60000}},
		slurm.DesiredAccount{Account: slurm.Account{Name: root + "-a2", Parent: org}, Users: []string{"carol"}, Limits: slurm.TRES{"node": 600}},
	)
	r, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil || len(r.Applied) != 7 {
		t.Fatalf("first apply: %v, %v", err, r.Applied)
	}
	for range 2 {
		r, err = slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
		if err != nil || len(r.Applied) != 0 || len(r.Drift) != 0 {
			t.Fatalf("re-apply: %v, applied %v, drift %v", err, r.Applied, r.Drift)
		}
	}
	as, err := rc.Associations(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range as {
		keys = append(keys, a.Account+"/"+a.User)
	}
	slices.Sort(keys)
	want := []string{root + "-a1/", root + "-a1/alice", root + "-a1/bob", root + "-a2/", root + "-a2/carol", root + "-org/", root + "/"}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("associations %v, want %v", keys, want)
	}

	// By hand: a limit raised, a cpu limit added, a user dropped.
	rc.sacctmgr(t, "modify", "account", "where", "name="+root+"-a1", "set", "GrpTRESMins=gres/gpu=999999,cpu=5")
	rc.sacctmgr(t, "remove", "user", "where", "name=bob", "account="+root+"-a1")
	o, err := slurm.Observe(ctx, rc, root)
	if err != nil {
		t.Fatal(err)
	}
	plan := slurm.Plan(d, o)
	if len(plan) != 2 || plan[0].Kind != slurm.ActSetLimits || !plan[0].Drift ||
		plan[0].Found != "GrpTRESMins=cpu=5,gres/gpu=999999" || plan[0].Limits.String() != "cpu=-1,gres/gpu=60000" ||
		plan[1].Kind != slurm.ActAddUser || plan[1].User != "bob" {
		t.Fatalf("plan after hand edits: %v", plan)
	}
	r, err = slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil || len(r.Drift) != 1 || len(r.Applied) != 2 {
		t.Fatalf("restore: %v drift %v applied %v", err, r.Drift, r.Applied)
	}
	if o, _ = slurm.Observe(ctx, rc, root); len(slurm.Plan(d, o)) != 0 || o.Accounts[root+"-a1"].Limits.String() != "gres/gpu=60000" {
		t.Fatalf("not restored: %+v", o.Accounts[root+"-a1"])
	}
	if got := o.Accounts[org]; got.Description != "pactum:it mistral ai" || got.Organization != "mistral ai" {
		t.Errorf("org account as stored: %+v", got.Account)
	}

	// Expiry: a2 leaves the desired state and is removed with its user.
	d.Accounts = d.Accounts[:2]
	r, err = slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy())
	if err != nil || len(r.Applied) != 1 || r.Applied[0].Kind != slurm.ActRemoveAccount {
		t.Fatalf("expire: %v %v", err, r.Applied)
	}
	accts, err := rc.Accounts(ctx, root)
	if err != nil || len(accts) != 3 {
		t.Fatalf("accounts after expiry: %v %v", accts, err)
	}
}

// faultRunner stops slurmdbd after a number of sacctmgr changes and starts
// it again a few seconds later, in the middle of a reconciliation.
type faultRunner struct {
	*slurm.ExecRunner
	t        *testing.T
	ctl, dir string
	after    int32
	changes  atomic.Int32
	once     sync.Once
	restored chan struct{}
	failed   atomic.Int32
}

func (f *faultRunner) ctlRun(cmd, daemon string) error {
	c := exec.Command("bash", f.ctl, cmd, daemon)
	c.Env = append(os.Environ(), "T="+f.dir, "SLURM_CONF="+filepath.Join(f.dir, "etc", "slurm.conf"))
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctl.sh %s %s: %v: %s", cmd, daemon, err, out)
	}
	return nil
}

func (f *faultRunner) Run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	err := f.ExecRunner.Run(ctx, stdout, name, args...)
	if err != nil && slurm.IsTransient(err) {
		f.failed.Add(1)
	}
	mutating := name == "sacctmgr" && len(args) > 1 && (args[1] == "add" || args[1] == "modify")
	if mutating && f.changes.Add(1) == f.after {
		f.once.Do(func() {
			if err := f.ctlRun("stop", "slurmdbd"); err != nil {
				f.t.Error(err)
			}
			go func() {
				defer close(f.restored)
				time.Sleep(5 * time.Second)
				if err := f.ctlRun("start", "slurmdbd"); err != nil {
					f.t.Error(err)
				}
			}()
		})
	}
	return err
}

// TestIntegrationSlurmdbdRestart stops slurmdbd in the middle of a
// reconciliation; Reconcile keeps retrying and converges once it is back,
// with no duplicate associations, and a job that ended during the outage
// is accounted exactly once.
func TestIntegrationSlurmdbdRestart(t *testing.T) {
	rc := realSlurm(t)
	ctl := os.Getenv("PACTUM_SLURM_CTL")
	if ctl == "" {
		ctl = filepath.Join("..", "scripts", "slurm", "ctl.sh")
	}
	dir := os.Getenv("PACTUM_SLURM_DIR")
	if dir == "" {
		dir = filepath.Dir(filepath.Dir(rc.conf))
	}
	if _, err := os.Stat(ctl); err != nil {
		t.Fatalf("need ctl.sh to stop slurmdbd: %v", err)
	}
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "dbd", &jobs)
	org := root + "-org"
	d := tree(root,
		slurm.DesiredAccount{Account: slurm.Account{Name: org, Parent: root}},
		slurm.DesiredAccount{Account: slurm.Account{Name: root + "-a0", Parent: org}, Users: []string{"root"}, Limits: slurm.TRES{"gres/gpu": 100}},
	)
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	job, err := rc.Submit(ctx, slurm.SubmitRequest{Account: root + "-a0", GPUs: 1, Time: time.Minute, Wrap: "sleep 3", Output: "/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, job)

	for i := 1; i <= 6; i++ {
		d.Accounts = append(d.Accounts, slurm.DesiredAccount{
			Account: slurm.Account{Name: fmt.Sprintf("%s-a%d", root, i), Parent: org, Description: testMark},
			Users:   []string{"root", fmt.Sprintf("user%d", i)}, Limits: slurm.TRES{"gres/gpu": int64(60 * i)}, Suspended: i%2 == 0,
		})
	}
	fr := &faultRunner{ExecRunner: rc.run, t: t, ctl: ctl, dir: dir, after: 3, restored: make(chan struct{})}
	faulty := &slurm.Client{Runner: fr, Cluster: rc.Cluster}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p := slurm.DefaultPolicy()
	p.Max = 2 * time.Second
	r, err := slurm.Reconcile(rctx, faulty, d, p)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-fr.restored:
	case <-time.After(30 * time.Second):
		t.Fatal("slurmdbd was not restarted")
	}
	if fr.changes.Load() < 3 || fr.failed.Load() == 0 || r.Attempts < 2 {
		t.Fatalf("the outage did not hit the reconciliation: %d changes, %d failed commands, %d attempts", fr.changes.Load(), fr.failed.Load(), r.Attempts)
	}
	t.Logf("converged after %d attempts, %d commands failed during the outage", r.Attempts, fr.failed.Load())

	o, err := slurm.Observe(ctx, rc, root)
	if err != nil {
		t.Fatal(err)
	}
	if left := slurm.Plan(d, o); len(left) != 0 {
		t.Fatalf("not converged: %v", left)
	}
	as, err := rc.Associations(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range as {
		k := a.Account + "/" + a.User
		if seen[k] {
			t.Errorf("duplicate association %s", k)
		}
		seen[k] = true
	}
	if want := 1 + 1 + 7 + 1 + 2*6; len(as) != want { // root, org, 7 accounts, a0's user, 2 users each
		t.Errorf("%d associations, want %d", len(as), want)
	}

	// The job ended while slurmdbd was down; slurmctld kept its record and
	// sent it on, so the usage read after the restart has it, once.
	waitJob(t, rc, job, time.Minute)
	rec := finalRecords(t, rc, start, root+"-a0", job)[job]
	if rec.GPUs != 1 || rec.Elapsed < 3 || rec.GPUSeconds() != rec.Elapsed {
		t.Errorf("record after the outage: %+v", rec)
	}
}

// TestIntegrationNodeMinutes shows that a node-hour award, set as node
// minutes, is enforced by Slurm 22.05 (reason AssocGrpNodeMinutes), so no
// cpu-minute fallback is needed. Cheap with 'safe': a job whose time limit
// alone exceeds the budget is held at once.
func TestIntegrationNodeMinutes(t *testing.T) {
	rc := realSlurm(t)
	if !rc.safe {
		t.Skip("needs AccountingStorageEnforce=safe to show the hold without running a minute-long job")
	}
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "node", &jobs)
	alloc := root + "-al"
	limits, err := slurm.LimitsFor(1.0/60, pactum.UnitNodeHours)
	if err != nil || limits.String() != "node=1" {
		t.Fatalf("LimitsFor = %v, %v", limits, err)
	}
	d := tree(root, slurm.DesiredAccount{Account: slurm.Account{Name: alloc, Parent: root}, Users: []string{"root"}, Limits: limits})
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	big, err := rc.Submit(ctx, slurm.SubmitRequest{Account: alloc, Time: 2 * time.Minute, Wrap: "true", Output: "/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, big)
	waitReason(t, rc, big, "AssocGrpNodeMinutes")
	small, err := rc.Submit(ctx, slurm.SubmitRequest{Account: alloc, Time: time.Minute, Wrap: "sleep 2", Output: "/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, small)
	if st := waitJob(t, rc, small, time.Minute); st.State != "COMPLETED" {
		t.Fatalf("1-node, 1-minute job: %+v", st)
	}
	r := finalRecords(t, rc, start, alloc, small)[small]
	if r.Nodes != 1 || r.NodeSeconds() != r.Elapsed || r.Elapsed < 2 {
		t.Fatalf("record %+v", r)
	}
	if nh, _ := slurm.Charge(&r, pactum.UnitNodeHours); nh != float64(r.Elapsed)/3600 {
		t.Errorf("charge %v node-hours", nh)
	}
}

// TestIntegrationComment submits a job with a comment, as pactum marks a
// model's training jobs, and reads the comment back through sacct, also
// with the steps' statistics folded in (StepStats). Slurm 22.05 here
// gathers neither energy (no acct_gather_energy plugin) nor GPU
// utilisation (gres/gpuutil came in 23.02, and the GPUs are fake), so
// both are unknown.
func TestIntegrationComment(t *testing.T) {
	rc := realSlurm(t)
	if !rc.comments {
		msg := "the cluster keeps no job comments (AccountingStoreFlags lacks job_comment): run scripts/slurm/up.sh again, which adds it"
		if os.Getenv("PACTUM_REQUIRE_SLURM") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "comment", &jobs)
	alloc := root + "-al"
	d := tree(root, slurm.DesiredAccount{Account: slurm.Account{Name: alloc, Parent: root}, Users: []string{"root"}})
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const comment = "pactum:model=demo-7b@1;phase=pre-training"
	id, err := rc.Submit(ctx, slurm.SubmitRequest{Account: alloc, GPUs: 1, Time: time.Minute, Wrap: "sleep 2", Output: "/dev/null", Comment: comment})
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, id)
	if st := waitJob(t, rc, id, time.Minute); st.State != "COMPLETED" {
		t.Fatalf("job: %+v", st)
	}
	r := finalRecords(t, rc, start, alloc, id)[id]
	if r.Comment != comment || r.GPUs != 1 || r.EnergyJoules != -1 || r.GPUUtil != -1 || r.Cluster != rc.Cluster {
		t.Fatalf("record %+v, want comment %q, 1 GPU, energy and utilisation unknown", r, comment)
	}
	q := slurm.Query{Window: slurm.Window{Start: start.Add(-time.Minute), End: time.Now().Add(time.Minute)}, Accounts: []string{alloc}, StepStats: true}
	var got []slurm.Record
	bad, err := rc.Usage(ctx, q, func(r *slurm.Record) error {
		got = append(got, *r)
		return nil
	})
	if err != nil || len(bad) > 0 || len(got) != 1 {
		t.Fatalf("with StepStats: %v, malformed %v, records %+v", err, bad, got)
	}
	if diff := cmp.Diff(r, got[0]); diff != "" {
		t.Errorf("with StepStats, the record differs (-allocations +steps folded):\n%s", diff)
	}
}
