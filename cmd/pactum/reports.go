// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newReportsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "reports", Aliases: []string{"report"},
		Short: "Time to access, and the public transparency report"}
	tr := &cobra.Command{Use: "transparency", Short: "Generate, publish, show and verify transparency reports"}
	tr.AddCommand(newTransparencyCreateCmd(e), newTransparencyListCmd(e), newTransparencyShowCmd(e), newTransparencyPublishCmd(e),
		newTransparencyVerifyCmd(e))
	cmd.AddCommand(newTimeToAccessCmd(e), tr)
	return cmd
}

// newProposalsOverdueCmd is `pactum proposals overdue`.
func newProposalsOverdueCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "overdue",
		Short: "Open proposals past their mode's time-to-decision target (access managers, auditors)",
		Long: `List the proposals still waiting for a decision after their mode's target, most
overdue first, with how many working days over. Working days are Monday to
Friday; public holidays are not counted. The target runs from submission in
modes with automatic approval (fast lane, playground) and from the call's
cut-off otherwise.`,
		Args: cobra.NoArgs,
	}
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, _ []string) (*client.ListOverdueProposalsResponse, error) {
		return c.ListOverdueProposalsWithResponse(ctx)
	}, func(resp *client.ListOverdueProposalsResponse) error {
		rows := [][]string{}
		for _, m := range resp.JSON200.Items {
			rows = append(rows, []string{m.ProposalId, m.CallId, m.Mode, m.State, m.SubmittedAt.Format("2006-01-02"),
				m.DecisionDueAt.Format("2006-01-02"), strconv.Itoa(m.TargetWorkingDays), strconv.Itoa(m.WorkingDaysOver)})
		}
		if len(rows) == 0 {
			_, err := fmt.Fprintln(e.stdout, "No proposal is past its target.")
			return err
		}
		return e.table([]string{"PROPOSAL", "CALL", "MODE", "STATE", "SUBMITTED", "DUE", "TARGET", "DAYS OVER"}, rows)
	})
}

func newTimeToAccessCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "time-to-access [--call ID] [--format table|csv]",
		Short: "Time from submission to decision per mode and per call (access managers, auditors)",
		Long: `Summarise the time from submission to decision in working days (Monday to
Friday, holidays not counted): per mode and per call, the decided proposals'
count, median, 90th percentile and maximum, the share decided within the
mode's target, and the open and overdue proposals. --format csv streams one
row per submitted proposal instead, as the server writes it.`,
		Example: `  pactum reports time-to-access --call 0190f3c2-...
  pactum reports time-to-access --format csv > time-to-access.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			callID, _ := cmd.Flags().GetString("call")
			format, _ := cmd.Flags().GetString("format")
			params := &client.GetTimeToAccessParams{}
			if callID != "" {
				params.CallId = &callID
			}
			switch format {
			case "table":
			case "csv":
				return streamCSV(cmd, e, params)
			default:
				return pactum.Errorf(pactum.EINVALID, "--format %q: use table or csv.", format)
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetTimeToAccessResponse, error) {
				return c.GetTimeToAccessWithResponse(ctx, params)
			}, func(resp *client.GetTimeToAccessResponse) error {
				r := resp.JSON200
				for _, g := range []struct {
					title string
					ds    *[]client.Distribution
				}{{"MODE", r.ByMode}, {"CALL", r.ByCall}} {
					rows := [][]string{}
					if g.ds != nil {
						for _, d := range *g.ds {
							rows = append(rows, []string{d.Group, strconv.Itoa(d.Decided), fmtNum(d.MedianWorkingDays), fmtNum(d.P90WorkingDays),
								strconv.Itoa(d.MaxWorkingDays), fmt.Sprintf("%.0f %%", 100*d.ShareWithinTarget), strconv.Itoa(d.Undecided),
								strconv.Itoa(d.Overdue)})
						}
					}
					if err := e.table([]string{g.title, "DECIDED", "MEDIAN", "P90", "MAX", "WITHIN TARGET", "OPEN", "OVERDUE"}, rows); err != nil {
						return err
					}
					fmt.Fprintln(e.stdout)
				}
				_, err := fmt.Fprintln(e.stdout, "Working days, Monday to Friday; public holidays are not counted.")
				return err
			})
		},
	}
	cmd.Flags().String("call", "", "one call's proposals (default every call's)")
	cmd.Flags().String("format", "table", "table or csv (one row per proposal, streamed)")
	jsonFlag(cmd)
	return cmd
}

// streamCSV copies the server's CSV to standard output as it arrives, in
// constant memory whatever the number of proposals.
func streamCSV(cmd *cobra.Command, e *env, params *client.GetTimeToAccessParams) error {
	c, err := apiClient(cmd, e)
	if err != nil {
		return err
	}
	f := client.GetTimeToAccessParamsFormatCsv
	params.Format = &f
	resp, err := c.ClientInterface.GetTimeToAccess(cmd.Context(), params)
	if err != nil {
		return netErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		parsed, err := client.ParseGetTimeToAccessResponse(resp)
		if err != nil {
			return netErr(err)
		}
		return ok(parsed, parsed.Body)
	}
	_, err = io.Copy(e.stdout, resp.Body)
	return err
}

func newTransparencyCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create --period PERIOD [--k K]",
		Short: "Generate a transparency report at the audit log's current position, unpublished (access managers)",
		Long: `Compute the transparency report of the proposals submitted in PERIOD (YYYY,
YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD): proposals, awards, GPU-hours
granted and used, training compute and energy, by mode, AI Act risk class,
model size band, compute band, country and sector. A figure describing fewer
than K organizations is suppressed (default 5), and further cells so that none
can be recovered from the totals. The report states the audit event it was
computed at; nobody outside access managers and auditors sees it until you
publish it.`,
		Example: `  pactum reports transparency create --period 2026-Q3
  pactum reports transparency create --period 2026-01-01..2026-06-30 --k 10`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().String("period", "", "YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (required)")
	cmd.Flags().Int("k", 0, "smallest group of organizations a figure may describe (default 5)")
	_ = cmd.MarkFlagRequired("period")
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.CreateTransparencyReportResponse, error) {
		period, _ := cmd.Flags().GetString("period")
		in := client.TransparencyReportInput{Period: period}
		if k, _ := cmd.Flags().GetInt("k"); k != 0 {
			in.K = &k
		}
		return c.CreateTransparencyReportWithResponse(ctx, &client.CreateTransparencyReportParams{}, in)
	}, func(resp *client.CreateTransparencyReportResponse) error {
		r := resp.JSON201
		_, err := fmt.Fprintf(e.stdout, "Report %s of %s..%s (k %d) computed at audit event %d. Publish: pactum reports transparency publish %s\n",
			r.Id, r.Period.From, r.Period.Until, r.K, r.AuditSeq, r.Id)
		return err
	})
}

func newTransparencyListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "Transparency reports, newest first (published; access managers and auditors all)", Args: cobra.NoArgs}
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, _ []string) (*client.ListTransparencyReportsResponse, error) {
		return c.ListTransparencyReportsWithResponse(ctx)
	}, func(resp *client.ListTransparencyReportsResponse) error {
		rows := [][]string{}
		for _, r := range resp.JSON200.Items {
			pub := "no"
			if r.PublishedAt != nil {
				pub = r.PublishedAt.Format("2006-01-02")
			}
			rows = append(rows, []string{r.Id, r.Period.From.String() + ".." + r.Period.Until.String(), strconv.Itoa(r.K), strconv.Itoa(r.AuditSeq), pub})
		}
		return e.table([]string{"ID", "PERIOD (UNTIL EXCLUSIVE)", "K", "AUDIT EVENT", "PUBLISHED"}, rows)
	})
}

func newTransparencyShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ID [--format json|csv|html] [--public]",
		Short: "Print a transparency report as JSON, CSV or a printable HTML page",
		Long: `Print a report. --public reads a published report without a token, as
