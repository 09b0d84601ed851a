// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// TestProposalDraftIncomplete: a draft with only its call, mode and title
// is written; a malformed one is refused (exit 2) naming the field;
// submitting the incomplete draft exits 2 naming what is missing.
func TestProposalDraftIncomplete(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	var call struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", cutoffAhead(), "--system", "leonardo-booster", "--json")
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)

	var p pactum.Proposal
	cliJSON(t, app, &p, "proposals", "create", "--file", jsonFile(t, map[string]any{"call_id": call.ID, "mode": "fast_lane", "title": "Half written"}), "--json")
	if p.State != pactum.ProposalDraft || p.Title != "Half written" {
		t.Fatalf("draft %+v", p)
	}
	code, _, stderr := cli(t, app, "proposals", "create", "--file", jsonFile(t, map[string]any{"call_id": call.ID, "title": "Bad", "duration_months": 99}))
	if code != 2 || !strings.Contains(stderr, "duration_months") {
		t.Errorf("malformed draft: exit %d: %s", code, stderr)
	}
	code, _, stderr = cli(t, app, "proposals", "submit", p.ID)
	if code != 2 || !strings.Contains(stderr, "summary") || !strings.Contains(stderr, "requests") {
		t.Errorf("incomplete submit: exit %d: %s", code, stderr)
	}
}
