// SPDX-License-Identifier: EUPL-1.2

package main

// The real-cluster test of the whole chain, through the CLI as people and
// the site would use it (scripts/slurm/up.sh; skipped without
// PACTUM_SLURM_CONF unless PACTUM_REQUIRE_SLURM=1).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmtest"
)

// clu runs the CLI and fails the test unless it exits 0; with into, it
// decodes the JSON it printed.
func clu(t *testing.T, env map[string]string, into any, args ...string) string {
	t.Helper()
	code, out, stderr := cli(t, env, args...)
	if code != 0 {
		t.Fatalf("pactum %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(out), into); err != nil {
			t.Fatalf("pactum %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return out
}

type agentReport struct {
	Applied   []string `json:"applied"`
	Activated []string `json:"activated"`
	Records   int      `json:"records"`
	Accepted  int      `json:"accepted"`
	Duplicate int      `json:"duplicate"`
}

type usageSummary struct {
	State         string `json:"state"`
	Jobs          int64  `json:"jobs"`
	GPUSeconds    int64  `json:"gpu_seconds"`
	ChargeSeconds int64  `json:"charge_seconds"`
	LimitSeconds  int64  `json:"limit_seconds"`
	Thresholds    []struct {
		Percent int `json:"percent"`
	} `json:"thresholds"`
}

// TestSlurmAwardToExhaustion is the scheme's promise on a real cluster: an
// award of two GPU-minutes is provisioned by the agent, held until its
// conditions are met, a GPU job runs under it and is accounted (while
// running, then ended), usage reaches the grant, pactum shows the
// allocation exhausted and refuses new jobs, and a job submitted behind
// pactum's back stays pending with Slurm's own limit reason.
func TestSlurmAwardToExhaustion(t *testing.T) {
	rc := slurmtest.RealCluster(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	clu(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	sctx, stop := context.WithCancel(ctx)
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(sctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	defer func() { stop(); <-done }()
	url := sout.waitFor(t, "http://")
	mgr := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}

	// The manager registers a startup, its applicant (with the cluster
	// login of whoever runs this test: the jobs are theirs) and CSC's
	// operator, and opens a call on LUMI-G.
	var org, app, ops struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &org, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	clu(t, mgr, &app, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org.ID,
		"--username", me.Username, "--json")
	clu(t, mgr, &ops, "users", "create", "--email", "ops@csc.example", "--name", "Olli", "--role", "site_operator", "--site", "CSC", "--json")
	token := func(id string) string {
		var tok struct {
			Secret string `json:"secret"`
		}
		clu(t, mgr, &tok, "tokens", "create", "--user", id, "--name", "cli", "--json")
		return tok.Secret
	}
	ada := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": token(app.ID), "SLURM_CONF": rc.Conf}
	site := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": token(ops.ID), "SLURM_CONF": rc.Conf}
	var call struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &call, "calls", "create", "--title", "Development access", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"--mode", "development", "--system", "lumi-g", "--json")

	// Ada asks for 100 GPU-hours; the manager grants two GPU-minutes,
	// enough for one test job and a half.
	p := map[string]any{"call_id": call.ID, "mode": "development", "title": "Lex-7B evaluation", "summary": "Evaluating a legal LLM.",
		"requests": []map[string]any{{"system_id": "lumi-g", "amount": 100, "storage_tb": 1}}, "duration_months": 3,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1e9, "planned_training_flop": 4.2e19, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "research", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
		"ai_act":  map[string]any{"interacts_with_persons": true, "synthetic_content": true},
		"pledges": map[string]any{"governance_strategy": true, "high_risk_mapping": true, "ai_literacy": true}}
	file := filepath.Join(t.TempDir(), "p.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var prop struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	clu(t, ada, &prop, "proposals", "create", "--file", file, "--submit", "--json")
	if prop.State != "in_review" {
		t.Fatalf("proposal %s, want in_review", prop.State)
	}
	clu(t, mgr, nil, "proposals", "decide", prop.ID, "--accept", "--reason", "Test budget.", "--grant", "lumi-g=0.0333333333")
	var allocs struct {
		Items []struct {
			ID         string `json:"id"`
			Conditions []struct {
				RuleID string `json:"rule_id"`
			} `json:"conditions"`
		} `json:"items"`
	}
	clu(t, ada, &allocs, "allocations", "list", "--proposal", prop.ID, "--json")
	alloc := allocs.Items[0].ID
	if len(allocs.Items[0].Conditions) == 0 {
		t.Fatal("the award should carry the AI Act Art. 50 transparency conditions")
	}

	// The site's agent provisions it under a root of this test's own.
	root := fmt.Sprintf("pc%d", time.Now().UnixMilli()%1_000_000)
	slurmc := &slurm.Client{Runner: slurm.NewExecRunner(rc.Conf)}
	var jobs []string
	t.Cleanup(func() {
		for _, id := range jobs {
			_ = slurmc.Cancel(ctx, id)
		}
		err := retry.Do(ctx, retry.Policy{Initial: time.Second, Max: 2 * time.Second, Attempts: 30}, func(ctx context.Context) error {
			return slurmc.RemoveAccount(ctx, root)
		})
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	state := t.TempDir()
	agentOnce := func() agentReport {
		t.Helper()
		var rep agentReport
		clu(t, site, &rep, "agent", "--once", "--json", "--site", "CSC", "--system", "lumi-g", "--root", root,
			"--state-dir", state, "--overlap", "5m", "--log-level", "warn")
		return rep
	}
	if rep := agentOnce(); !slices.Equal(rep.Activated, []string{alloc}) {
		t.Fatalf("provisioning: %+v", rep)
	}
	account := pactum.AllocationAccount(alloc)
	as, err := slurmc.Associations(ctx, account)
	if err != nil || len(as) != 2 || as[0].GrpTRESMins.String() != "gres/gpu=2" || as[0].GrpSubmitJobs != 0 || as[1].User != me.Username {
		t.Fatalf("account on the cluster: %+v %v", as, err)
	}

	// Jobs are refused, with the reason, until the conditions are met.
	script := filepath.Join(t.TempDir(), "train.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	submit := func(gpus int, seconds string) string {
		t.Helper()
		var j struct {
			JobID string `json:"job_id"`
		}
		clu(t, ada, &j, "job", "submit", "--allocation", alloc, "--gpus", fmt.Sprint(gpus), "--time", "1m", "--output", "/dev/null",
			"--chdir", os.TempDir(), "--json", "--", script, seconds)
		jobs = append(jobs, j.JobID)
		return j.JobID
	}
	code, _, stderr := cli(t, ada, "job", "submit", "--allocation", alloc, "--", script, "1")
	if code == 0 || !strings.Contains(stderr, "not submitted") || !strings.Contains(stderr, "conditions ack") {
		t.Fatalf("submit with unmet conditions: exit %d %s", code, stderr)
	}
	for _, c := range allocs.Items[0].Conditions {
		clu(t, ada, nil, "allocations", "conditions", "ack", alloc, c.RuleID, "--statement", "Users are told they talk to an AI; outputs are marked.")
	}
	if rep := agentOnce(); len(rep.Applied) != 1 || !strings.HasPrefix(rep.Applied[0], "resume "+account) {
		t.Fatalf("after the acknowledgements: %+v", rep)
	}

	usage := func() usageSummary {
		t.Helper()
		var s usageSummary
		clu(t, ada, &s, "allocations", "usage", alloc, "--json")
		return s
	}
	status := func(id string) slurm.JobStatus {
		t.Helper()
		var st struct {
			State, Reason string
		}
		clu(t, ada, &st, "job", "status", id, "--json")
		return slurm.JobStatus{ID: id, State: st.State, Reason: st.Reason}
	}
	waitEnd := func(id string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			if st := status(id); st.State != "PENDING" && st.State != "RUNNING" && st.State != "CONFIGURING" && st.State != "COMPLETING" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not end", id)
			}
			time.Sleep(time.Second)
		}
	}
	// agentUntil runs cycles until cond holds: sacct records reach
	// slurmdbd a moment after a job ends.
	agentUntil := func(what string, cond func(usageSummary) bool) usageSummary {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			agentOnce()
			if s := usage(); cond(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v", what, usage())
			}
			time.Sleep(2 * time.Second)
		}
	}

	// 1. A 2-GPU job runs 45 s; read while running, then ended: 90 GPU-s,
	// 75 % of the grant.
	a := submit(2, "45")
	deadline := time.Now().Add(time.Minute)
	for status(a).State != "RUNNING" && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	time.Sleep(10 * time.Second)
	running := agentUntil("the running job", func(s usageSummary) bool { return s.Jobs == 1 && s.GPUSeconds > 0 })
	if running.GPUSeconds >= 90 {
		t.Errorf("a running job's usage so far: %+v", running)
	}
	waitEnd(a)
	s := agentUntil("the ended job", func(s usageSummary) bool { return s.GPUSeconds >= 90 })
	if s.Jobs != 1 || s.GPUSeconds > 100 || s.LimitSeconds != 120 || len(s.Thresholds) != 1 || s.Thresholds[0].Percent != 75 || s.State != "active" {
		t.Fatalf("after job 1: %+v", s)
	}

	// 2. A 1-GPU job runs 31 s: usage reaches the grant; pactum exhausts
	// the allocation and refuses new jobs with the reason.
	waitEnd(submit(1, "31"))
	s = agentUntil("exhaustion", func(s usageSummary) bool { return s.State == "exhausted" })
	if s.Jobs != 2 || s.ChargeSeconds < 120 || len(s.Thresholds) != 3 {
		t.Fatalf("at the grant: %+v", s)
	}
	var shown struct {
		State string `json:"state"`
	}
	if clu(t, ada, &shown, "allocations", "show", alloc, "--json"); shown.State != "exhausted" {
		t.Fatalf("allocation shows %s", shown.State)
	}
	if code, _, stderr := cli(t, ada, "job", "submit", "--allocation", alloc, "--", script, "1"); code == 0 || !strings.Contains(stderr, "exhausted") {
		t.Fatalf("submit to an exhausted allocation: exit %d %s", code, stderr)
	}

	// 3. Behind pactum's back, sbatch is accepted but Slurm holds the job
	// with its limit reason: the budget is enforced by the cluster itself.
	c, err := slurmc.Submit(ctx, slurm.SubmitRequest{Account: account, GPUs: 1, Time: time.Minute, Wrap: "true", Output: "/dev/null", Dir: os.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, c)
	deadline = time.Now().Add(20 * time.Second)
	for {
		st := status(c)
		if st.State != "PENDING" {
			t.Fatalf("job %s is %s (%s), want PENDING", c, st.State, st.Reason)
		}
		if st.Reason == "AssocGrpGRESMinutes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s pending for %s", c, st.Reason)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("grant %d GPU-s, used %d GPU-s in %d jobs; allocation %s; next job PENDING (AssocGrpGRESMinutes)", s.LimitSeconds, s.ChargeSeconds, s.Jobs, s.State)
}
