// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newObligationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "obligations",
		Short: "An award's obligations: reports, acknowledgement, ethics conditions, and their deadlines",
		Long: `Each allocation owes what its access mode's terms say (the embedded
catalog/obligations.json, or pactum serve --obligations FILE): a progress report
part-way through its period, a final report after it, an acknowledgement of the
machine in publications, a report on each ethics condition. The holder submits;
an access manager accepts or returns with a reason. The server reminds the
holder before each due date, marks an obligation not submitted by then overdue
and tells the access managers, and, where the mode's terms say so, declares a
breach of the allocation once it stays overdue (pactum allocations breach).`,
	}
	cmd.AddCommand(newObligationsListCmd(e), newObligationsShowCmd(e), newObligationsSubmitCmd(e),
		newObligationsReviewCmd(e, true), newObligationsReviewCmd(e, false), newObligationsSweepCmd(e))
	return cmd
}

func newObligationsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the obligations you may see, by due date", Args: cobra.NoArgs}
	cmd.Flags().String("allocation", "", "only this allocation's")
	cmd.Flags().String("org", "", "only this organization's")
	cmd.Flags().String("state", "", "only this state (open, submitted, returned, accepted)")
	cmd.Flags().Bool("overdue", false, "only those pending past their due date")
	return listCmd(e, cmd, listing[*client.ListObligationsResponse, client.Obligation]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListObligationsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListObligationsParams{AllocationId: optString(cmd, "allocation"), OrganizationId: optString(cmd, "org"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				st := client.ObligationState(*s)
				p.State = &st
			}
			if overdue, _ := cmd.Flags().GetBool("overdue"); overdue {
				p.Overdue = &overdue
			}
			return c.ListObligationsWithResponse(ctx, p)
		},
		page: func(r *client.ListObligationsResponse) ([]client.Obligation, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.Obligation]{
			header: []string{"ID", "KIND", "TITLE", "DUE", "STATE", "OVERDUE", "ALLOCATION"},
			row: func(o client.Obligation) []string {
				return []string{o.Id, string(o.Kind), o.Title, fmtTime(o.DueAt), string(o.State), yesNo(o.OverdueAt != nil), o.AllocationId}
			},
		},
		paged: true,
	})
}

func newObligationsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show an obligation and its submission", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetObligationWithResponse), func(resp *client.GetObligationResponse) error {
		return printObligation(e, resp.JSON200)
	})
}

