// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/policy"
)

// FuzzScreeningFile feeds arbitrary files to what `pactum screen FILE`
// does with them: read, complete from the catalogues, screen with the
// embedded ruleset. Properties: no panic; every refusal is an EINVALID
// *pactum.Error; a decision's outcome follows from its findings, and its
// compute estimates are finite and not negative.
func FuzzScreeningFile(f *testing.F) {
	if b, err := os.ReadFile("testdata/fast-lane-llm.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"proposal":null}`))
	f.Add([]byte(`{"proposal":{},"systems":[null]}`))
	f.Add([]byte(`{"call_id":"c","mode":"fast_lane","title":"Lex-7B","summary":"Legal LLM.","requests":[{"system_id":"leonardo-booster","amount":20000}],"duration_months":3}`))
	rs := mustDefault(f)
	screener := policy.NewScreener(rs)
	modes, err := catalog.Modes()
	if err != nil {
		f.Fatal(err)
	}
	systems, err := catalog.Systems()
	if err != nil {
		f.Fatal(err)
	}
	org := &pactum.Organization{ID: "org-1", LegalName: "Fjordlingo AS", Country: "NO", RegistrationNumber: "NO 1",
		FoundedOn: pactum.MustDate("2022-05-10"), Staff: 18, TurnoverEUR: 1.2e6, BalanceSheetEUR: 9e5}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := policy.ReadScreeningFile(bytes.NewReader(data))
		if err != nil {
			wantInvalid(t, err)
			return
		}
		in, err := file.Input(org, modes, systems, at)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		d, err := screener.Screen(context.Background(), in)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		if msg, err := policy.NativeMismatch(rs, in); err != nil || msg != "" {
			t.Fatalf("native and CEL disagree: %s %v", msg, err)
		}
		if d.Outcome != pactum.OutcomeOf(d.Findings) {
			t.Fatalf("outcome %s does not follow from the findings %v", d.Outcome, d.Findings)
		}
		for _, e := range d.Estimates {
			if math.IsNaN(e.FLOP) || math.IsInf(e.FLOP, 0) || e.FLOP < 0 {
				t.Fatalf("estimate %+v", e)
			}
		}
	})
}

func wantInvalid(t *testing.T, err error) {
	t.Helper()
	var pe *pactum.Error
	if !errors.As(err, &pe) || pe.Code != pactum.EINVALID {
		t.Fatalf("refusal is not an EINVALID *pactum.Error: %#v", err)
	}
}

// FuzzLoadRuleset loads the embedded ruleset's parameters (00-ruleset.yaml)
// with one arbitrary rule file, seeded with each embedded rule file.
// Properties: no panic; a refusal is a *LoadError listing at least one
// error, each with a message; loading is deterministic (the same hash);
// and the loaded ruleset screens a proposal to an outcome that follows
// from findings of its own rules.
func FuzzLoadRuleset(f *testing.F) {
	rules := policy.EmbeddedFS()
	head, err := fs.ReadFile(rules, "00-ruleset.yaml")
	if err != nil {
		f.Fatal(err)
	}
	names, err := fs.Glob(rules, "*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		if n != "00-ruleset.yaml" {
			b, err := fs.ReadFile(rules, n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("rules:\n  - id: x\n    effect: deny\n    when: true\n    message: no\n"))
	f.Add([]byte("rules: [{id: y, effect: refer, when: 'proposal.duration_months / 0 > 1', message: m}]\n"))
	in := llmInput()
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"00-ruleset.yaml": {Data: head}, "50-fuzz.yaml": {Data: data}}
		rs, err := policy.Load(fsys)
		if err != nil {
			var le *policy.LoadError
			if !errors.As(err, &le) || rs != nil || len(le.Problems) == 0 {
				t.Fatalf("refusal %#v, ruleset %v", err, rs)
			}
			for _, p := range le.Problems {
				if p.Severity != policy.SeverityError || p.Message == "" {
					t.Fatalf("problem %+v", p)
				}
			}
			return
		}
		again, err := policy.Load(fsys)
		if err != nil || again.Hash() != rs.Hash() {
			t.Fatalf("loading again: %v, hash %s then %s", err, rs.Hash(), again.Hash())
		}
		ids := map[string]bool{}
		for _, r := range rs.Rules() {
			if ids[r.ID] {
				t.Fatalf("rule %s loaded twice", r.ID)
			}
			ids[r.ID] = true
		}
		// The arbitrary rule's native form, if it has one, agrees with CEL.
		if msg, err := policy.NativeMismatch(rs, in); err != nil || msg != "" {
			t.Fatalf("native and CEL disagree: %s %v", msg, err)
		}
		d, err := policy.NewScreener(rs).Screen(context.Background(), in)
		if err != nil {
			return // a rule may fail at run time (a division by zero); Screen says so
		}
		if d.Outcome != pactum.OutcomeOf(d.Findings) {
			t.Fatalf("outcome %s does not follow from the findings %v", d.Outcome, d.Findings)
		}
		for _, fd := range d.Findings {
			if !ids[fd.RuleID] {
				t.Fatalf("finding of unknown rule %s", fd.RuleID)
			}
		}
	})
}
