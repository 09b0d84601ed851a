// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// called turns a generated client call's outcome into an error: a transport
// failure (netErr, when resp is nil) or a non-2xx answer (ok, with the
// server's message from the response's Body field).
func called(resp response, err error) error {
	if err != nil {
		return netErr(err)
	}
	return ok(resp, client.Body(resp))
}

// readTextFile reads a text file, "-" for standard input.
func readTextFile(e *env, path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// --- reviews ---

func newReviewsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "reviews", Short: "Review proposals: stages, assignments, reviews, replies, the panel",
		Long: `A proposal in review goes through stages: the hosting site's technical
assessment, an ethics review when screening referred it, peer review against
the call's rubric, the applicant's right to reply, and the panel's ranking;
then it awaits its decision (an allocation run, see "pactum allocate").

Access managers assign reviewers and advance stages; site operators write
technical assessments; assigned reviewers write ethics and peer reviews;
applicants read their reviews (anonymised) and reply.`}

	status := &cobra.Command{
		Use: "status PROPOSAL", Short: "Show where a proposal stands in review", Args: cobra.ExactArgs(1),
		Example: `  pactum reviews status 01a2…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetReviewTrackResponse, error) {
				return c.GetReviewTrackWithResponse(ctx, args[0])
			}, func(resp *client.GetReviewTrackResponse) error {
				return printTrack(e, resp.JSON200)
			})
		},
	}
	jsonFlag(status)

	advance := &cobra.Command{
		Use: "advance PROPOSAL", Short: "Close the current stage and open the next (access managers)", Args: cobra.ExactArgs(1),
		Long: `Close the proposal's current review stage and open the next. The stage must
have what it needs: every hosting site's technical assessment, every assigned
reviewer's review (and the rubric's minimum of peer reviews), the applicant's
reply or the end of the reply window. Otherwise the answer says what is missing.`,
		Example: `  pactum reviews advance 01a2…`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AdvanceReviewResponse, error) {
				return c.AdvanceReviewWithResponse(ctx, args[0])
			}, func(resp *client.AdvanceReviewResponse) error {
				return printTrack(e, resp.JSON200)
			})
		},
	}
	jsonFlag(advance)

	list := &cobra.Command{
		Use: "list PROPOSAL", Short: "List the reviews of a proposal you may read", Args: cobra.ExactArgs(1),
		Long: `List a proposal's reviews. Access managers and auditors read all; reviewers
