// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// inputLoader returns the stored proposals to re-screen, each with its
// organization, call and the systems catalogue.
type inputLoader func(cmd *cobra.Command) ([]*pactum.ScreeningInput, error)

// newRulesCmd is `pactum rules`: lint, list and diff screening rulesets.
// loadInputs supplies the stored proposals for `rules diff`; nil means only
// --inputs files can be diffed.
func newRulesCmd(loadInputs inputLoader) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check, list and compare screening rulesets",
	}
	cmd.AddCommand(newRulesLintCmd(), newRulesListCmd(), newRulesDiffCmd(loadInputs))
	return cmd
}

func newRulesLintCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lint DIR",
		Short: "Compile a ruleset directory and report every problem",
		Long: `Load the ruleset in DIR as the server would and report every problem: rules that
do not compile, name unknown facts, lack a legal basis or have a bad effect
or dates (errors, which refuse the ruleset), and rules that can never or
always fire, unused parameters and duplicated conditions (warnings). Exits
with status 1 when there is any problem.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if st, err := os.Stat(args[0]); err != nil {
				return err
			} else if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", args[0])
			}
			problems := policy.Lint(os.DirFS(args[0]))
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				if problems == nil {
					problems = []policy.Problem{}
				}
				if err := rulesWriteJSON(cmd, problems); err != nil {
					return err
				}
			} else if err := policy.WriteProblems(cmd.OutOrStdout(), problems); err != nil {
				return err
			}
			if len(problems) > 0 {
				return &exitError{code: exitCheck, err: fmt.Errorf("%s: %d problem(s)", args[0], len(problems))}
			}
			return nil
		},
	}
	cmd.Flags().Bool("json", false, "print the problems as JSON")
	return cmd
}

func newRulesListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list [DIR]",
		Short: "List the rules of a ruleset (default: the built-in one)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			rs, err := loadRulesetArg(dir)
			if err != nil {
				return err
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				return rulesWriteJSON(cmd, map[string]any{"version": rs.Version(), "hash": rs.Hash(), "rules": rs.Rules(),
					"params": rs.Params(), "facts": policy.Facts()})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Ruleset %s (%s), %d rules\n\n", rs.Version(), rs.Hash(), len(rs.Rules()))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tEFFECT\tFROM\tTO\tBASIS")
			for _, r := range rs.Rules() {
				eff := string(r.Effect)
				if r.Referral != "" {
					eff += " (" + r.Referral + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, eff, rulesDate(r.ValidFrom), rulesDate(r.ValidTo), r.Basis)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().Bool("json", false, "print the rules, parameters and facts as JSON")
	return cmd
}

func newRulesDiffCmd(loadInputs inputLoader) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show which stored proposals a new ruleset would screen differently",
		Long: `Screen the stored proposals under the ruleset directories OLD and NEW ("default"
for the built-in ruleset) and list those whose outcome or findings change,
with the findings added and removed. Access managers run this before they
change the rules. --inputs FILE screens the proposals of a file instead (a
JSON array of objects in the format of "pactum screen"). Each proposal is
screened at --at (default now), so that only the rules differ.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldRS, err := loadRulesetArg(args[0])
			if err != nil {
				return fmt.Errorf("OLD: %w", err)
			}
			newRS, err := loadRulesetArg(args[1])
			if err != nil {
				return fmt.Errorf("NEW: %w", err)
			}
			at := time.Now().UTC()
			if s, _ := cmd.Flags().GetString("at"); s != "" {
				if at, err = policy.ParseAt(s); err != nil {
					return err
				}
			}
			var inputs []*pactum.ScreeningInput
			if p, _ := cmd.Flags().GetString("inputs"); p != "" {
				inputs, err = readDiffInputs(p, at)
			} else if loadInputs != nil {
				inputs, err = loadInputs(cmd)
			} else {
				err = pactum.Errorf(pactum.EINVALID, "No stored proposals are available here: name a file with --inputs.")
			}
			if err != nil {
				return err
			}
			for _, in := range inputs {
				in.At = at
			}
			rows, err := policy.Diff(cmd.Context(), oldRS, newRS, inputs)
			if err != nil {
				return err
			}
			if onlyOutcome, _ := cmd.Flags().GetBool("outcome-only"); onlyOutcome {
				kept := rows[:0]
				for _, r := range rows {
					if r.OutcomeChanged || r.Error != "" {
						kept = append(kept, r)
					}
				}
				rows = kept
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				if rows == nil {
					rows = []policy.DiffRow{}
				}
				return rulesWriteJSON(cmd, map[string]any{
					"old": map[string]string{"version": oldRS.Version(), "hash": oldRS.Hash()},
					"new": map[string]string{"version": newRS.Version(), "hash": newRS.Hash()},
					"at":  at, "screened": len(inputs), "rows": rows,
				})
			}
			return policy.WriteDiff(cmd.OutOrStdout(), oldRS, newRS, rows, len(inputs))
		},
	}
	cmd.Flags().String("inputs", "", "JSON file with an array of screening files, instead of the stored proposals")
	storeFlags(cmd)
	cmd.Flags().String("at", "", "decision date for both rulesets, YYYY-MM-DD or RFC 3339 (default now)")
	cmd.Flags().Bool("outcome-only", false, "list only proposals whose outcome changes")
	cmd.Flags().Bool("json", false, "print the rows as JSON")
	return cmd
}

// readInputsFile reads a JSON array of screening files and completes each
// from the built-in catalogues.
func readDiffInputs(path string, at time.Time) ([]*pactum.ScreeningInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "%s: not a JSON array: %v.", path, err)
	}
	modes, systems, err := catalogues()
	if err != nil {
		return nil, err
	}
	out := make([]*pactum.ScreeningInput, 0, len(raws))
	for i, raw := range raws {
		f, err := policy.ReadScreeningFile(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		in, err := f.Input(nil, modes, systems, at)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		out = append(out, in)
	}
	return out, nil
}

func rulesWriteJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func rulesDate(d pactum.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}
