// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"math"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// TestProposalTimeToTrain: creating a proposal shows its training time on
// the requested system, on the GPUs it states or, without them, on the
// default, in text and with --json; submitting shows it too; more GPUs
// than the system has are refused naming the request. Lex-7B declares
// 6.3e21 FLOP: on Leonardo's A100s that needs 12,464 GPU-hours at MFU
// 0.45 and 16,026 at 0.35, so its 20,000 GPU-hours fit, and 64 GPUs take
// 8.1 to 10.4 days.
func TestProposalTimeToTrain(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	var call struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", cutoffAhead(), "--system", "leonardo-booster", "--json")
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)

	lex := lexProposal(call.ID)
	lex["requests"] = []map[string]any{{"system_id": "leonardo-booster", "amount": 20000, "gpus": 64}}
	code, out, stderr := cli(t, app, "proposals", "create", "--file", jsonFile(t, lex))
	if code != 0 {
		t.Fatalf("proposals create: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"time to train:", "Training 6.3e+21 FLOP (declared) takes 8.1 to 10 days", "3 months (91 days)",
		"fit it", "Time to train:", "leonardo-booster", "100 %", "8.1–10.4", "12,464–16,026", "20,000", "PLAUSIBLE"} {
		if !strings.Contains(out, want) {
			t.Errorf("create output lacks %q:\n%s", want, out)
		}
	}

	// Without GPUs, the default: 20,000 GPU-hours over three months are
	// 9.1 GPUs, three nodes of four.
	delete(lex["requests"].([]map[string]any)[0], "gpus")
	var p pactum.Proposal
	cliJSON(t, app, &p, "proposals", "create", "--file", jsonFile(t, lex), "--json")
	tt := p.TimeToTrain
	if tt == nil || len(tt.Systems) != 1 || tt.FLOP != 6.3e21 || tt.FLOPMethod != "declared" || tt.Verdict != pactum.HoursPlausible {
		t.Fatalf("--json time_to_train: %+v", tt)
	}
	s := tt.Systems[0]
	if s.GPUsSource != pactum.GPUsDefault || s.Time.GPUs != 12 || math.Abs(s.Time.Fast.Days-43.3) > 0.05 ||
		math.Abs(s.Time.Slow.Days-55.6) > 0.05 || s.Check.Verdict != pactum.HoursPlausible || s.Check.RequestedGPUHours != 20000 {
		t.Errorf("default GPUs: %+v", s)
	}
	code, out, stderr = cli(t, app, "proposals", "submit", p.ID)
	if code != 0 || !strings.Contains(out, "12 (default)") || !strings.Contains(out, "43.3–55.6") || !strings.Contains(out, "approved") {
		t.Errorf("proposals submit: exit %d %s %s", code, out, stderr)
	}

	// More GPUs than Leonardo's 13,824 are refused, naming the request.
	lex["requests"] = []map[string]any{{"system_id": "leonardo-booster", "amount": 20000, "gpus": 20000}}
	code, out, stderr = cli(t, app, "proposals", "create", "--file", jsonFile(t, lex))
	if code != exitInvalid || out != "" || !strings.Contains(stderr, "requests[0].gpus") || !strings.Contains(stderr, "at most 13824") {
		t.Errorf("too many GPUs: exit %d %s %s", code, out, stderr)
	}
}
