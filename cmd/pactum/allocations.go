// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newAllocationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "allocations", Aliases: []string{"allocs"}, Short: "List allocations and change their state"}
	cmd.AddCommand(newAllocationsListCmd(e), newAllocationsShowCmd(e), newUsageCmd(e), newRecordsCmd(e), newConditionsCmd(e), newAdmissionCmd(e),
		newComplianceCmd(e), newBreachCmd(e))
	for _, t := range []struct{ verb, state, short string }{
		{"activate", "active", "Mark provisioned and active (the system's site operator)"},
		{"suspend", "suspended", "Suspend: no new jobs (site operator or access manager)"},
		{"resume", "active", "Resume a suspended allocation"},
		{"expire", "expired", "Expire an allocation"},
	} {
		cmd.AddCommand(newTransitionCmd(e, t.verb, client.AllocationState(t.state), t.short))
	}
	return cmd
}

func newAllocationsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List allocations you may see", Args: cobra.NoArgs}
	cmd.Flags().String("proposal", "", "only this proposal's")
	cmd.Flags().String("org", "", "only this organization's")
	cmd.Flags().String("system", "", "only on this system")
	cmd.Flags().String("state", "", "only this state (pending_provisioning, active, …)")
	return listCmd(e, cmd, listing[*client.ListAllocationsResponse, client.Allocation]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListAllocationsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListAllocationsParams{ProposalId: optString(cmd, "proposal"), OrganizationId: optString(cmd, "org"),
				SystemId: optString(cmd, "system"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				st := client.AllocationState(*s)
				p.State = &st
			}
			return c.ListAllocationsWithResponse(ctx, p)
		},
		page: func(r *client.ListAllocationsResponse) ([]client.Allocation, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.Allocation]{
			header: []string{"ID", "SYSTEM", "GRANTED", "STATE", "STARTS", "ENDS", "CONDITIONS", "PROPOSAL"},
			row: func(a client.Allocation) []string {
				return []string{a.Id, a.SystemId, fmtNum(a.Amount) + " " + unitShort(string(a.Unit)), string(a.State),
					fmtTime(a.StartsAt)[:10], fmtTime(a.EndsAt)[:10], strconv.Itoa(len(deref(a.Conditions))), a.ProposalId}
			},
		},
		paged: true,
	})
}

func newAllocationsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show an allocation and its conditions", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetAllocationWithResponse), func(resp *client.GetAllocationResponse) error {
		return printAllocation(e, resp.JSON200)
	})
}

// newTransitionCmd is the command verb, which moves an allocation to state.
func newTransitionCmd(e *env, verb string, state client.AllocationState, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use: verb + " ID", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.TransitionInput{State: state}
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
	cmd.Flags().String("reason", "", "why (recorded in the audit log)")
	jsonFlag(cmd)
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
		return e.table([]string{"RULE", "BASIS", "OBLIGATION"}, rows)
	}
	return nil
}

func unitHours(u client.Unit) string {
	if u == client.NodeHours {
		return "node-h"
	}
	return "GPU-h"
}

func newUsageCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "usage ID",
		Short:   "Show an allocation's usage against its grant, per cluster user",
		Example: `  pactum allocations usage 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetAllocationUsageWithResponse), func(resp *client.GetAllocationUsageResponse) error {
		return printUsage(e, resp.JSON200)
	})
}

func printUsage(e *env, s *client.UsageSummary) error {
	h := unitHours(s.Unit)
	var crossed []string
	for _, t := range s.Thresholds {
		crossed = append(crossed, fmt.Sprintf("%d%% at %s", t.Percent, fmtTime(t.CrossedAt)))
	}
	if err := keyValues(e.stdout, [][2]string{{"allocation", s.AllocationId}, {"system", s.SystemId}, {"state", string(s.State)},
		{"used", fmt.Sprintf("%s of %s %s (%s%%)", fmtNum(s.Used), fmtNum(s.Amount), h, fmtNum(s.Percent))},
		{"jobs", strconv.FormatInt(s.Jobs, 10)}, {"GPU-hours", fmtNum(float64(s.GpuSeconds) / 3600)},
		{"node-hours", fmtNum(float64(s.NodeSeconds) / 3600)}, {"CPU-hours", fmtNum(float64(s.CpuSeconds) / 3600)},
		{"thresholds crossed", strings.Join(append(crossed, "-")[:max(len(crossed), 1)], ", ")}, {"updated", fmtTimePtr(s.UpdatedAt)}}); err != nil {
		return err
	}
	if len(s.Users) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, u := range s.Users {
		rows = append(rows, []string{u.Username, strconv.FormatInt(u.Jobs, 10), fmtNum(u.Used) + " " + h})
	}
	return e.table([]string{"USER", "JOBS", "USED"}, rows)
}

func newRecordsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "records ID",
		Short:   "List an allocation's job records, latest started first",
		Example: `  pactum allocations records 0190f3c2-... --user ada --running`,
		Args:    cobra.ExactArgs(1),
	}
	cmd.Flags().String("user", "", "only this cluster user's jobs")
	cmd.Flags().Bool("running", false, "only jobs not yet ended")
	return listCmd(e, cmd, listing[*client.ListUsageRecordsResponse, client.UsageRecord]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, args []string) (*client.ListUsageRecordsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListUsageRecordsParams{Username: optString(cmd, "user"), Limit: l, Offset: o}
			if running, _ := cmd.Flags().GetBool("running"); running {
				p.Final = new(bool)
			}
			return c.ListUsageRecordsWithResponse(ctx, args[0], p)
		},
		page: func(r *client.ListUsageRecordsResponse) ([]client.UsageRecord, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.UsageRecord]{
			header: []string{"CLUSTER", "JOB", "USER", "STATE", "START", "END", "ELAPSED", "GPU-H", "CHARGED"},
			row: func(r client.UsageRecord) []string {
				return []string{r.Cluster, r.JobId, r.Username, r.State, fmtTimePtr(r.StartAt), fmtTimePtr(r.EndAt),
					(time.Duration(r.ElapsedSeconds) * time.Second).String(), fmtNum(float64(r.GpuSeconds) / 3600), fmtNum(float64(r.ChargeSeconds) / 3600)}
			},
		},
		paged: true,
	})
}

func newConditionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "conditions", Short: "List and acknowledge an award's conditions"}
	cmd.AddCommand(newConditionsListCmd(e), newConditionsAckCmd(e))
	return cmd
}

func newConditionsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list ID",
		Short:   "List the conditions and whether each is met",
		Example: `  pactum allocations conditions list 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
	}
	return listCmd(e, cmd, listing[*client.ListConditionsResponse, client.ConditionStatus]{
		send: byID((*client.ClientWithResponses).ListConditionsWithResponse),
		page: func(r *client.ListConditionsResponse) ([]client.ConditionStatus, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.ConditionStatus]{
			header: []string{"RULE", "BASIS", "MET", "OBLIGATION"},
			row: func(x client.ConditionStatus) []string {
				met := "no"
				if x.Met {
					met = "yes, " + fmtTimePtr(x.AcknowledgedAt)
				}
				return []string{x.RuleId, x.Basis, met, x.Message}
			},
		},
	})
}

func newConditionsAckCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ack ID RULE --statement TEXT",
		Short: "Meet a condition by stating how (applicants of the organization)",
		Long: `Acknowledge one of the award's conditions with a statement of how it is met.
The statement is recorded in the audit log. Jobs are refused, by pactum and by
the cluster, until every condition is met.`,
		Example: `  pactum allocations conditions ack 0190f3c2-... art50.2 --statement "Outputs carry a machine-readable AI mark."`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, _ := cmd.Flags().GetString("statement")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AcknowledgeConditionResponse, error) {
				return c.AcknowledgeConditionWithResponse(ctx, args[0], args[1], client.AcknowledgeInput{Statement: st})
			}, func(resp *client.AcknowledgeConditionResponse) error {
				fmt.Fprintf(e.stdout, "Condition %s is met (acknowledged %s).\n", resp.JSON200.RuleId, fmtTimePtr(resp.JSON200.AcknowledgedAt))
				return nil
			})
		},
	}
	cmd.Flags().String("statement", "", "how the condition is met (required)")
	_ = cmd.MarkFlagRequired("statement")
	jsonFlag(cmd)
	return cmd
}

func newAdmissionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "admission ID",
		Short:   "Say whether you may run jobs under an allocation now, and if not why",
		Example: `  pactum allocations admission 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetAdmissionWithResponse), func(resp *client.GetAdmissionResponse) error {
		ad := resp.JSON200
		if ad.Allowed {
			fmt.Fprintf(e.stdout, "You may run jobs under account %s.\n", ad.Account)
			return nil
		}
		fmt.Fprintf(e.stdout, "You may not run jobs under allocation %s now:\n", ad.AllocationId)
		for _, r := range ad.Reasons {
			fmt.Fprintf(e.stdout, "  - %s\n", r)
		}
		return nil
	})
}

// admission asks the server whether the caller may run jobs under the
// allocation id now.
func admission(cmd *cobra.Command, e *env, id string) (*client.Admission, error) {
	c, err := apiClient(cmd, e)
	if err != nil {
		return nil, err
	}
	resp, err := c.GetAdmissionWithResponse(cmd.Context(), id)
	if err := called(resp, err); err != nil {
		return nil, err
	}
	return resp.JSON200, nil
}
