// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

// The reviews commands that assign reviewers and keep conflicts of
// interest out.

func newReviewsAssignCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "assign --call ID --stage ethics|peer",
		Short: "Assign reviewers to a call's proposals at a stage (access managers)",
		Long: `Assign reviewers to every proposal of the call at the stage until each has the
rubric's minimum (one for ethics). Reviewers are matched by declared expertise
(model type 3, each modality 2, each topic word 1), the load is balanced
(nobody above the fair share while someone is below it), and conflicts of
interest are detected first and recorded: a conflicted reviewer is never
assigned and can never read the proposal. Re-running fills only the gaps.`,
		Example: `  pactum reviews assign --call 01a2… --stage peer`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			callID, _ := cmd.Flags().GetString("call")
			stage, _ := cmd.Flags().GetString("stage")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AssignReviewersResponse, error) {
				return c.AssignReviewersWithResponse(ctx, callID, client.AssignInput{Stage: client.AssignInputStage(stage)})
			}, func(resp *client.AssignReviewersResponse) error {
				return printAssignmentReport(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("call", "", "the call (required)")
	cmd.Flags().String("stage", "peer", "ethics or peer")
	_ = cmd.MarkFlagRequired("call")
	jsonFlag(cmd)
	return cmd
}

func printAssignmentReport(e *env, rep *client.AssignmentReport) error {
	fmt.Fprintf(e.stdout, "%d assignment(s) for the %s stage, %d new conflict(s) of interest recorded.\n\n", len(rep.Assignments), rep.Stage, len(rep.Conflicts))
	if err := assignmentColumns().print(e, rep.Assignments); err != nil {
		return err
	}
	if len(rep.Conflicts) > 0 {
		fmt.Fprintln(e.stdout, "\nConflicts of interest:")
		if err := conflictColumns().print(e, rep.Conflicts); err != nil {
			return err
		}
	}
	if len(rep.Shortfalls) > 0 {
		fmt.Fprintln(e.stdout, "\nShort of reviewers:")
		var rows [][]string
		for _, s := range rep.Shortfalls {
			rows = append(rows, []string{s.ProposalId, fmt.Sprintf("%d of %d", s.Found, s.Needed), s.Reason})
		}
		return e.table([]string{"PROPOSAL", "FOUND", "WHY"}, rows)
	}
	return nil
}

func newReviewsAssignmentsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "assignments", Short: "List review assignments (reviewers their own)", Args: cobra.NoArgs,
		Example: `  pactum reviews assignments --state assigned`,
	}
	cmd.Flags().String("proposal", "", "only this proposal's")
	cmd.Flags().String("call", "", "only this call's")
	cmd.Flags().String("reviewer", "", "only this reviewer's")
	cmd.Flags().String("stage", "", "only this stage (ethics, peer)")
	cmd.Flags().String("state", "", "only this state (assigned, submitted, recused)")
	return listCmd(e, cmd, listing[*client.ListAssignmentsResponse, client.Assignment]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListAssignmentsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListAssignmentsParams{ProposalId: optString(cmd, "proposal"), CallId: optString(cmd, "call"),
				ReviewerId: optString(cmd, "reviewer"), Limit: l, Offset: o}
			if s := optString(cmd, "stage"); s != nil {
				st := client.ReviewStage(*s)
				p.Stage = &st
			}
			if s := optString(cmd, "state"); s != nil {
				st := client.AssignmentState(*s)
				p.State = &st
			}
			return c.ListAssignmentsWithResponse(ctx, p)
		},
		page: func(r *client.ListAssignmentsResponse) ([]client.Assignment, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols:  assignmentColumns(),
		paged: true,
	})
}

func assignmentColumns() columns[client.Assignment] {
	return columns[client.Assignment]{
		header: []string{"ASSIGNMENT", "PROPOSAL", "STAGE", "REVIEWER", "STATE", "AFFINITY", "MATCHED"},
		row: func(a client.Assignment) []string {
			return []string{a.Id, a.ProposalId, string(a.Stage), a.ReviewerId, string(a.State), strconv.Itoa(a.Affinity), joinComma(a.Matched)}
		},
	}
}

func newReviewsRecuseCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "recuse ASSIGNMENT --reason TEXT", Short: "Withdraw from an assignment for a conflict of interest", Args: cobra.ExactArgs(1),
		Long: `Withdraw from an assignment because of a conflict of interest. The conflict is
recorded as declared, and from then on you cannot read the proposal.`,
		Example: `  pactum reviews recuse 01a3… --reason "I advised the applicant last year."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, _ := cmd.Flags().GetString("reason")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.RecuseResponse, error) {
				return c.RecuseWithResponse(ctx, args[0], client.ReasonInput{Reason: reason})
			}, func(resp *client.RecuseResponse) error {
				fmt.Fprintf(e.stdout, "Recused from proposal %s; the conflict is on record.\n", resp.JSON200.ProposalId)
				return nil
			})
		},
	}
	cmd.Flags().String("reason", "", "the conflict (required)")
	_ = cmd.MarkFlagRequired("reason")
	jsonFlag(cmd)
	return cmd
}

func newReviewsConflictsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "conflicts", Short: "List recorded conflicts of interest", Args: cobra.NoArgs,
		Example: `  pactum reviews conflicts --proposal 01a2…`,
	}
	cmd.Flags().String("proposal", "", "only this proposal's")
	cmd.Flags().String("reviewer", "", "only this reviewer's")
	cmd.Flags().String("status", "", "only active or waived ones")
	return listCmd(e, cmd, listing[*client.ListConflictsResponse, client.ConflictOfInterest]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListConflictsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListConflictsParams{ProposalId: optString(cmd, "proposal"), ReviewerId: optString(cmd, "reviewer"), Limit: l, Offset: o}
			if s := optString(cmd, "status"); s != nil {
				st := client.ConflictStatus(*s)
				p.Status = &st
			}
			return c.ListConflictsWithResponse(ctx, p)
		},
		page: func(r *client.ListConflictsResponse) ([]client.ConflictOfInterest, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols:  conflictColumns(),
		paged: true,
	})
}

func conflictColumns() columns[client.ConflictOfInterest] {
	return columns[client.ConflictOfInterest]{
		header: []string{"CONFLICT", "PROPOSAL", "REVIEWER", "REASON", "SEVERITY", "STATUS", "DETAIL"},
		row: func(c client.ConflictOfInterest) []string {
			return []string{c.Id, c.ProposalId, c.ReviewerId, string(c.Reason), string(c.Severity), string(c.Status), c.Detail}
		},
	}
}

func newReviewsWaiveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "waive CONFLICT --reason TEXT", Short: "Waive an apparent conflict of interest (access managers)", Args: cobra.ExactArgs(1),
		Long:    `Waive an apparent conflict (a past affiliation), so the reviewer may be assigned. Real conflicts cannot be waived.`,
		Example: `  pactum reviews waive 01a4… --reason "Left the company in 2023; no shared projects since."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, _ := cmd.Flags().GetString("reason")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.WaiveConflictResponse, error) {
				return c.WaiveConflictWithResponse(ctx, args[0], client.ReasonInput{Reason: reason})
			}, func(resp *client.WaiveConflictResponse) error {
				return conflictColumns().print(e, []client.ConflictOfInterest{*resp.JSON200})
			})
		},
	}
	cmd.Flags().String("reason", "", "why the conflict does not matter (required)")
	_ = cmd.MarkFlagRequired("reason")
	jsonFlag(cmd)
	return cmd
}
