// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pactum/pactum/sqlstore/storetest"
)

// cli runs the pactum command in-process and returns its exit code and
// output.
func cli(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// cliJSON runs a command that prints JSON and decodes it into v.
func cliJSON(t *testing.T, env map[string]string, v any, args ...string) {
	t.Helper()
	code, out, stderr := cli(t, env, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// as returns the environment of a new user of role, created with the CLI.
func as(t *testing.T, mgr map[string]string, email, role string, extra ...string) (map[string]string, string) {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &u, append([]string{"users", "create", "--email", email, "--name", email, "--role", role, "--json"}, extra...)...)
	var tok struct {
		Secret string `json:"secret"`
	}
	cliJSON(t, mgr, &tok, "tokens", "create", "--user", u.ID, "--name", "cli", "--json")
	return map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"], "PACTUM_TOKEN": tok.Secret}, u.ID
}

// serveData runs `pactum serve` on the database in dir, in-process and in
// the background, until the test ends, and returns its URL. The server
// must then stop with exit status 0.
func serveData(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, flags...), strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d: %s", code, serr.String())
		}
	})
	return sout.waitFor(t, "http://")
}

// serveFresh creates a database with its first access manager in a new
// directory and serves it until the test ends; it returns the access
// manager's environment.
func serveFresh(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	cliJSON(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	return map[string]string{"PACTUM_SERVER": serveData(t, dir), "PACTUM_TOKEN": boot.Token}
}

// createAleph registers the tests' startup as the access manager mgr and
// returns its ID.
func createAleph(t *testing.T, mgr map[string]string) string {
	t.Helper()
	var org struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &org, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	return org.ID
}

// lexProposal returns, in the API's JSON, a fast-lane proposal to the
// call: 20,000 GPU-hours on Leonardo for three months to train Lex-7B, a
// legal language model. Tests change what they need.
func lexProposal(callID string) map[string]any {
	return map[string]any{"call_id": callID, "mode": "fast_lane", "title": "Lex-7B", "summary": "Legal LLM.",
		"requests": []map[string]any{{"system_id": "leonardo-booster", "amount": 20000, "storage_tb": 10}}, "duration_months": 3,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1.5e11, "planned_training_flop": 6.3e21, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "product_development", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
		"pledges":       map[string]any{"governance_strategy": true, "high_risk_mapping": true, "ai_literacy": true},
		"questionnaire": storetest.Answers()}
}

// jsonFile writes v as JSON to a new file and returns its path.
func jsonFile(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
