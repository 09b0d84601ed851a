// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// cutoffAhead is a call cut-off two years from now: far enough that the
// call stays open through a test, near enough that validation (cut-offs
// within pactum.CallWindowYears of now) takes it.
func cutoffAhead() string { return time.Now().AddDate(2, 0, 0).Format(time.DateOnly) }

// TestCLIAgainstServer drives the client commands against a served
// database: the first access manager, an applicant's organization, call,
// account and fast-lane proposal, every read command in both forms,
// withdrawal, who may read the audit log, and the messages when the token
// or the server is missing.
func TestCLIAgainstServer(t *testing.T) {
	dir := t.TempDir()
	token := initOnce(t, dir)
	mgr := map[string]string{"PACTUM_SERVER": serveData(t, dir), "PACTUM_TOKEN": token}
	w := registerApplicant(t, mgr)
	proposal := submitLex(t, w)
	t.Run("ReadCommands", func(t *testing.T) { checkReadCommands(t, w, proposal) })
	t.Run("ListFilters", func(t *testing.T) { checkListFilters(t, w, proposal) })
	t.Run("Withdraw", func(t *testing.T) { checkWithdraw(t, w) })
	t.Run("Refusals", func(t *testing.T) { checkRefusals(t, w) })
	t.Run("Models", func(t *testing.T) { checkModels(t, w) })
	t.Run("UsageImport", func(t *testing.T) { checkUsageImport(t, w) })
}

// checkListFilters: proposals list filters by screening outcome, decision
// and the rule that fired, in the server's query; a bad outcome is refused
// naming it.
func checkListFilters(t *testing.T, w *cliWorld, proposal string) {
	var p struct {
		Screening struct {
			Outcome  string `json:"outcome"`
			Findings []struct {
				RuleID string `json:"rule_id"`
			} `json:"findings"`
		} `json:"screening"`
	}
	cliJSON(t, w.app, &p, "proposals", "show", proposal, "--json")
	if p.Screening.Outcome != "approve" || len(p.Screening.Findings) == 0 {
		t.Fatalf("the proposal's screening: %+v", p.Screening)
	}
	rule := p.Screening.Findings[0].RuleID
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--screening", "approve", "--rule", rule}, 1},
		{[]string{"--rule", rule, "--call", w.call}, 1},
		{[]string{"--screening", "deny"}, 0},
		{[]string{"--decision", "rejected"}, 0},
		{[]string{"--rule", "no.such.rule"}, 0},
	} {
		var l struct {
			Total int `json:"total"`
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		cliJSON(t, w.app, &l, append([]string{"proposals", "list", "--json"}, c.args...)...)
		if l.Total != c.want || len(l.Items) != c.want || (c.want == 1 && l.Items[0].ID != proposal) {
			t.Errorf("proposals list %v: %+v, want %d", c.args, l, c.want)
		}
	}
	if code, _, stderr := cli(t, w.app, "proposals", "list", "--screening", "maybe"); code != exitInvalid || !strings.Contains(stderr, "screening") {
		t.Errorf("--screening maybe: exit %d %s", code, stderr)
	}
}

