// SPDX-License-Identifier: EUPL-1.2

package main

// The real-cluster test of the whole chain, through the CLI as people and
// the site would use it (scripts/slurm/up.sh; skipped without
// PACTUM_SLURM_CONF unless PACTUM_REQUIRE_SLURM=1).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	"github.com/pactum/pactum/sqlstore/storetest"
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
	Models []struct {
		Model string `json:"model"`
		Jobs  int64  `json:"jobs"`
	} `json:"models"`
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
	sc := newSlurmScene(t)
	sc.award()
	sc.provision()
	sc.holdUntilConditionsMet()
	sc.accountOneJob()
	s := sc.exhaust()
	sc.slurmEnforcesTheGrant(s)
}

// slurmScene is TestSlurmAwardToExhaustion's world: a pactum server run by
// the CLI, its people's CLI environments, the real cluster, and what the
// steps have created so far.
type slurmScene struct {
	t   *testing.T
	ctx context.Context
	rc  *slurmtest.Real
	// me is whoever runs the test: the jobs are theirs.
	me *user.User
	// mgr, ada and site are the CLI environments of the access manager,
	// the applicant and CSC's site operator.
	mgr, ada, site map[string]string
	callID         string
	// alloc is the awarded allocation, account its Slurm account, under
	// root (this test's own), conditions the rules to acknowledge.
	alloc, account, root string
	conditions           []string
	slurmc               *slurm.Client
	state                string // the agent's state directory
	script               string // the job script: sleeps $1 seconds
	jobs                 []string
}

