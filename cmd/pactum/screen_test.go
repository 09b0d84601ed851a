// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

const exampleFile = "../../policy/testdata/fast-lane-llm.json"

// execute runs cmd with args in-process and returns stdout and the error.
func execute(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestScreenCommandJSON(t *testing.T) {
	out, err := execute(t, newScreenCmd(), "--json", exampleFile)
	if err != nil {
		t.Fatalf("screen: %v\n%s", err, out)
	}
	var d pactum.ScreeningDecision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("output is not a decision: %v\n%s", err, out)
	}
	// A Norwegian GPAI provider: conditions, no referral, so approved.
	if d.Outcome != pactum.OutcomeApprove {
		t.Errorf("outcome %s", d.Outcome)
	}
	got := map[string]pactum.Finding{}
	for _, f := range d.Findings {
		got[f.RuleID] = f
	}
	for _, id := range []string{"gpai.art53_copyright", "gpai.art54_representative", "art50.1", "art50.2"} {
		f, ok := got[id]
		if !ok || f.Basis == "" || f.Effect == "" || f.Message == "" {
			t.Errorf("finding %s missing or incomplete: %+v", id, f)
		}
	}
	if d.RulesetHash == "" || !strings.HasPrefix(d.ScreenedAt.Format("2006-01-02"), "2026-09-01") {
		t.Errorf("ruleset %q, screened at %v", d.RulesetHash, d.ScreenedAt)
	}
}

func TestScreenCommandTextAndFlags(t *testing.T) {
	out, err := execute(t, newScreenCmd(), "--at", "2025-07-01", exampleFile)
	if err != nil {
		t.Fatalf("screen: %v\n%s", err, out)
	}
	// Before Chapter V applies its rules do not fire; those starting within
	// the requested months attach conditions naming their date.
	for _, want := range []string{"Outcome:  APPROVE", "Date:     2025-07-01", "6PD", "hardware", "declared",
		"gpai.art53_copyright.from_2025-08-02"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if regexp.MustCompile(`gpai\.[a-z0-9_]+ `).MatchString(out) {
		t.Errorf("GPAI rules fired before 2025-08-02:\n%s", out)
	}

	// A bare proposal with --org, screened under a ruleset directory.
	dir := t.TempDir()
	var file map[string]json.RawMessage
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "p.json"), file["proposal"])
	org := strings.Replace(string(file["organization"]), `"NO"`, `"US"`, 1)
	writeFile(t, filepath.Join(dir, "org.json"), []byte(org))
	out, err = execute(t, newScreenCmd(), "--org", filepath.Join(dir, "org.json"), "--rules", "../../policy/rules",
		"--at", "2026-09-01", filepath.Join(dir, "p.json"))
	// A deny is printed and exits with the check status.
	var deniedErr *exitError
	if !errors.As(err, &deniedErr) || deniedErr.code != exitCheck {
		t.Fatalf("screen of a denied proposal: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Outcome:  DENY") || !strings.Contains(out, "elig.establishment") {
		t.Errorf("US organization not denied:\n%s", out)
	}

	// No organization at all is an input error.
	if _, err := execute(t, newScreenCmd(), filepath.Join(dir, "p.json")); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("bare proposal without --org: %v", err)
	}
}

func TestRulesLintCommand(t *testing.T) {
	out, err := execute(t, newRulesCmd(nil), "lint", "../../policy/rules")
	if err != nil || !strings.Contains(out, "ok: no problems") {
		t.Fatalf("lint of the built-in rules: %v\n%s", err, out)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "r.yaml"), []byte(`version: x
params: {default_utilisation: 0.5}
rules:
  - id: no.basis
    effect: deny
    when: ai.fine_tune
    message: M
`))
	out, err = execute(t, newRulesCmd(nil), "lint", "--json", dir)
	var ee *exitError
	if err == nil || !errors.As(err, &ee) || ee.code != exitCheck {
		t.Fatalf("lint of a broken ruleset: err %v", err)
	}
	var problems []policy.Problem
	if err := json.Unmarshal([]byte(out), &problems); err != nil || len(problems) != 1 || problems[0].Rule != "no.basis" {
		t.Errorf("problems %v (%v)\n%s", problems, err, out)
	}
}

func TestRulesDiffCommand(t *testing.T) {
	// NEW moves Annex III to the Omnibus date.
	newDir := t.TempDir()
	entries, err := os.ReadDir("../../policy/rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("../../policy/rules", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "30-annex3.yaml" {
			data = bytes.ReplaceAll(data, []byte("valid_from: 2026-08-02"), []byte("valid_from: 2027-12-02"))
		}
		writeFile(t, filepath.Join(newDir, e.Name()), data)
	}
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	recruit := bytes.Replace(example, []byte(`"ai_act": {`), []byte(`"ai_act": {"annex_iii": ["4a"], `), 1)
	recruit = bytes.Replace(recruit, []byte(`"id": "prop-1"`), []byte(`"id": "prop-2"`), 1)
	inputs := filepath.Join(t.TempDir(), "inputs.json")
	writeFile(t, inputs, []byte("["+string(example)+","+string(recruit)+"]"))

	load := func(*cobra.Command) ([]*pactum.ScreeningInput, error) {
		t.Error("the store loader was called despite --inputs")
		return nil, nil
	}
	out, err := execute(t, newRulesCmd(load), "diff", "--json", "--at", "2026-09-01", "--inputs", inputs, "default", newDir)
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, out)
	}
	var res struct {
		Screened int              `json:"screened"`
		Rows     []policy.DiffRow `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Screened != 2 || len(res.Rows) != 1 || res.Rows[0].ProposalID != "prop-2" || !res.Rows[0].OutcomeChanged ||
		res.Rows[0].OldOutcome != pactum.OutcomeRefer || res.Rows[0].NewOutcome != pactum.OutcomeApprove {
		t.Errorf("diff %+v", res)
	}

	// Without --inputs the loader supplies the proposals.
	called := false
	load = func(*cobra.Command) ([]*pactum.ScreeningInput, error) {
		called = true
		return nil, nil
	}
	out, err = execute(t, newRulesCmd(load), "diff", "default", "default")
	if err != nil || !called || !strings.Contains(out, "0 proposal(s) screened") {
		t.Errorf("diff via loader: called %v, err %v\n%s", called, err, out)
	}
	if _, err := execute(t, newRulesCmd(nil), "diff", "default", "default"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("diff without inputs: %v", err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
