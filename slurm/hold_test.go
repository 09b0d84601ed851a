// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// TestPendingJobsHoldRelease: squeue's lines are read with the comment
// last (it may hold '|'), a pending array by its array job id; hold and
// release run scontrol, and a job that is no longer pending is ECONFLICT.
func TestPendingJobsHoldRelease(t *testing.T) {
	f := &fakeRunner{answer: func(cmd string) reply {
		switch cmd {
		case "squeue -h -t PENDING -A p_a,p_b -o %i|%a|%r|%k":
			return reply{stdout: "12|p_a|JobHeldAdmin|pactum:model=big@2;phase=pre-training\n" +
				"13_[1-4%2]|p_b|Priority|mine | with a bar\n" +
				"garbage\n14|p_a|BeginTime|\n"}
		case "scontrol hold 12", "scontrol release 12":
			return reply{}
		case "scontrol hold 99":
			return reply{stderr: "slurm_suspend error: Job has already finished", code: 1}
		}
		return reply{stderr: "unexpected " + cmd, code: 1}
	}}
	c := &slurm.Client{Runner: f}
	ctx := context.Background()
	jobs, err := c.PendingJobs(ctx, []string{"p_a", "p_b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []slurm.PendingJob{
		{ID: "12", Account: "p_a", Reason: "JobHeldAdmin", Comment: "pactum:model=big@2;phase=pre-training"},
		{ID: "13", Account: "p_b", Reason: "Priority", Comment: "mine | with a bar"},
		{ID: "14", Account: "p_a", Reason: "BeginTime"},
	}
	if d := cmp.Diff(want, jobs); d != "" {
		t.Fatalf("pending jobs (-want +got):\n%s", d)
	}
	if !jobs[0].Held() || jobs[1].Held() {
		t.Error("Held reads the reason")
	}
	if err := c.Hold(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	if err := c.Release(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	if err := c.Hold(ctx, "99"); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("holding a finished job: %v", err)
	}
	if err := c.Hold(ctx, "1;rm"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("a bad id: %v", err)
	}
	if _, err := c.PendingJobs(ctx, []string{"p_a,root"}); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("a bad account: %v", err)
	}
}
