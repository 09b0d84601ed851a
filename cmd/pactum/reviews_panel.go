// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// The reviews commands of the panel stage and the call's rubric.

func newReviewsPanelCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "panel --call ID",
		Short: "Rank the call's proposals at the panel stage (access managers)",
		Long: `Rank the call's proposals at the panel stage by their peer reviews under the
call's rubric and move them to the decision stage. The panel may adjust a
score with --adjust, saying why; it cannot lift a proposal over a criterion's
threshold.`,
		Example: `  pactum reviews panel --call 01a2…
  pactum reviews panel --call 01a2… --adjust "01a5…=3.9:The reply did not address the data gaps."`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			callID, _ := cmd.Flags().GetString("call")
			in, err := panelInputFromFlags(cmd)
			if err != nil {
				return err
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.RankPanelResponse, error) {
				return c.RankPanelWithResponse(ctx, callID, in)
			}, func(resp *client.RankPanelResponse) error {
				return rankingColumns().print(e, resp.JSON200.Items)
			})
		},
	}
	cmd.Flags().String("call", "", "the call (required)")
	cmd.Flags().StringArray("adjust", nil, "PROPOSAL=SCORE:JUSTIFICATION (repeat)")
	_ = cmd.MarkFlagRequired("call")
	jsonFlag(cmd)
	return cmd
}

// panelInputFromFlags reads panel's --adjust flags.
func panelInputFromFlags(cmd *cobra.Command) (client.PanelInput, error) {
	in := client.PanelInput{}
	adj, _ := cmd.Flags().GetStringArray("adjust")
	for _, a := range adj {
		id, rest, ok1 := strings.Cut(a, "=")
		score, why, ok2 := strings.Cut(rest, ":")
		x, err := strconv.ParseFloat(score, 64)
		if !ok1 || !ok2 || err != nil {
			return in, pactum.Errorf(pactum.EINVALID, "--adjust %q: use PROPOSAL=SCORE:JUSTIFICATION", a)
		}
		list := append(deref(in.Adjustments), client.PanelAdjustment{ProposalId: id, Score: x, Justification: why})
		in.Adjustments = &list
	}
	return in, nil
}

func newReviewsRankingCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "ranking --call ID", Short: "Show the call's ranked proposals (access managers and auditors)", Args: cobra.NoArgs,
		Example: `  pactum reviews ranking --call 01a2…`,
	}
	cmd.Flags().String("call", "", "the call (required)")
	_ = cmd.MarkFlagRequired("call")
	return listCmd(e, cmd, listing[*client.GetRankingResponse, client.PanelEntry]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.GetRankingResponse, error) {
			callID, _ := cmd.Flags().GetString("call")
			return c.GetRankingWithResponse(ctx, callID)
		},
		page: func(r *client.GetRankingResponse) ([]client.PanelEntry, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: rankingColumns(),
	})
}

func rankingColumns() columns[client.PanelEntry] {
	return columns[client.PanelEntry]{
		header: []string{"RANK", "PROPOSAL", "TITLE", "REVIEWS SCORE", "PANEL SCORE", "PASSES", "REVIEWS", "NOTE"},
		row: func(p client.PanelEntry) []string {
			note := "-"
			if p.Note != nil && *p.Note != "" {
				note = *p.Note
			} else if p.Verdict.Failing != nil && len(*p.Verdict.Failing) > 0 {
				note = strings.Join(*p.Verdict.Failing, " ")
			}
			return []string{strconv.Itoa(p.Rank), p.ProposalId, truncate(p.Title, 36), fmt.Sprintf("%.2f", p.ReviewScore),
				fmt.Sprintf("%.2f", p.Score), yesNo(p.Passes), strconv.Itoa(p.Reviews), note}
		},
	}
}

func newReviewsRubricCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "rubric --call ID [--file rubric.json]", Short: "Show a call's rubric, or publish one from a file (access managers)", Args: cobra.NoArgs,
		Long: `Show the call's published peer-review rubric (criteria scored 0–5 with
weights and thresholds, the pass score, the reviewers needed, the reply
window). With --file, publish a new one; refused once a peer review exists.`,
		Example: `  pactum reviews rubric --call 01a2…
  pactum reviews rubric --call 01a2… --file rubric.json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			callID, _ := cmd.Flags().GetString("call")
			body, r, err := rubric(cmd, e, c, callID)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, body)
			}
			return printRubric(e, r)
		},
	}
	cmd.Flags().String("call", "", "the call (required)")
	cmd.Flags().String("file", "", "publish this rubric (JSON, the API's Rubric schema)")
	_ = cmd.MarkFlagRequired("call")
	jsonFlag(cmd)
	return cmd
}

// rubric publishes the rubric of --file for the call, or else reads the
// call's, and returns the answer's body and the rubric.
func rubric(cmd *cobra.Command, e *env, c *client.ClientWithResponses, callID string) ([]byte, *client.Rubric, error) {
	if path, _ := cmd.Flags().GetString("file"); path != "" {
		in, err := readJSONFile(e, path)
		if err != nil {
			return nil, nil, err
		}
		resp, err := c.SetRubricWithBodyWithResponse(cmd.Context(), callID, "application/json", bytes.NewReader(in))
		if err := called(resp, err); err != nil {
			return nil, nil, err
		}
		return resp.Body, resp.JSON200, nil
	}
	resp, err := c.GetRubricWithResponse(cmd.Context(), callID)
	if err := called(resp, err); err != nil {
		return nil, nil, err
	}
	return resp.Body, resp.JSON200, nil
}

func printRubric(e *env, r *client.Rubric) error {
	if err := keyValues(e.stdout, [][2]string{{"version", r.Version}, {"pass score", fmtNum(r.PassScore) + " of 5 (weighted)"},
		{"reviewers", strconv.Itoa(r.MinReviewers)}, {"reply window", fmt.Sprintf("%d days", r.ReplyDays)}}); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, cr := range r.Criteria {
		rows = append(rows, []string{cr.Id, cr.Name, fmtNum(100*cr.Weight) + " %", fmtNum(cr.Threshold), truncate(cr.Description, 70)})
	}
	return e.table([]string{"CRITERION", "NAME", "WEIGHT", "THRESHOLD", "DESCRIPTION"}, rows)
}
