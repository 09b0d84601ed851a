// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
)

// DiffRow is one proposal whose screening differs between two rulesets.
type DiffRow struct {
	ProposalID string         `json:"proposal_id"`
	Title      string         `json:"title,omitempty"`
	OldOutcome pactum.Outcome `json:"old_outcome,omitempty"`
	NewOutcome pactum.Outcome `json:"new_outcome,omitempty"`
	// OutcomeChanged: the proposal would be routed differently.
	OutcomeChanged bool `json:"outcome_changed"`
	// Added and Removed are the findings (by rule id and effect) that only
	// the new, or only the old, ruleset produces.
	Added   []pactum.Finding `json:"added,omitempty"`
	Removed []pactum.Finding `json:"removed,omitempty"`
	// Error is set when either ruleset could not screen the proposal.
	Error string `json:"error,omitempty"`
}

// Diff screens every input under old and new and returns a row for each
// proposal whose outcome or findings differ, in input order; proposals
// screened identically are left out. Each input is screened at its own At.
// An input that either ruleset cannot screen gets a row with Error set, so
// that one bad record does not hide the rest. Only ctx cancellation is
// returned as an error. For `pactum rules diff OLD NEW`: access managers
// see what a rule change would do before making it.
func Diff(ctx context.Context, old, new *Ruleset, inputs []*pactum.ScreeningInput) ([]DiffRow, error) {
	so, sn := NewScreener(old), NewScreener(new)
	var rows []DiffRow
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row := DiffRow{}
		if in != nil && in.Proposal != nil {
			row.ProposalID, row.Title = in.Proposal.ID, in.Proposal.Title
		}
		do, errO := so.Screen(ctx, in)
		dn, errN := sn.Screen(ctx, in)
		if errO != nil || errN != nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			switch {
			case errO != nil && errN != nil:
				row.Error = fmt.Sprintf("old ruleset: %v; new ruleset: %v", errO, errN)
			case errO != nil:
				row.Error = fmt.Sprintf("old ruleset: %v", errO)
			default:
				row.Error = fmt.Sprintf("new ruleset: %v", errN)
			}
			if do != nil {
				row.OldOutcome = do.Outcome
			}
			if dn != nil {
				row.NewOutcome = dn.Outcome
			}
			rows = append(rows, row)
			continue
		}
		row.OldOutcome, row.NewOutcome = do.Outcome, dn.Outcome
		row.OutcomeChanged = do.Outcome != dn.Outcome
		row.Added = findingsMinus(dn.Findings, do.Findings)
		row.Removed = findingsMinus(do.Findings, dn.Findings)
		if row.OutcomeChanged || len(row.Added) > 0 || len(row.Removed) > 0 {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// findingsMinus returns the findings of a whose rule id and effect are not
// in b. Messages are not compared: rewording a rule is not a change of
// decision.
func findingsMinus(a, b []pactum.Finding) []pactum.Finding {
	in := make(map[string]bool, len(b))
	for _, f := range b {
		in[f.RuleID+"\x00"+string(f.Effect)] = true
	}
	var out []pactum.Finding
	for _, f := range a {
		if !in[f.RuleID+"\x00"+string(f.Effect)] {
			out = append(out, f)
		}
	}
	return out
}
