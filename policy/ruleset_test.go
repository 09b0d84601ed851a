// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// head is a minimal valid ruleset header.
const head = `version: "t1"
params:
  default_utilisation: 0.5
  limit: 1.0e23
  countries: [DE, FR]
`

// okRule is a valid rule to sit beside broken ones, proving that one bad
// rule refuses the whole ruleset.
const okRule = `
  - id: ok.rule
    basis: Test basis
    effect: info
    when: org.country in params.countries
    message: Established in {{org.country}}.
`

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

// malformedRuleset is a ruleset Load must refuse, and what it must say.
type malformedRuleset struct {
	name  string
	files map[string]string
	// want lists, per expected problem, substrings that must all occur in
	// one problem's text (file, rule id and reason).
	want [][]string
}

// malformedRulesets returns one ruleset per kind of mistake the loader
// catches, most of them beside a valid rule.
func malformedRulesets() []malformedRuleset {
	return []malformedRuleset{
		{"bad CEL", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.cel
    basis: B
    effect: deny
    when: org.country ==
    message: M
`}, [][]string{{"r.yaml", "bad.cel", "does not compile"}}},
		{"unknown field", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.field
    basis: B
    effect: deny
    when: org.countri == "DE"
    message: M
`}, [][]string{{"bad.field", "undeclared reference to 'org.countri'"}}},
		{"unknown parameter", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.param
    basis: B
    effect: deny
    when: compute.flop_max > params.limt
    message: M
`}, [][]string{{"bad.param", "undeclared reference to 'params.limt'"}}},
		{"type error", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.type
    basis: B
    effect: deny
    when: org.country > 3
    message: M
`}, [][]string{{"bad.type", "does not compile"}}},
		{"not a bool", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.bool
    basis: B
    effect: deny
    when: compute.flop_max * 2.0
    message: M
`}, [][]string{{"bad.bool", "must be a bool"}}},
		{"missing basis", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: no.basis
    effect: deny
    when: ai.fine_tune
    message: M
`}, [][]string{{"r.yaml:", "no.basis", "no legal basis"}}},
		{"bad effect", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.effect
    basis: B
    effect: forbid
    when: ai.fine_tune
    message: M
`}, [][]string{{"bad.effect", `unknown effect "forbid"`}}},
		{"refer without referral", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.referral
    basis: B
    effect: refer
    when: ai.fine_tune
    message: M
`}, [][]string{{"bad.referral", "needs referral ethics, technical or legal"}}},
		{"referral on a deny", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.referral2
    basis: B
    effect: deny
    referral: ethics
    when: ai.fine_tune
    message: M
`}, [][]string{{"bad.referral2", "only for effect refer"}}},
		{"bad dates", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.date
    basis: B
    effect: info
    valid_from: 2025-13-01
    when: ai.fine_tune
    message: M
  - id: bad.order
    basis: B
    effect: info
    valid_from: 2026-08-02
    valid_to: 2026-08-01
    when: ai.open_weights
    message: M
`}, [][]string{{"bad.date", "valid_from", "not a date"}, {"bad.order", "valid_to 2026-08-01 is before valid_from 2026-08-02"}}},
		{"duplicate id across files", map[string]string{
			"a.yaml": head + "rules:" + okRule,
			"b.yaml": "rules:" + okRule,
		}, [][]string{{"b.yaml", "ok.rule", "duplicate id (first at a.yaml:"}}},
		{"misspelt key", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.key
    basis: B
    efect: info
    when: ai.fine_tune
    message: M
`}, [][]string{{"bad.key", `unknown key "efect"`}}},
		{"unknown message fact", map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.msg
    basis: B
    effect: info
    when: ai.fine_tune
    message: Base {{ai.base}}.
`}, [][]string{{"bad.msg", "{{ai.base}} names no fact"}}},
		{"no version and no utilisation", map[string]string{"r.yaml": "rules:" + okRule},
			[][]string{{"no file declares the ruleset version"}, {"default_utilisation is required"}}},
		{"derived fact that does not compile", map[string]string{"r.yaml": head + `
derived:
  - name: big
    expr: compute.flop_max > params.nope
rules:` + okRule}, [][]string{{"derived fact derived.big does not compile"}}},
		{"not YAML", map[string]string{"r.yaml": "rules: [\n"}, [][]string{{"r.yaml", "not valid YAML"}}},
		{"no files", map[string]string{"README.md": "x"}, [][]string{{"no *.yaml files"}}},
	}
}

func TestLoadRefusesMalformedRulesets(t *testing.T) {
	for _, tc := range malformedRulesets() {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := policy.Load(mapFS(tc.files))
			if err == nil {
				t.Fatalf("Load accepted the ruleset (version %q)", rs.Version())
			}
			if rs != nil {
				t.Errorf("Load returned a ruleset with its error")
			}
			var le *policy.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is %T, want *policy.LoadError: %v", err, err)
			}
			for _, want := range tc.want {
				found := false
				for _, p := range le.Problems {
					s := p.String()
					all := true
					for _, w := range want {
						if !strings.Contains(s, w) {
							all = false
						}
					}
					found = found || all
				}
				if !found {
					t.Errorf("no problem mentions all of %q; got:\n%v", want, err)
				}
			}
			// Every problem is an error; warnings never refuse a ruleset.
			for _, p := range le.Problems {
				if p.Severity != policy.SeverityError {
					t.Errorf("LoadError carries a %s: %s", p.Severity, p)
				}
			}
		})
	}
}

