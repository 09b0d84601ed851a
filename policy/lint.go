// SPDX-License-Identifier: EUPL-1.2

package policy

import "io/fs"

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
