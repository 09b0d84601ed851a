// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// cli runs the pactum command in-process and returns its exit code and
// output.
func cli(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cli(t, nil, "demo", "--data", dir, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	var res struct {
		ProposalsByState map[string]int `json:"proposals_by_state"`
		GrantedBySystem  map[string]struct {
			Amount float64 `json:"amount"`
			Unit   string  `json:"unit"`
		} `json:"granted_by_system"`
		Proposals []struct {
			Organization string   `json:"organization"`
			State        string   `json:"state"`
			Rules        []string `json:"rules"`
		} `json:"proposals"`
		Checks []struct{ OK bool } `json:"checks"`
		Sites  []struct {
			System      string `json:"system"`
			Allocations int    `json:"allocations"`
			Activated   int    `json:"activated"`
			Jobs        int    `json:"jobs"`
			Accepted    int    `json:"accepted"`
			Duplicate   int    `json:"duplicate"`
		} `json:"sites"`
		Audit struct {
			Ok     bool  `json:"ok"`
			Events int64 `json:"events"`
		} `json:"audit"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	// The scenario's promises: one prohibited practice refused, one
	// ethics referral accepted, fast-lane approvals, one ineligible.
	states := map[string]string{}
	rules := map[string][]string{}
	for _, p := range res.Proposals {
		states[p.Organization] = p.State
		rules[p.Organization] = p.Rules
	}
	for org, want := range map[string]string{
		"Aleph Lingua GmbH": "approved", "Sentimo Analytics Oy": "rejected", "MedScan Diagnostics S.r.l.": "accepted",
		"Voxa Speech, Lda.": "approved", "Ferrum Robotics s.r.o.": "approved", "Atlas Foundation Models SAS": "accepted",
		"NordHire AB": "rejected", "Pacific Frontier AI, Inc.": "rejected",
	} {
		if states[org] != want {
			t.Errorf("%s: state %q, want %q", org, states[org], want)
		}
	}
	if !contains(rules["Sentimo Analytics Oy"], "art5.1f") || !contains(rules["Pacific Frontier AI, Inc."], "elig.establishment") {
		t.Errorf("refusals should cite their rules: %v", rules)
	}
	if g := res.GrantedBySystem["leonardo-booster"]; g.Amount != 32000 || g.Unit != "gpu_hours" {
		t.Errorf("leonardo-booster granted %+v, want 32,000 GPU-hours", g)
	}
	if res.ProposalsByState["approved"] != 3 || res.ProposalsByState["accepted"] != 2 || res.ProposalsByState["rejected"] != 3 {
		t.Errorf("by state: %v", res.ProposalsByState)
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Errorf("demo check failed: %+v", res.Checks)
		}
	}
	// Each system's site agent provisioned its allocations on a simulated
	// cluster and accounted one job each, once.
	if len(res.Sites) != len(res.GrantedBySystem) {
		t.Errorf("site agents ran for %d systems, want %d: %+v", len(res.Sites), len(res.GrantedBySystem), res.Sites)
	}
	for _, s := range res.Sites {
		if s.Activated != s.Allocations || s.Jobs != s.Allocations || s.Accepted != s.Jobs || s.Duplicate != s.Jobs {
			t.Errorf("site agent of %s: %+v", s.System, s)
		}
	}
	if !res.Audit.Ok || res.Audit.Events < 50 {
		t.Errorf("audit: %+v", res.Audit)
	}

	// A second run refuses the used directory rather than mixing data.
	if code, _, stderr := cli(t, nil, "demo", "--data", dir, "--quiet"); code == 0 || !strings.Contains(stderr, "fresh directory") {
		t.Errorf("reused data directory: exit %d %s", code, stderr)
	}

	// The auditor verifies offline; tampering is detected with exit 2.
	code, out, _ = cli(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "Audit chain OK") {
		t.Fatalf("verify: exit %d %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "pactum.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET actor_id = 'someone' WHERE seq = 30`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, nil, "audit", "verify", "--data", dir, "--json")
	var rep struct {
		OK       bool `json:"ok"`
		FirstBad struct {
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		} `json:"first_bad"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 2 || rep.OK || rep.FirstBad.Seq != 30 {
		t.Errorf("tampered verify: exit %d %+v", code, rep)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCLIAgainstServer(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cli(t, nil, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	var boot struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &boot); err != nil || !strings.HasPrefix(boot.Token, "pct_") {
		t.Fatalf("init output: %s", out)
	}
	if code, _, stderr := cli(t, nil, "init", "--data", dir, "--email", "other@example.org"); code == 0 || !strings.Contains(stderr, "already has an access manager") {
		t.Errorf("second init: %d %s", code, stderr)
	}

	// Serve in the background on a free port.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	url := sout.waitFor(t, "http://")
	env := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}

	code, out, stderr = cli(t, env, "systems", "list")
	if code != 0 || !strings.Contains(out, "leonardo-booster") || !strings.Contains(out, "CINECA") {
		t.Fatalf("systems list: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, env, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	var org struct {
		ID      string `json:"id"`
		Startup bool   `json:"startup"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &org) != nil || !org.Startup {
		t.Fatalf("orgs create: %d %s", code, out)
	}
	// Bad input: the server's field errors reach the user.
	code, _, stderr = cli(t, env, "orgs", "create", "--name", "X", "--country", "Germany", "--registration", "1", "--founded", "2030-01-01")
	if code != 1 || !strings.Contains(stderr, "country:") || !strings.Contains(stderr, "founded_on:") {
		t.Errorf("bad org: %d %s", code, stderr)
	}
	code, out, _ = cli(t, env, "calls", "create", "--title", "AI Factories", "--cutoff", "2099-01-01", "--system", "leonardo-booster", "--json")
	var call struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &call) != nil {
		t.Fatalf("calls create: %d %s", code, out)
	}
	code, out, _ = cli(t, env, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org.ID, "--json")
	var user struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &user) != nil {
		t.Fatalf("users create: %d %s", code, out)
	}
	code, out, _ = cli(t, env, "tokens", "create", "--user", user.ID, "--name", "cli", "--json")
	var tok struct {
		Secret string `json:"secret"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil {
		t.Fatalf("tokens create: %d %s", code, out)
	}
	appEnv := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": tok.Secret}

	p := map[string]any{"call_id": call.ID, "mode": "fast_lane", "title": "Lex-7B", "summary": "Legal LLM.",
		"requests": []map[string]any{{"system_id": "leonardo-booster", "amount": 20000, "storage_tb": 10}}, "duration_months": 3,
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
	code, out, stderr = cli(t, appEnv, "proposals", "create", "--file", file, "--submit")
	if code != 0 || !strings.Contains(out, "approved") || !strings.Contains(out, "art50") {
		t.Fatalf("proposals create --submit: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, appEnv, "allocations", "list")
	if code != 0 || !strings.Contains(out, "20,000 GPU-h") || !strings.Contains(out, "pending_provisioning") {
		t.Errorf("allocations list: %d %s", code, out)
	}
	// An applicant cannot read the audit log.
	if code, _, stderr := cli(t, appEnv, "audit", "events"); code != 1 || !strings.Contains(stderr, "auditors") {
		t.Errorf("applicant audit events: %d %s", code, stderr)
	}
	if code, out, _ := cli(t, env, "audit", "events", "--subject-type", "proposal"); code != 0 || !strings.Contains(out, "proposal.route") {
		t.Errorf("audit events: %d %s", code, out)
	}
	// No token, no server: clear messages.
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": url}, "proposals", "list"); code != 1 || !strings.Contains(stderr, "PACTUM_TOKEN") {
		t.Errorf("no token: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": "http://127.0.0.1:1", "PACTUM_TOKEN": "pct_x"}, "proposals", "list"); code != 1 || !strings.Contains(stderr, "cannot reach") {
		t.Errorf("no server: %d %s", code, stderr)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d: %s", code, serr.String())
	}
}