func TestLoadReportsAllProblemsAtOnce(t *testing.T) {
	files := map[string]string{"r.yaml": head + `rules:
  - id: one
    effect: deny
    when: ai.fine_tune
    message: M
  - id: two
    basis: B
    effect: nope
    when: ai.fine_tune
    message: M
  - id: three
    basis: B
    effect: info
    when: ai.fine_tun
    message: M
`}
	_, err := policy.Load(mapFS(files))
	var le *policy.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	rules := map[string]bool{}
	for _, p := range le.Problems {
		rules[p.Rule] = true
		if p.Line == 0 {
			t.Errorf("problem without a line: %s", p)
		}
	}
	for _, id := range []string{"one", "two", "three"} {
		if !rules[id] {
			t.Errorf("no problem reported for rule %s: %v", id, err)
		}
	}
}

func TestLoadAcceptsMinimalRuleset(t *testing.T) {
	rs, err := policy.Load(mapFS(map[string]string{"r.yaml": head + "rules:" + okRule}))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Version() != "t1" || len(rs.Rules()) != 1 || rs.Rules()[0].ID != "ok.rule" {
		t.Errorf("loaded %q with rules %v", rs.Version(), rs.Rules())
	}
	if got := rs.Params()["countries"]; len(got.([]string)) != 2 {
		t.Errorf("params.countries = %v", got)
	}
}

func TestHashIsCanonical(t *testing.T) {
	base := head + "rules:" + okRule
	// The same ruleset with comments, another key order, another layout and
	// the rule split into another file.
	same := map[string]string{
		"a.yaml": "# a comment\nparams:\n  countries: [DE, FR]\n  limit: 1.0e+23\n  default_utilisation: 0.50\nversion: t1\n",
		"b.yaml": "rules:\n  - message: Established in {{org.country}}.\n    when: org.country in params.countries\n" +
			"    effect: info\n    basis: Test basis\n    description: not part of the decision\n    id: ok.rule\n",
	}
	h1 := mustLoad(t, map[string]string{"r.yaml": base}).Hash()
	h2 := mustLoad(t, same).Hash()
	if h1 != h2 {
		t.Errorf("layout changed the hash: %s vs %s", h1, h2)
	}
	if !strings.HasPrefix(h1, "sha256:") || len(h1) != len("sha256:")+64 {
		t.Errorf("hash %q is not sha256:<hex>", h1)
	}
	for name, changed := range map[string]string{
		"message":   strings.Replace(base, "Established in", "Based in", 1),
		"parameter": strings.Replace(base, "limit: 1.0e23", "limit: 2.0e23", 1),
		"version":   strings.Replace(base, `"t1"`, `"t2"`, 1),
		"effect":    strings.Replace(base, "effect: info", "effect: condition", 1),
	} {
		if h := mustLoad(t, map[string]string{"r.yaml": changed}).Hash(); h == h1 {
			t.Errorf("changing the %s left the hash unchanged", name)
		}
	}
}

func mustLoad(t *testing.T, files map[string]string) *policy.Ruleset {
	t.Helper()
	rs, err := policy.Load(mapFS(files))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestDefaultMatchesDirectory(t *testing.T) {
	// The embedded ruleset and the rules/ directory it is built from are the
	// same ruleset, and LoadDir reads a directory like Default reads the
	// embedded files.
	d := mustDefault(t)
	rs, err := policy.LoadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	if d.Hash() != rs.Hash() || d.Version() != rs.Version() {
		t.Errorf("Default %s %s, LoadDir %s %s", d.Version(), d.Hash(), rs.Version(), rs.Hash())
	}
	if _, err := policy.LoadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadDir of a missing directory succeeded")
	}
}

func TestLint(t *testing.T) {
	if ps := policy.Lint(os.DirFS("rules")); len(ps) != 0 {
		t.Errorf("the embedded ruleset has lint problems:\n%v", ps)
	}
	ps := policy.Lint(mapFS(map[string]string{"r.yaml": head + `
  unused: 3
rules:` + okRule + `
  - id: never
    basis: B
    effect: info
    when: params.limit < 1.0 && ai.fine_tune
    message: M
  - id: always
    basis: B
    effect: info
    when: ai.fine_tune || params.limit > 1.0
    message: M
  - id: twin
    basis: Test basis
    effect: info
    when: org.country  in params.countries
    message: Another message.
  - id: broken
    basis: B
    effect: info
    when: ai.nope
    message: M
`}))
	want := map[string]string{
		"never":  "always false",
		"always": "always true",
		"twin":   "same condition, basis, effect and validity as rule ok.rule",
		"broken": "undeclared reference",
		"":       "params.unused is never used",
	}
	for rule, msg := range want {
		found := false
		for _, p := range ps {
			if p.Rule == rule && strings.Contains(p.Message, msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem for rule %q containing %q; got %v", rule, msg, ps)
		}
	}
	if !policy.HasErrors(ps) {
		t.Error("HasErrors is false despite the broken rule")
	}
}

// A rule that fails at run time fails the screening and is named, but only
// on dates when it applies: a decision must not silently miss a rule.
func TestRuleRuntimeError(t *testing.T) {
	rs := mustLoad(t, map[string]string{"r.yaml": head + "rules:" + okRule + `
  - id: bad.index
    basis: B
    effect: deny
    valid_from: 2030-01-01
    when: data.sources[5] == "web_crawl"
    message: M
`})
	s := policy.NewScreener(rs)
	in := cleanInput()
	d, err := s.Screen(context.Background(), in)
	if err != nil || len(d.Findings) != 1 || d.Findings[0].RuleID != "ok.rule" {
		t.Fatalf("before the failing rule applies: %v, %+v", err, d)
	}
	in.At = day("2030-01-01")
	if _, err := s.Screen(context.Background(), in); err == nil || !strings.Contains(err.Error(), "rule bad.index") ||
		pactum.ErrorCode(err) != pactum.EINTERNAL {
		t.Errorf("failing rule: %v", err)
	}
}
