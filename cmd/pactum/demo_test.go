// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// TestDemo runs the demo and checks the story it tells, then what an
// auditor can do with the data it leaves.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cli(t, nil, "demo", "--data", dir, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	var res demoResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	t.Run("Screening", func(t *testing.T) { checkDemoScreening(t, &res) })
	t.Run("Review", func(t *testing.T) { checkDemoReview(t, &res) })
	t.Run("SitesAndAudit", func(t *testing.T) { checkDemoSites(t, &res) })
	t.Run("ReusedDirectory", func(t *testing.T) {
		// A second run refuses the used directory rather than mixing data.
		if code, _, stderr := cli(t, nil, "demo", "--data", dir, "--quiet"); code == 0 || !strings.Contains(stderr, "fresh directory") {
			t.Errorf("reused data directory: exit %d %s", code, stderr)
		}
	})
	t.Run("SignInLinks", func(t *testing.T) { checkDemoSignInLinks(t, dir) })
	t.Run("OfflineVerify", func(t *testing.T) { checkDemoTamper(t, dir) })
}

// checkDemoSignInLinks: --serve prints a one-time portal link for one
// person of each role, the auditor included.
func checkDemoSignInLinks(t *testing.T, dir string) {
	a, err := openApp(t.Context(), filepath.Join(dir, "pactum.db"), slog.New(slog.DiscardHandler), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	links, err := demoSignInLinks(t.Context(), a.uc, "http://demo.example")
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, l := range links {
		roles = append(roles, l.role)
		if !strings.HasPrefix(l.url, "http://demo.example/auth/link?code=pactum_link_") || !strings.Contains(l.email, "@") {
			t.Errorf("%s: %s %s", l.role, l.email, l.url)
		}
	}
	if want := []string{"applicant", "reviewer", "access manager", "site operator", "auditor"}; !slices.Equal(roles, want) {
		t.Errorf("links for %v, want %v", roles, want)
	}
}

// demoResult is what TestDemo reads of `pactum demo --json`.
type demoResult struct {
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
	After  struct {
		Obligations map[string]int `json:"obligations"`
		Steps       []string       `json:"steps"`
	} `json:"after"`
	Transparency struct {
		TimeToAccess []string `json:"time_to_access"`
		ReportID     string   `json:"report_id"`
		K            int      `json:"k"`
		Totals       string   `json:"totals"`
		Rows         int      `json:"rows"`
		Suppressed   int      `json:"suppressed"`
	} `json:"transparency"`
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
	Models []struct {
		Model        string   `json:"model"`
		Systems      []string `json:"systems"`
		Cumulative   string   `json:"cumulative"`
		Notification string   `json:"notification"`
		DueBy        string   `json:"due_by"`
	} `json:"models"`
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

// checkDemoScreening checks the scenario's promises: one prohibited
// practice refused, one ethics referral accepted, fast-lane approvals, one
// ineligible.
func checkDemoScreening(t *testing.T, res *demoResult) {
	states := map[string]string{}
	rules := map[string][]string{}
	for _, p := range res.Proposals {
		states[p.Organization] = p.State
		rules[p.Organization] = p.Rules
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
	if !slices.Contains(rules["Sentimo Analytics Oy"], "art5.1f") || !slices.Contains(rules["Pacific Frontier AI, Inc."], "elig.establishment") {
		t.Errorf("refusals should cite their rules: %v", rules)
	}
	if g := res.GrantedBySystem["leonardo-booster"]; g.Amount != 32000 || g.Unit != "gpu_hours" {
		t.Errorf("leonardo-booster granted %+v, want 32,000 GPU-hours", g)
	}
	if res.ProposalsByState["approved"] != 3 || res.ProposalsByState["accepted"] != 2 || res.ProposalsByState["rejected"] != 3 {
		t.Errorf("by state: %v", res.ProposalsByState)
	}
}

// checkDemoReview: the large-scale proposal went through every review
// stage, a reviewer's recent affiliation with its applicant was caught,
// and the allocation run cut it to its organization's cap, above its
// minimum viable fraction, with a proven gap of zero.
func checkDemoReview(t *testing.T, res *demoResult) {
	stages := map[string]string{}
	for _, p := range res.Proposals {
		stages[p.Organization] = strings.Join(p.Stages, ",")
	}
	if got := stages["Atlas Foundation Models SAS"]; got != "technical,ethics,peer,reply,panel,decision" {
		t.Errorf("Atlas's review stages: %s", got)
	}
	if got := stages["MedScan Diagnostics S.r.l."]; got != "ethics,decision" {
		t.Errorf("MedScan's review stages: %s", got)
	}
	// Atlas asked for JUPITER and MareNostrum 5; its organization's cap
	// of 1,000,000 GPU-hours holds across both.
	if g := res.GrantedBySystem["jupiter-booster"]; g.Amount != 960_000 {
		t.Errorf("jupiter-booster granted %+v, want 960,000 GPU-hours", g)
	}
	if c := res.Review.Conflicts; len(c) != 1 || !strings.Contains(c[0], "recent_organization") || !strings.Contains(c[0], "Nowak") {
		t.Errorf("conflicts: %v", c)
	}
	run := res.Review.Run
	if len(run.Outcomes) != 1 || run.Outcomes[0].Outcome != "cut" || run.Outcomes[0].GrantedGPUHours != 1_000_000 ||
		run.Gap > 1e-6 || run.Bound < run.Objective || !strings.Contains(strings.Join(run.Outcomes[0].Explanation, " "), "organization's cap") {
		t.Errorf("allocation run: %+v", run)
	}
}

// checkDemoSites: three invariants probed, one re-read check per site
// agent, the supervision check, the two after the award (another
// startup cannot read the incident; compliance follows it) and the two of
// the transparency report (read without a token once published; verified
// against the audit log); each system's site agent provisioned
// its allocations on a simulated cluster and accounted their jobs, once;
// the model trained on two systems nears 10^25 FLOP and has its Art. 52
// notification drafted; the audit chain verifies.
func checkDemoSites(t *testing.T, res *demoResult) {
	if res.Review.Reviews != 7 || len(res.Checks) != 3+len(res.Sites)+1+2+2 {
		t.Errorf("%d reviews, %d checks", res.Review.Reviews, len(res.Checks))
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Errorf("demo check failed: %+v", res.Checks)
		}
	}
	if a := res.After; a.Obligations["acknowledgement"] == 0 || a.Obligations["final_report"] == 0 || len(a.Steps) != 4 {
		t.Errorf("after the award: %+v", a)
	}
	// Eight organizations and k = 5: the totals show, most rows do not.
	if tr := res.Transparency; tr.ReportID == "" || tr.K != 5 || !strings.Contains(tr.Totals, "8 proposals") ||
		tr.Suppressed == 0 || tr.Suppressed > tr.Rows || len(tr.TimeToAccess) == 0 {
		t.Errorf("transparency: %+v", tr)
	}
	if len(res.Sites) != len(res.GrantedBySystem) {
		t.Errorf("site agents ran for %d systems, want %d: %+v", len(res.Sites), len(res.GrantedBySystem), res.Sites)
	}
	for _, s := range res.Sites {
		if s.Activated != s.Allocations || s.Jobs < s.Allocations || s.Accepted != s.Jobs || s.Duplicate != s.Jobs {
			t.Errorf("site agent of %s: %+v", s.System, s)
		}
	}
	if m := res.Models; len(m) != 2 || m[1].Model != "atlas-70b@2" || len(m[1].Systems) != 2 || !strings.HasPrefix(m[1].Cumulative, "7.8e+24") ||
		m[1].Notification != "margin" || m[1].DueBy == "" || m[0].Notification != "" {
		t.Errorf("models: %+v", m)
	}
	if !res.Audit.Ok || res.Audit.Events < 50 {
		t.Errorf("audit: %+v", res.Audit)
	}
}

// checkDemoTamper: the auditor verifies the demo's data offline; tampering
// is detected with exit 7.
func checkDemoTamper(t *testing.T, dir string) {
	code, out, _ := cli(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "Audit chain OK") {
		t.Fatalf("verify: exit %d %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "pactum.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkDemoState(t, dir, db)
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
	if code != exitCheck || rep.OK || rep.FirstBad.Seq != 30 {
		t.Errorf("tampered verify: exit %d %+v", code, rep)
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
	if code != exitCheck || !strings.Contains(out, "checkpoint") || !strings.Contains(out, fmt.Sprintf("seq %d", cp.Seq)) {
		t.Errorf("rewrite not caught by the checkpoint: exit %d\n%s", code, out)
	}
	// A checkpoint signed with another key is refused.
	_, other, _ := audit.NewKey()
	if code, _, stderr := cli(t, nil, "audit", "verify", "--data", dir, "--checkpoint", cpFile, "--trust", other); code != exitCheck || !strings.Contains(stderr, "trusted") {
		t.Errorf("untrusted checkpoint: %d %s", code, stderr)
	}
}

// checkDemoState: the demo's tables are what its log rebuilds; an
// allocation's amount changed in SQL leaves the chain intact, and --state
// names the row and the field, with exit 7.
func checkDemoState(t *testing.T, dir string, db *sql.DB) {
	if code, out, _ := cli(t, nil, "audit", "verify", "--data", dir, "--state"); code != 0 || !strings.Contains(out, "Tables OK") {
		t.Fatalf("verify --state: exit %d %s", code, out)
	}
	var id string
	if err := db.QueryRow(`SELECT MIN(id) FROM allocations`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE allocations SET amount = amount * 10 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, nil, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("the chain alone still verifies: exit %d %s", code, out)
	}
	code, out, _ := cli(t, nil, "audit", "verify", "--data", dir, "--state")
	if code != exitCheck || !strings.Contains(out, "Audit chain OK") || !strings.Contains(out, "First difference: allocations "+id+", field amount") {
		t.Errorf("verify --state after an edited amount: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, nil, "audit", "verify", "--data", dir, "--state", "--json")
	var rep pactum.AuditReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != exitCheck || rep.OK || rep.State == nil || rep.State.First == nil || rep.State.First.Table != "allocations" || rep.State.First.Field != "amount" {
		t.Errorf("verify --state --json: exit %d %s", code, out)
	}
	if _, err := db.Exec(`UPDATE allocations SET amount = amount / 10 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
}
