// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliJSON runs a command that prints JSON and decodes it into v.
func cliJSON(t *testing.T, env map[string]string, v any, args ...string) {
	t.Helper()
	code, out, stderr := cli(t, env, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// as returns the environment of a new user of role, created with the CLI.
func as(t *testing.T, mgr map[string]string, email, role string, extra ...string) (map[string]string, string) {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &u, append([]string{"users", "create", "--email", email, "--name", email, "--role", role, "--json"}, extra...)...)
	var tok struct {
		Secret string `json:"secret"`
	}
	cliJSON(t, mgr, &tok, "tokens", "create", "--user", u.ID, "--name", "cli", "--json")
	return map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"], "PACTUM_TOKEN": tok.Secret}, u.ID
}

// TestCLIReviewAndAllocate drives the review workflow and an allocation run
// with the CLI against a served database: the technical assessment, reviewer
// profiles, assignment with a conflict, peer reviews, the reply, the panel,
// `allocate --check` against cbc, and publishing.
func TestCLIReviewAndAllocate(t *testing.T) {
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	cliJSON(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	url := sout.waitFor(t, "http://")
	mgr := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}

	var org, call struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &org, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	cliJSON(t, mgr, &call, "calls", "create", "--title", "Large scale 2099", "--cutoff", "2099-01-01", "--mode", "large_scale",
		"--system", "leonardo-booster", "--json")
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org.ID)
	ops, _ := as(t, mgr, "ops@cineca.example", "site_operator", "--site", "CINECA")
	var revs []map[string]string
	var revIDs []string
	for _, e := range []string{"r1@uni.example", "r2@uni.example", "inside@uni.example"} {
		env, id := as(t, mgr, e, "reviewer")
		revs, revIDs = append(revs, env), append(revIDs, id)
	}
	// Reviewers write their profiles; the third works at the applicant.
	for i, env := range revs {
		args := []string{"reviewers", "update", revIDs[i], "--expertise", "language_model,text,legal"}
		if i == 2 {
			args = append(args, "--affiliation", "Aleph Lingua GmbH,id="+org.ID+",from=2024-01-01")
		}
		if code, out, stderr := cli(t, env, args...); code != 0 || !strings.Contains(out, "language_model") {
			t.Fatalf("reviewers update: %d %s %s", code, out, stderr)
		}
	}

	p := map[string]any{"call_id": call.ID, "mode": "large_scale", "title": "Lex-70B", "summary": "Legal LLM at scale.",
		"requests": []map[string]any{{"system_id": "leonardo-booster", "amount": 80000, "storage_tb": 10}}, "duration_months": 6,
		"min_viable_fraction": 0.5,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1.5e11, "planned_training_flop": 6.3e21, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "product_development", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
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
	cliJSON(t, app, &prop, "proposals", "create", "--file", file, "--submit", "--json")
	if prop.State != "in_review" {
		t.Fatalf("large-scale proposal: %s", prop.State)
	}
	if code, out, _ := cli(t, app, "reviews", "status", prop.ID); code != 0 || !strings.Contains(out, "[technical] → peer → reply → panel → decision") {
		t.Fatalf("reviews status: %d %s", code, out)
	}

	// Technical assessment by CINECA, then peer review.
	if code, out, stderr := cli(t, ops, "reviews", "submit", prop.ID, "--assess", "leonardo-booster=feasible", "--recommend", "accept",
		"--comments", "Runs on Leonardo."); code != 0 || !strings.Contains(out, "software fits yes") {
		t.Fatalf("technical assessment: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := cli(t, mgr, "reviews", "advance", prop.ID); code != 0 || !strings.Contains(out, "stage:") || !strings.Contains(out, "[peer]") {
		t.Fatalf("advance: %d %s %s", code, out, stderr)
	}
	code, out, stderr := cli(t, mgr, "reviews", "assign", "--call", call.ID, "--stage", "peer")
	if code != 0 || !strings.Contains(out, "2 assignment(s)") || !strings.Contains(out, "same_organization") {
		t.Fatalf("assign: %d %s %s", code, out, stderr)
	}
	// The conflicted reviewer cannot open the proposal.
	if code, _, stderr := cli(t, revs[2], "proposals", "show", prop.ID); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("conflicted reviewer: %d %s", code, stderr)
	}
	for _, env := range revs[:2] {
		var as struct {
			Items []struct {
				ProposalID string `json:"proposal_id"`
			} `json:"items"`
		}
		cliJSON(t, env, &as, "reviews", "assignments", "--json")
		if len(as.Items) != 1 || as.Items[0].ProposalID != prop.ID {
			t.Fatalf("assignments: %+v", as)
		}
		if code, out, stderr := cli(t, env, "reviews", "submit", prop.ID, "--score", "excellence=4", "--score", "impact=4",
			"--score", "implementation=4", "--score", "responsibility=4", "--recommend", "accept", "--comments", "Sound plan.",
			"--confidential", "Strong team."); code != 0 || !strings.Contains(out, "4.00 of 5") {
			t.Fatalf("peer review: %d %s %s", code, out, stderr)
		}
	}
	if code, _, stderr := cli(t, mgr, "reviews", "advance", prop.ID); code != 0 {
		t.Fatalf("advance to reply: %s", stderr)
	}
	// The applicant is notified, reads anonymised reviews and replies.
	if code, out, _ := cli(t, app, "notifications", "list", "--unread"); code != 0 || !strings.Contains(out, "Reviews of") {
		t.Errorf("notifications: %d %s", code, out)
	}
	code, out, _ = cli(t, app, "reviews", "list", prop.ID)
	if code != 0 || !strings.Contains(out, "Reviewer 2") || strings.Contains(out, "Strong team") || strings.Contains(out, revIDs[0]) {
		t.Errorf("applicant's reviews: %d %s", code, out)
	}
	if code, out, stderr := cli(t, app, "reviews", "reply", prop.ID, "--text", "We will add the requested ablations."); code != 0 || !strings.Contains(out, "ablations") {
		t.Fatalf("reply: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cli(t, mgr, "reviews", "advance", prop.ID); code != 0 {
		t.Fatalf("advance to panel: %s", stderr)
	}
	if code, out, stderr := cli(t, mgr, "reviews", "panel", "--call", call.ID); code != 0 || !strings.Contains(out, "Lex-70B") {
		t.Fatalf("panel: %d %s %s", code, out, stderr)
	}

	// The run, cross-checked with cbc when it is installed.
	var res struct {
		Run struct {
			ID        string  `json:"id"`
			State     string  `json:"state"`
			Objective float64 `json:"objective"`
		} `json:"run"`
		Check *struct {
			ServerObjective float64 `json:"server_objective"`
			LocalObjective  float64 `json:"local_objective"`
			CBCObjective    float64 `json:"cbc_objective"`
			BoundHolds      bool    `json:"bound_holds"`
		} `json:"check"`
	}
	_, cbcErr := exec.LookPath("cbc")
	if cbcErr == nil {
		cliJSON(t, mgr, &res, "allocate", "--call", call.ID, "--check", "--json")
		c := res.Check
		if c == nil || c.LocalObjective != c.ServerObjective || math.Abs(c.CBCObjective-c.LocalObjective) > 1e-6*c.CBCObjective || !c.BoundHolds {
			t.Errorf("check: %+v", c)
		}
	} else if os.Getenv("PACTUM_REQUIRE_CBC") == "1" {
		t.Fatal("PACTUM_REQUIRE_CBC=1 but cbc is not installed")
	} else {
		cliJSON(t, mgr, &res, "allocate", "--call", call.ID, "--json")
	}
	if res.Run.State != "draft" || res.Run.Objective != 4*80000 {
		t.Errorf("run %+v", res.Run)
	}
	if code, _, stderr := cli(t, mgr, "allocate", "--call", call.ID, "--check", "--cbc", "/nonexistent/cbc", "--publish"); code != 1 ||
		!strings.Contains(stderr, "cbc is not installed") || !strings.Contains(stderr, "not published") {
		t.Errorf("missing cbc: %d %s", code, stderr)
	}
	if code, out, _ := cli(t, mgr, "allocate", "list", "--call", call.ID); code != 0 || strings.Count(out, "draft") != 2 {
		t.Errorf("allocate list: %d %s", code, out)
	}
	if code, out, stderr := cli(t, mgr, "allocate", "publish", res.Run.ID); code != 0 || !strings.Contains(out, "Published") || !strings.Contains(out, "Granted in full") {
		t.Fatalf("publish: %d %s %s", code, out, stderr)
	}
	if code, out, _ := cli(t, app, "allocations", "list"); code != 0 || !strings.Contains(out, "80,000 GPU-h") {
		t.Errorf("allocations: %d %s", code, out)
	}
	if code, out, _ := cli(t, mgr, "reviews", "conflicts", "--proposal", prop.ID); code != 0 || !strings.Contains(out, "same_organization") {
		t.Errorf("conflicts: %d %s", code, out)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d: %s", code, serr.String())
	}
}
