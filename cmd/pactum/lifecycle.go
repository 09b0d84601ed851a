// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// --- calls ---

func newCallsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "calls", Short: "Open and list calls"}
	create := &cobra.Command{
		Use:   "create",
		Short: "Open a call (access managers)",
		Long: `Open a call offering access modes on systems. Each mode's caps and
time-to-decision target default to the catalogue's terms for that mode.`,
		Example: `  pactum calls create --title "AI Factories 2027-Q1" --cutoff 2027-03-31 \
    --mode fast_lane --mode large_scale --system leonardo-booster --system lumi-g`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			in := client.CallInput{}
			in.Title, _ = cmd.Flags().GetString("title")
			if d, _ := cmd.Flags().GetString("description"); d != "" {
				in.Description = &d
			}
			opens, _ := cmd.Flags().GetString("opens")
			if opens == "" {
				in.OpensAt = time.Now().UTC()
			} else if in.OpensAt, err = parseTime(opens); err != nil {
				return pactum.Errorf(pactum.EINVALID, "--opens %q: %v", opens, err)
			}
			cutoff, _ := cmd.Flags().GetString("cutoff")
			if in.CutoffAt, err = parseTime(cutoff); err != nil {
				return pactum.Errorf(pactum.EINVALID, "--cutoff %q: %v", cutoff, err)
			}
			modes, _ := cmd.Flags().GetStringSlice("mode")
			for _, m := range modes {
				in.Modes = append(in.Modes, client.CallModeInput{Mode: client.AccessMode(m)})
			}
			in.SystemIds, _ = cmd.Flags().GetStringSlice("system")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateCallResponse, error) {
				return c.CreateCallWithResponse(ctx, in)
			}, func(resp *client.CreateCallResponse) error {
				return printCall(e, resp.JSON201)
			})
		},
	}
	create.Flags().String("title", "", "title (required)")
	create.Flags().String("description", "", "description")
	create.Flags().String("opens", "", "opening, YYYY-MM-DD or RFC 3339 (default: now)")
	create.Flags().String("cutoff", "", "cut-off, YYYY-MM-DD or RFC 3339 (required)")
	create.Flags().StringSlice("mode", []string{"fast_lane"}, "access mode offered (repeat or comma-separate)")
	create.Flags().StringSlice("system", nil, "system offered, e.g. leonardo-booster (repeat; required)")
	for _, f := range []string{"title", "cutoff", "system"} {
		_ = create.MarkFlagRequired(f)
	}
	jsonFlag(create)

	list := &cobra.Command{
		Use: "list", Short: "List calls, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListCallsParams{Limit: l, Offset: o}
			if open, _ := cmd.Flags().GetBool("open"); open {
				p.Open = &open
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListCallsResponse, error) {
				return c.ListCallsWithResponse(ctx, p)
			}, func(resp *client.ListCallsResponse) error {
				var rows [][]string
				for _, c := range resp.JSON200.Items {
					var modes []string
					for _, m := range c.Modes {
						modes = append(modes, string(m.Mode))
					}
					rows = append(rows, []string{c.Id, c.Title, fmtTime(c.OpensAt), fmtTime(c.CutoffAt), strings.Join(modes, ","), strings.Join(c.SystemIds, ",")})
				}
				if err := table(e.stdout, []string{"ID", "TITLE", "OPENS", "CUT-OFF", "MODES", "SYSTEMS"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().Bool("open", false, "only calls open now")
	pageFlags(list)
	jsonFlag(list)

	show := &cobra.Command{
		Use: "show ID", Short: "Show a call and its modes' terms", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetCallResponse, error) {
				return c.GetCallWithResponse(ctx, args[0])
			}, func(resp *client.GetCallResponse) error {
				return printCall(e, resp.JSON200)
			})
		},
	}
	jsonFlag(show)
	cmd.AddCommand(create, list, show)
	return cmd
}

func printCall(e *env, c *client.Call) error {
	if err := keyValues(e.stdout, [][2]string{{"id", c.Id}, {"title", c.Title}, {"opens", fmtTime(c.OpensAt)},
		{"cut-off", fmtTime(c.CutoffAt)}, {"systems", strings.Join(c.SystemIds, ", ")}}); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, m := range c.Modes {
		maxH := "no cap"
		if m.MaxGpuHours > 0 {
			maxH = fmtNum(m.MaxGpuHours)
		}
		rows = append(rows, []string{string(m.Mode), fmtNum(m.MinGpuHours), maxH, strconv.Itoa(m.MaxDurationMonths),
			strconv.Itoa(m.DecisionWorkingDays), yesNo(m.AutoApprove), yesNo(m.RequiresSme), yesNo(m.RequiresAiPact)})
	}
	return table(e.stdout, []string{"MODE", "MIN GPU-H", "MAX GPU-H", "MAX MONTHS", "DECISION (WORKING DAYS)", "AUTO", "SME ONLY", "AI PACT"}, rows)
}

// --- proposals ---

func newProposalsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "proposals", Short: "Write, submit, decide and list proposals"}

	create := &cobra.Command{
		Use:   "create --file FILE",
		Short: "Write a draft from a JSON file (applicants); --submit to submit at once",
		Long: `Write a proposal from a JSON file in the API's ProposalInput schema (see
/api/v1/openapi.json). With --submit it is created and submitted in one step:
screened at once and routed (approved in the fast lane, to review, or refused).`,
		Example: `  pactum proposals create --file proposal.json
  pactum proposals create --file proposal.json --submit --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("file")
			body, err := readJSONFile(e, path)
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
	create.Flags().String("file", "", "proposal JSON file, - for standard input (required)")
	create.Flags().Bool("submit", false, "submit at once")
	create.Flags().String("idempotency-key", "", "a unique key (e.g. a UUID) that makes re-running this command safe: the same key never creates a second proposal")
	_ = create.MarkFlagRequired("file")
	jsonFlag(create)

	update := &cobra.Command{
		Use: "update ID --file FILE", Short: "Replace a draft's content from a JSON file", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("file")
			body, err := readJSONFile(e, path)
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
	update.Flags().String("file", "", "proposal JSON file, - for standard input (required)")
	_ = update.MarkFlagRequired("file")
	jsonFlag(update)

	list := &cobra.Command{
		Use: "list", Short: "List proposals you may see, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListProposalsParams{CallId: optString(cmd, "call"), OrganizationId: optString(cmd, "org"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				st := client.ProposalState(*s)
				p.State = &st
			}
			if m := optString(cmd, "mode"); m != nil {
				md := client.AccessMode(*m)
				p.Mode = &md
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListProposalsResponse, error) {
				return c.ListProposalsWithResponse(ctx, p)
			}, func(resp *client.ListProposalsResponse) error {
				var rows [][]string
				for _, p := range resp.JSON200.Items {
					outcome := "-"
					if p.Screening != nil {
						outcome = string(p.Screening.Outcome)
					}
					rows = append(rows, []string{p.Id, truncate(p.Title, 40), string(p.Mode), string(p.State), outcome, requested(p.Requests)})
				}
				if err := table(e.stdout, []string{"ID", "TITLE", "MODE", "STATE", "SCREENING", "REQUESTED"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().String("call", "", "only this call")
	list.Flags().String("org", "", "only this organization")
	list.Flags().String("state", "", "only this state (draft, in_review, approved, …)")
	list.Flags().String("mode", "", "only this access mode")
	pageFlags(list)
	jsonFlag(list)

	show := &cobra.Command{
		Use: "show ID", Short: "Show a proposal with its screening findings and decision", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetProposalResponse, error) {
				return c.GetProposalWithResponse(ctx, args[0])
			}, func(resp *client.GetProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	jsonFlag(show)

	submit := &cobra.Command{
		Use: "submit ID", Short: "Submit a draft: it is screened at once and routed", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.SubmitProposalResponse, error) {
				return c.SubmitProposalWithResponse(ctx, args[0])
			}, func(resp *client.SubmitProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	jsonFlag(submit)

	decide := &cobra.Command{
		Use:   "decide ID (--accept | --reject) --reason TEXT",
		Short: "Accept or reject a proposal in review (access managers)",
		Long: `Accept or reject a proposal in review. Accepting grants the requested amounts
unless --grant cuts them (never above the request); grants never exceed a
system's capacity for the call. Acceptance creates allocations for the sites
to provision.`,
		Example: `  pactum proposals decide ID --accept --reason "Ethics review passed" --grant leonardo-booster=15000
  pactum proposals decide ID --reject --reason "Insufficient scalability evidence"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			accept, _ := cmd.Flags().GetBool("accept")
			reject, _ := cmd.Flags().GetBool("reject")
			if accept == reject {
				return pactum.Errorf(pactum.EINVALID, "Give exactly one of --accept and --reject.")
			}
			in := client.DecisionInput{Accept: accept}
			in.Reason, _ = cmd.Flags().GetString("reason")
			grants, _ := cmd.Flags().GetStringSlice("grant")
			if len(grants) > 0 && !accept {
				return pactum.Errorf(pactum.EINVALID, "--grant only goes with --accept.")
			}
			for _, g := range grants {
				sys, amt, found := strings.Cut(g, "=")
				x, err := strconv.ParseFloat(amt, 64)
				if !found || err != nil {
					return pactum.Errorf(pactum.EINVALID, "--grant %q: use SYSTEM=AMOUNT, e.g. leonardo-booster=15000", g)
				}
				gs := append(derefGrants(in.Grants), client.Grant{SystemId: sys, Amount: x})
				in.Grants = &gs
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.DecideProposalResponse, error) {
				return c.DecideProposalWithResponse(ctx, args[0], in)
			}, func(resp *client.DecideProposalResponse) error {
				return printProposal(e, resp.JSON200)
			})
		},
	}
	decide.Flags().Bool("accept", false, "accept")
	decide.Flags().Bool("reject", false, "reject")
	decide.Flags().String("reason", "", "the reason, shown to the applicant (required)")
	decide.Flags().StringSlice("grant", nil, "SYSTEM=AMOUNT to grant less than requested (repeat)")
	_ = decide.MarkFlagRequired("reason")
	jsonFlag(decide)

	withdraw := &cobra.Command{
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
	withdraw.Flags().String("reason", "", "why (optional)")
	jsonFlag(withdraw)

	cmd.AddCommand(create, update, list, show, submit, decide, withdraw)
	return cmd
}

