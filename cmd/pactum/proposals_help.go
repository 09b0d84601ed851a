// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/policy"
)

// newProposalsTemplateCmd is `pactum proposals template`: a complete,
// commented example proposal with the questionnaire to answer, offline.
func newProposalsTemplateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Write a complete, commented example proposal (YAML) with the questionnaire to answer",
		Long: `Write a complete example proposal in YAML, every field commented, with the
plain-language questionnaire of the screening ruleset (built in, or --rules
DIR) to answer: each question yes, no or unsure, none left empty. The request
fits the caps of the access mode (--mode, default fast_lane). Check the filled
file with 'pactum proposals check FILE' (on the server, storing nothing) or
'pactum screen FILE' (offline); proposal commands accept YAML or JSON.`,
		Example: `  pactum proposals template --mode fast_lane > proposal.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := rulesetFromFlag(cmd)
			if err != nil {
				return err
			}
			m, _ := cmd.Flags().GetString("mode")
			modes, systems, err := catalogues()
			if err != nil {
				return err
			}
			var mode *pactum.CallMode
			for i := range modes {
				if string(modes[i].Mode) == m {
					mode = &modes[i]
				}
			}
			if mode == nil || len(systems) == 0 {
				return pactum.Errorf(pactum.EINVALID, "No access mode %q in the catalogue.", m)
			}
			want, _ := cmd.Flags().GetString("system")
			var sys *pactum.System
			for _, s := range systems {
				if want == s.ID || want == "" && sys == nil && s.Unit == pactum.UnitGPUHours {
					sys = s
				}
			}
			if sys == nil {
				return pactum.Errorf(pactum.EINVALID, "No system %q in the catalogue: see pactum systems list.", want)
			}
			_, err = fmt.Fprint(e.stdout, policy.ProposalTemplate(rs, *mode, sys))
			return err
		},
	}
	cmd.Flags().String("mode", string(pactum.ModeFastLane), "access mode: playground, fast_lane, large_scale, …")
	cmd.Flags().String("system", "", "the system to request (default: the first GPU-hour system of the catalogue)")
	cmd.Flags().String("rules", "", "ruleset directory (default: the ruleset built into pactum)")
	return cmd
}

// newProposalsCheckCmd is `pactum proposals check FILE`: the server's dry
// run of screening.
func newProposalsCheckCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Screen a proposal file on the server as if submitted now, storing nothing",
		Long: `Send a proposal (YAML or JSON, "-" for standard input) to the server's dry run
of screening (POST /api/v1/proposals/screen) and print the decision it would
get today: the outcome and every finding with its legal basis. Nothing is
stored. Exits with status 7 when the proposal would be denied, 2 when it is
not valid as it is (every field at fault is named).`,
		Example: `  pactum proposals check proposal.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readProposalFile(e, args[0])
			if err != nil {
				return err
			}
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.ScreenProposalWithBodyWithResponse(cmd.Context(), "application/json", bytes.NewReader(body))
			if err != nil {
				return netErr(err)
			}
			raw := client.Body(resp)
			if err := ok(resp, raw); err != nil {
				return err
			}
			d := &pactum.ScreeningDecision{}
			if err := json.Unmarshal(raw, d); err != nil {
				return fmt.Errorf("the server's decision: %w", err)
			}
			if wantJSON(cmd) {
				err = printJSON(e.stdout, raw)
			} else {
				err = policy.WriteDecision(e.stdout, d)
			}
			if err != nil {
				return err
			}
			return denied(d)
		},
	}
	jsonFlag(cmd)
	return cmd
}

// denied is the exit for a decision: exitCheck for a deny, so that scripts
// and CI stop on it.
func denied(d *pactum.ScreeningDecision) error {
	if d.Outcome == pactum.OutcomeDeny {
		return &exitError{code: exitCheck, err: fmt.Errorf("the proposal would be denied")}
	}
	return nil
}

// readProposalFile reads a proposal file, YAML or JSON ("-" for standard
// input), as JSON for the API.
func readProposalFile(e *env, path string) ([]byte, error) {
	data, err := readFile(e, path)
	if err != nil {
		return nil, err
	}
	out, err := policy.ToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return bytes.TrimSpace(out), nil
}