func printObligation(e *env, o *client.Obligation) error {
	kv := [][2]string{{"id", o.Id}, {"allocation", o.AllocationId}, {"organization", o.OrganizationId}, {"kind", string(o.Kind)},
		{"title", o.Title}, {"due", fmtTime(o.DueAt)}, {"state", string(o.State)}}
	if o.Detail != nil {
		kv = append(kv, [2]string{"condition", *o.Detail})
	}
	if o.OverdueAt != nil {
		kv = append(kv, [2]string{"overdue since", fmtTime(*o.OverdueAt)})
	}
	if o.BreachAfterDays > 0 {
		kv = append(kv, [2]string{"breach after", strconv.Itoa(o.BreachAfterDays) + " days overdue"})
	}
	if o.SubmittedAt != nil {
		kv = append(kv, [2]string{"submitted", fmtTime(*o.SubmittedAt) + " by " + str(o.SubmittedBy)})
	}
	if o.OutcomeId != nil {
		kv = append(kv, [2]string{"outcome", *o.OutcomeId})
	}
	if o.ReviewedAt != nil {
		kv = append(kv, [2]string{"reviewed", fmtTime(*o.ReviewedAt) + " by " + str(o.ReviewedBy)})
	}
	if o.ReturnReason != nil {
		kv = append(kv, [2]string{"returned because", *o.ReturnReason})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	if o.Report != nil {
		fmt.Fprintf(e.stdout, "\n%s\n", *o.Report)
	}
	return nil
}

func newObligationsSubmitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit ID (--report TEXT | --report-file FILE)",
		Short: "Submit a report, or a publication's reference (applicants of the organization)",
		Long: `Submit an open or returned obligation: a report's text, or for an
acknowledgement the reference of the publication that acknowledges the machine.
A final report may name its recorded outcomes with --outcome. An access manager
then accepts or returns it. Exit status 5 while a submission awaits review or
after acceptance; the same submission again shows the obligation unchanged.`,
		Example: `  pactum obligations submit 0190f3c2-... --report-file final-report.md
  pactum obligations submit 0190f3c2-... --report "doi:10.1234/example.5678"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.SubmissionInput{}
			in.Report, _ = cmd.Flags().GetString("report")
			if path, _ := cmd.Flags().GetString("report-file"); path != "" {
				if in.Report != "" {
					return pactum.Errorf(pactum.EINVALID, "Give --report or --report-file, not both.")
				}
				text, err := readTextFile(e, path)
				if err != nil {
					return err
				}
				in.Report = text
			}
			in.OutcomeId, _ = cmd.Flags().GetString("outcome")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.SubmitObligationResponse, error) {
				return c.SubmitObligationWithResponse(ctx, args[0], &client.SubmitObligationParams{}, in)
			}, func(resp *client.SubmitObligationResponse) error {
				return printObligation(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("report", "", "the report, or the publication's reference")
	cmd.Flags().String("report-file", "", "read the report from FILE (- for standard input)")
	cmd.Flags().String("outcome", "", "link a final report to its recorded outcomes")
	jsonFlag(cmd)
	return cmd
}

// newObligationsReviewCmd is accept or return.
func newObligationsReviewCmd(e *env, accept bool) *cobra.Command {
	cmd := &cobra.Command{
		Use: "accept ID", Short: "Accept a submitted obligation (access managers)", Args: cobra.ExactArgs(1),
		Example: `  pactum obligations accept 0190f3c2-...`,
	}
	if !accept {
		cmd.Use, cmd.Short = "return ID --reason TEXT", "Return a submitted obligation to its holder with a reason (access managers)"
		cmd.Example = `  pactum obligations return 0190f3c2-... --reason "Say how much of the grant is used."`
		cmd.Flags().String("reason", "", "what the holder must change (required)")
		_ = cmd.MarkFlagRequired("reason")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		in := client.ObligationReview{Accept: accept}
		if !accept {
			in.Reason, _ = cmd.Flags().GetString("reason")
		}
		return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ReviewObligationResponse, error) {
			return c.ReviewObligationWithResponse(ctx, args[0], &client.ReviewObligationParams{}, in)
		}, func(resp *client.ReviewObligationResponse) error {
			return printObligation(e, resp.JSON200)
		})
	}
	jsonFlag(cmd)
	return cmd
}

func newObligationsSweepCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Send the reminders, overdue notices and automatic breaches due now (access managers)",
		Long: `The server sweeps every --sweep-interval (pactum serve); this sweeps now.
Each reminder, overdue notice and breach is sent once, however often and from
however many servers it runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.SweepObligationsResponse, error) {
				return c.SweepObligationsWithResponse(ctx, &client.SweepObligationsParams{})
			}, func(resp *client.SweepObligationsResponse) error {
				r := resp.JSON200
				return keyValues(e.stdout, [][2]string{{"checked", strconv.Itoa(r.Checked)}, {"reminders sent", strconv.Itoa(r.Reminders)},
					{"newly overdue", strconv.Itoa(r.Overdue)}, {"breaches declared", strconv.Itoa(r.Breaches)}})
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func newComplianceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compliance ID",
		Short: "Show an allocation's compliance: conditions, obligations, breach",
		Long: `Whether the allocation's conditions are met, how many of its obligations are
due, overdue, submitted and done, whether a breach is in force, and every
reason it is not compliant.`,
		Example: `  pactum allocations compliance 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetComplianceWithResponse), func(resp *client.GetComplianceResponse) error {
		c := resp.JSON200
		if err := keyValues(e.stdout, [][2]string{{"allocation", c.AllocationId}, {"state", string(c.State)}, {"compliant", yesNo(c.Compliant)},
			{"conditions met", yesNo(c.ConditionsMet)}, {"obligations", fmt.Sprintf("%d due, %d overdue, %d submitted, %d done", c.Due, c.Overdue, c.Submitted, c.Done)},
			{"breach", breachLine(c.Breach)}, {"incidents open", strconv.Itoa(c.IncidentsOpen)}}); err != nil {
			return err
		}
		for _, r := range c.Reasons {
			fmt.Fprintln(e.stdout, "  - "+r)
		}
		if len(c.Obligations) == 0 {
			return nil
		}
		fmt.Fprintln(e.stdout)
		var rows [][]string
		for _, o := range c.Obligations {
			rows = append(rows, []string{o.Id, string(o.Kind), fmtTime(o.DueAt), string(o.State), yesNo(o.OverdueAt != nil)})
		}
		return e.table([]string{"OBLIGATION", "KIND", "DUE", "STATE", "OVERDUE"}, rows)
	})
}

func breachLine(b *client.Breach) string {
	switch {
	case b == nil:
		return "none"
	case b.ClearedAt == nil:
		return "IN FORCE since " + fmtTime(b.DeclaredAt) + ": " + b.Reason
	}
	return "cleared " + fmtTime(*b.ClearedAt) + " (was: " + b.Reason + ")"
}

func newBreachCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "breach ID --reason TEXT [--clear]",
		Short: "Declare (or --clear) a breach of an allocation (access managers)",
		Long: `A declared breach suspends the allocation at its site: the site agent stops
new jobs under it, and the holder sees the reason in pactum allocations
admission, until an access manager clears it with --clear. Both are
audit-logged and the holder's organization is told. Declaring while a breach is
in force, or clearing a cleared one, shows it unchanged.`,
		Example: `  pactum allocations breach 0190f3c2-... --reason "Final report 60 days overdue."
  pactum allocations breach 0190f3c2-... --clear --reason "Report received."`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.BreachInput{}
			in.Reason, _ = cmd.Flags().GetString("reason")
			print := func(b *client.Breach) error {
				return keyValues(e.stdout, [][2]string{{"allocation", b.AllocationId}, {"breach", breachLine(b)}})
			}
			if clear, _ := cmd.Flags().GetBool("clear"); clear {
				return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ClearBreachResponse, error) {
					return c.ClearBreachWithResponse(ctx, args[0], &client.ClearBreachParams{}, in)
				}, func(resp *client.ClearBreachResponse) error { return print(resp.JSON200) })
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.DeclareBreachResponse, error) {
				return c.DeclareBreachWithResponse(ctx, args[0], &client.DeclareBreachParams{}, in)
			}, func(resp *client.DeclareBreachResponse) error { return print(resp.JSON200) })
		},
	}
	cmd.Flags().String("reason", "", "why (required; recorded in the audit log and shown to the holder)")
	cmd.Flags().Bool("clear", false, "clear the breach in force instead of declaring one")
	_ = cmd.MarkFlagRequired("reason")
	jsonFlag(cmd)
	return cmd
}
