// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

//go:embed rules/*.yaml
var embedded embed.FS

// EmbeddedFS returns the files of the embedded ruleset, for example to copy
// them as the starting point of a new ruleset directory.
func EmbeddedFS() fs.FS {
	sub, err := fs.Sub(embedded, "rules")
	if err != nil {
		panic(err) // "rules" is a valid path into the embedded tree
	}
	return sub
}

// Default loads the ruleset embedded in the binary. It compiles every rule,
// which takes milliseconds: load once and share the result.
func Default() (*Ruleset, error) {
	return Load(EmbeddedFS())
}

// LoadDir loads the ruleset in directory dir (its *.yaml and *.yml files).
func LoadDir(dir string) (*Ruleset, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("policy: ruleset directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("policy: ruleset %s is not a directory", dir)
	}
	return Load(os.DirFS(dir))
}

// Load loads and compiles the ruleset in the root of fsys: every *.yaml and
// *.yml file, in name order. Any error refuses the whole ruleset: the
// returned *LoadError lists every problem found, each naming its file, rule
// and reason. Warnings (see Lint) do not refuse a ruleset.
func Load(fsys fs.FS) (*Ruleset, error) {
	rs, problems := compile(fsys)
	var errs []Problem
	for _, p := range problems {
		if p.Severity == SeverityError {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, &LoadError{Problems: errs}
	}
	return rs, nil
}

// Problem severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Problem is one thing wrong with a ruleset.
type Problem struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Severity)
	b.WriteString(": ")
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Rule != "" {
		b.WriteString("rule ")
		b.WriteString(p.Rule)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError refuses a ruleset and lists why.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("policy: ruleset refused, %d problem(s):\n  %s", len(e.Problems), strings.Join(parts, "\n  "))
}

// loader accumulates problems while compiling.
type loader struct {
	problems []Problem
}

func (l *loader) errf(file string, line int, rule, format string, args ...any) {
	l.problems = append(l.problems, Problem{Severity: SeverityError, File: file, Line: line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, rule, format string, args ...any) {
	l.problems = append(l.problems, Problem{Severity: SeverityWarning, File: file, Line: line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}
