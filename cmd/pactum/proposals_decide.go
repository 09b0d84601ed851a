// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newProposalsDecideCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decide ID (--accept | --reject) --reason TEXT [--override --justification TEXT]",
		Short: "Accept or reject a proposal in review when its review allows (access managers)",
		Long: `Accept or reject a proposal in review. Accepting grants the requested amounts
unless --grant cuts them (never above the request); grants never exceed a
system's capacity for the call. Acceptance creates allocations for the sites
to provision, with the screening's and the ethics review's conditions.

A proposal is decided only when its review plan allows: a fast-lane referral
once the reviews screening asked for (technical assessment, ethics review)
are in. Peer-reviewed modes (large scale, regular, ...) are never decided
here: an allocation run decides them after the panel. The refusal says what
is still missing.

In a real emergency, --override with --justification decides nothing at
once: it asks a second access manager to confirm the decision
("pactum proposals confirm-override ID"). The override, its justification and
its confirmation are shown on the proposal and kept in the audit log.`,
		Example: `  pactum proposals decide ID --accept --reason "Ethics review passed" --grant leonardo-booster=15000
  pactum proposals decide ID --reject --reason "Insufficient scalability evidence"
  pactum proposals decide ID --accept --reason "Emergency grant" --override \
      --justification "Site outage: the model must be retrained before the review can finish"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := decisionFromFlags(cmd)
			if err != nil {
				return err
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.DecideProposalResponse, error) {
				return c.DecideProposalWithResponse(ctx, args[0], in)
			}, func(resp *client.DecideProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().Bool("accept", false, "accept")
	cmd.Flags().Bool("reject", false, "reject")
	cmd.Flags().String("reason", "", "the reason, shown to the applicant (required)")
	cmd.Flags().StringSlice("grant", nil, "SYSTEM=AMOUNT to grant less than requested (repeat)")
	cmd.Flags().Bool("override", false, "ask a second access manager to confirm this decision before the review allows it (needs --justification)")
	cmd.Flags().String("justification", "", fmt.Sprintf("why the review cannot be waited for (with --override, at least %d characters)", pactum.MinJustification))
	_ = cmd.MarkFlagRequired("reason")
	jsonFlag(cmd)
	return cmd
}

// decisionFromFlags builds a decision from decide's flags.
func decisionFromFlags(cmd *cobra.Command) (client.DecisionInput, error) {
	accept, _ := cmd.Flags().GetBool("accept")
	reject, _ := cmd.Flags().GetBool("reject")
	if accept == reject {
		return client.DecisionInput{}, pactum.Errorf(pactum.EINVALID, "Give exactly one of --accept and --reject.")
	}
	in := client.DecisionInput{Accept: accept}
	in.Reason, _ = cmd.Flags().GetString("reason")
	grants, _ := cmd.Flags().GetStringSlice("grant")
	if len(grants) > 0 && !accept {
		return in, pactum.Errorf(pactum.EINVALID, "--grant only goes with --accept.")
	}
	for _, g := range grants {
		sys, amt, found := strings.Cut(g, "=")
		x, err := strconv.ParseFloat(amt, 64)
		if !found || err != nil {
			return in, pactum.Errorf(pactum.EINVALID, "--grant %q: use SYSTEM=AMOUNT, e.g. leonardo-booster=15000", g)
		}
		gs := append(deref(in.Grants), client.Grant{SystemId: sys, Amount: x})
		in.Grants = &gs
	}
	override, _ := cmd.Flags().GetBool("override")
	justification, _ := cmd.Flags().GetString("justification")
	switch {
	case override && strings.TrimSpace(justification) == "":
		return in, pactum.Errorf(pactum.EINVALID, "--override needs --justification: say why the review cannot be waited for.")
	case !override && justification != "":
		return in, pactum.Errorf(pactum.EINVALID, "--justification only goes with --override.")
	case override:
		in.Override = &client.OverrideInput{Justification: justification}
	}
	return in, nil
}

func newProposalsConfirmOverrideCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "confirm-override ID",
		Short: "Confirm a proposal's pending override and apply its decision (a second access manager)",
		Long: `Confirm the override another access manager requested with
"pactum proposals decide ID --override --justification TEXT": the decision it
asks for is applied at once, decided by you. Read it first with
"pactum proposals show ID". The access manager who requested the override
cannot confirm it.`,
		Example: `  pactum proposals show ID
  pactum proposals confirm-override ID --json`,
		Args: cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).ConfirmOverrideWithResponse), func(resp *client.ConfirmOverrideResponse) error {
		return printProposal(e, resp.JSON200)
	})
}

// overrideLines are the lines "proposals show" prints about a proposal's
// override, if it has one.
func overrideLines(p *client.Proposal) [][2]string {
	o := p.Override
	if o == nil {
		return nil
	}
	verdict := "reject"
	if o.Decision.Accept {
		verdict = "accept"
	}
	var gs []string
	for _, g := range deref(o.Decision.Grants) {
		gs = append(gs, g.SystemId+"="+fmtNum(g.Amount))
	}
	if len(gs) > 0 {
		verdict += " " + joinComma(gs)
	}
	status := "PENDING: a second access manager confirms with: pactum proposals confirm-override " + p.Id
	if o.ConfirmedBy != nil {
		status = "confirmed by " + *o.ConfirmedBy + " at " + fmtTimePtr(o.ConfirmedAt)
	}
	return [][2]string{
		{"OVERRIDE", "requested by " + o.RequestedBy + " at " + fmtTime(o.RequestedAt)},
		{"  justification", o.Justification},
		{"  asks", verdict + ": " + o.Decision.Reason},
		{"  review skipped", o.Missing},
		{"  status", status},
	}
}