// checkUsageImport: CINECA's operator imports a sacct dump of another
// column order, with a step line, a job of another account and a
// malformed line; importing it again changes nothing; a dump without the
// Account column is refused, naming it.
func checkUsageImport(t *testing.T, w *cliWorld) {
	ops, _ := as(t, w.mgr, "ops@cineca.example", "site_operator", "--site", "CINECA")
	var allocs struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	cliJSON(t, w.app, &allocs, "allocations", "list", "--json")
	acct := pactum.AllocationAccount(allocs.Items[0].ID)
	dir := t.TempDir()
	dump := filepath.Join(dir, "leonardo.txt")
	lines := "User|Account|JobIDRaw|State|ElapsedRaw|AllocTRES|Comment|End\n" +
		"ada|" + acct + "|101|COMPLETED|3600|cpu=32,gres/gpu=4,node=1|pactum:model=lex@9;phase=pre-training|2026-11-01T10:00:00\n" +
		"|" + acct + "|101.batch|COMPLETED|3600|cpu=32,gres/gpu=4,node=1||2026-11-01T10:00:00\n" +
		"bob|someone-else|102|COMPLETED|60|cpu=1,node=1||2026-11-01T10:00:00\n" +
		"ada|" + acct + "|103|COMPLETED|not-a-number|cpu=1,node=1||2026-11-01T10:00:00\n"
	if err := os.WriteFile(dump, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Records, Accepted, Duplicate, Rejected, Malformed int
		Problems                                          []string
	}
	cliJSON(t, ops, &sum, "usage", "import", dump, "--cluster", "leonardo", "--json")
	if sum.Records != 2 || sum.Accepted != 1 || sum.Rejected != 1 || sum.Malformed != 1 || len(sum.Problems) != 2 {
		t.Errorf("import: %+v", sum)
	}
	cliJSON(t, ops, &sum, "usage", "import", dump, "--cluster", "leonardo", "--json")
	if sum.Accepted != 0 || sum.Duplicate != 1 {
		t.Errorf("import again: %+v", sum)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("User|JobIDRaw|State|ElapsedRaw|AllocTRES\nada|1|COMPLETED|1|node=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, ops, "usage", "import", bad, "--cluster", "leonardo"); code != exitInvalid || !strings.Contains(stderr, "Account") {
		t.Errorf("a dump without Account: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, w.app, "usage", "import", dump, "--cluster", "leonardo"); code != exitDenied || !strings.Contains(stderr, "site operators") {
		t.Errorf("an applicant importing: %d %s", code, stderr)
	}
}

// checkModels: an applicant registers a model, lists it and reads its
// compute record in both forms; bad and repeated labels are refused with
// the matching exit status.
func checkModels(t *testing.T, w *cliWorld) {
	code, out, stderr := cli(t, w.app, "models", "create", "aleph-7b@1", "--params", "7e9", "--tokens", "2e12", "--mfu", "0.35")
	if code != 0 || !strings.Contains(out, "--model aleph-7b@1") {
		t.Fatalf("models create: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cli(t, w.app, "models", "create", "aleph-7b@1"); code != exitConflict || !strings.Contains(stderr, "already has a model aleph-7b@1") {
		t.Errorf("repeated model: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, w.app, "models", "create", "aleph 7b"); code != exitInvalid || !strings.Contains(stderr, "NAME@VERSION") {
		t.Errorf("bad label: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, w.app, "models", "create", "x@1", "--mfu", "3"); code != exitInvalid || !strings.Contains(stderr, "declared_mfu") {
		t.Errorf("bad MFU: %d %s", code, stderr)
	}
	code, out, _ = cli(t, w.app, "models", "list")
	if code != 0 || !strings.Contains(out, "aleph-7b@1") {
		t.Errorf("models list: %d %s", code, out)
	}
	code, out, stderr = cli(t, w.app, "models", "compute", "aleph-7b@1")
	if code != 0 || !strings.Contains(out, "6·P·D (declared)") || !strings.Contains(out, "8.4e+22 FLOP (±30 %: 5.9e+22–1.1e+23)") ||
		!strings.Contains(out, "1.0e+25 FLOP (systemic-risk)") {
		t.Errorf("models compute: %d %s %s", code, out, stderr)
	}
	var mc struct {
		SixPD struct {
			FLOP float64 `json:"flop"`
		} `json:"six_pd"`
		Crossings []struct {
			Name string `json:"name"`
		} `json:"crossings"`
	}
	code, out, _ = cli(t, w.app, "models", "compute", "aleph-7b@1", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &mc) != nil || mc.SixPD.FLOP != 8.4e22 || len(mc.Crossings) != 2 {
		t.Errorf("models compute --json: %d %s", code, out)
	}
	if code, _, stderr := cli(t, w.mgr, "models", "compute", "aleph-7b@1"); code != exitInvalid || !strings.Contains(stderr, "by its ID") {
		t.Errorf("a manager naming a model by label: %d %s", code, stderr)
	}
}

// initOnce initialises the database in dir and returns the first access
// manager's token; a second init is refused.
func initOnce(t *testing.T, dir string) string {
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
	return boot.Token
}

// cliWorld is what TestCLIAgainstServer's steps share: the access
// manager's and the applicant's environments, the applicant's organization
// and the call.
type cliWorld struct {
	mgr, app     map[string]string
	org, call    string
	proposalFile string
}

// registerApplicant has the access manager register an organization (a
// startup; a bad one is refused field by field), open a call and create an
// applicant with a token.
func registerApplicant(t *testing.T, mgr map[string]string) *cliWorld {
	code, out, stderr := cli(t, mgr, "systems", "list")
	if code != 0 || !strings.Contains(out, "leonardo-booster") || !strings.Contains(out, "CINECA") {
		t.Fatalf("systems list: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, mgr, "orgs", "create", "--name", "Aleph Lingua GmbH", "--country", "DE", "--registration", "HRB 1",
		"--founded", "2022-03-01", "--staff", "24", "--turnover", "2000000", "--balance-sheet", "3000000", "--json")
	var org struct {
		ID      string `json:"id"`
		Startup bool   `json:"startup"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &org) != nil || !org.Startup {
		t.Fatalf("orgs create: %d %s", code, out)
	}
	// Bad input: the server's field errors reach the user.
	code, _, stderr = cli(t, mgr, "orgs", "create", "--name", "X", "--country", "Germany", "--registration", "1", "--founded", "2030-01-01")
	if code != exitInvalid || !strings.Contains(stderr, "country:") || !strings.Contains(stderr, "founded_on:") {
		t.Errorf("bad org: %d %s", code, stderr)
	}
	code, out, _ = cli(t, mgr, "calls", "create", "--title", "AI Factories", "--cutoff", cutoffAhead(), "--system", "leonardo-booster", "--json")
	var call struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &call) != nil {
		t.Fatalf("calls create: %d %s", code, out)
	}
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org.ID)
	return &cliWorld{mgr: mgr, app: app, org: org.ID, call: call.ID, proposalFile: jsonFile(t, lexProposal(call.ID))}
}

// submitLex has the applicant submit the fast-lane proposal, approved at
// once with the AI Act's transparency conditions and an allocation, and
// returns its ID.
func submitLex(t *testing.T, w *cliWorld) string {
	code, out, stderr := cli(t, w.app, "proposals", "create", "--file", w.proposalFile, "--submit")
	if code != 0 || !strings.Contains(out, "approved") || !strings.Contains(out, "art50") {
		t.Fatalf("proposals create --submit: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, w.app, "allocations", "list")
	if code != 0 || !strings.Contains(out, "20,000 GPU-h") || !strings.Contains(out, "pending_provisioning") {
		t.Errorf("allocations list: %d %s", code, out)
	}
	code, out, _ = cli(t, w.app, "proposals", "list", "--json")
	var plist struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plist) != nil || len(plist.Items) != 1 {
		t.Fatalf("proposals list --json: %d %s", code, out)
	}
	return plist.Items[0].ID
}

// checkReadCommands: every read command answers in both forms.
func checkReadCommands(t *testing.T, w *cliWorld, proposal string) {
	for _, args := range [][]string{
		{"me"}, {"systems", "show", "lumi-g"}, {"orgs", "list"}, {"orgs", "show", w.org}, {"calls", "list", "--open"},
		{"calls", "show", w.call}, {"proposals", "show", proposal}, {"tokens", "list"},
	} {
		if code, out, stderr := cli(t, w.app, args...); code != 0 || strings.TrimSpace(out) == "" {
			t.Errorf("%v: exit %d %s %s", args, code, out, stderr)
		}
		code, out, stderr := cli(t, w.app, append(args, "--json")...)
		if code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("%v --json: exit %d %s %s", args, code, out, stderr)
		}
	}
	// A system's detail shows its energy figures and their source.
	_, out, _ := cli(t, w.app, "systems", "show", "lumi-g")
	for _, want := range []string{"TDP per GPU:", "250 W", "PUE:", "1.04", "0.18–0.35", "energy source:", "Poro 34B"} {
		if !strings.Contains(out, want) {
			t.Errorf("systems show lumi-g lacks %q:\n%s", want, out)
		}
	}
}

// checkWithdraw: a draft can be withdrawn; withdrawing it again is a
// clear conflict.
func checkWithdraw(t *testing.T, w *cliWorld) {
	code, out, _ := cli(t, w.app, "proposals", "create", "--file", w.proposalFile, "--json")
	var draft struct {
		ID string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &draft) != nil {
		t.Fatalf("draft: %d %s", code, out)
	}
	if code, out, _ := cli(t, w.app, "proposals", "withdraw", draft.ID, "--reason", "duplicate"); code != 0 || !strings.Contains(out, "withdrawn") {
		t.Errorf("withdraw: %d %s", code, out)
	}
	if code, _, stderr := cli(t, w.app, "proposals", "withdraw", draft.ID); code != exitConflict || !strings.Contains(stderr, "cannot become withdrawn") {
		t.Errorf("withdraw twice: %d %s", code, stderr)
	}
}

// checkRefusals: an applicant cannot read the audit log, the manager can;
// without a token or a server the messages say so.
func checkRefusals(t *testing.T, w *cliWorld) {
	if code, _, stderr := cli(t, w.app, "audit", "events"); code != exitDenied || !strings.Contains(stderr, "auditors") {
		t.Errorf("applicant audit events: %d %s", code, stderr)
	}
	if code, out, _ := cli(t, w.mgr, "audit", "events", "--subject-type", "proposal"); code != 0 || !strings.Contains(out, "proposal.route") {
		t.Errorf("audit events: %d %s", code, out)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": w.mgr["PACTUM_SERVER"]}, "proposals", "list"); code != exitDenied || !strings.Contains(stderr, "PACTUM_TOKEN") {
		t.Errorf("no token: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_SERVER": "http://127.0.0.1:1", "PACTUM_TOKEN": "pct_x"}, "proposals", "list"); code != exitServer || !strings.Contains(stderr, "cannot reach") {
		t.Errorf("no server: %d %s", code, stderr)
	}
}

// TestModelDocumentationSigned: a server given the audit checkpoint key
// signs a model's documentation; it verifies offline with the public key,
// and fails with exit 7 when changed or held to another key.
func TestModelDocumentationSigned(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(t.TempDir(), "audit.key")
	pub := strings.TrimSpace(clu(t, nil, nil, "audit", "keygen", "--out", key))
	if code, _, stderr := cli(t, nil, "serve", "--data", dir, "--document-key", filepath.Join(dir, "nope")); code != exitInvalid || !strings.Contains(stderr, "--document-key") {
		t.Errorf("a server with a missing key: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, nil, "serve", "--data", dir, "--alert-fractions", "0.5,2"); code != exitInvalid || !strings.Contains(stderr, "2 is not a fraction") {
		t.Errorf("a server with a bad alert fraction: %d %s", code, stderr)
	}
	token := initOnce(t, dir)
	mgr := map[string]string{"PACTUM_SERVER": serveData(t, dir, "--document-key", key, "--alert-fractions", "0.5,1"), "PACTUM_TOKEN": token}
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", createAleph(t, mgr))
	clu(t, app, nil, "models", "create", "lex@1", "--params", "1e9", "--tokens", "1e11")
	doc := filepath.Join(t.TempDir(), "lex.json")
	if err := os.WriteFile(doc, []byte(clu(t, app, nil, "models", "document", "lex@1")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := clu(t, nil, nil, "models", "verify-document", doc, "--trust", pub); !strings.Contains(out, "signature OK") {
		t.Errorf("verify: %s", out)
	}
	_, other, err := audit.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "models", "verify-document", doc, "--trust", other); code != exitCheck || !strings.Contains(stderr, "not the trusted key") {
		t.Errorf("another key: %d %s", code, stderr)
	}
	data, _ := os.ReadFile(doc)
	forged := strings.Replace(string(data), `"audit_seq":`, `"audit_seq":1`, 1)
	if err := os.WriteFile(doc, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "models", "verify-document", doc, "--trust", pub); code != exitCheck || !strings.Contains(stderr, "does not verify") {
		t.Errorf("a changed document: %d %s", code, stderr)
	}
	if out := clu(t, app, nil, "models", "document", "lex@1", "--audience", "national-authority", "--html"); !strings.Contains(out, "<!DOCTYPE html>") ||
		!strings.Contains(out, "national-authority") || !strings.Contains(out, "Signed with key") {
		t.Errorf("printable page: %s", out)
	}
}
