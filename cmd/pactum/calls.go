// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newCallsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "calls", Short: "Open and list calls"}
	cmd.AddCommand(newCallsCreateCmd(e), newCallsListCmd(e), newCallsShowCmd(e), newCallsUpdateCmd(e))
	return cmd
}

func newCallsCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Open a call (access managers)",
		Long: `Open a call offering access modes on systems. Each mode's caps and
time-to-decision target default to the catalogue's terms for that mode.`,
		Example: `  pactum calls create --title "AI Factories 2027-Q1" --cutoff 2027-03-31 \
    --mode fast_lane --mode large_scale --system leonardo-booster --system lumi-g`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := callInputFromFlags(cmd)
			if err != nil {
				return err
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateCallResponse, error) {
				return c.CreateCallWithResponse(ctx, in)
			}, func(resp *client.CreateCallResponse) error {
				return printCall(e, resp.JSON201)
			})
		},
	}
	cmd.Flags().String("title", "", "title (required)")
	cmd.Flags().String("description", "", "description")
	cmd.Flags().String("opens", "", "opening, YYYY-MM-DD or RFC 3339 (default: now)")
	cmd.Flags().String("cutoff", "", "cut-off, YYYY-MM-DD or RFC 3339 (required)")
	cmd.Flags().StringSlice("mode", []string{"fast_lane"}, "access mode offered (repeat or comma-separate)")
	cmd.Flags().StringSlice("system", nil, "system offered, e.g. leonardo-booster (repeat; required)")
	cmd.Flags().Bool("hold-models", false, holdModelsHelp)
	cmd.Flags().Bool("block-overdue", false, blockOverdueHelp)
	for _, f := range []string{"title", "cutoff", "system"} {
		_ = cmd.MarkFlagRequired(f)
	}
	jsonFlag(cmd)
	return cmd
}

// callInputFromFlags builds a call from create's flags.
func callInputFromFlags(cmd *cobra.Command) (client.CallInput, error) {
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
		return in, pactum.Errorf(pactum.EINVALID, "--opens %q: %v", opens, err)
	}
	cutoff, _ := cmd.Flags().GetString("cutoff")
	if in.CutoffAt, err = parseTime(cutoff); err != nil {
		return in, pactum.Errorf(pactum.EINVALID, "--cutoff %q: %v", cutoff, err)
	}
	modes, _ := cmd.Flags().GetStringSlice("mode")
	for _, m := range modes {
		in.Modes = append(in.Modes, client.CallModeInput{Mode: client.AccessMode(m)})
	}
	in.SystemIds, _ = cmd.Flags().GetStringSlice("system")
	if hold, _ := cmd.Flags().GetBool("hold-models"); hold {
		in.HoldModelsAtSystemicRisk = &hold
	}
	if block, _ := cmd.Flags().GetBool("block-overdue"); block {
		in.BlockOverdueOrganizations = &block
	}
	return in, nil
}

// blockOverdueHelp describes the call's blocking term.
const blockOverdueHelp = "refuse new proposals of an organization with an overdue obligation (pactum obligations list --overdue)"

// holdModelsHelp describes the call's hold term.
const holdModelsHelp = "hold a model's jobs under the call's allocations when it reaches the margin of 10^25 FLOP (AI Act Art. 52), until an access manager acknowledges (pactum models acknowledge)"

func newCallsUpdateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update ID [--hold-models=true|false] [--block-overdue=true|false]",
		Short: "Change a call's hold or blocking term (access managers)",
		Long: `Turn the call's hold term on or off. With it on, a model of an organization
holding one of the call's allocations is held when its cumulative training
compute reaches the ±30 % margin of 10^25 FLOP: the sites hold its pending jobs
under the call's allocations and pactum job submit refuses new ones there, until
an access manager acknowledges with pactum models acknowledge. Turning it off
releases the jobs of the models it held.

With --block-overdue=true the call refuses (exit status 5) new proposals of an
organization that has an overdue obligation, naming the obligation and its
allocation. Each change is audit-logged.`,
		Example: `  pactum calls update 0190f3c2-... --hold-models=true
  pactum calls update 0190f3c2-... --block-overdue=true`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("hold-models") && !cmd.Flags().Changed("block-overdue") {
				return pactum.Errorf(pactum.EINVALID, "Nothing to change: give --hold-models=true|false or --block-overdue=true|false.")
			}
			var in client.CallUpdate
			if cmd.Flags().Changed("hold-models") {
				hold, _ := cmd.Flags().GetBool("hold-models")
				in.HoldModelsAtSystemicRisk = &hold
			}
			if cmd.Flags().Changed("block-overdue") {
				block, _ := cmd.Flags().GetBool("block-overdue")
				in.BlockOverdueOrganizations = &block
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.UpdateCallResponse, error) {
				return c.UpdateCallWithResponse(ctx, args[0], in)
			}, func(resp *client.UpdateCallResponse) error {
				return printCall(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().Bool("hold-models", false, holdModelsHelp)
	cmd.Flags().Bool("block-overdue", false, blockOverdueHelp)
	jsonFlag(cmd)
	return cmd
}

func newCallsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List calls, newest first", Args: cobra.NoArgs}
	cmd.Flags().Bool("open", false, "only calls open now")
	return listCmd(e, cmd, listing[*client.ListCallsResponse, client.Call]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListCallsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListCallsParams{Limit: l, Offset: o}
			if open, _ := cmd.Flags().GetBool("open"); open {
				p.Open = &open
			}
			return c.ListCallsWithResponse(ctx, p)
		},
		page: func(r *client.ListCallsResponse) ([]client.Call, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.Call]{
			header: []string{"ID", "TITLE", "OPENS", "CUT-OFF", "MODES", "SYSTEMS"},
			row: func(c client.Call) []string {
				var modes []string
				for _, m := range c.Modes {
					modes = append(modes, string(m.Mode))
				}
				return []string{c.Id, c.Title, fmtTime(c.OpensAt), fmtTime(c.CutoffAt), strings.Join(modes, ","), strings.Join(c.SystemIds, ",")}
			},
		},
		paged: true,
	})
}

func newCallsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show a call and its modes' terms", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetCallWithResponse), func(resp *client.GetCallResponse) error {
		return printCall(e, resp.JSON200)
	})
}

func printCall(e *env, c *client.Call) error {
	if err := keyValues(e.stdout, [][2]string{{"id", c.Id}, {"title", c.Title}, {"opens", fmtTime(c.OpensAt)},
		{"cut-off", fmtTime(c.CutoffAt)}, {"systems", strings.Join(c.SystemIds, ", ")},
		{"holds models at systemic risk", yesNo(c.HoldModelsAtSystemicRisk)},
		{"refuses organizations with overdue obligations", yesNo(c.BlockOverdueOrganizations)}}); err != nil {
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
	return e.table([]string{"MODE", "MIN GPU-H", "MAX GPU-H", "MAX MONTHS", "DECISION (WORKING DAYS)", "AUTO", "SME ONLY", "AI PACT"}, rows)
}