their own; site operators their site's technical assessments; applicants
every review once the reply stage opens, without reviewers' names or
confidential comments.`,
		Example: `  pactum reviews list 01a2…
  pactum reviews list 01a2… --stage peer --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p := &client.ListReviewsParams{}
			if s := optString(cmd, "stage"); s != nil {
				st := client.ReviewStage(*s)
				p.Stage = &st
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListReviewsResponse, error) {
				return c.ListReviewsWithResponse(ctx, args[0], p)
			}, func(resp *client.ListReviewsResponse) error {
				for i, r := range resp.JSON200.Items {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					if err := printReview(e, &r); err != nil {
						return err
					}
				}
				if resp.JSON200.Total == 0 {
					fmt.Fprintln(e.stdout, "No reviews you may read.")
				}
				return nil
			})
		},
	}
	list.Flags().String("stage", "", "only this stage (technical, ethics, peer)")
	jsonFlag(list)

	submit := &cobra.Command{
		Use:   "submit PROPOSAL",
		Short: "Write your review of the proposal's current stage",
		Long: `Write (or rewrite, while the stage is open) your review of the proposal's
current stage: as a site operator the technical assessment of your site's
requested systems; as an assigned reviewer the ethics or peer review. Give the
review as a JSON file in the API's ReviewInput schema, or with flags.`,
		Example: `  pactum reviews submit ID --score excellence=4 --score impact=4 --score implementation=3 \
    --score responsibility=5 --recommend accept --comments "Convincing scaling plan."
  pactum reviews submit ID --recommend accept_with_conditions --condition "Keep the data in the EU." \
    --comments "Acceptable with safeguards."
  pactum reviews submit ID --assess leonardo-booster=feasible --recommend accept --comments "Runs on Leonardo."
  pactum reviews submit ID --file review.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			var resp *client.SubmitReviewResponse
			if path, _ := cmd.Flags().GetString("file"); path != "" {
				body, err := readJSONFile(e, path)
				if err != nil {
					return err
				}
				resp, err = c.SubmitReviewWithBodyWithResponse(cmd.Context(), args[0], "application/json", bytes.NewReader(body))
				if err := called(resp, err); err != nil {
					return err
				}
			} else {
				in, err := reviewInputFromFlags(cmd)
				if err != nil {
					return err
				}
				resp, err = c.SubmitReviewWithResponse(cmd.Context(), args[0], in)
				if err := called(resp, err); err != nil {
					return err
				}
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			return printReview(e, resp.JSON200)
		},
	}
	submit.Flags().String("file", "", "review JSON file (ReviewInput), - for standard input")
	submit.Flags().StringSlice("score", nil, "CRITERION=0..5 for a peer review (repeat for every rubric criterion)")
	submit.Flags().String("recommend", "", "accept, accept_with_conditions (ethics only) or reject")
	submit.Flags().String("comments", "", "comments for the applicant (required)")
	submit.Flags().String("confidential", "", "comments for the panel and access managers only")
	submit.Flags().StringArray("condition", nil, "an ethics condition (repeat)")
	submit.Flags().StringSlice("assess", nil, "SYSTEM=feasible|infeasible|unfit for a technical assessment (repeat)")
	jsonFlag(submit)

	reply := &cobra.Command{
		Use:   "reply PROPOSAL [--text TEXT | --file FILE]",
		Short: "Reply to the reviews (applicants, in the reply stage), or show the reply",
		Example: `  pactum reviews reply ID --text "We will add the ablations the reviewers asked for."
  pactum reviews reply ID`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			text, _ := cmd.Flags().GetString("text")
			if path, _ := cmd.Flags().GetString("file"); path != "" {
				b, err := readTextFile(e, path)
				if err != nil {
					return err
				}
				text = b
			}
			var body []byte
			var rp *client.Reply
			if text == "" {
				resp, err := c.GetReplyWithResponse(cmd.Context(), args[0])
				if err := called(resp, err); err != nil {
					return err
				}
				body, rp = resp.Body, resp.JSON200
			} else {
				resp, err := c.SubmitReplyWithResponse(cmd.Context(), args[0], client.ReplyInput{Text: text})
				if err := called(resp, err); err != nil {
					return err
				}
				body, rp = resp.Body, resp.JSON200
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, body)
			}
			if err := keyValues(e.stdout, [][2]string{{"proposal", rp.ProposalId}, {"author", rp.AuthorId},
				{"submitted", fmtTime(rp.SubmittedAt)}, {"updated", fmtTime(rp.UpdatedAt)}}); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\n%s\n", rp.Text)
			return nil
		},
	}
	reply.Flags().String("text", "", "the reply")
	reply.Flags().String("file", "", "read the reply from a text file (- for standard input)")
	jsonFlag(reply)

	assign := &cobra.Command{
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
				rep := resp.JSON200
				fmt.Fprintf(e.stdout, "%d assignment(s) for the %s stage, %d new conflict(s) of interest recorded.\n\n", len(rep.Assignments), rep.Stage, len(rep.Conflicts))
				if err := printAssignments(e, rep.Assignments); err != nil {
					return err
				}
				if len(rep.Conflicts) > 0 {
					fmt.Fprintln(e.stdout, "\nConflicts of interest:")
					if err := printConflicts(e, rep.Conflicts); err != nil {
						return err
					}
				}
				if len(rep.Shortfalls) > 0 {
					fmt.Fprintln(e.stdout, "\nShort of reviewers:")
					var rows [][]string
					for _, s := range rep.Shortfalls {
						rows = append(rows, []string{s.ProposalId, fmt.Sprintf("%d of %d", s.Found, s.Needed), s.Reason})
					}
					return table(e.stdout, []string{"PROPOSAL", "FOUND", "WHY"}, rows)
				}
				return nil
			})
		},
	}
	assign.Flags().String("call", "", "the call (required)")
	assign.Flags().String("stage", "peer", "ethics or peer")
	_ = assign.MarkFlagRequired("call")
	jsonFlag(assign)

	assignments := &cobra.Command{
		Use: "assignments", Short: "List review assignments (reviewers their own)", Args: cobra.NoArgs,
		Example: `  pactum reviews assignments --state assigned`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
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
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListAssignmentsResponse, error) {
				return c.ListAssignmentsWithResponse(ctx, p)
			}, func(resp *client.ListAssignmentsResponse) error {
				if err := printAssignments(e, resp.JSON200.Items); err != nil {
					return err
				}
				footer(e.stdout, len(resp.JSON200.Items), resp.JSON200.Total)
				return nil
			})
		},
	}
	assignments.Flags().String("proposal", "", "only this proposal's")
	assignments.Flags().String("call", "", "only this call's")
	assignments.Flags().String("reviewer", "", "only this reviewer's")
	assignments.Flags().String("stage", "", "only this stage (ethics, peer)")
	assignments.Flags().String("state", "", "only this state (assigned, submitted, recused)")
	pageFlags(assignments)
	jsonFlag(assignments)

	recuse := &cobra.Command{
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
	recuse.Flags().String("reason", "", "the conflict (required)")
	_ = recuse.MarkFlagRequired("reason")
	jsonFlag(recuse)

	conflicts := &cobra.Command{
		Use: "conflicts", Short: "List recorded conflicts of interest", Args: cobra.NoArgs,
		Example: `  pactum reviews conflicts --proposal 01a2…`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListConflictsParams{ProposalId: optString(cmd, "proposal"), ReviewerId: optString(cmd, "reviewer"), Limit: l, Offset: o}
			if s := optString(cmd, "status"); s != nil {
				st := client.ConflictStatus(*s)
				p.Status = &st
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListConflictsResponse, error) {
				return c.ListConflictsWithResponse(ctx, p)
			}, func(resp *client.ListConflictsResponse) error {
				if err := printConflicts(e, resp.JSON200.Items); err != nil {
					return err
				}
				footer(e.stdout, len(resp.JSON200.Items), resp.JSON200.Total)
				return nil
			})
		},
	}
	conflicts.Flags().String("proposal", "", "only this proposal's")
	conflicts.Flags().String("reviewer", "", "only this reviewer's")
	conflicts.Flags().String("status", "", "only active or waived ones")
	pageFlags(conflicts)
	jsonFlag(conflicts)

	waive := &cobra.Command{
		Use: "waive CONFLICT --reason TEXT", Short: "Waive an apparent conflict of interest (access managers)", Args: cobra.ExactArgs(1),
		Long:    `Waive an apparent conflict (a past affiliation), so the reviewer may be assigned. Real conflicts cannot be waived.`,
		Example: `  pactum reviews waive 01a4… --reason "Left the company in 2023; no shared projects since."`,
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, _ := cmd.Flags().GetString("reason")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.WaiveConflictResponse, error) {
				return c.WaiveConflictWithResponse(ctx, args[0], client.ReasonInput{Reason: reason})
			}, func(resp *client.WaiveConflictResponse) error {
				return printConflicts(e, []client.ConflictOfInterest{*resp.JSON200})
			})
		},
	}
	waive.Flags().String("reason", "", "why the conflict does not matter (required)")
	_ = waive.MarkFlagRequired("reason")
	jsonFlag(waive)

	panel := &cobra.Command{
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
			in := client.PanelInput{}
			adj, _ := cmd.Flags().GetStringArray("adjust")
			for _, a := range adj {
				id, rest, ok1 := strings.Cut(a, "=")
				score, why, ok2 := strings.Cut(rest, ":")
				x, err := strconv.ParseFloat(score, 64)
				if !ok1 || !ok2 || err != nil {
					return pactum.Errorf(pactum.EINVALID, "--adjust %q: use PROPOSAL=SCORE:JUSTIFICATION", a)
				}
				list := append(derefAdjustments(in.Adjustments), client.PanelAdjustment{ProposalId: id, Score: x, Justification: why})
				in.Adjustments = &list
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.RankPanelResponse, error) {
				return c.RankPanelWithResponse(ctx, callID, in)
			}, func(resp *client.RankPanelResponse) error {
				return printRanking(e, resp.JSON200.Items)
			})
		},
	}
	panel.Flags().String("call", "", "the call (required)")
	panel.Flags().StringArray("adjust", nil, "PROPOSAL=SCORE:JUSTIFICATION (repeat)")
	_ = panel.MarkFlagRequired("call")
	jsonFlag(panel)

	ranking := &cobra.Command{
		Use: "ranking --call ID", Short: "Show the call's ranked proposals (access managers and auditors)", Args: cobra.NoArgs,
		Example: `  pactum reviews ranking --call 01a2…`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			callID, _ := cmd.Flags().GetString("call")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetRankingResponse, error) {
				return c.GetRankingWithResponse(ctx, callID)
			}, func(resp *client.GetRankingResponse) error {
				return printRanking(e, resp.JSON200.Items)
			})
		},
	}
	ranking.Flags().String("call", "", "the call (required)")
	_ = ranking.MarkFlagRequired("call")
	jsonFlag(ranking)

	rubric := &cobra.Command{
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
			var body []byte
			var r *client.Rubric
			if path, _ := cmd.Flags().GetString("file"); path != "" {
				in, err := readJSONFile(e, path)
				if err != nil {
					return err
				}
				resp, err := c.SetRubricWithBodyWithResponse(cmd.Context(), callID, "application/json", bytes.NewReader(in))
				if err := called(resp, err); err != nil {
					return err
				}
				body, r = resp.Body, resp.JSON200
			} else {
				resp, err := c.GetRubricWithResponse(cmd.Context(), callID)
				if err := called(resp, err); err != nil {
					return err
				}
				body, r = resp.Body, resp.JSON200
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, body)
			}
			if err := keyValues(e.stdout, [][2]string{{"version", r.Version}, {"pass score", fmtNum(r.PassScore) + " of 5 (weighted)"},
				{"reviewers", strconv.Itoa(r.MinReviewers)}, {"reply window", fmt.Sprintf("%d days", r.ReplyDays)}}); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout)
			var rows [][]string
			for _, cr := range r.Criteria {
				rows = append(rows, []string{cr.Id, cr.Name, fmtNum(100*cr.Weight) + " %", fmtNum(cr.Threshold), truncate(cr.Description, 70)})
			}
			return table(e.stdout, []string{"CRITERION", "NAME", "WEIGHT", "THRESHOLD", "DESCRIPTION"}, rows)
		},
	}
	rubric.Flags().String("call", "", "the call (required)")
	rubric.Flags().String("file", "", "publish this rubric (JSON, the API's Rubric schema)")
	_ = rubric.MarkFlagRequired("call")
	jsonFlag(rubric)

	cmd.AddCommand(status, list, submit, reply, advance, assign, assignments, recuse, conflicts, waive, panel, ranking, rubric)
	return cmd
}

func derefAdjustments(a *[]client.PanelAdjustment) []client.PanelAdjustment {
	if a == nil {
		return nil
	}
	return *a
}

// reviewInputFromFlags builds a review from submit's flags.
func reviewInputFromFlags(cmd *cobra.Command) (client.ReviewInput, error) {
	var in client.ReviewInput
	rec, _ := cmd.Flags().GetString("recommend")
	in.Recommendation = client.Recommendation(rec)
	in.CommentsForApplicant, _ = cmd.Flags().GetString("comments")
	if s, _ := cmd.Flags().GetString("confidential"); s != "" {
		in.ConfidentialComments = &s
	}
	if conds, _ := cmd.Flags().GetStringArray("condition"); len(conds) > 0 {
		in.Conditions = &conds
	}
	scores, _ := cmd.Flags().GetStringSlice("score")
	for _, s := range scores {
		k, v, found := strings.Cut(s, "=")
		n, err := strconv.Atoi(v)
		if !found || err != nil {
			return in, pactum.Errorf(pactum.EINVALID, "--score %q: use CRITERION=0..5, e.g. excellence=4", s)
		}
		list := append(derefScores(in.Scores), client.CriterionScore{Criterion: k, Score: n})
		in.Scores = &list
	}
	assess, _ := cmd.Flags().GetStringSlice("assess")
	for _, a := range assess {
		sys, verdict, _ := strings.Cut(a, "=")
		sa := client.SystemAssessment{SystemId: sys, Comment: in.CommentsForApplicant}
		switch verdict {
		case "feasible":
			sa.Feasible, sa.SoftwareFits, sa.ScalabilityEvidence = true, true, true
		case "infeasible":
		case "unfit":
			sa.Feasible, sa.ScalabilityEvidence = true, true
		default:
			return in, pactum.Errorf(pactum.EINVALID, "--assess %q: use SYSTEM=feasible, SYSTEM=infeasible or SYSTEM=unfit (the software does not run there)", a)
		}
		list := append(derefSystems(in.Systems), sa)
		in.Systems = &list
	}
	return in, nil
}

func derefScores(s *[]client.CriterionScore) []client.CriterionScore {
	if s == nil {
		return nil
	}
	return *s
}

func derefSystems(s *[]client.SystemAssessment) []client.SystemAssessment {
	if s == nil {
		return nil
	}
	return *s
}

func printTrack(e *env, t *client.ReviewTrack) error {
	var plan []string
	for _, s := range t.Stages {
		if s == t.Stage {
			plan = append(plan, "["+string(s)+"]")
		} else {
			plan = append(plan, string(s))
		}
	}
	kv := [][2]string{{"proposal", t.ProposalId}, {"stage", string(t.Stage)}, {"since", fmtTime(t.StageStartedAt)},
		{"stages", strings.Join(plan, " → ")}}
	if t.PanelScore != nil {
		kv = append(kv, [2]string{"panel score", fmt.Sprintf("%.2f", *t.PanelScore)})
	}
	if t.PanelRank != nil {
		kv = append(kv, [2]string{"panel rank", strconv.Itoa(*t.PanelRank)})
	}
	if t.Passes != nil {
		kv = append(kv, [2]string{"passes rubric", yesNo(*t.Passes)})
	}
	if t.PanelNote != nil && *t.PanelNote != "" {
		kv = append(kv, [2]string{"panel note", *t.PanelNote})
	}
	return keyValues(e.stdout, kv)
}

func printReview(e *env, r *client.Review) error {
	kv := [][2]string{{"review", r.Id}, {"stage", string(r.Stage)}, {"by", r.Reviewer}, {"recommendation", string(r.Recommendation)}}
	if r.ReviewerId != nil {
		kv = append(kv, [2]string{"reviewer", *r.ReviewerId})
	}
	if r.Score != nil {
		kv = append(kv, [2]string{"weighted score", fmt.Sprintf("%.2f of 5", *r.Score)})
	}
	if r.Scores != nil {
		var s []string
		for _, cs := range *r.Scores {
			s = append(s, fmt.Sprintf("%s %d", cs.Criterion, cs.Score))
		}
		kv = append(kv, [2]string{"scores", strings.Join(s, ", ")})
	}
	if r.Systems != nil {
		for _, a := range *r.Systems {
			kv = append(kv, [2]string{"system " + a.SystemId, fmt.Sprintf("feasible %s, software fits %s, scalability shown %s",
				yesNo(a.Feasible), yesNo(a.SoftwareFits), yesNo(a.ScalabilityEvidence))})
		}
	}
	if r.Conditions != nil {
		for i, c := range *r.Conditions {
			kv = append(kv, [2]string{fmt.Sprintf("condition %d", i+1), c})
		}
	}
	kv = append(kv, [2]string{"for the applicant", r.CommentsForApplicant})
	if r.ConfidentialComments != nil && *r.ConfidentialComments != "" {
		kv = append(kv, [2]string{"confidential", *r.ConfidentialComments})
	}
	kv = append(kv, [2]string{"submitted", fmtTime(r.SubmittedAt)})
	return keyValues(e.stdout, kv)
}

func printAssignments(e *env, as []client.Assignment) error {
	var rows [][]string
	for _, a := range as {
		rows = append(rows, []string{a.Id, a.ProposalId, string(a.Stage), a.ReviewerId, string(a.State), strconv.Itoa(a.Affinity), joinComma(a.Matched)})
	}
	return table(e.stdout, []string{"ASSIGNMENT", "PROPOSAL", "STAGE", "REVIEWER", "STATE", "AFFINITY", "MATCHED"}, rows)
}

func printConflicts(e *env, cs []client.ConflictOfInterest) error {
	var rows [][]string
	for _, c := range cs {
		rows = append(rows, []string{c.Id, c.ProposalId, c.ReviewerId, string(c.Reason), string(c.Severity), string(c.Status), c.Detail})
	}
	return table(e.stdout, []string{"CONFLICT", "PROPOSAL", "REVIEWER", "REASON", "SEVERITY", "STATUS", "DETAIL"}, rows)
}

func printRanking(e *env, entries []client.PanelEntry) error {
	var rows [][]string
	for _, p := range entries {
		note := "-"
		if p.Note != nil && *p.Note != "" {
			note = *p.Note
		} else if p.Verdict.Failing != nil && len(*p.Verdict.Failing) > 0 {
			note = strings.Join(*p.Verdict.Failing, " ")
		}
		rows = append(rows, []string{strconv.Itoa(p.Rank), p.ProposalId, truncate(p.Title, 36), fmt.Sprintf("%.2f", p.ReviewScore),
			fmt.Sprintf("%.2f", p.Score), yesNo(p.Passes), strconv.Itoa(p.Reviews), note})
	}
	return table(e.stdout, []string{"RANK", "PROPOSAL", "TITLE", "REVIEWS SCORE", "PANEL SCORE", "PASSES", "REVIEWS", "NOTE"}, rows)
}

// --- reviewers ---

func newReviewersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "reviewers", Short: "Reviewer profiles: expertise, affiliations, declared conflicts"}
	list := &cobra.Command{
		Use: "list", Short: "List reviewers (access managers and auditors; reviewers see themselves)", Args: cobra.NoArgs,
		Example: `  pactum reviewers list --expertise ethics`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListReviewersResponse, error) {
				return c.ListReviewersWithResponse(ctx, &client.ListReviewersParams{Expertise: optString(cmd, "expertise"), Limit: l, Offset: o})
			}, func(resp *client.ListReviewersResponse) error {
				var rows [][]string
				for _, r := range resp.JSON200.Items {
					var aff []string
					for _, a := range r.Affiliations {
						aff = append(aff, a.Organization)
					}
					rows = append(rows, []string{r.UserId, r.Email, joinComma(r.Expertise), joinComma(aff), strconv.Itoa(len(r.DeclaredConflicts))})
				}
				if err := table(e.stdout, []string{"ID", "EMAIL", "EXPERTISE", "AFFILIATIONS", "DECLARED CONFLICTS"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().String("expertise", "", "only reviewers declaring this keyword")
	pageFlags(list)
	jsonFlag(list)

	show := &cobra.Command{
		Use: "show ID", Short: "Show a reviewer's profile", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetReviewerResponse, error) {
				return c.GetReviewerWithResponse(ctx, args[0])
			}, func(resp *client.GetReviewerResponse) error {
				return printProfile(e, resp.JSON200)
			})
		},
	}
	jsonFlag(show)

	update := &cobra.Command{
		Use:   "update ID",
		Short: "Change a reviewer's profile (the reviewer or an access manager)",
		Long: `Change a reviewer's profile. --expertise replaces the keywords; --affiliation
and --declare add to what the profile holds (--clear empties both first);
--file replaces the whole profile with a JSON document (ReviewerProfileInput).
Assignments the new profile conflicts with are recused at once.`,
		Example: `  pactum reviewers update ID --expertise language_model,text,legal
  pactum reviewers update ID --affiliation "TU Example,from=2018-09-01,until=2024-06-30"
  pactum reviewers update ID --affiliation "Aleph Lingua GmbH,id=01a2…,from=2025-01-01"
  pactum reviewers update ID --declare "Bora Vision SAS:my spouse works there"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			var resp *client.UpdateReviewerResponse
			if path, _ := cmd.Flags().GetString("file"); path != "" {
				body, err := readJSONFile(e, path)
				if err != nil {
					return err
				}
				resp, err = c.UpdateReviewerWithBodyWithResponse(cmd.Context(), args[0], "application/json", bytes.NewReader(body))
				if err := called(resp, err); err != nil {
					return err
				}
			} else {
				cur, err := c.GetReviewerWithResponse(cmd.Context(), args[0])
				if err := called(cur, err); err != nil {
					return err
				}
				in := client.ReviewerProfileInput{Expertise: cur.JSON200.Expertise, Affiliations: cur.JSON200.Affiliations,
					DeclaredConflicts: cur.JSON200.DeclaredConflicts}
				if clear, _ := cmd.Flags().GetBool("clear"); clear {
					in.Affiliations, in.DeclaredConflicts = []client.Affiliation{}, []client.DeclaredConflict{}
				}
				if cmd.Flags().Changed("expertise") {
					in.Expertise, _ = cmd.Flags().GetStringSlice("expertise")
				}
				affs, _ := cmd.Flags().GetStringArray("affiliation")
				for _, a := range affs {
					af, err := parseAffiliation(a)
					if err != nil {
						return err
					}
					in.Affiliations = append(in.Affiliations, af)
				}
				decl, _ := cmd.Flags().GetStringArray("declare")
				for _, d := range decl {
					org, reason, found := strings.Cut(d, ":")
					if !found || strings.TrimSpace(reason) == "" {
						return pactum.Errorf(pactum.EINVALID, "--declare %q: use ORGANIZATION:REASON", d)
					}
					dc := client.DeclaredConflict{Reason: strings.TrimSpace(reason)}
					org = strings.TrimSpace(org)
					dc.Organization = &org
					in.DeclaredConflicts = append(in.DeclaredConflicts, dc)
				}
				resp, err = c.UpdateReviewerWithResponse(cmd.Context(), args[0], in)
				if err := called(resp, err); err != nil {
					return err
				}
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			return printProfile(e, resp.JSON200)
		},
	}
	update.Flags().StringSlice("expertise", nil, "expertise keywords, e.g. language_model,speech,medical,ethics")
	update.Flags().StringArray("affiliation", nil, "add an affiliation: NAME[,id=ORG_ID][,from=YYYY-MM-DD][,until=YYYY-MM-DD] (repeat)")
	update.Flags().StringArray("declare", nil, "add a declared conflict: ORGANIZATION:REASON (repeat)")
	update.Flags().Bool("clear", false, "drop the current affiliations and declared conflicts first")
	update.Flags().String("file", "", "replace the profile with this JSON file (ReviewerProfileInput)")
	jsonFlag(update)

	cmd.AddCommand(list, show, update)
	return cmd
}

