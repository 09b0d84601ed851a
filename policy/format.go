// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pactum/pactum"
)

// WriteDecision prints a decision for people: the outcome, the ruleset, the
// compute estimates, then one block per finding, strongest effect first.
func WriteDecision(w io.Writer, d *pactum.ScreeningDecision) error {
	ew := &errWriter{w: w}
	ew.printf("Outcome:  %s\n", strings.ToUpper(string(d.Outcome)))
	ew.printf("Ruleset:  %s (%s)\n", d.RulesetVersion, d.RulesetHash)
	ew.printf("Date:     %s\n", pactum.DateOf(d.ScreenedAt))
	if len(d.Estimates) > 0 {
		ew.printf("\nTraining-compute estimates:\n")
		for _, e := range d.Estimates {
			ew.printf("  %-9s %s FLOP  (%s)\n", e.Method, fmtFLOP(e.FLOP), e.Assumptions)
		}
	}
	if len(d.Findings) == 0 {
		ew.printf("\nNo findings: no rule fired.\n")
		return ew.err
	}
	ew.printf("\nFindings (%d):\n", len(d.Findings))
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EFFECT\tRULE\tBASIS")
	for _, f := range d.Findings {
		eff := string(f.Effect)
		if f.Referral != "" {
			eff += " (" + f.Referral + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", eff, f.RuleID, f.Basis)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ew.printf("\n")
	for _, f := range d.Findings {
		ew.printf("  %s:\n      %s\n", f.RuleID, wrap(f.Message, 72, "      "))
	}
	return ew.err
}

// WriteProblems prints lint problems one a line, then a count.
func WriteProblems(w io.Writer, problems []Problem) error {
	ew := &errWriter{w: w}
	errs := 0
	for _, p := range problems {
		ew.printf("%s\n", p)
		if p.Severity == SeverityError {
			errs++
		}
	}
	if len(problems) == 0 {
		ew.printf("ok: no problems\n")
	} else {
		ew.printf("%d error(s), %d warning(s)\n", errs, len(problems)-errs)
	}
	return ew.err
}

// WriteDiff prints the proposals whose screening changes, outcome changes
// first marked with "!", then the findings added and removed.
func WriteDiff(w io.Writer, oldRS, newRS *Ruleset, rows []DiffRow, screened int) error {
	ew := &errWriter{w: w}
	ew.printf("Old ruleset: %s (%s)\nNew ruleset: %s (%s)\n", oldRS.Version(), oldRS.Hash(), newRS.Version(), newRS.Hash())
	changed := 0
	for _, r := range rows {
		if r.OutcomeChanged {
			changed++
		}
	}
	ew.printf("%d proposal(s) screened: %d change outcome, %d change findings only, %d could not be screened.\n",
		screened, changed, countRows(rows, func(r DiffRow) bool { return !r.OutcomeChanged && r.Error == "" }),
		countRows(rows, func(r DiffRow) bool { return r.Error != "" }))
	if len(rows) == 0 {
		return ew.err
	}
	ew.printf("\n")
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPROPOSAL\tOLD\tNEW\tADDED\tREMOVED")
	for _, r := range rows {
		mark := ""
		if r.OutcomeChanged {
			mark = "!"
		}
		if r.Error != "" {
			mark = "?"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, r.ProposalID, dash(string(r.OldOutcome)), dash(string(r.NewOutcome)),
			dash(findingIDs(r.Added)), dash(findingIDs(r.Removed)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Error != "" {
			ew.printf("? %s: %s\n", r.ProposalID, r.Error)
		}
	}
	return ew.err
}

func countRows(rows []DiffRow, f func(DiffRow) bool) int {
	n := 0
	for _, r := range rows {
		if f(r) {
			n++
		}
	}
	return n
}

func findingIDs(fs []pactum.Finding) string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.RuleID
	}
	return strings.Join(ids, ",")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// wrap breaks s into lines of at most width runes, continuing with indent.
func wrap(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	n := 0
	for i, w := range words {
		if i > 0 {
			if n+1+len(w) > width {
				b.WriteString("\n" + indent)
				n = len(indent)
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// errWriter keeps the first write error so that printing code stays
// linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
