// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/policy"
)

// newScreenCmd is `pactum screen FILE`: screen a proposal offline, without
// a server, and print the decision.
func newScreenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "screen FILE",
		Short: "Screen a proposal file against the rules, offline",
		Long: `Screen a proposal against the screening ruleset without a server and print
the decision: approve, refer or deny, with every finding, its legal basis and
its message, and the training-compute estimates.

Exits with status 7 when the decision is deny, so that scripts stop on it;
0 for approve and refer.

FILE holds JSON or YAML in the API's schema, either
  {"proposal": {...}, "organization": {...}, "call": {...}, "systems": [...], "at": "2026-09-01"}
where only "proposal" is required, or a bare proposal object. The
organization comes from the file or --org FILE; the call from the file,
--call FILE, or else a call offering every access mode with the catalogue's
default caps; the systems from the file or the built-in catalogue. "-" reads
standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := rulesetFromFlag(cmd)
			if err != nil {
				return err
			}
			in, err := screeningInputFromFlags(cmd, args[0])
			if err != nil {
				return err
			}
			d, err := policy.NewScreener(rs).Screen(cmd.Context(), in)
			if err != nil {
				return err
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				err = enc.Encode(d)
			} else {
				err = policy.WriteDecision(cmd.OutOrStdout(), d)
			}
			if err != nil {
				return err
			}
			return denied(d)
		},
	}
	cmd.Flags().String("rules", "", "ruleset directory (default: the ruleset built into pactum)")
	cmd.Flags().String("at", "", "decision date, YYYY-MM-DD or RFC 3339 (default: the file's \"at\", else now)")
	cmd.Flags().String("org", "", "JSON file with the organization, when FILE has none")
	cmd.Flags().String("call", "", "JSON file with the call, when FILE has none")
	cmd.Flags().Bool("json", false, "print the decision as JSON (outcome, findings, estimates, ruleset)")
	return cmd
}

// rulesetFromFlag loads --rules DIR, or the embedded ruleset.
func rulesetFromFlag(cmd *cobra.Command) (*policy.Ruleset, error) {
	dir, _ := cmd.Flags().GetString("rules")
	return loadRulesetArg(dir)
}

// loadRuleset loads a ruleset directory; "" and "default" mean the one
// built into pactum.
func loadRulesetArg(dir string) (*policy.Ruleset, error) {
	if dir == "" || dir == "default" {
		return policy.Default()
	}
	return policy.LoadDir(dir)
}

// screeningInputFromFlags reads FILE and completes it from --org, --call,
// --at and the built-in catalogues.
func screeningInputFromFlags(cmd *cobra.Command, path string) (*pactum.ScreeningInput, error) {
	f, err := screenReadFile(cmd, path)
	if err != nil {
		return nil, err
	}
	var org *pactum.Organization
	if p, _ := cmd.Flags().GetString("org"); p != "" {
		org = &pactum.Organization{}
		if err := screenDecodeJSON(p, org); err != nil {
			return nil, err
		}
	}
	if p, _ := cmd.Flags().GetString("call"); p != "" && f.Call == nil {
		f.Call = &pactum.Call{}
		if err := screenDecodeJSON(p, f.Call); err != nil {
			return nil, err
		}
	}
	at := time.Now().UTC()
	if s, _ := cmd.Flags().GetString("at"); s != "" {
		if at, err = policy.ParseAt(s); err != nil {
			return nil, err
		}
		f.At = "" // the flag wins over the file
	}
	modes, systems, err := catalogues()
	if err != nil {
		return nil, err
	}
	in, err := f.Input(org, modes, systems, at)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
}

// catalogues returns the access modes' default terms and the systems
// built into pactum, which complete what a screening file leaves out.
func catalogues() ([]pactum.CallMode, []*pactum.System, error) {
	modes, err := catalog.Modes()
	if err != nil {
		return nil, nil, err
	}
	systems, err := catalog.Systems()
	if err != nil {
		return nil, nil, err
	}
	return modes, systems, nil
}

func screenReadFile(cmd *cobra.Command, path string) (*policy.ScreeningFile, error) {
	if path == "-" {
		return policy.ReadScreeningFile(cmd.InOrStdin())
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := policy.ReadScreeningFile(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func screenDecodeJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return pactum.Errorf(pactum.EINVALID, "%s is not valid JSON for this object: %v.", path, err)
	}
	return nil
}