// parseAffiliation reads NAME[,id=ORG_ID][,from=DATE][,until=DATE].
func parseAffiliation(s string) (client.Affiliation, error) {
	parts := strings.Split(s, ",")
	a := client.Affiliation{Organization: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found {
			return a, pactum.Errorf(pactum.EINVALID, "--affiliation %q: use NAME[,id=ORG_ID][,from=YYYY-MM-DD][,until=YYYY-MM-DD]", s)
		}
		switch k {
		case "id":
			a.OrganizationId = &v
		case "from", "until":
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return a, pactum.Errorf(pactum.EINVALID, "--affiliation %q: %s must be YYYY-MM-DD", s, k)
			}
			d := &openapi_types.Date{Time: t}
			if k == "from" {
				a.From = d
			} else {
				a.Until = d
			}
		default:
			return a, pactum.Errorf(pactum.EINVALID, "--affiliation %q: unknown key %q (id, from, until)", s, k)
		}
	}
	return a, nil
}

func printProfile(e *env, r *client.ReviewerProfile) error {
	if err := keyValues(e.stdout, [][2]string{{"reviewer", r.UserId}, {"name", r.Name}, {"email", r.Email},
		{"expertise", joinComma(r.Expertise)}, {"updated", fmtTime(r.UpdatedAt)}}); err != nil {
		return err
	}
	if len(r.Affiliations) > 0 {
		fmt.Fprintln(e.stdout, "\nAffiliations:")
		var rows [][]string
		for _, a := range r.Affiliations {
			rows = append(rows, []string{a.Organization, str(a.OrganizationId), dateOr(a.From, "-"), dateOr(a.Until, "now")})
		}
		if err := table(e.stdout, []string{"ORGANIZATION", "ID", "FROM", "UNTIL"}, rows); err != nil {
			return err
		}
	}
	if len(r.DeclaredConflicts) > 0 {
		fmt.Fprintln(e.stdout, "\nDeclared conflicts:")
		var rows [][]string
		for _, d := range r.DeclaredConflicts {
			rows = append(rows, []string{str(d.Organization), str(d.OrganizationId), d.Reason})
		}
		return table(e.stdout, []string{"ORGANIZATION", "ID", "REASON"}, rows)
	}
	return nil
}