// newSlurmScene starts a server on a fresh data directory; the manager
// registers a startup, its applicant (with the cluster login of whoever
// runs this test) and CSC's operator, and opens a call on LUMI-G.
func newSlurmScene(t *testing.T) *slurmScene {
	sc := &slurmScene{t: t, ctx: context.Background(), rc: slurmtest.RealCluster(t)}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	sc.me = me
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	clu(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	sctx, stop := context.WithCancel(sc.ctx)
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(sctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	t.Cleanup(func() { stop(); <-done })
	url := sout.waitFor(t, "http://")
	sc.mgr = map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}

	var org, app, ops, call struct {
		ID string `json:"id"`
	}
	clu(t, sc.mgr, &org, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	clu(t, sc.mgr, &app, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org.ID,
		"--username", me.Username, "--json")
	clu(t, sc.mgr, &ops, "users", "create", "--email", "ops@csc.example", "--name", "Olli", "--role", "site_operator", "--site", "CSC", "--json")
	sc.ada = map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": sc.token(app.ID), "SLURM_CONF": sc.rc.Conf}
	sc.site = map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": sc.token(ops.ID), "SLURM_CONF": sc.rc.Conf}
	clu(t, sc.mgr, &call, "calls", "create", "--title", "Development access", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"--mode", "development", "--system", "lumi-g", "--json")
	sc.callID = call.ID
	return sc
}

// token creates an API token for a user, as the manager.
func (sc *slurmScene) token(userID string) string {
	var tok struct {
		Secret string `json:"secret"`
	}
	clu(sc.t, sc.mgr, &tok, "tokens", "create", "--user", userID, "--name", "cli", "--json")
	return tok.Secret
}

// award: Ada asks for 100 GPU-hours; the manager grants two GPU-minutes,
// enough for one test job and a half, with the AI Act's transparency
// conditions attached.
func (sc *slurmScene) award() {
	t := sc.t
	p := map[string]any{"call_id": sc.callID, "mode": "development", "title": "Lex-7B evaluation", "summary": "Evaluating a legal LLM.",
		"requests": []map[string]any{{"system_id": "lumi-g", "amount": 100, "storage_tb": 1}}, "duration_months": 3,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1e9, "planned_training_flop": 4.2e19, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "research", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
		"questionnaire": storetest.Answers("talks_with_people", "generates_content"),
		"pledges":       map[string]any{"governance_strategy": true, "high_risk_mapping": true, "ai_literacy": true}}
	file := filepath.Join(t.TempDir(), "p.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var prop struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	clu(t, sc.ada, &prop, "proposals", "create", "--file", file, "--submit", "--json")
	if prop.State != "in_review" {
		t.Fatalf("proposal %s, want in_review", prop.State)
	}
	// Development is peer-reviewed and decided by an allocation run; this
	// test sits no panel, so the award is an override the manager asks
	// for and a second access manager confirms.
	if code, _, stderr := cli(t, sc.mgr, "proposals", "decide", prop.ID, "--accept", "--reason", "Test budget."); code == 0 ||
		!strings.Contains(stderr, "decided by an allocation run") {
		t.Fatalf("deciding a peer-reviewed proposal at once: exit %d %s", code, stderr)
	}
	out := clu(t, sc.mgr, nil, "proposals", "decide", prop.ID, "--accept", "--reason", "Test budget.", "--grant", "lumi-g=0.0333333333",
		"--override", "--justification", "Slurm integration test: no panel sits for two GPU-minutes.")
	if !strings.Contains(out, "PENDING") {
		t.Fatalf("override request: %s", out)
	}
	if code, _, stderr := cli(t, sc.mgr, "proposals", "confirm-override", prop.ID); code == 0 || !strings.Contains(stderr, "second access manager") {
		t.Fatalf("self-confirmation: exit %d %s", code, stderr)
	}
	second, _ := as(t, sc.mgr, "second@eurohpc.example", "access_manager")
	if out := clu(t, second, nil, "proposals", "confirm-override", prop.ID); !strings.Contains(out, "confirmed by") || !strings.Contains(out, "accepted") {
		t.Fatalf("confirm-override: %s", out)
	}
	var allocs struct {
		Items []struct {
			ID         string `json:"id"`
			Conditions []struct {
				RuleID string `json:"rule_id"`
			} `json:"conditions"`
		} `json:"items"`
	}
	clu(t, sc.ada, &allocs, "allocations", "list", "--proposal", prop.ID, "--json")
	sc.alloc = allocs.Items[0].ID
	for _, c := range allocs.Items[0].Conditions {
		sc.conditions = append(sc.conditions, c.RuleID)
	}
	if len(sc.conditions) == 0 {
		t.Fatal("the award should carry the AI Act Art. 50 transparency conditions")
	}
}

// provision: the site's agent provisions the award under a root of this
// test's own, suspended while its conditions are unmet; the test's jobs
// and accounts are removed at the end.
func (sc *slurmScene) provision() {
	t := sc.t
	sc.root = fmt.Sprintf("pc%d", time.Now().UnixMilli()%1_000_000)
	sc.slurmc = &slurm.Client{Runner: slurm.NewExecRunner(sc.rc.Conf)}
	cfg, err := sc.slurmc.Config(sc.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc.slurmc.Cluster = cfg["ClusterName"]
	t.Cleanup(func() {
		for _, id := range sc.jobs {
			_ = sc.slurmc.Cancel(sc.ctx, id)
		}
		err := retry.Do(sc.ctx, retry.Policy{Initial: time.Second, Max: 2 * time.Second, Attempts: 30}, func(ctx context.Context) error {
			return sc.slurmc.RemoveAccount(ctx, sc.root)
		})
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if sc.account != "" { // the allocation's QOS
			_ = sc.slurmc.Runner.Run(sc.ctx, io.Discard, "sacctmgr", "-i", "remove", "qos", "where", "name="+sc.account)
		}
	})
	sc.state = t.TempDir()
	if rep := sc.agentOnce(); !slices.Equal(rep.Activated, []string{sc.alloc}) {
		t.Fatalf("provisioning: %+v", rep)
	}
	sc.account = pactum.AllocationAccount(sc.alloc)
	as, err := sc.slurmc.Associations(sc.ctx, sc.account)
	if err != nil || len(as) != 2 || as[0].GrpTRESMins.String() != "gres/gpu=2" || as[0].GrpSubmitJobs != 0 || as[1].User != sc.me.Username {
		t.Fatalf("account on the cluster: %+v %v", as, err)
	}
}

// holdUntilConditionsMet: jobs are refused, with the reason, until Ada
// acknowledges the conditions; then the agent resumes the account.
func (sc *slurmScene) holdUntilConditionsMet() {
	t := sc.t
	sc.script = filepath.Join(t.TempDir(), "train.sh")
	if err := os.WriteFile(sc.script, []byte("#!/bin/sh\nsleep \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, sc.ada, "job", "submit", "--allocation", sc.alloc, "--", sc.script, "1")
	if code == 0 || !strings.Contains(stderr, "not submitted") || !strings.Contains(stderr, "conditions ack") {
		t.Fatalf("submit with unmet conditions: exit %d %s", code, stderr)
	}
	for _, rule := range sc.conditions {
		clu(t, sc.ada, nil, "allocations", "conditions", "ack", sc.alloc, rule, "--statement", "Users are told they talk to an AI; outputs are marked.")
	}
	if rep := sc.agentOnce(); len(rep.Applied) != 1 || !strings.HasPrefix(rep.Applied[0], "resume "+sc.account) {
		t.Fatalf("after the acknowledgements: %+v", rep)
	}
}

// accountOneJob: a 2-GPU job of Ada's model runs 45 s; the agent reads
// it while running, then ended: 90 GPU-s, 75 % of the grant, attributed
// to the model through the job's comment as sacct reports it.
func (sc *slurmScene) accountOneJob() {
	t := sc.t
	clu(t, sc.ada, nil, "models", "create", "lex@1", "--json")
	if code, _, stderr := cli(t, sc.ada, "job", "submit", "--allocation", sc.alloc, "--model", "nosuch@1", "--phase", "pre-training",
		"--", sc.script, "1"); code != exitNotFound || !strings.Contains(stderr, "no model nosuch@1") {
		t.Errorf("a job for a model the organization does not have: %d %s", code, stderr)
	}
	a := sc.submit(2, "45", "--model", "lex@1", "--phase", "pre-training")
	deadline := time.Now().Add(time.Minute)
	for sc.status(a).State != "RUNNING" && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	time.Sleep(10 * time.Second)
	running := sc.agentUntil("the running job", func(s usageSummary) bool { return s.Jobs == 1 && s.GPUSeconds > 0 })
	if running.GPUSeconds >= 90 {
		t.Errorf("a running job's usage so far: %+v", running)
	}
	sc.waitEnd(a)
	s := sc.agentUntil("the ended job", func(s usageSummary) bool { return s.GPUSeconds >= 90 })
	if s.Jobs != 1 || s.GPUSeconds > 100 || s.LimitSeconds != 120 || len(s.Thresholds) != 1 || s.Thresholds[0].Percent != 75 || s.State != "active" {
		t.Fatalf("after job 1: %+v", s)
	}
	var mc struct {
		GPUHours float64 `json:"gpu_hours"`
		Training struct {
			FLOP float64 `json:"flop"`
		} `json:"training"`
		Phases []struct {
			Phase string `json:"phase"`
			Jobs  int64  `json:"jobs"`
		} `json:"phases"`
	}
	clu(t, sc.ada, &mc, "models", "compute", "lex@1", "--json")
	if mc.GPUHours != float64(s.GPUSeconds)/3600 || mc.Training.FLOP <= 0 || len(mc.Phases) != 1 || mc.Phases[0].Phase != "pre-training" || mc.Phases[0].Jobs != 1 {
		t.Errorf("the model's compute after its job, read back from sacct: %+v (the allocation used %d GPU-s)", mc, s.GPUSeconds)
	}
}

// exhaust: a 1-GPU job runs 31 s and usage reaches the grant; pactum
// exhausts the allocation and refuses new jobs with the reason.
func (sc *slurmScene) exhaust() usageSummary {
	t := sc.t
	sc.waitEnd(sc.submit(1, "31"))
	s := sc.agentUntil("exhaustion", func(s usageSummary) bool { return s.State == "exhausted" })
	// The second job claimed no model: the allocation shows it as such.
	if len(s.Models) != 2 || s.Models[0].Model != "" || s.Models[0].Jobs != 1 || s.Models[1].Model != "lex@1" {
		t.Errorf("the allocation's usage by model: %+v", s.Models)
	}
	if s.Jobs != 2 || s.ChargeSeconds < 120 || len(s.Thresholds) != 3 {
		t.Fatalf("at the grant: %+v", s)
	}
	var shown struct {
		State string `json:"state"`
	}
	if clu(t, sc.ada, &shown, "allocations", "show", sc.alloc, "--json"); shown.State != "exhausted" {
		t.Fatalf("allocation shows %s", shown.State)
	}
	if code, _, stderr := cli(t, sc.ada, "job", "submit", "--allocation", sc.alloc, "--", sc.script, "1"); code == 0 || !strings.Contains(stderr, "exhausted") {
		t.Fatalf("submit to an exhausted allocation: exit %d %s", code, stderr)
	}
	return s
}

// slurmEnforcesTheGrant: behind pactum's back, plain sbatch is refused
// by Slurm itself once the agent has seen the allocation exhausted: its
// QOS is blocked, so the grant is a hard budget on the cluster.
func (sc *slurmScene) slurmEnforcesTheGrant(s usageSummary) {
	t := sc.t
	sc.agentOnce()
	qs, err := sc.slurmc.QOSes(sc.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q := qs[sc.account]; q == nil || q.GrpJobs != 0 || q.GrpSubmitJobs != 0 || !strings.Contains(q.Flags, "NoDecay") {
		t.Fatalf("the exhausted allocation's QOS is not blocked: %+v", q)
	}
	c, err := sc.slurmc.Submit(sc.ctx, slurm.SubmitRequest{Account: sc.account, GPUs: 1, Time: time.Minute, Wrap: "true", Output: "/dev/null", Dir: os.TempDir()})
	if err == nil {
		sc.jobs = append(sc.jobs, c)
		t.Fatalf("job %s accepted under an exhausted allocation", c)
	}
	if !strings.Contains(err.Error(), "QOSGrpSubmitJobsLimit") {
		t.Fatalf("refused for another reason: %v", err)
	}
	t.Logf("grant %d GPU-s, used %d GPU-s in %d jobs; allocation %s; plain sbatch refused (QOSGrpSubmitJobsLimit)", s.LimitSeconds, s.ChargeSeconds, s.Jobs, s.State)
}

// agentOnce runs one cycle of the site's agent through the CLI.
func (sc *slurmScene) agentOnce() agentReport {
	sc.t.Helper()
	var rep agentReport
	clu(sc.t, sc.site, &rep, "agent", "--once", "--json", "--site", "CSC", "--system", "lumi-g", "--root", sc.root,
		"--state-dir", sc.state, "--overlap", "5m", "--log-level", "warn", "--dry-run=false",
		"--min-uid=-1", "--deny-users=") // the tests' jobs run as root
	return rep
}

// submit submits the job script for seconds on gpus GPUs as Ada, through
// the CLI, and returns its id.
func (sc *slurmScene) submit(gpus int, seconds string, flags ...string) string {
	sc.t.Helper()
	var j struct {
		JobID string `json:"job_id"`
	}
	args := append([]string{"job", "submit", "--allocation", sc.alloc, "--gpus", fmt.Sprint(gpus), "--time", "1m", "--output", "/dev/null",
		"--chdir", os.TempDir(), "--json"}, flags...)
	clu(sc.t, sc.ada, &j, append(args, "--", sc.script, seconds)...)
	sc.jobs = append(sc.jobs, j.JobID)
	return j.JobID
}

// usage is the allocation's usage as Ada sees it.
func (sc *slurmScene) usage() usageSummary {
	sc.t.Helper()
	var s usageSummary
	clu(sc.t, sc.ada, &s, "allocations", "usage", sc.alloc, "--json")
	return s
}

// status is a job's state and reason as Ada sees them.
func (sc *slurmScene) status(id string) slurm.JobStatus {
	sc.t.Helper()
	var st struct {
		State, Reason string
	}
	clu(sc.t, sc.ada, &st, "job", "status", id, "--json")
	return slurm.JobStatus{ID: id, State: st.State, Reason: st.Reason}
}

// waitEnd waits up to 3 min for a job to end.
func (sc *slurmScene) waitEnd(id string) {
	sc.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if st := sc.status(id); st.State != "PENDING" && st.State != "RUNNING" && st.State != "CONFIGURING" && st.State != "COMPLETING" {
			return
		}
		if time.Now().After(deadline) {
			sc.t.Fatalf("job %s did not end", id)
		}
		time.Sleep(time.Second)
	}
}

// agentUntil runs cycles until cond holds, for up to 60 s: sacct records
// reach slurmdbd a moment after a job ends.
func (sc *slurmScene) agentUntil(what string, cond func(usageSummary) bool) usageSummary {
	sc.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sc.agentOnce()
		if s := sc.usage(); cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			sc.t.Fatalf("%s: %+v", what, sc.usage())
		}
		time.Sleep(2 * time.Second)
	}
}