func derefGrants(g *[]client.Grant) []client.Grant {
	if g == nil {
		return nil
	}
	return *g
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
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
		for _, g := range derefGrants(d.Grants) {
			gs = append(gs, g.SystemId+"="+fmtNum(g.Amount))
		}
		kv = append(kv, [2]string{"decision", verdict + ": " + d.Reason}, [2]string{"granted", joinComma(gs)})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	if p.Screening != nil && len(p.Screening.Findings) > 0 {
		fmt.Fprintln(e.stdout, "\nFindings:")
		var rows [][]string
		for _, f := range p.Screening.Findings {
			rows = append(rows, []string{string(f.Effect), f.RuleId, f.Basis, f.Message})
		}
		return table(e.stdout, []string{"EFFECT", "RULE", "BASIS", "MESSAGE"}, rows)
	}
	return nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// --- allocations ---

func newAllocationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "allocations", Aliases: []string{"allocs"}, Short: "List allocations and change their state"}
	list := &cobra.Command{
		Use: "list", Short: "List allocations you may see", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListAllocationsParams{ProposalId: optString(cmd, "proposal"), OrganizationId: optString(cmd, "org"),
				SystemId: optString(cmd, "system"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				st := client.AllocationState(*s)
				p.State = &st
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListAllocationsResponse, error) {
				return c.ListAllocationsWithResponse(ctx, p)
			}, func(resp *client.ListAllocationsResponse) error {
				var rows [][]string
				for _, a := range resp.JSON200.Items {
					n := 0
					if a.Conditions != nil {
						n = len(*a.Conditions)
					}
					rows = append(rows, []string{a.Id, a.SystemId, fmtNum(a.Amount) + " " + unitShort(string(a.Unit)), string(a.State),
						fmtTime(a.StartsAt)[:10], fmtTime(a.EndsAt)[:10], strconv.Itoa(n), a.ProposalId})
				}
				if err := table(e.stdout, []string{"ID", "SYSTEM", "GRANTED", "STATE", "STARTS", "ENDS", "CONDITIONS", "PROPOSAL"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().String("proposal", "", "only this proposal's")
	list.Flags().String("org", "", "only this organization's")
	list.Flags().String("system", "", "only on this system")
	list.Flags().String("state", "", "only this state (pending_provisioning, active, …)")
	pageFlags(list)
	jsonFlag(list)

	show := &cobra.Command{
		Use: "show ID", Short: "Show an allocation and its conditions", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetAllocationResponse, error) {
				return c.GetAllocationWithResponse(ctx, args[0])
			}, func(resp *client.GetAllocationResponse) error {
				return printAllocation(e, resp.JSON200)
			})
		},
	}
	jsonFlag(show)
	cmd.AddCommand(list, show, newUsageCmd(e), newRecordsCmd(e), newConditionsCmd(e), newAdmissionCmd(e))

	for _, t := range []struct{ verb, state, short string }{
		{"activate", "active", "Mark provisioned and active (the system's site operator)"},
		{"suspend", "suspended", "Suspend: no new jobs (site operator or access manager)"},
		{"resume", "active", "Resume a suspended allocation"},
		{"expire", "expired", "Expire an allocation"},
	} {
		c := &cobra.Command{
			Use: t.verb + " ID", Short: t.short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				in := client.TransitionInput{State: client.AllocationState(t.state)}
				if r, _ := cmd.Flags().GetString("reason"); r != "" {
					in.Reason = &r
				}
				return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.TransitionAllocationResponse, error) {
					return c.TransitionAllocationWithResponse(ctx, args[0], in)
				}, func(resp *client.TransitionAllocationResponse) error {
					return printAllocation(e, resp.JSON200)
				})
			},
		}
		c.Flags().String("reason", "", "why (recorded in the audit log)")
		jsonFlag(c)
		cmd.AddCommand(c)
	}
	return cmd
}

func printAllocation(e *env, a *client.Allocation) error {
	if err := keyValues(e.stdout, [][2]string{{"id", a.Id}, {"proposal", a.ProposalId}, {"organization", a.OrganizationId},
		{"system", a.SystemId}, {"granted", fmtNum(a.Amount) + " " + unitShort(string(a.Unit))}, {"state", string(a.State)},
		{"starts", fmtTime(a.StartsAt)}, {"ends", fmtTime(a.EndsAt)}}); err != nil {
		return err
	}
	if a.Conditions != nil && len(*a.Conditions) > 0 {
		fmt.Fprintln(e.stdout, "\nConditions:")
		var rows [][]string
		for _, f := range *a.Conditions {
			rows = append(rows, []string{f.RuleId, f.Basis, f.Message})
		}
		return table(e.stdout, []string{"RULE", "BASIS", "OBLIGATION"}, rows)
	}
	return nil
}
