// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestObligationsCLI: a server with its own obligation terms
// (--obligations) and sweeping in the background; obligations list, show,
// submit, return, accept and sweep; allocations compliance and breach; the
// call's --block-overdue term; the exit codes of refusals; reviewers see
// nothing.
func TestObligationsCLI(t *testing.T) {
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	clu(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	terms := filepath.Join(t.TempDir(), "terms.json")
	if err := os.WriteFile(terms, []byte(`{"reminder_days": [7], "modes": [{"mode": "fast_lane", "breach_after_days": 20, "templates": [
		{"kind": "progress_report", "title": "Progress report", "fraction": 0.5},
		{"kind": "final_report", "title": "Final report", "days_after_end": 30}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "F"}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "serve", "--data", dir, "--obligations", bad); code != exitInvalid || !strings.Contains(stderr, "modes[0].templates[0].due") {
		t.Errorf("serve with bad terms: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, nil, "serve", "--data", dir, "--sweep-interval", "-1s"); code != exitInvalid {
		t.Errorf("serve with a negative interval: %d %s", code, stderr)
	}
	for _, n := range []string{"1", "1001", "-3"} {
		if code, _, stderr := cli(t, nil, "serve", "--data", dir, "--db-max-conns", n); code != exitInvalid || !strings.Contains(stderr, "--db-max-conns "+n+": give a number of connections from 2 to 1000") {
			t.Errorf("serve with --db-max-conns %s: %d %s", n, code, stderr)
		}
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_DB_MAX_CONNS": "0"}, "serve", "--data", dir); code != exitInvalid || !strings.Contains(stderr, "--db-max-conns 0") {
		t.Errorf("serve with PACTUM_DB_MAX_CONNS=0: %d %s", code, stderr)
	}
	mgr := map[string]string{"PACTUM_SERVER": serveData(t, dir, "--obligations", terms, "--sweep-interval", "50ms"), "PACTUM_TOKEN": boot.Token}
	org := createAleph(t, mgr)
	var call struct {
		ID    string `json:"id"`
		Block bool   `json:"block_overdue_organizations"`
	}
	clu(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"--system", "leonardo-booster", "--block-overdue", "--json")
	if !call.Block {
		t.Fatal("calls create --block-overdue did not set the term")
	}
	if out := clu(t, mgr, nil, "calls", "show", call.ID); !strings.Contains(out, "refuses organizations with overdue obligations") {
		t.Errorf("calls show: %s", out)
	}
	clu(t, mgr, &call, "calls", "update", call.ID, "--block-overdue=false", "--json")
	if call.Block {
		t.Error("calls update --block-overdue=false did not clear the term")
	}
	ada, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)
	rev, _ := as(t, mgr, "rui@review.example", "reviewer")
	clu(t, ada, nil, "proposals", "create", "--file", jsonFile(t, lexProposal(call.ID)), "--submit")

	var list struct {
		Items []struct {
			ID           string `json:"id"`
			Kind         string `json:"kind"`
			State        string `json:"state"`
			AllocationID string `json:"allocation_id"`
		} `json:"items"`
		Total int `json:"total"`
	}
	clu(t, ada, &list, "obligations", "list", "--json")
	if list.Total != 2 || list.Items[0].Kind != "progress_report" || list.Items[1].Kind != "final_report" {
		t.Fatalf("obligations list: %+v", list)
	}
	id, alloc := list.Items[0].ID, list.Items[0].AllocationID
	if out := clu(t, mgr, nil, "obligations", "list", "--allocation", alloc); !strings.Contains(out, "Progress report") || !strings.Contains(out, "open") {
		t.Errorf("obligations list: %s", out)
	}
	for _, args := range [][]string{{"obligations", "show", id}, {"allocations", "compliance", alloc}} {
		if code, _, stderr := cli(t, rev, args...); code != exitNotFound {
			t.Errorf("a reviewer ran %v: %d %s", args, code, stderr)
		}
	}
	clu(t, rev, &list, "obligations", "list", "--json")
	if list.Total != 0 {
		t.Errorf("a reviewer lists %d obligations", list.Total)
	}

	report := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(report, []byte("Half the grant is used.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := clu(t, ada, nil, "obligations", "submit", id, "--report-file", report); !strings.Contains(out, "submitted") || !strings.Contains(out, "Half the grant is used.") {
		t.Errorf("submit: %s", out)
	}
	if code, _, _ := cli(t, ada, "obligations", "accept", id); code != exitDenied {
		t.Errorf("the holder accepted: %d", code)
	}
	if code, _, _ := cli(t, mgr, "obligations", "return", id); code != exitInvalid {
		t.Errorf("return without --reason: %d", code)
	}
	var o struct {
		State  string `json:"state"`
		Reason string `json:"return_reason"`
	}
	clu(t, mgr, &o, "obligations", "return", id, "--reason", "Name the checkpoints.", "--json")
	if o.State != "returned" || o.Reason != "Name the checkpoints." {
		t.Errorf("return: %+v", o)
	}
	if code, _, _ := cli(t, mgr, "obligations", "accept", id); code != exitConflict {
		t.Errorf("accepting a returned obligation: %d", code)
	}
	clu(t, ada, nil, "obligations", "submit", id, "--report", "Half the grant is used; checkpoints at 1T tokens.", "--outcome", "outcome-1")
	clu(t, mgr, &o, "obligations", "accept", id, "--json")
	if o.State != "accepted" {
		t.Errorf("accept: %+v", o)
	}
	if code, _, _ := cli(t, ada, "obligations", "sweep"); code != exitDenied {
		t.Errorf("the holder swept: %d", code)
	}
	var sweep struct {
		Reminders int `json:"reminders"`
		Overdue   int `json:"overdue"`
	}
	clu(t, mgr, &sweep, "obligations", "sweep", "--json")
	if sweep.Reminders != 0 || sweep.Overdue != 0 {
		t.Errorf("sweep months before any due date: %+v", sweep)
	}
	if out := clu(t, ada, nil, "allocations", "compliance", alloc); !strings.Contains(out, "1 due, 0 overdue, 0 submitted, 1 done") || !strings.Contains(out, "breach") {
		t.Errorf("compliance: %s", out)
	}

	if code, _, _ := cli(t, ada, "allocations", "breach", alloc, "--reason", "self-report"); code != exitDenied {
		t.Errorf("the holder declared a breach: %d", code)
	}
	if out := clu(t, mgr, nil, "allocations", "breach", alloc, "--reason", "Weights published against the ethics condition."); !strings.Contains(out, "IN FORCE") {
		t.Errorf("breach: %s", out)
	}
	if out := clu(t, ada, nil, "allocations", "compliance", alloc, "--json"); !strings.Contains(out, `"breached": true`) && !strings.Contains(out, `"breached":true`) {
		t.Errorf("compliance under breach: %s", out)
	}
	if out := clu(t, mgr, nil, "allocations", "breach", alloc, "--clear", "--reason", "Weights withdrawn."); !strings.Contains(out, "cleared") {
		t.Errorf("clear: %s", out)
	}
}