anyone may; otherwise unpublished reports are shown to access managers and
auditors.`,
		Example: `  pactum reports transparency show 0190f3c2-... --format html > report.html
  pactum reports transparency show 0190f3c2-... --public --format csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString("format")
			if format != "json" && format != "csv" && format != "html" {
				return pactum.Errorf(pactum.EINVALID, "--format %q: use json, csv or html.", format)
			}
			public, _ := cmd.Flags().GetBool("public")
			write := func(body []byte) error {
				_, err := e.stdout.Write(body)
				return err
			}
			if public {
				server, _ := cmd.Flags().GetString("server")
				if server == "" {
					server = e.getenv("PACTUM_SERVER")
				}
				if server == "" {
					server = "http://127.0.0.1:8080"
				}
				c, err := client.NewClientWithResponses(server)
				if err != nil {
					return err
				}
				resp, err := c.GetPublicTransparencyReportWithResponse(cmd.Context(), args[0],
					&client.GetPublicTransparencyReportParams{Format: ptrTo(client.GetPublicTransparencyReportParamsFormat(format))})
				if err := called(resp, err); err != nil {
					return err
				}
				return write(resp.Body)
			}
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.GetTransparencyReportWithResponse(cmd.Context(), args[0],
				&client.GetTransparencyReportParams{Format: ptrTo(client.GetTransparencyReportParamsFormat(format))})
			if err := called(resp, err); err != nil {
				return err
			}
			return write(resp.Body)
		},
	}
	cmd.Flags().String("format", "json", "json, csv or html")
	cmd.Flags().Bool("public", false, "read a published report without a token")
	return cmd
}

func newTransparencyPublishCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "publish ID", Short: "Publish a report: it never changes again, and anyone may read it (access managers)",
		Long: "Exit status 5 (conflict) when the report is published already.", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, args []string) (*client.PublishTransparencyReportResponse, error) {
		return c.PublishTransparencyReportWithResponse(ctx, args[0], &client.PublishTransparencyReportParams{})
	}, func(resp *client.PublishTransparencyReportResponse) error {
		_, err := fmt.Fprintf(e.stdout, "Published %s. Anyone may read it: GET /api/v1/public/transparency/%s\n", resp.JSON200.Id, resp.JSON200.Id)
		return err
	})
}

func newTransparencyVerifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify ID",
		Short: "Recompute a report's figures from the audit log at its position (access managers, auditors)",
		Long: `Replay the audit log up to the event the report states, check the chain's hash
there, rebuild the organizations, systems and proposals, and recompute the
proposals, awards, GPU-hours granted and every suppression. GPU-hours used,
training compute and energy come from usage, which the log does not hold
record by record, and are not compared. Exit status 5 (conflict) when
anything differs.`,
		Args: cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, args []string) (*client.VerifyTransparencyReportResponse, error) {
		return c.VerifyTransparencyReportWithResponse(ctx, args[0])
	}, func(resp *client.VerifyTransparencyReportResponse) error {
		v := resp.JSON200
		if v.Ok {
			_, err := fmt.Fprintf(e.stdout, "Report %s: %d figures agree with the audit log at event %d. Not compared (usage): %v\n",
				v.ReportId, v.Compared, v.AuditSeq, v.NotCompared)
			return err
		}
		for _, d := range v.Differences {
			fmt.Fprintf(e.stdout, "%s %s %s: report %s, log %s\n", d.Dimension, d.Value, d.Field, d.Report, d.Log)
		}
		return pactum.Errorf(pactum.ECONFLICT, "Report %s does not verify: %s.", v.ReportId, orEmpty(v.Reason))
	})
}