func dateOr(d *openapi_types.Date, none string) string {
	if d == nil {
		return none
	}
	return d.Format(time.DateOnly)
}

// --- notifications ---

func newNotificationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "notifications", Aliases: []string{"inbox"}, Short: "Your notifications (review assignments, reviews to reply to, decisions)"}
	list := &cobra.Command{
		Use: "list", Short: "List your notifications, newest first", Args: cobra.NoArgs,
		Example: `  pactum notifications list --unread`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListNotificationsParams{UserId: optString(cmd, "user"), ProposalId: optString(cmd, "proposal"), Limit: l, Offset: o}
			if u, _ := cmd.Flags().GetBool("unread"); u {
				p.Unread = &u
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListNotificationsResponse, error) {
				return c.ListNotificationsWithResponse(ctx, p)
			}, func(resp *client.ListNotificationsResponse) error {
				for i, n := range resp.JSON200.Items {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					read := "unread"
					if n.ReadAt != nil {
						read = "read"
					}
					fmt.Fprintf(e.stdout, "%s  %s  %s (%s)\n  %s\n  %s\n", fmtTime(n.CreatedAt), n.Id, n.Subject, read, str(n.ProposalId), n.Body)
				}
				if resp.JSON200.Total == 0 {
					fmt.Fprintln(e.stdout, "No notifications.")
				}
				footer(e.stdout, len(resp.JSON200.Items), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().Bool("unread", false, "only unread ones")
	list.Flags().String("proposal", "", "only about this proposal")
	list.Flags().String("user", "", "another user's (access managers and auditors)")
	pageFlags(list)
	jsonFlag(list)
	read := &cobra.Command{
		Use: "read ID", Short: "Mark a notification read", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.MarkNotificationReadResponse, error) {
				return c.MarkNotificationReadWithResponse(ctx, args[0])
			}, func(resp *client.MarkNotificationReadResponse) error {
				fmt.Fprintf(e.stdout, "Notification %s marked read.\n", args[0])
				return nil
			})
		},
	}
	jsonFlag(read)
	cmd.AddCommand(list, read)
	return cmd
}
