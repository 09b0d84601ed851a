// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
	"time"
)

// TestAllocationCommands drives the allocation's usage, conditions and
// admission commands, the username command and the job command's refusal
// against a server, without a cluster.
func TestAllocationCommands(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	var app struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &app, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org, "--json")
	if out := clu(t, mgr, nil, "users", "set-username", app.ID, "ada"); !strings.Contains(out, "username:") || !strings.Contains(out, "ada") {
		t.Errorf("set-username: %s", out)
	}
	if code, _, stderr := cli(t, mgr, "users", "set-username", app.ID, "Ada Lovelace"); code != exitInvalid || !strings.Contains(stderr, "username:") {
		t.Errorf("bad username: %d %s", code, stderr)
	}
	var tok struct {
		Secret string `json:"secret"`
	}
	clu(t, mgr, &tok, "tokens", "create", "--user", app.ID, "--name", "cli", "--json")
	ada := map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"], "PACTUM_TOKEN": tok.Secret}
	var call struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "--system", "lumi-g", "--json")
	p := lexProposal(call.ID)
	p["requests"] = []map[string]any{{"system_id": "lumi-g", "amount": 1000, "storage_tb": 1}}
	aiWork := p["ai_work"].(map[string]any)
	aiWork["training_tokens"], aiWork["planned_training_flop"] = 1e9, 4.2e19
	p["ai_act"] = map[string]any{"interacts_with_persons": true}
	file := jsonFile(t, p)
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
	if code != exitConflict || !strings.Contains(stderr, "not yet provisioned") || !strings.Contains(stderr, "conditions ack "+alloc) {
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
	if code != exitConflict || strings.Contains(stderr, "conditions ack") || !strings.Contains(stderr, "not yet provisioned") {
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
