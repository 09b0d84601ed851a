// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newProposalsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "proposals", Short: "Write, submit, decide and list proposals"}
	cmd.AddCommand(newProposalsCreateCmd(e), newProposalsUpdateCmd(e), newProposalsListCmd(e), newProposalsShowCmd(e),
		newProposalsSubmitCmd(e), newProposalsDecideCmd(e), newProposalsConfirmOverrideCmd(e), newProposalsWithdrawCmd(e),
		newProposalsTemplateCmd(e), newProposalsCheckCmd(e), newProposalsOverdueCmd(e))
	return cmd
}

func newProposalsCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create --file FILE",
		Short: "Write a draft from a YAML or JSON file (applicants); --submit to submit at once",
		Long: `Write a proposal from a YAML or JSON file in the API's ProposalInput schema (see
/api/v1/schemas/proposal; 'pactum proposals template' writes a commented example). With --submit it is created and submitted in one step:
screened at once and routed (approved in the fast lane, to review, or refused).
A draft may be incomplete: what it gives must be well-formed, and what is missing
is named by 'pactum proposals check' and, field by field, when it is submitted.`,
		Example: `  pactum proposals create --file proposal.json
  pactum proposals create --file proposal.json --submit --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("file")
			body, err := readProposalFile(e, path)
			if err != nil {
				return err
			}
			submit, _ := cmd.Flags().GetBool("submit")
			params := &client.CreateProposalParams{Submit: &submit, IdempotencyKey: optString(cmd, "idempotency-key")}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateProposalResponse, error) {
				return c.CreateProposalWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(body))
			}, func(resp *client.CreateProposalResponse) error {
				return printProposal(e, resp.JSON201)
			})
		},
	}
	cmd.Flags().String("file", "", "proposal file, YAML or JSON (pactum proposals template), - for standard input (required)")
	cmd.Flags().Bool("submit", false, "submit at once")
	_ = cmd.MarkFlagRequired("file")
	jsonFlag(cmd)
	return cmd
}

func newProposalsUpdateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "update ID --file FILE", Short: "Replace a draft's content from a JSON file", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("file")
			body, err := readProposalFile(e, path)
			if err != nil {
				return err
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.UpdateProposalResponse, error) {
				return c.UpdateProposalWithBodyWithResponse(ctx, args[0], "application/json", bytes.NewReader(body))
			}, func(resp *client.UpdateProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("file", "", "proposal file, YAML or JSON (pactum proposals template), - for standard input (required)")
	_ = cmd.MarkFlagRequired("file")
	jsonFlag(cmd)
	return cmd
}

func newProposalsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List proposals you may see, newest first", Args: cobra.NoArgs}
	cmd.Flags().String("call", "", "only this call")
	cmd.Flags().String("org", "", "only this organization")
	cmd.Flags().String("state", "", "only this state (draft, in_review, approved, …)")
	cmd.Flags().String("mode", "", "only this access mode")
	cmd.Flags().String("screening", "", "only proposals whose screening gave this outcome (approve, refer, deny)")
	cmd.Flags().String("decision", "", "only proposals decided this way (accepted, rejected)")
	cmd.Flags().String("rule", "", "only proposals on which this screening rule fired (e.g. aiact.art5.emotion_workplace)")
	return listCmd(e, cmd, listing[*client.ListProposalsResponse, client.Proposal]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListProposalsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListProposalsParams{CallId: optString(cmd, "call"), OrganizationId: optString(cmd, "org"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				st := client.ProposalState(*s)
				p.State = &st
			}
			if m := optString(cmd, "mode"); m != nil {
				md := client.AccessMode(*m)
				p.Mode = &md
			}
			if o := optString(cmd, "screening"); o != nil {
				so := client.ScreeningOutcomeFilter(*o)
				p.Screening = &so
			}
			if o := optString(cmd, "decision"); o != nil {
				do := client.DecisionOutcomeFilter(*o)
				p.Decision = &do
			}
			p.Rule = optString(cmd, "rule")
			return c.ListProposalsWithResponse(ctx, p)
		},
		page: func(r *client.ListProposalsResponse) ([]client.Proposal, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.Proposal]{
			header: []string{"ID", "TITLE", "MODE", "STATE", "SCREENING", "REQUESTED"},
			row: func(p client.Proposal) []string {
				outcome := "-"
				if p.Screening != nil {
					outcome = string(p.Screening.Outcome)
				}
				return []string{p.Id, truncate(p.Title, 40), string(p.Mode), string(p.State), outcome, requested(p.Requests)}
			},
		},
		paged: true,
	})
}

func newProposalsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show a proposal with its screening findings and decision", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetProposalWithResponse), func(resp *client.GetProposalResponse) error {
		return printProposal(e, resp.JSON200)
	})
}

func newProposalsSubmitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "submit ID", Short: "Submit a draft: it is screened at once and routed", Args: cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).SubmitProposalWithResponse), func(resp *client.SubmitProposalResponse) error {
		return printProposal(e, resp.JSON200)
	})
}

func newProposalsWithdrawCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "withdraw ID", Short: "Withdraw an open proposal", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, _ := cmd.Flags().GetString("reason")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.WithdrawProposalResponse, error) {
				return c.WithdrawProposalWithResponse(ctx, args[0], client.WithdrawInput{Reason: &reason})
			}, func(resp *client.WithdrawProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("reason", "", "why (optional)")
	jsonFlag(cmd)
	return cmd
}

func requested(rs []client.ResourceRequest) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.SystemId+"="+fmtNum(r.Amount))
	}
	return joinComma(parts)
}

func printProposal(e *env, p *client.Proposal) error {
	kv := [][2]string{{"id", p.Id}, {"title", p.Title}, {"call", p.CallId}, {"organization", p.OrganizationId},
		{"mode", string(p.Mode)}, {"state", string(p.State)}, {"requested", requested(p.Requests)},
		{"duration", fmt.Sprintf("%d months", p.DurationMonths)}, {"submitted", fmtTimePtr(p.SubmittedAt)},
		{"decision due", fmtTimePtr(p.DecisionDueAt)}}
	if p.Screening != nil {
		kv = append(kv, [2]string{"screening", fmt.Sprintf("%s (ruleset %s, %s)", p.Screening.Outcome, p.Screening.RulesetVersion, shortHash(p.Screening.RulesetHash))})
	}
	if d := p.Decision; d != nil {
		verdict := "rejected"
		if d.Accept {
			verdict = "accepted"
		}
		if d.Automatic {
			verdict += " automatically"
		}
		var gs []string
		for _, g := range deref(d.Grants) {
			gs = append(gs, g.SystemId+"="+fmtNum(g.Amount))
		}
		kv = append(kv, [2]string{"decision", verdict + ": " + d.Reason}, [2]string{"granted", joinComma(gs)})
	}
	kv = append(kv, overrideLines(p)...)
	if t := p.TimeToTrain; t != nil {
		kv = append(kv, [2]string{"time to train", t.Message})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	if err := printTimeToTrain(e, p.TimeToTrain); err != nil {
		return err
	}
	if p.Screening != nil && len(p.Screening.Findings) > 0 {
		fmt.Fprintln(e.stdout, "\nFindings:")
		var rows [][]string
		for _, f := range p.Screening.Findings {
			rows = append(rows, []string{string(f.Effect), f.RuleId, f.Basis, f.Message})
		}
		return e.table([]string{"EFFECT", "RULE", "BASIS", "MESSAGE"}, rows)
	}
	return nil
}

// printTimeToTrain prints a proposal's training time per requested
// system: its GPUs (stated or default), the days at the fast and slow ends
// of its MFU band, the GPU-hours its part needs and the verdict on the
// hours requested there.
func printTimeToTrain(e *env, t *client.TrainingPlan) error {
	if t == nil || len(t.Systems) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout, "\nTime to train:")
	var rows [][]string
	for _, s := range t.Systems {
		gpus := fmtNum(float64(s.Time.Gpus))
		if s.GpusSource == client.Default {
			gpus += " (default)"
		}
		rows = append(rows, []string{s.SystemId, fmtNum(math.Round(s.Share*100)) + " %", gpus,
			fmtDays(s.Time.Fast.Days) + "–" + fmtDays(s.Time.Slow.Days),
			fmtNum(math.Round(s.Check.NeededGpuHoursFast)) + "–" + fmtNum(math.Round(s.Check.NeededGpuHoursSlow)),
			fmtNum(math.Round(s.Check.TrainingGpuHours)), strings.ToUpper(string(s.Check.Verdict))})
	}
	return e.table([]string{"SYSTEM", "SHARE", "GPUS", "DAYS (FAST–SLOW)", "GPU-H NEEDED", "GPU-H FOR TRAINING", "HOURS"}, rows)
}
