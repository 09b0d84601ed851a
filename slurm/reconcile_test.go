// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmsim"
)

// recorder is an injected sleep that records waits instead of sleeping.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func fastPolicy(rec *recorder) retry.Policy {
	p := slurm.DefaultPolicy()
	p.Sleep, p.Rand = rec.sleep, func() float64 { return 0.5 }
	return p
}

// summary projects what pactum manages, ignoring the descriptions that
// Slurm (and the fake) default for accounts created without one.
func summary(o *slurm.Observed) map[string]string {
	out := map[string]string{}
	for n, a := range o.Accounts {
		out[n] = fmt.Sprintf("parent=%s users=%v limits=%s jobs=%d/%d", a.Parent, a.Users, a.Limits, a.GrpJobs, a.GrpSubmitJobs)
	}
	return out
}

// mustMatch fails unless the fake holds exactly what desired() asks for.
func mustMatch(t *testing.T, c *slurmsim.Cluster) {
	t.Helper()
	o, err := slurm.Observe(context.Background(), c, "pactum")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(summary(converged()), summary(o)); diff != "" {
		t.Errorf("cluster (-want +got):\n%s", diff)
	}
	if acts := slurm.Plan(desired(), o); len(acts) != 0 {
		t.Errorf("still to do: %v", kinds(acts))
	}
}

func TestReconcileConvergesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	c := slurmsim.New("ci", nil)
	var rec recorder
	r, err := slurm.Reconcile(ctx, c, desired(), fastPolicy(&rec))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Applied) != 7 || len(r.Drift) != 0 || r.Attempts != 1 {
		t.Errorf("first run: applied %v, drift %v, attempts %d", kinds(r.Applied), kinds(r.Drift), r.Attempts)
	}
	mustMatch(t, c)
	before := c.Calls["EnsureAccount"] + c.Calls["EnsureUser"]
	r, err = slurm.Reconcile(ctx, c, desired(), fastPolicy(&rec))
	if err != nil || len(r.Applied) != 0 || r.Attempts != 1 {
		t.Errorf("second run: %v applied %v attempts %d", err, kinds(r.Applied), r.Attempts)
	}
	if after := c.Calls["EnsureAccount"] + c.Calls["EnsureUser"]; after != before {
		t.Errorf("second run changed things: %d creating calls", after-before)
	}
}

func TestReconcileReportsAndRestoresDrift(t *testing.T) {
	ctx := context.Background()
	c := slurmsim.New("ci", nil)
	var rec recorder
	if _, err := slurm.Reconcile(ctx, c, desired(), fastPolicy(&rec)); err != nil {
		t.Fatal(err)
	}
	minus1 := int64(-1)
	if err := c.SetByHand("al-1", slurm.TRES{"gres/gpu": 1e9}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetByHand("al-2", nil, &minus1, &minus1); err != nil { // resumed by hand
		t.Fatal(err)
	}
	r, err := slurm.Reconcile(ctx, c, desired(), fastPolicy(&rec))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"set_limits al-1 gres/gpu=60000 drift", "suspend al-2 drift"}
	if diff := cmp.Diff(want, kinds(r.Drift)); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if r.Drift[0].Found != "GrpTRESMins=gres/gpu=1000000000" {
		t.Errorf("found %q", r.Drift[0].Found)
	}
	mustMatch(t, c)
}

func TestReconcileRidesOutAnOutage(t *testing.T) {
	ctx := context.Background()
	c := slurmsim.New("ci", nil)
	// slurmdbd goes away after the third account is created and comes back
	// after a few failed calls.
	created, failures := 0, 0
	c.Fail = func(op string) error {
		if op == "EnsureAccount" {
			created++
		}
		if created == 3 && failures < 4 {
			failures++
			return &slurm.ExecError{Name: "sacctmgr", ExitCode: 1, Err: errors.New("exit status 1"), Stderr: "sacctmgr: error: Sending PersistInit msg: Connection refused"}
		}
		return nil
	}
	var rec recorder
	r, err := slurm.Reconcile(ctx, c, desired(), fastPolicy(&rec))
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempts < 2 || len(rec.waits) != r.Attempts-1 {
		t.Errorf("attempts %d, waits %v", r.Attempts, rec.waits)
	}
	// The waits grow: 0.5 s × 2^n, half jittered at 0.5.
	if len(rec.waits) > 1 && rec.waits[1] <= rec.waits[0] {
		t.Errorf("waits do not grow: %v", rec.waits)
	}
	mustMatch(t, c)
	accts, _ := c.Accounts(ctx, "root")
	if len(accts) != 5 {
		t.Errorf("accounts: %v, want exactly 5 (root and its four)", accts)
	}
}

