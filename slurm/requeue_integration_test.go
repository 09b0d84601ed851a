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

// TestIntegrationRequeuedRuns: a job requeued while it ran used its GPU in
// both runs; read with Runs, sacct gives both, the earlier one as its own
// ended record, the same on every read.
func TestIntegrationRequeuedRuns(t *testing.T) {
	rc := realSlurm(t)
	ctx := context.Background()
	var jobs []string
	root := rc.tree(t, "requeue", &jobs)
	acct := root + "-a"
	if _, err := slurm.Reconcile(ctx, rc, tree(root, slurm.DesiredAccount{Account: slurm.Account{Name: acct, Parent: root}, Users: []string{"root"}}), slurm.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	var out strings.Builder
	if err := rc.run.Run(ctx, &out, "sbatch", "--parsable", "--requeue", "--account="+acct, "--gres=gpu:1", "--time=1", "-o", "/dev/null", "--wrap=sleep 6"); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out.String())
	jobs = append(jobs, id)
	for st, _ := rc.JobStatus(ctx, id); st.State != "RUNNING"; st, _ = rc.JobStatus(ctx, id) {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	if err := rc.run.Run(ctx, io.Discard, "scontrol", "requeue", id); err != nil {
		t.Fatal(err)
	}
	// Slurm holds a requeued job (BeginTime) for a while: release it once
	// it is pending again.
	for deadline := time.Now().Add(time.Minute); ; {
		st, _ := rc.JobStatus(ctx, id)
		if st.State == "PENDING" && st.Reason == "BeginTime" {
			if err := rc.run.Run(ctx, io.Discard, "scontrol", "update", "jobid="+id, "starttime=now"); err != nil {
				t.Fatal(err)
			}
		} else if st.State == "RUNNING" || st.State == "COMPLETED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("requeued job %s: %+v", id, st)
		}
		time.Sleep(time.Second)
	}
	waitJob(t, rc, id, 2*time.Minute)
	var total int64
	for range 2 { // the same records on every read
		q := slurm.Query{Window: slurm.Window{Start: since.Add(-time.Minute), End: time.Now().Add(time.Minute)}, Accounts: []string{acct}, Runs: true}
		got := map[string]slurm.Record{}
		deadline := time.Now().Add(45 * time.Second)
		for {
			clear(got)
			if _, err := rc.Usage(ctx, q, func(r *slurm.Record) error { got[r.JobID] = *r; return nil }); err != nil {
				t.Fatal(err)
			}
			if r, ok := got[id]; (ok && r.Final && len(got) == 2) || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if len(got) != 2 || !got[id].Final {
			t.Fatalf("records %v, want two ended runs of job %s", got, id)
		}
		sum := int64(0)
		for k, r := range got {
			if k != id && (!strings.HasPrefix(k, id+"+") || !r.Final || r.State != "REQUEUED") {
				t.Errorf("earlier run %s: %+v", k, r)
			}
			sum += r.GPUSeconds()
		}
		if total != 0 && sum != total {
			t.Errorf("second read: %d GPU-s, first %d", sum, total)
		}
		total = sum
	}
	t.Logf("requeued job %s: %d GPU-s over both runs (the last run alone: 6)", id, total)
	if total < 8 {
		t.Errorf("both runs: %d GPU-s, want the first run's too", total)
	}
}
