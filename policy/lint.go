// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"io/fs"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
)

// Lint checks the ruleset in the root of fsys as Load does and returns every
// problem: the errors that would refuse it, and warnings about what loads
// but is probably wrong (a condition that never or always fires, an unused
// parameter or derived fact, two rules with the same condition and basis).
// An empty result means a clean ruleset. For `pactum rules lint DIR`.
func Lint(fsys fs.FS) []Problem {
	_, problems := compile(fsys)
	return problems
}

// HasErrors reports whether any problem is an error.
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// lintWarnings adds the cheap "is this what you meant" checks: conditions
// that do not depend on the proposal, unused parameters and derived facts,
// and rules whose conditions repeat another's.
func lintWarnings(l *loader, rs *Ruleset) {
	used := map[string]bool{}
	texts := []string{}
	for _, d := range rs.derived {
		texts = append(texts, d.expr)
	}
	for _, r := range rs.rules {
		texts = append(texts, r.When, r.Message)
	}
	all := strings.Join(texts, "\n")
	for k := range rs.params {
		// default_utilisation is read by the Go estimate, not by rules.
		used["params."+k] = k == "default_utilisation" || containsIdent(all, "params."+k)
	}
	for _, d := range rs.derived {
		used[d.name] = containsIdent(all, d.name)
	}
	for _, k := range sortedKeys(used) {
		if !used[k] {
			l.warnf("", 0, "", "%s is never used", k)
		}
	}
	byWhen := map[string]*Rule{}
	for _, r := range rs.rules {
		// A condition that evaluates without any fact does not depend on the
		// proposal: CEL's && and || absorb the missing variables' errors
		// only when the other side alone decides.
		v, _, err := r.prg.Eval(interpreter.EmptyActivation())
		if err == nil {
			if v == types.False {
				l.warnf(r.File, r.Line, r.ID, "the condition is always false: the rule can never fire")
			} else if v == types.True {
				l.warnf(r.File, r.Line, r.ID, "the condition is always true: the rule fires for every proposal")
			}
		}
		key := strings.Join(strings.Fields(r.When), " ")
		if prev := byWhen[key]; prev != nil && prev.Effect == r.Effect && prev.Basis == r.Basis && sameValidity(prev, r) {
			l.warnf(r.File, r.Line, r.ID, "same condition, basis, effect and validity as rule %s: merge them or tell them apart", prev.ID)
		} else if prev == nil {
			byWhen[key] = r
		}
	}
}

func sameValidity(a, b *Rule) bool { return a.ValidFrom == b.ValidFrom && a.ValidTo == b.ValidTo }

// containsIdent reports whether name occurs in s as a whole identifier.
func containsIdent(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(s) || !isIdentByte(s[end]) {
			return true
		}
		i = end
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
