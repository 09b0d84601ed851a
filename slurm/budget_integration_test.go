// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/slurm"
)

// burn submits n one-GPU jobs with a one-minute limit that would run for
// longer (so each runs to its limit), under account, and returns their ids.
func burn(t *testing.T, rc *realCluster, account string, n int, jobs *[]string) []string {
	t.Helper()
	var ids []string
	for range n {
		id, err := rc.Submit(context.Background(), slurm.SubmitRequest{Account: account, GPUs: 1, Time: time.Minute, Wrap: "sleep 100", Output: "/dev/null"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		*jobs = append(*jobs, id)
	}
	return ids
}

// gpuSeconds waits for the jobs to end and sums their GPU-seconds.
func gpuSeconds(t *testing.T, rc *realCluster, since time.Time, account string, ids []string) int64 {
	t.Helper()
	recs := finalRecords(t, rc, since, account, ids...)
	var sum int64
	for _, id := range ids {
		r := recs[id]
		sum += r.GPUSeconds()
	}
	return sum
}

// TestIntegrationHardBudget measures the overshoot of two concurrent
// jobs (the test node has two CPUs), each able to run a GPU-minute, under
// a one-GPU-minute grant: first with the association's GrpTRESMins alone
// (Slurm checks each job against the remaining budget, blind to the
// others running), then with the allocation's QOS (GrpTRESRunMins bounds
// the jobs running at once). Then the exhausted allocation is blocked,
// and deleting and recreating its account and QOS does not refill it.
func TestIntegrationHardBudget(t *testing.T) {
	rc := realSlurm(t)
	if !rc.safe {
		t.Fatal("the test cluster must run with AccountingStorageEnforce=...,safe (scripts/slurm/up.sh)")
	}
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "budget", &jobs)
	plain, qos := root+"-plain", root+"-qos"
	grant := slurm.TRES{"gres/gpu": 1}
	d := tree(root,
		slurm.DesiredAccount{Account: slurm.Account{Name: plain, Parent: root}, Users: []string{"root"}, Limits: grant},
		slurm.DesiredAccount{Account: slurm.Account{Name: qos, Parent: root}, Users: []string{"root"}, Limits: grant},
	)
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, id := range jobs {
			_ = rc.Cancel(context.Background(), id)
		}
		time.Sleep(2 * time.Second)
		_ = rc.RemoveAccount(context.Background(), qos)
		_ = rc.run.Run(context.Background(), io.Discard, "sacctmgr", "-i", "remove", "qos", "where", "name="+qos)
	})
	b := slurm.Budget{Account: qos, Grant: grant, Counted: slurm.TRES{}}
	r, err := rc.ReconcileBudgets(ctx, testMark, []slurm.Budget{b}, nil)
	if err != nil || len(r.Applied) != 2 {
		t.Fatalf("budget: %v %v", err, r.Applied)
	}
	if r, err = rc.ReconcileBudgets(ctx, testMark, []slurm.Budget{b}, nil); err != nil || len(r.Applied) != 0 {
		t.Fatalf("budget again: %v %v", err, r.Applied)
	}

	// Two jobs per account at once; each may use the whole budget.
	since := time.Now()
	pIDs, qIDs := burn(t, rc, plain, 2, &jobs), burn(t, rc, qos, 2, &jobs)
	settle := func(ids []string) []string {
		waitJob(t, rc, ids[0], 3*time.Minute)
		deadline := time.Now().Add(80 * time.Second) // past a PriorityCalcPeriod
		for time.Now().Before(deadline) {
			if st, err := rc.JobStatus(ctx, ids[1]); err == nil && st.State != "PENDING" {
				waitJob(t, rc, ids[1], 3*time.Minute)
				return ids
			}
			time.Sleep(2 * time.Second)
		}
		_ = rc.Cancel(ctx, ids[1])
		return ids[:1]
	}
	pRan, qRan := settle(pIDs), settle(qIDs)
	plainSec := gpuSeconds(t, rc, since, plain, pRan)
	qosSec := gpuSeconds(t, rc, since, qos, qRan)
	t.Logf("jobs that ran: association %d of 2, QOS %d of 2", len(pRan), len(qRan))
	t.Logf("grant 60 GPU-s, 2 jobs of 1 GPU x 1 min limit submitted at once: association GrpTRESMins (safe) %d GPU-s (%.0f %%); allocation QOS %d GPU-s (%.0f %%)",
		plainSec, float64(plainSec)/0.6, qosSec, float64(qosSec)/0.6)
	// A job's last PriorityCalcPeriod of usage reaches the limit only at
	// the next calculation, and a job ends at its time limit only at the
	// next periodic check: so one more job can start, and no more.
	if qosSec > 60+60+2*35 {
		t.Errorf("QOS: %d GPU-s used of a 60 GPU-s grant: more than one job beyond it", qosSec)
	}
	ids := qIDs
	third, err := rc.Submit(ctx, slurm.SubmitRequest{Account: qos, GPUs: 1, Time: time.Minute, Wrap: "true", Output: "/dev/null"})
	if err == nil {
		jobs = append(jobs, third)
		time.Sleep(5 * time.Second)
		if st, _ := rc.JobStatus(ctx, third); st.State != "PENDING" {
			t.Errorf("a third job under the spent QOS is %s (%s)", st.State, st.Reason)
		}
		_ = rc.Cancel(ctx, third)
	}

	// Exhausted (pactum counted it): blocked, at submission.
	b.Counted, b.Blocked = slurm.TRES{"gres/gpu": (qosSec + 59) / 60}, true
	if _, err := rc.ReconcileBudgets(ctx, testMark, []slurm.Budget{b}, nil); err != nil {
		t.Fatal(err)
	}
	if id, err := rc.Submit(ctx, slurm.SubmitRequest{Account: qos, GPUs: 1, Time: time.Minute, Wrap: "true", Output: "/dev/null"}); err == nil {
		jobs = append(jobs, id)
		t.Errorf("job %s accepted under an exhausted allocation", id)
	}
	// Account and QOS deleted by hand, recreated by pactum: the new QOS
	// starts from what pactum counted, so nothing is refilled.
	waitJob(t, rc, ids[1], time.Minute)
	if err := rc.RemoveAccount(ctx, qos); err != nil {
		t.Fatal(err)
	}
	rc.sacctmgr(t, "remove", "qos", "where", "name="+qos)
	if _, err := slurm.Reconcile(ctx, rc, d, slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	b.Blocked = false
	r, err = rc.ReconcileBudgets(ctx, testMark, []slurm.Budget{b}, nil)
	if err != nil || len(r.Applied) != 2 || !strings.Contains(r.Applied[0], "GrpTRESMins=gres/gpu=0") {
		t.Fatalf("recreated: %v %v", err, r.Applied)
	}
	if id, err := rc.Submit(ctx, slurm.SubmitRequest{Account: qos, GPUs: 1, Time: time.Minute, Wrap: "true", Output: "/dev/null"}); err == nil {
		jobs = append(jobs, id)
		t.Errorf("job %s accepted after the account and QOS were recreated: the budget refilled", id)
	} else if !strings.Contains(err.Error(), "QOS") {
		t.Errorf("refused for another reason: %v", err)
	}
}
