// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// TestCallHoldTermAndAcknowledge: the call's hold term through create,
// show and update; models acknowledge's refusals and their exit codes.
func TestCallHoldTermAndAcknowledge(t *testing.T) {
	mgr := serveFresh(t)
	org := createAleph(t, mgr)
	var call struct {
		ID   string `json:"id"`
		Hold bool   `json:"hold_models_at_systemic_risk"`
	}
	cutoff := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	clu(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", cutoff, "--system", "lumi-g", "--hold-models", "--json")
	if !call.Hold {
		t.Fatal("calls create --hold-models did not set the term")
	}
	if out := clu(t, mgr, nil, "calls", "show", call.ID); !strings.Contains(out, "holds models at systemic risk") || !strings.Contains(out, "yes") {
		t.Errorf("calls show: %s", out)
	}
	clu(t, mgr, &call, "calls", "update", call.ID, "--hold-models=false", "--json")
	if call.Hold {
		t.Error("calls update --hold-models=false did not clear the term")
	}
	if code, _, stderr := cli(t, mgr, "calls", "update", call.ID); code != exitInvalid || !strings.Contains(stderr, "--hold-models") {
		t.Errorf("update without a change: %d %s", code, stderr)
	}

	var app struct {
		ID string `json:"id"`
	}
	clu(t, mgr, &app, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org, "--json")
	var tok struct {
		Secret string `json:"secret"`
	}
	clu(t, mgr, &tok, "tokens", "create", "--user", app.ID, "--name", "cli", "--json")
	ada := map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"], "PACTUM_TOKEN": tok.Secret}
	if code, _, stderr := cli(t, ada, "calls", "update", call.ID, "--hold-models=true"); code != exitDenied {
		t.Errorf("an applicant changed the term: %d %s", code, stderr)
	}
	var m struct {
		ID string `json:"id"`
	}
	clu(t, ada, &m, "models", "create", "big@2", "--json")
	if code, _, stderr := cli(t, ada, "models", "acknowledge", m.ID, "--note", "sent"); code != exitDenied {
		t.Errorf("the holder acknowledged: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, mgr, "models", "acknowledge", m.ID, "--note", "sent"); code != exitConflict || !strings.Contains(stderr, "not held") {
		t.Errorf("a model never held: %d %s", code, stderr)
	}
	if code, _, _ := cli(t, mgr, "models", "acknowledge", m.ID); code != exitInvalid {
		t.Errorf("without --note: %d", code)
	}
}

// TestRefuseHeld: job submit refuses a job labelled with a model the
// admission holds, and only that.
func TestRefuseHeld(t *testing.T) {
	held := []string{"big@2"}
	ad := &client.Admission{AllocationId: "a1", HeldModels: &held}
	err := refuseHeld(ad, pactum.JobLabel("big@2", pactum.PhasePreTraining))
	if pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(err.Error(), "big@2 is held") {
		t.Errorf("a held model's job: %v", err)
	}
	for _, label := range []string{"", pactum.JobLabel("big@3", pactum.PhasePreTraining)} {
		if err := refuseHeld(ad, label); err != nil {
			t.Errorf("%q refused: %v", label, err)
		}
	}
	if err := refuseHeld(&client.Admission{}, pactum.JobLabel("big@2", pactum.PhaseEvaluation)); err != nil {
		t.Errorf("no held models: %v", err)
	}
}