func TestReconcileGivesUp(t *testing.T) {
	c := slurmsim.New("ci", nil)
	c.Down()
	var rec recorder
	p := fastPolicy(&rec)
	p.Attempts = 3
	_, err := slurm.Reconcile(context.Background(), c, desired(), p)
	if !slurm.IsTransient(err) || len(rec.waits) != 2 {
		t.Errorf("err=%v waits=%v", err, rec.waits)
	}
	d := desired()
	d.Accounts[0].Name = "BAD"
	calls := c.Calls["Associations"]
	_, err = slurm.Reconcile(context.Background(), c, d, p)
	if pactum.ErrorCode(err) != pactum.EINVALID || c.Calls["Associations"] != calls {
		t.Errorf("invalid desired state: %v", err)
	}
}

func TestApplyStopsAtFirstFailure(t *testing.T) {
	c := slurmsim.New("ci", nil)
	acts := slurm.Plan(desired(), &slurm.Observed{})
	c.Fail = func(op string) error {
		if op == "EnsureUser" {
			return errors.New("boom")
		}
		return nil
	}
	n, err := slurm.Apply(context.Background(), c, acts)
	if n != 4 || err == nil || err.Error() != "add_user al-1 user=alice: boom" {
		t.Errorf("Apply = %d, %v", n, err)
	}
}

func TestFakeClusterEnforces(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := slurmsim.New("ci", func() time.Time { return now })
	d := desired()
	d.Accounts[0].Users = append(d.Accounts[0].Users, "root")
	d.Accounts[0].Limits = slurm.TRES{"gres/gpu": 2}
	var rec recorder
	if _, err := slurm.Reconcile(ctx, c, d, fastPolicy(&rec)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, slurm.SubmitRequest{Account: "al-2", Wrap: "x"}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
		t.Errorf("non-member: %v", err)
	}
	j1, err := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Wrap: "x", GPUs: 2, Time: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(j1, 61*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	// 122 GPU-s = 2 whole minutes: the 2 GPU-minute budget is spent.
	j2, _ := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Wrap: "x", GPUs: 1, Time: time.Minute})
	if st, _ := c.JobStatus(ctx, j2); st.State != "PENDING" || st.Reason != "AssocGrpGRESMinutes" {
		t.Errorf("over budget: %+v", st)
	}
	// A CPU-only job is not held by a GPU limit, as on Slurm 22.05.
	j3, _ := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Wrap: "x", Time: time.Minute})
	if st, _ := c.JobStatus(ctx, j3); st.State != "RUNNING" {
		t.Errorf("cpu-only job: %+v", st)
	}
	if err := c.Suspend(ctx, "al-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Wrap: "x"}); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("suspended: %v", err)
	}
	if err := c.RemoveAccount(ctx, "org-a"); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("remove with jobs: %v", err)
	}
	var got []string
	_, err = c.Usage(ctx, slurm.Query{Window: slurm.Window{Start: now, End: now.Add(time.Hour)}}, func(r *slurm.Record) error {
		got = append(got, r.JobID+" "+r.State+" "+itoa(int(r.GPUSeconds())))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 COMPLETED 122", "2 PENDING 0", "3 RUNNING 0"}, got); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	// Safe: a 2-GPU, 1-minute job does not fit a fresh 1 GPU-minute budget.
	c.Safe = true
	if err := c.SetLimits(ctx, "al-2", slurm.TRES{"gres/gpu": 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx, "al-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureUser(ctx, "al-2", "root"); err != nil {
		t.Fatal(err)
	}
	j4, _ := c.Submit(ctx, slurm.SubmitRequest{Account: "al-2", Wrap: "x", GPUs: 2, Time: time.Minute})
	if st, _ := c.JobStatus(ctx, j4); st.State != "PENDING" || st.Reason != "AssocGrpGRESMinutes" {
		t.Errorf("safe: %+v", st)
	}
}
