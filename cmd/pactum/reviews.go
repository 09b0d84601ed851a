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

func newReviewsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "reviews", Short: "Review proposals: stages, assignments, reviews, replies, the panel",
		Long: `A proposal in review goes through stages: the hosting site's technical
assessment, an ethics review when screening referred it, peer review against
the call's rubric, the applicant's right to reply, and the panel's ranking;
then it awaits its decision (an allocation run, see "pactum allocate").

Access managers assign reviewers and advance stages; site operators write
technical assessments; assigned reviewers write ethics and peer reviews;
applicants read their reviews (anonymised) and reply.`}
	cmd.AddCommand(newReviewsStatusCmd(e), newReviewsListCmd(e), newReviewsSubmitCmd(e), newReviewsReplyCmd(e),
		newReviewsAdvanceCmd(e), newReviewsAssignCmd(e), newReviewsAssignmentsCmd(e), newReviewsRecuseCmd(e),
		newReviewsConflictsCmd(e), newReviewsWaiveCmd(e), newReviewsPanelCmd(e), newReviewsRankingCmd(e), newReviewsRubricCmd(e))
	return cmd
}

func newReviewsStatusCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "status PROPOSAL", Short: "Show where a proposal stands in review", Args: cobra.ExactArgs(1),
		Example: `  pactum reviews status 01a2…`,
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetReviewTrackWithResponse), func(resp *client.GetReviewTrackResponse) error {
		return printTrack(e, resp.JSON200)
	})
}

func newReviewsAdvanceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "advance PROPOSAL", Short: "Close the current stage and open the next (access managers)", Args: cobra.ExactArgs(1),
		Long: `Close the proposal's current review stage and open the next. The stage must
have what it needs: every hosting site's technical assessment, every assigned
reviewer's review (and the rubric's minimum of peer reviews), the applicant's
reply or the end of the reply window. Otherwise the answer says what is missing.`,
		Example: `  pactum reviews advance 01a2…`,
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).AdvanceReviewWithResponse), func(resp *client.AdvanceReviewResponse) error {
		return printTrack(e, resp.JSON200)
	})
}

func newReviewsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list PROPOSAL", Short: "List the reviews of a proposal you may read", Args: cobra.ExactArgs(1),
		Long: `List a proposal's reviews. Access managers and auditors read all; reviewers
their own; site operators their site's technical assessments; applicants
every review once the reply stage opens, without reviewers' names or
confidential comments.`,
		Example: `  pactum reviews list 01a2…
  pactum reviews list 01a2… --stage peer --json`,
	}
	cmd.Flags().String("stage", "", "only this stage (technical, ethics, peer)")
	return listCmd(e, cmd, listing[*client.ListReviewsResponse, client.Review]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, args []string) (*client.ListReviewsResponse, error) {
			p := &client.ListReviewsParams{}
			if s := optString(cmd, "stage"); s != nil {
				st := client.ReviewStage(*s)
				p.Stage = &st
			}
			return c.ListReviewsWithResponse(ctx, args[0], p)
		},
		page:  func(r *client.ListReviewsResponse) ([]client.Review, int) { return r.JSON200.Items, r.JSON200.Total },
		block: func(r client.Review) error { return printReview(e, &r) },
		empty: "No reviews you may read.",
	})
}

func newReviewsSubmitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit PROPOSAL",
		Short: "Write your review of the proposal's current stage",
		Long: `Write (or rewrite, while the stage is open) your review of the proposal's
current stage: as a site operator the technical assessment of your site's
requested systems; as an assigned reviewer the ethics or peer review. Give the
review as a JSON file in the API's ReviewInput schema, or with flags.`,
		Example: `  pactum reviews submit ID --score excellence=4 --score impact=4 --score implementation=3 \
    --score responsibility=5 --recommend accept --comments "Convincing scaling plan."
  pactum reviews submit ID --recommend accept_with_conditions --condition "Keep the data in the EU." \
    --condition "Publish a model card before release." --condition-days 0 --condition-days 60 \
    --comments "Acceptable with safeguards."
  pactum reviews submit ID --assess leonardo-booster=feasible --recommend accept --comments "Runs on Leonardo."
  pactum reviews submit ID --file review.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := submitReview(cmd, e, c, args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			return printReview(e, resp.JSON200)
		},
	}
	cmd.Flags().String("file", "", "review JSON file (ReviewInput), - for standard input")
	cmd.Flags().StringSlice("score", nil, "CRITERION=0..5 for a peer review (repeat for every rubric criterion)")
	cmd.Flags().String("recommend", "", "accept, accept_with_conditions (ethics only) or reject")
	cmd.Flags().String("comments", "", "comments for the applicant (required)")
	cmd.Flags().String("confidential", "", "comments for the panel and access managers only")
	cmd.Flags().StringArray("condition", nil, "an ethics condition (repeat)")
	cmd.Flags().IntSlice("condition-days", nil, "for each --condition in order, the days after the allocation starts by which the holder reports how it is met (0: the mode's default)")
	cmd.Flags().StringSlice("assess", nil, "SYSTEM=feasible|infeasible|unfit for a technical assessment (repeat)")
	jsonFlag(cmd)
	return cmd
}

// submitReview submits the review of --file, or else of the flags.
func submitReview(cmd *cobra.Command, e *env, c *client.ClientWithResponses, proposal string) (*client.SubmitReviewResponse, error) {
	var resp *client.SubmitReviewResponse
	if path, _ := cmd.Flags().GetString("file"); path != "" {
		body, err := readJSONFile(e, path)
		if err != nil {
			return nil, err
		}
		resp, err = c.SubmitReviewWithBodyWithResponse(cmd.Context(), proposal, "application/json", bytes.NewReader(body))
		return resp, called(resp, err)
	}
	in, err := reviewInputFromFlags(cmd)
	if err != nil {
		return nil, err
	}
	resp, err = c.SubmitReviewWithResponse(cmd.Context(), proposal, in)
	return resp, called(resp, err)
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
	conds, _ := cmd.Flags().GetStringArray("condition")
	if len(conds) > 0 {
		in.Conditions = &conds
	}
	if days, _ := cmd.Flags().GetIntSlice("condition-days"); len(days) > 0 {
		if len(days) != len(conds) {
			return in, pactum.Errorf(pactum.EINVALID, "--condition-days: give one per --condition (%d conditions, %d day counts); 0 takes the mode's default", len(conds), len(days))
		}
		in.ConditionDueDays = &days
	}
	scores, _ := cmd.Flags().GetStringSlice("score")
	for _, s := range scores {
		k, v, found := strings.Cut(s, "=")
		n, err := strconv.Atoi(v)
		if !found || err != nil {
			return in, pactum.Errorf(pactum.EINVALID, "--score %q: use CRITERION=0..5, e.g. excellence=4", s)
		}
		list := append(deref(in.Scores), client.CriterionScore{Criterion: k, Score: n})
		in.Scores = &list
	}
	assess, _ := cmd.Flags().GetStringSlice("assess")
	for _, a := range assess {
		sa, err := assessment(a, in.CommentsForApplicant)
		if err != nil {
			return in, err
		}
		list := append(deref(in.Systems), sa)
		in.Systems = &list
	}
	return in, nil
}

// assessment reads SYSTEM=feasible|infeasible|unfit.
func assessment(a, comment string) (client.SystemAssessment, error) {
	sys, verdict, _ := strings.Cut(a, "=")
	sa := client.SystemAssessment{SystemId: sys, Comment: comment}
	switch verdict {
	case "feasible":
		sa.Feasible, sa.SoftwareFits, sa.ScalabilityEvidence = true, true, true
	case "infeasible":
	case "unfit":
		sa.Feasible, sa.ScalabilityEvidence = true, true
	default:
		return sa, pactum.Errorf(pactum.EINVALID, "--assess %q: use SYSTEM=feasible, SYSTEM=infeasible or SYSTEM=unfit (the software does not run there)", a)
	}
	return sa, nil
}

func newReviewsReplyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
			return printReply(e, rp)
		},
	}
	cmd.Flags().String("text", "", "the reply")
	cmd.Flags().String("file", "", "read the reply from a text file (- for standard input)")
	jsonFlag(cmd)
	return cmd
}

func printReply(e *env, rp *client.Reply) error {
	if err := keyValues(e.stdout, [][2]string{{"proposal", rp.ProposalId}, {"author", rp.AuthorId},
		{"submitted", fmtTime(rp.SubmittedAt)}, {"updated", fmtTime(rp.UpdatedAt)}}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s\n", rp.Text)
	return nil
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
	for _, a := range deref(r.Systems) {
		kv = append(kv, [2]string{"system " + a.SystemId, fmt.Sprintf("feasible %s, software fits %s, scalability shown %s",
			yesNo(a.Feasible), yesNo(a.SoftwareFits), yesNo(a.ScalabilityEvidence))})
	}
	days := deref(r.ConditionDueDays)
	for i, c := range deref(r.Conditions) {
		if i < len(days) && days[i] > 0 {
			c += fmt.Sprintf(" (report within %d days of the start)", days[i])
		}
		kv = append(kv, [2]string{fmt.Sprintf("condition %d", i+1), c})
	}
	kv = append(kv, [2]string{"for the applicant", r.CommentsForApplicant})
	if r.ConfidentialComments != nil && *r.ConfidentialComments != "" {
		kv = append(kv, [2]string{"confidential", *r.ConfidentialComments})
	}
	kv = append(kv, [2]string{"submitted", fmtTime(r.SubmittedAt)})
	return keyValues(e.stdout, kv)
}
