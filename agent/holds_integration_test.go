// SPDX-License-Identifier: EUPL-1.2

package agent_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm/slurmtest"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestIntegrationHoldModelJobs on the real cluster: a job labelled with a
// model, kept pending by a begin time an hour ahead, is held by the agent
// once the model is held (squeue shows JobHeldAdmin), and released by it
// once an access manager acknowledges.
func TestIntegrationHoldModelJobs(t *testing.T) {
	rc := slurmtest.RealCluster(t)
	w, c, root, jobs := realWorld(t, rc)
	ctx := context.Background()
	if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	big, err := w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{Name: "big", Version: "2", PriorTrainingFLOP: 9.9e24})
	if err != nil {
		t.Fatal(err)
	}
	al := w.allocation(10)
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent(func(cfg *agent.Config) {
		cfg.Cluster, cfg.ClusterName, cfg.Root, cfg.Overlap = c, c.Cluster, root, 5*time.Minute
		cfg.Reconcile = &retry.Policy{Initial: 500 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}
		cfg.MinUID, cfg.DenyUsers = -1, []string{} // the tests' jobs run as root
	})
	if rep := w.cycle(a); len(rep.Activated) != 1 {
		t.Fatalf("first cycle: %+v", rep)
	}
	var out bytes.Buffer
	if err := c.Runner.Run(ctx, &out, "sbatch", "--parsable", "--account="+acct, "--begin=now+3600", "--output=/dev/null",
		"--comment="+pactum.JobLabel("big@2", pactum.PhasePreTraining), "--wrap=sleep 1"); err != nil {
		t.Fatal(err)
	}
	job, _, _ := strings.Cut(strings.TrimSpace(out.String()), ";")
	*jobs = append(*jobs, job)

	// The model's compute reaches 10^25 (its declared 9.9·10^24 and a
	// month of 1,024 GPUs, posted as another cluster's usage).
	start := time.Now().UTC().Add(-31 * 24 * time.Hour).Truncate(time.Second)
	end := start.Add(30 * 24 * time.Hour)
	if _, err := w.uc.IngestUsage(storetest.As(w.f.Operator), pactum.UsageBatch{Cluster: "elsewhere", Records: []pactum.UsageRecordInput{{
		JobID: "1", Account: acct, Username: "ada", State: "COMPLETED", Final: true, StartAt: &start, EndAt: &end,
		ElapsedSeconds: 30 * 86400, GPUSeconds: 1024 * 30 * 86400, NodeSeconds: 128 * 30 * 86400, CPUSeconds: 8192 * 30 * 86400,
		Model: "big@2", Phase: pactum.PhasePreTraining}}}); err != nil {
		t.Fatal(err)
	}
	if rep := w.cycle(a); len(rep.JobsHeld) != 1 || rep.JobsHeld[0] != job {
		t.Fatalf("held %v, want [%s]\n%s", rep.JobsHeld, job, w.logs)
	}
	if st, err := c.JobStatus(ctx, job); err != nil || st.State != "PENDING" || st.Reason != "JobHeldAdmin" {
		t.Fatalf("squeue after the hold: %+v %v", st, err)
	}
	if _, err := w.uc.AcknowledgeModelHold(storetest.As(w.f.Manager), big.ID, "The provider notified the AI Office."); err != nil {
		t.Fatal(err)
	}
	if rep := w.cycle(a); len(rep.JobsReleased) != 1 || rep.JobsReleased[0] != job {
		t.Fatalf("released %v, want [%s]\n%s", rep.JobsReleased, job, w.logs)
	}
	if st, err := c.JobStatus(ctx, job); err != nil || st.State != "PENDING" || st.Reason == "JobHeldAdmin" {
		t.Fatalf("squeue after the release: %+v %v", st, err)
	}
}
