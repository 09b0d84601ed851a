// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
)

// TestCLIOverride: `proposals decide` refuses a large-scale proposal at the
// technical stage; `--override --justification` asks for the decision,
// `proposals show` displays it pending, its requester cannot confirm it and
// a second access manager does with `proposals confirm-override`.
func TestCLIOverride(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	var call struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &call, "calls", "create", "--title", "Large scale 2028", "--cutoff", cutoffAhead(), "--mode", "large_scale",
		"--system", "leonardo-booster", "--json")
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)
	p := lexProposal(call.ID)
	p["mode"], p["title"], p["duration_months"] = "large_scale", "Lex-70B", 6
	p["requests"] = []map[string]any{{"system_id": "leonardo-booster", "amount": 300000, "storage_tb": 10}}
	var prop struct {
		ID string `json:"id"`
	}
	cliJSON(t, app, &prop, "proposals", "create", "--file", jsonFile(t, p), "--submit", "--json")

	code, _, stderr := cli(t, mgr, "proposals", "decide", prop.ID, "--accept", "--reason", "looks fine")
	if code == 0 || !strings.Contains(stderr, "large_scale proposals are decided by an allocation run") || !strings.Contains(stderr, "stage is technical") {
		t.Fatalf("decide at the technical stage: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, mgr, "proposals", "decide", prop.ID, "--accept", "--reason", "r", "--override"); code == 0 ||
		!strings.Contains(stderr, "--justification") {
		t.Errorf("--override without --justification: exit %d %s", code, stderr)
	}
	justification := "Leonardo's partition closes next week; the run cannot wait for the panel."
	if code, out, stderr := cli(t, mgr, "proposals", "decide", prop.ID, "--accept", "--reason", "Emergency grant.", "--grant",
		"leonardo-booster=100000", "--override", "--justification", justification); code != 0 || !strings.Contains(out, "PENDING") {
		t.Fatalf("override request: exit %d %s %s", code, out, stderr)
	}
	if code, out, _ := cli(t, app, "proposals", "show", prop.ID); code != 0 || !strings.Contains(out, justification) ||
		!strings.Contains(out, "accept leonardo-booster=100,000") || !strings.Contains(out, "in_review") {
		t.Errorf("show with a pending override: exit %d %s", code, out)
	}
	if code, _, stderr := cli(t, mgr, "proposals", "confirm-override", prop.ID); code == 0 || !strings.Contains(stderr, "second access manager") {
		t.Errorf("self-confirmation: exit %d %s", code, stderr)
	}
	second, secondID := as(t, mgr, "second@eurohpc.example", "access_manager")
	var done struct {
		State    string `json:"state"`
		Override struct {
			ConfirmedBy   string `json:"confirmed_by"`
			Justification string `json:"justification"`
		} `json:"override"`
	}
	cliJSON(t, second, &done, "proposals", "confirm-override", prop.ID, "--json")
	if done.State != "accepted" || done.Override.ConfirmedBy != secondID || done.Override.Justification != justification {
		t.Fatalf("confirmed: %+v", done)
	}
	if code, out, _ := cli(t, mgr, "proposals", "show", prop.ID); code != 0 || !strings.Contains(out, "confirmed by "+secondID) {
		t.Errorf("show after confirmation: exit %d %s", code, out)
	}
	if code, out, _ := cli(t, mgr, "audit", "events", "--subject-id", prop.ID); code != 0 ||
		!strings.Contains(out, "proposal.override_request") || !strings.Contains(out, "proposal.override_confirm") {
		t.Errorf("audit events: exit %d %s", code, out)
	}
}
