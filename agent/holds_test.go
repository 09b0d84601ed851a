// SPDX-License-Identifier: EUPL-1.2

package agent_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// reason is a simulated job's pending reason.
func (w *world) reason(id string) string {
	w.t.Helper()
	st, err := w.cluster.JobStatus(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return st.Reason
}

// TestHoldModelJobs: once a model of the allocation's organization is
// held (the call's term, the systemic-risk margin), the agent holds the
// pending jobs labelled with it, and only those; holds again a job
// released by hand; and, across a restart, releases exactly the jobs it
// held once an access manager acknowledges.
func TestHoldModelJobs(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	big, err := w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{Name: "big", Version: "2", PriorTrainingFLOP: 9.9e24})
	if err != nil {
		t.Fatal(err)
	}
	a := w.agent()
	w.cycle(a)

	// Jobs too big for the grant stay pending (safe enforcement).
	submit := func(comment string) string {
		id, err := w.cluster.Submit(context.Background(), slurm.SubmitRequest{Account: acct, GPUs: 8, Time: 1000 * time.Hour, Wrap: "train.sh", Comment: comment})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	j1 := submit(pactum.JobLabel("big@2", pactum.PhasePreTraining))
	j2 := submit(pactum.JobLabel("small@1", pactum.PhasePreTraining))
	j3 := submit("my run " + pactum.JobLabel("big@2", pactum.PhaseEvaluation))
	j4 := submit("")
	if rep := w.cycle(a); len(rep.JobsHeld) != 0 {
		t.Fatalf("held before the model is: %v", rep.JobsHeld)
	}

	// 1,024 GPUs for 30 days take big@2 past 10^25 with its declared compute.
	start := t0.Add(-time.Hour)
	end := start.Add(30 * 24 * time.Hour)
	if _, err := w.uc.IngestUsage(storetest.As(w.f.Operator), pactum.UsageBatch{Cluster: "lumi", Records: []pactum.UsageRecordInput{{
		JobID: "900001", Account: acct, Username: "ada", State: "COMPLETED", Final: true, StartAt: &start, EndAt: &end,
		ElapsedSeconds: 30 * 86400, GPUSeconds: 1024 * 30 * 86400, NodeSeconds: 128 * 30 * 86400, CPUSeconds: 8192 * 30 * 86400,
		Model: "big@2", Phase: pactum.PhasePreTraining}}}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	rep := w.cycle(a)
	if !slices.Equal(rep.JobsHeld, []string{j1, j3}) {
		t.Fatalf("held %v, want [%s %s]\n%s", rep.JobsHeld, j1, j3, w.logs)
	}
	for _, id := range []string{j1, j3} {
		if r := w.reason(id); r != "JobHeldAdmin" {
			t.Errorf("job %s: reason %s, want JobHeldAdmin", id, r)
		}
	}
	for _, id := range []string{j2, j4} {
		if r := w.reason(id); r == "JobHeldAdmin" {
			t.Errorf("job %s of no held model was held", id)
		}
	}
	if !strings.Contains(w.logs.String(), "notice: held a pending job") {
		t.Errorf("the hold is not logged:\n%s", w.logs)
	}
	w.clock.Advance(time.Minute)
	if rep := w.cycle(a); len(rep.JobsHeld) != 0 {
		t.Fatalf("held again: %v", rep.JobsHeld)
	}

	// An administrator releases one by hand; the hold is restored.
	if err := w.cluster.Release(context.Background(), j1); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	if rep := w.cycle(a); !slices.Equal(rep.JobsHeld, []string{j1}) {
		t.Fatalf("after a release by hand: held %v", rep.JobsHeld)
	}

	// A restarted agent knows what it held. The access manager
	// acknowledges: exactly those jobs are released.
	a.Close()
	a = w.agent()
	if _, err := w.uc.AcknowledgeModelHold(storetest.As(w.f.Manager), big.ID, "The provider notified the AI Office."); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	rep = w.cycle(a)
	if !slices.Equal(rep.JobsReleased, []string{j1, j3}) || len(rep.JobsHeld) != 0 {
		t.Fatalf("released %v, held %v", rep.JobsReleased, rep.JobsHeld)
	}
	for _, id := range []string{j1, j3} {
		if r := w.reason(id); r == "JobHeldAdmin" {
			t.Errorf("job %s still held", id)
		}
	}
	if st := a.State(); len(st.HeldJobs) != 0 {
		t.Errorf("the state still lists held jobs: %v", st.HeldJobs)
	}
	w.clock.Advance(time.Minute)
	if rep := w.cycle(a); len(rep.JobsReleased)+len(rep.JobsHeld) != 0 {
		t.Fatalf("a quiet cycle held %v, released %v", rep.JobsHeld, rep.JobsReleased)
	}
}
