// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
	"time"
)

// TestIncidentAndOutcomeCommands drives pactum incidents and pactum
// outcomes against a server: report, list, show, triage, close; add, list,
// remove; with the exit codes of refusals and of strangers.
func TestIncidentAndOutcomeCommands(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	ada, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)
	rev, _ := as(t, mgr, "rev@example.org", "reviewer")
	var call struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "--system", "lumi-g", "--json")
	p := lexProposal(call.ID)
	p["requests"] = []map[string]any{{"system_id": "lumi-g", "amount": 1000, "storage_tb": 1}}
	aiWork := p["ai_work"].(map[string]any)
	aiWork["training_tokens"], aiWork["planned_training_flop"] = 1e9, 4.2e19
	var prop struct {
		ID string `json:"id"`
	}
	clu(t, ada, &prop, "proposals", "create", "--file", jsonFile(t, p), "--submit", "--json")
	var allocs struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	clu(t, ada, &allocs, "allocations", "list", "--proposal", prop.ID, "--json")
	alloc := allocs.Items[0].ID

	// Report.
	var inc struct {
		ID        string `json:"id"`
		State     string `json:"state"`
		Deadlines []struct {
			Basis string `json:"basis"`
		} `json:"deadlines"`
	}
	clu(t, ada, &inc, "incidents", "report", "--allocation", alloc, "--kind", "serious_incident", "--harm", "critical_infrastructure",
		"--severity", "high", "--title", "Grid controller", "--description", "A model trained here misdrove a grid controller.",
		"--occurred", time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04"), "--json")
	if inc.State != "reported" || len(inc.Deadlines) != 2 || inc.Deadlines[0].Basis != "AI Act Art. 73(3)" {
		t.Fatalf("reported: %+v", inc)
	}
	if code, _, stderr := cli(t, ada, "incidents", "report", "--allocation", alloc, "--kind", "serious_incident", "--severity", "high",
		"--title", "x\x1b[2J", "--description", "short"); code != exitInvalid || !strings.Contains(stderr, "harm") || !strings.Contains(stderr, "title") {
		t.Errorf("bad report: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, ada, "incidents", "report", "--allocation", alloc, "--kind", "misuse", "--severity", "low",
		"--title", "Mining", "--description", "Somebody mined coins.", "--occurred", "yesterday"); code != exitInvalid || !strings.Contains(stderr, "--occurred") {
		t.Errorf("bad time: %d %s", code, stderr)
	}
	// Re-running a report with the same --idempotency-key (say, after a
	// timeout) reports once; a bad key is refused before anything is sent.
	var first, again struct {
		ID string `json:"id"`
	}
	misuse := []string{"incidents", "report", "--allocation", alloc, "--kind", "misuse", "--severity", "low", "--title", "Mining",
		"--description", "Somebody mined coins on the allocation.", "--idempotency-key", "01J-mining-report", "--json"}
	clu(t, ada, &first, misuse...)
	clu(t, ada, &again, misuse...)
	var mining struct {
		Total int `json:"total"`
	}
	clu(t, ada, &mining, "incidents", "list", "--allocation", alloc, "--json")
	if first.ID == "" || again.ID != first.ID || mining.Total != 2 {
		t.Errorf("same key twice: %q then %q, %d incidents (want the first again and 2 in all)", first.ID, again.ID, mining.Total)
	}
	if code, _, stderr := cli(t, ada, "incidents", "list", "--idempotency-key", "two words"); code != exitInvalid || !strings.Contains(stderr, "--idempotency-key") {
		t.Errorf("bad key: %d %s", code, stderr)
	}
	if code, _, _ := cli(t, mgr, "incidents", "report", "--allocation", alloc, "--kind", "misuse", "--severity", "low",
		"--title", "Mining", "--description", "Somebody mined coins."); code != exitDenied {
		t.Errorf("an access manager reported: %d", code)
	}

	// Show and list.
	out := clu(t, ada, nil, "incidents", "show", inc.ID)
	for _, want := range []string{"Grid controller", "AI Act Art. 73(3)", "pactum incidents triage " + inc.ID, "misdrove"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out := clu(t, mgr, nil, "incidents", "list", "--allocation", alloc); !strings.Contains(out, inc.ID) || !strings.Contains(out, "serious_incident") {
		t.Errorf("list: %s", out)
	}
	if code, _, _ := cli(t, rev, "incidents", "show", inc.ID); code != exitNotFound {
		t.Errorf("a reviewer saw it: %d", code)
	}
	if out := clu(t, rev, nil, "incidents", "list"); strings.Contains(out, inc.ID) {
		t.Errorf("a reviewer lists it: %s", out)
	}

	// Triage and close.
	if code, _, _ := cli(t, ada, "incidents", "triage", inc.ID, "--note", "mine"); code != exitDenied {
		t.Errorf("the holder triaged: %d", code)
	}
	if code, _, _ := cli(t, mgr, "incidents", "close", inc.ID, "--outcome", "done"); code != exitConflict {
		t.Errorf("closed before triage: %d", code)
	}
	if code, _, _ := cli(t, mgr, "incidents", "triage", inc.ID); code != exitInvalid {
		t.Errorf("triage without --note: %d", code)
	}
	if out := clu(t, mgr, nil, "incidents", "triage", inc.ID, "--note", "Operator confirms.", "--severity", "critical"); !strings.Contains(out, "triaged") {
		t.Errorf("triage: %s", out)
	}
	if out := clu(t, mgr, nil, "incidents", "list", "--overdue"); strings.Contains(out, inc.ID) {
		t.Errorf("overdue before its deadline: %s", out)
	}
	var closed struct {
		State   string `json:"state"`
		Outcome string `json:"outcome"`
	}
	clu(t, mgr, &closed, "incidents", "close", inc.ID, "--outcome", "Authority informed; model withdrawn.", "--json")
	if closed.State != "closed" || closed.Outcome == "" {
		t.Errorf("closed: %+v", closed)
	}

	// Outcomes.
	var o struct {
		ID  string `json:"id"`
		DOI string `json:"doi"`
	}
	clu(t, ada, &o, "outcomes", "add", "publication", "--allocation", alloc, "--title", "Legal LMs", "--doi", "doi:10.48550/arXiv.2611.01234",
		"--venue", "ACL 2026", "--year", "2026", "--json")
	if o.DOI != "10.48550/arXiv.2611.01234" {
		t.Errorf("DOI: %q", o.DOI)
	}
	clu(t, ada, nil, "outcomes", "add", "model", "--allocation", alloc, "--title", "lex-7b", "--url", "https://huggingface.co/aleph/lex-7b",
		"--licence", "Apache-2.0", "--open-weights=true")
	clu(t, ada, nil, "outcomes", "add", "funding", "--allocation", alloc, "--title", "Series A", "--funder", "EIC", "--amount-eur", "2500000")
	if code, _, stderr := cli(t, ada, "outcomes", "add", "publication", "--allocation", alloc, "--title", "x", "--doi", "10.12/x",
		"--venue", "v", "--year", "2026"); code != exitInvalid || !strings.Contains(stderr, "doi") {
		t.Errorf("bad DOI: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, ada, "outcomes", "add", "model", "--allocation", alloc, "--title", "m", "--url", "https://x.example",
		"--licence", "MIT"); code != exitInvalid || !strings.Contains(stderr, "open_weights") {
		t.Errorf("model without --open-weights: %d %s", code, stderr)
	}
	out = clu(t, mgr, nil, "outcomes", "list", "--call", call.ID)
	for _, want := range []string{"doi:10.48550/arXiv.2611.01234", "open weights: yes", "EUR 2,500,000"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := cli(t, ada, "outcomes", "list", "--call", call.ID); code != exitDenied {
		t.Errorf("an applicant listed a call's outcomes: %d", code)
	}
	if code, _, _ := cli(t, rev, "outcomes", "list", "--allocation", alloc); code != exitNotFound {
		t.Errorf("a reviewer listed an allocation's outcomes: %d", code)
	}
	if code, _, _ := cli(t, mgr, "outcomes", "remove", o.ID); code != exitDenied {
		t.Errorf("an access manager removed: %d", code)
	}
	if out := clu(t, ada, nil, "outcomes", "remove", o.ID); !strings.Contains(out, "removed") {
		t.Errorf("remove: %s", out)
	}
	if code, _, _ := cli(t, ada, "outcomes", "remove", o.ID); code != exitNotFound {
		t.Errorf("removed twice: %d", code)
	}
	var list struct {
		Total int `json:"total"`
	}
	clu(t, ada, &list, "outcomes", "list", "--allocation", alloc, "--json")
	if list.Total != 2 {
		t.Errorf("%d outcomes left, want 2", list.Total)
	}
}
