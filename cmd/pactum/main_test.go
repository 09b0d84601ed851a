// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// cli runs the pactum command in-process and returns its exit code and
// output.
func cli(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cli(t, nil, "demo", "--data", dir, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	var res struct {
		ProposalsByState map[string]int `json:"proposals_by_state"`
		GrantedBySystem  map[string]struct {
			Amount float64 `json:"amount"`
			Unit   string  `json:"unit"`
		} `json:"granted_by_system"`
		Proposals []struct {
			Organization string   `json:"organization"`
			State        string   `json:"state"`
			Rules        []string `json:"rules"`
			Stages       []string `json:"stages"`
		} `json:"proposals"`
		Checks []struct{ OK bool } `json:"checks"`
		Review struct {
			Conflicts []string `json:"conflicts"`
			Reviews   int      `json:"reviews"`
			Run       struct {
				Objective, Bound, Gap float64
				Outcomes              []struct {
					Title           string   `json:"title"`
					Outcome         string   `json:"outcome"`
					GrantedGPUHours float64  `json:"granted_gpu_hours"`
					Explanation     []string `json:"explanation"`
				} `json:"outcomes"`
			} `json:"run"`
		} `json:"review"`
		Sites []struct {
			System      string `json:"system"`
			Allocations int    `json:"allocations"`
			Activated   int    `json:"activated"`
			Jobs        int    `json:"jobs"`
			Accepted    int    `json:"accepted"`
			Duplicate   int    `json:"duplicate"`
		} `json:"sites"`
		Audit struct {
			Ok     bool  `json:"ok"`
			Events int64 `json:"events"`
		} `json:"audit"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	// The scenario's promises: one prohibited practice refused, one
	// ethics referral accepted, fast-lane approvals, one ineligible.
	states := map[string]string{}
	rules := map[string][]string{}
	stages := map[string]string{}
	for _, p := range res.Proposals {
		states[p.Organization] = p.State
		rules[p.Organization] = p.Rules
		stages[p.Organization] = strings.Join(p.Stages, ",")
	}
	for org, want := range map[string]string{
		"Aleph Lingua GmbH": "approved", "Sentimo Analytics Oy": "rejected", "MedScan Diagnostics S.r.l.": "accepted",
		"Voxa Speech, Lda.": "approved", "Ferrum Robotics s.r.o.": "approved", "Atlas Foundation Models SAS": "accepted",
		"NordHire AB": "rejected", "Pacific Frontier AI, Inc.": "rejected",
	} {
		if states[org] != want {
			t.Errorf("%s: state %q, want %q", org, states[org], want)
		}
	}
	if !contains(rules["Sentimo Analytics Oy"], "art5.1f") || !contains(rules["Pacific Frontier AI, Inc."], "elig.establishment") {
		t.Errorf("refusals should cite their rules: %v", rules)
	}
	if g := res.GrantedBySystem["leonardo-booster"]; g.Amount != 32000 || g.Unit != "gpu_hours" {
		t.Errorf("leonardo-booster granted %+v, want 32,000 GPU-hours", g)
	}
	if res.ProposalsByState["approved"] != 3 || res.ProposalsByState["accepted"] != 2 || res.ProposalsByState["rejected"] != 3 {
		t.Errorf("by state: %v", res.ProposalsByState)
	}
	// The large-scale proposal went through every review stage, a
	// reviewer's recent affiliation with its applicant was caught, and the
	// allocation run cut it to its organization's cap, above its minimum
	// viable fraction, with a proven gap of zero.
	if got := stages["Atlas Foundation Models SAS"]; got != "technical,ethics,peer,reply,panel,decision" {
		t.Errorf("Atlas's review stages: %s", got)
	}
	if got := stages["MedScan Diagnostics S.r.l."]; got != "ethics,decision" {
		t.Errorf("MedScan's review stages: %s", got)
	}
	if g := res.GrantedBySystem["jupiter-booster"]; g.Amount != 1_000_000 {
		t.Errorf("jupiter-booster granted %+v, want 1,000,000 GPU-hours", g)
	}
	if c := res.Review.Conflicts; len(c) != 1 || !strings.Contains(c[0], "recent_organization") || !strings.Contains(c[0], "Nowak") {
		t.Errorf("conflicts: %v", c)
	}
	run := res.Review.Run
	if len(run.Outcomes) != 1 || run.Outcomes[0].Outcome != "cut" || run.Outcomes[0].GrantedGPUHours != 1_000_000 ||
		run.Gap > 1e-6 || run.Bound < run.Objective || !strings.Contains(strings.Join(run.Outcomes[0].Explanation, " "), "organization's cap") {
		t.Errorf("allocation run: %+v", run)
	}
	// Three invariants probed, plus one re-read check per site agent.
	if res.Review.Reviews != 6 || len(res.Checks) != 3+len(res.Sites) {
		t.Errorf("%d reviews, %d checks", res.Review.Reviews, len(res.Checks))
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Errorf("demo check failed: %+v", res.Checks)
		}
	}
	// Each system's site agent provisioned its allocations on a simulated
	// cluster and accounted one job each, once.
	if len(res.Sites) != len(res.GrantedBySystem) {
		t.Errorf("site agents ran for %d systems, want %d: %+v", len(res.Sites), len(res.GrantedBySystem), res.Sites)
	}
	for _, s := range res.Sites {
		if s.Activated != s.Allocations || s.Jobs != s.Allocations || s.Accepted != s.Jobs || s.Duplicate != s.Jobs {
			t.Errorf("site agent of %s: %+v", s.System, s)
		}
	}
	if !res.Audit.Ok || res.Audit.Events < 50 {
		t.Errorf("audit: %+v", res.Audit)
	}

	// A second run refuses the used directory rather than mixing data.
	if code, _, stderr := cli(t, nil, "demo", "--data", dir, "--quiet"); code == 0 || !strings.Contains(stderr, "fresh directory") {
		t.Errorf("reused data directory: exit %d %s", code, stderr)
	}

	// The auditor verifies offline; tampering is detected with exit 2.
	code, out, _ = cli(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "Audit chain OK") {
		t.Fatalf("verify: exit %d %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "pactum.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET actor_id = 'someone' WHERE seq = 30`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, nil, "audit", "verify", "--data", dir, "--json")
	var rep struct {
		OK       bool `json:"ok"`
		FirstBad struct {
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		} `json:"first_bad"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 2 || rep.OK || rep.FirstBad.Seq != 30 {
		t.Errorf("tampered verify: exit %d %+v", code, rep)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCLIAgainstServer(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cli(t, nil, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	var boot struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &boot); err != nil || !strings.HasPrefix(boot.Token, "pct_") {
		t.Fatalf("init output: %s", out)
	}
	if code, _, stderr := cli(t, nil, "init", "--data", dir, "--email", "other@example.org"); code == 0 || !strings.Contains(stderr, "already has an access manager") {
		t.Errorf("second init: %d %s", code, stderr)
	}

	// Serve in the background on a free port.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), &sout, &serr, os.Getenv)
	}()
	url := sout.waitFor(t, "http://")
	env := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": boot.Token}

	code, out, stderr = cli(t, env, "systems", "list")
	if code != 0 || !strings.Contains(out, "leonardo-booster") || !strings.Contains(out, "CINECA") {
		t.Fatalf("systems list: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, env, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	var org struct {
		ID      string `json:"id"`
		Startup bool   `json:"startup"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &org) != nil || !org.Startup {
		t.Fatalf("orgs create: %d %s", code, out)
	}
	// Bad input: the server's field errors reach the user.
	code, _, stderr = cli(t, env, "orgs", "create", "--name", "X", "--country", "Germany", "--registration", "1", "--founded", "2030-01-01")
	if code != 1 || !strings.Contains(stderr, "country:") || !strings.Contains(stderr, "founded_on:") {
		t.Errorf("bad org: %d %s", code, stderr)
	}
	code, out, _ = cli(t, env, "calls", "create", "--title", "AI Factories", "--cutoff", "2099-01-01", "--system", "leonardo-booster", "--json")
	var call struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &call) != nil {
		t.Fatalf("calls create: %d %s", code, out)
	}
	code, out, _ = cli(t, env, "users", "create", "--email", "ada@aleph.example", "--name", "Ada", "--role", "applicant", "--org", org.ID, "--json")
	var user struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &user) != nil {
		t.Fatalf("users create: %d %s", code, out)
	}
	code, out, _ = cli(t, env, "tokens", "create", "--user", user.ID, "--name", "cli", "--json")
	var tok struct {
		Secret string `json:"secret"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil {
		t.Fatalf("tokens create: %d %s", code, out)
	}
	appEnv := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": tok.Secret}

	p := map[string]any{"call_id": call.ID, "mode": "fast_lane", "title": "Lex-7B", "summary": "Legal LLM.",
		"requests": []map[string]any{{"system_id": "leonardo-booster", "amount": 20000, "storage_tb": 10}}, "duration_months": 3,
		"ai_work": map[string]any{"model_type": "language_model", "input_modalities": []string{"text"}, "output_modalities": []string{"text"},
			"parameter_count": 7e9, "training_tokens": 1.5e11, "planned_training_flop": 6.3e21, "fine_tune": false,
			"intended_use": "Drafting for lawyers.", "purpose": "product_development", "intends_eu_market": true, "open_weights": false,
			"civilian_only": true, "data_provenance": map[string]any{"sources": []string{"licensed"}, "personal_data": false,
				"special_category_data": false, "tdm_opt_outs_honoured": true, "description": "Licensed case law."}},
		"pledges": map[string]any{"governance_strategy": true, "high_risk_mapping": true, "ai_literacy": true}}
	file := filepath.Join(t.TempDir(), "p.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, appEnv, "proposals", "create", "--file", file, "--submit")
	if code != 0 || !strings.Contains(out, "approved") || !strings.Contains(out, "art50") {
		t.Fatalf("proposals create --submit: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, appEnv, "allocations", "list")
	if code != 0 || !strings.Contains(out, "20,000 GPU-h") || !strings.Contains(out, "pending_provisioning") {
		t.Errorf("allocations list: %d %s", code, out)
	}
	code, out, _ = cli(t, appEnv, "proposals", "list", "--json")
	var plist struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plist) != nil || len(plist.Items) != 1 {
		t.Fatalf("proposals list --json: %d %s", code, out)
	}
	// Every read command answers in both forms.
	for _, args := range [][]string{
		{"me"}, {"systems", "show", "lumi-g"}, {"orgs", "list"}, {"orgs", "show", org.ID}, {"calls", "list", "--open"},
		{"calls", "show", call.ID}, {"proposals", "show", plist.Items[0].ID}, {"tokens", "list"},
	} {
		if code, out, stderr := cli(t, appEnv, args...); code != 0 || strings.TrimSpace(out) == "" {
			t.Errorf("%v: exit %d %s %s", args, code, out, stderr)
		}
		code, out, stderr := cli(t, appEnv, append(args, "--json")...)
		if code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("%v --json: exit %d %s %s", args, code, out, stderr)
		}
	}
	// A draft can be withdrawn; withdrawing it again is a clear conflict.
	code, out, _ = cli(t, appEnv, "proposals", "create", "--file", file, "--json")
	var draft struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &draft) != nil {
		t.Fatalf("draft: %d %s", code, out)
	}
	if code, out, _ := cli(t, appEnv, "proposals", "withdraw", draft.ID, "--reason", "duplicate"); code != 0 || !strings.Contains(out, "withdrawn") {
		t.Errorf("withdraw: %d %s", code, out)
	}
	if code, _, stderr := cli(t, appEnv, "proposals", "withdraw", draft.ID); code != 1 || !strings.Contains(stderr, "cannot become withdrawn") {
		t.Errorf("withdraw twice: %d %s", code, stderr)
	}
	// An applicant cannot read the audit log.
	if code, _, stderr := cli(t, appEnv, "audit", "events"); code != 1 || !strings.Contains(stderr, "auditors") {
		t.Errorf("applicant audit events: %d %s", code, stderr)
	}
	if code, out, _ := cli(t, env, "audit", "events", "--subject-type", "proposal"); code != 0 || !strings.Contains(out, "proposal.route") {
		t.Errorf("audit events: %d %s", code, out)
	}
	// No token, no server: clear messages.
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": url}, "proposals", "list"); code != 1 || !strings.Contains(stderr, "PACTUM_TOKEN") {
		t.Errorf("no token: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": "http://127.0.0.1:1", "PACTUM_TOKEN": "pct_x"}, "proposals", "list"); code != 1 || !strings.Contains(stderr, "cannot reach") {
		t.Errorf("no server: %d %s", code, stderr)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d: %s", code, serr.String())
	}
}

// TestAuditCheckpoint plays an attacker with write access to the database
// who edits an event and recomputes the rest of the chain: plain
// verification cannot see it; a signed checkpoint taken before can.
func TestAuditCheckpoint(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := cli(t, nil, "demo", "--data", dir, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	code, pub, stderr := cli(t, nil, "audit", "keygen", "--out", keyFile)
	if code != 0 {
		t.Fatal(stderr)
	}
	pub = strings.TrimSpace(pub)
	cpFile := filepath.Join(t.TempDir(), "cp.json")
	if code, _, stderr := cli(t, nil, "audit", "checkpoint", "--data", dir, "--key", keyFile, "--out", cpFile); code != 0 {
		t.Fatal(stderr)
	}
	if code, out, stderr := cli(t, nil, "audit", "verify", "--data", dir, "--checkpoint", cpFile, "--trust", pub); code != 0 {
		t.Fatalf("clean chain with checkpoint: %d %s %s", code, out, stderr)
	}

	// Rewrite history: change event 10's actor and reseal every event after.
	db, err := sql.Open("sqlite", filepath.Join(dir, "pactum.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var events []*pactum.AuditEvent
	for rows.Next() {
		var e pactum.AuditEvent
		var before, after string
		if err := rows.Scan(&e.Seq, &e.ID, &e.At, &e.ActorID, &e.Action, &e.SubjectType, &e.SubjectID, &before, &after); err != nil {
			t.Fatal(err)
		}
		e.Before, e.After = json.RawMessage(before), json.RawMessage(after)
		events = append(events, &e)
	}
	rows.Close()
	events[9].ActorID = "forged-actor"
	prev := audit.Genesis
	for _, e := range events {
		audit.Seal(prev, e)
		prev = e.Hash
		if _, err := db.Exec(`UPDATE audit_events SET actor_id = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, e.ActorID, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE audit_head SET hash = $1`, prev); err != nil {
		t.Fatal(err)
	}

	if code, out, _ := cli(t, nil, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("the recomputed chain should verify on its own (that is the attack): %d %s", code, out)
	}
	code, out, _ := cli(t, nil, "audit", "verify", "--data", dir, "--checkpoint", cpFile, "--trust", pub)
	// The checkpoint pins its own event (the head when it was signed),
	// so that is where the rewrite shows.
	data, err := os.ReadFile(cpFile)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.ParseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if code != 2 || !strings.Contains(out, "checkpoint") || !strings.Contains(out, fmt.Sprintf("seq %d", cp.Seq)) {
		t.Errorf("rewrite not caught by the checkpoint: exit %d\n%s", code, out)
	}
	// A checkpoint signed with another key is refused.
	_, other, _ := audit.NewKey()
	if code, _, stderr := cli(t, nil, "audit", "verify", "--data", dir, "--checkpoint", cpFile, "--trust", other); code != 2 || !strings.Contains(stderr, "trusted") {
		t.Errorf("untrusted checkpoint: %d %s", code, stderr)
	}
}
