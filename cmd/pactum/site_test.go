// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAllocationCommands drives the allocation's usage, conditions and
// admission commands, the username command and the job command's refusal
// against a server, without a cluster.
func TestAllocationCommands(t *testing.T) {
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	clu(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	defer func() { cancel(); <-done }()
	url := sout.waitFor(t, "http://")
	mgr := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}
	var org, app struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &org, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	clu(t, mgr, &app, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org.ID, "--json")
	if out := clu(t, mgr, nil, "users", "set-username", app.ID, "ada"); !strings.Contains(out, "username:") || !strings.Contains(out, "ada") {
		t.Errorf("set-username: %s", out)
	}
	if code, _, stderr := cli(t, mgr, "users", "set-username", app.ID, "Ada Lovelace"); code != 1 || !strings.Contains(stderr, "username:") {
		t.Errorf("bad username: %d %s", code, stderr)
	}
	var tok struct {
		Secret string `json:"secret"`
	}
	clu(t, mgr, &tok, "tokens", "create", "--user", app.ID, "--name", "cli", "--json")
	ada := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": tok.Secret}
	var call struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "--system", "lumi-g", "--json")
	p := map[string]any{"call_id": call.ID, "mode": "fast_lane", "title": "Lex-7B", "summary": "Legal LLM.",
		"requests": []map[string]any{{"system_id": "lumi-g", "amount": 1000, "storage_tb": 1}}, "duration_months": 3,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1e9, "planned_training_flop": 4.2e19, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "product_development", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
		"ai_act":  map[string]any{"interacts_with_persons": true},
		"pledges": map[string]any{"governance_strategy": true, "high_risk_mapping": true, "ai_literacy": true}}
	file := filepath.Join(t.TempDir(), "p.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var prop struct {
		ID string `json:"id"`
	}
	clu(t, ada, &prop, "proposals", "create", "--file", file, "--submit", "--json")
	var allocs struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	clu(t, ada, &allocs, "allocations", "list", "--proposal", prop.ID, "--json")
	alloc := allocs.Items[0].ID

	// Not provisioned and a condition unmet: the job is refused before
	// Slurm is asked, with every reason.
	code, _, stderr := cli(t, ada, "job", "submit", "--allocation", alloc, "--gpus", "4", "--", "train.sh")
	if code != 1 || !strings.Contains(stderr, "not yet provisioned") || !strings.Contains(stderr, "conditions ack "+alloc) {
		t.Fatalf("job submit: %d %s", code, stderr)
	}
	if out := clu(t, ada, nil, "allocations", "admission", alloc); !strings.Contains(out, "may not run jobs") {
		t.Errorf("admission: %s", out)
	}
	var conds struct {
		Items []struct {
			RuleID string `json:"rule_id"`
			Met    bool   `json:"met"`
		} `json:"items"`
	}
	clu(t, ada, &conds, "allocations", "conditions", "list", alloc, "--json")
	if len(conds.Items) == 0 {
		t.Fatal("no conditions")
	}
	for _, c := range conds.Items {
		if out := clu(t, ada, nil, "allocations", "conditions", "ack", alloc, c.RuleID, "--statement", "Users are told."); !strings.Contains(out, "is met") {
			t.Errorf("ack: %s", out)
		}
	}
	if out := clu(t, ada, nil, "allocations", "conditions", "list", alloc); strings.Contains(out, " no ") {
		t.Errorf("conditions after ack: %s", out)
	}
	code, _, stderr = cli(t, ada, "job", "submit", "--allocation", alloc, "--", "train.sh")
	if code != 1 || strings.Contains(stderr, "conditions ack") || !strings.Contains(stderr, "not yet provisioned") {
		t.Errorf("job submit after ack: %d %s", code, stderr)
	}
	out := clu(t, ada, nil, "allocations", "usage", alloc)
	if !strings.Contains(out, "0 of 1,000 GPU-h") || !strings.Contains(out, "jobs:") {
		t.Errorf("usage: %s", out)
	}
	if out := clu(t, ada, nil, "allocations", "records", alloc); !strings.Contains(out, "JOB") {
		t.Errorf("records: %s", out)
	}
	// The agent needs its site and state directory.
	if code, _, stderr := cli(t, ada, "agent", "--once"); code == 0 || !strings.Contains(stderr, "required flag") {
		t.Errorf("agent without flags: %d %s", code, stderr)
	}
}
