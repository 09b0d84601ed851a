// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newReviewersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "reviewers", Short: "Reviewer profiles: expertise, affiliations, declared conflicts"}
	cmd.AddCommand(newReviewersListCmd(e), newReviewersShowCmd(e), newReviewersUpdateCmd(e))
	return cmd
}

func newReviewersListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "List reviewers (access managers and auditors; reviewers see themselves)", Args: cobra.NoArgs,
		Example: `  pactum reviewers list --expertise ethics`,
	}
	cmd.Flags().String("expertise", "", "only reviewers declaring this keyword")
	return listCmd(e, cmd, listing[*client.ListReviewersResponse, client.ReviewerProfile]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListReviewersResponse, error) {
			l, o := pageParams(cmd)
			return c.ListReviewersWithResponse(ctx, &client.ListReviewersParams{Expertise: optString(cmd, "expertise"), Limit: l, Offset: o})
		},
		page: func(r *client.ListReviewersResponse) ([]client.ReviewerProfile, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.ReviewerProfile]{
			header: []string{"ID", "EMAIL", "EXPERTISE", "AFFILIATIONS", "DECLARED CONFLICTS"},
			row: func(r client.ReviewerProfile) []string {
				var aff []string
				for _, a := range r.Affiliations {
					aff = append(aff, a.Organization)
				}
				return []string{r.UserId, r.Email, joinComma(r.Expertise), joinComma(aff), strconv.Itoa(len(r.DeclaredConflicts))}
			},
		},
		paged: true,
	})
}

func newReviewersShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show a reviewer's profile", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetReviewerWithResponse), func(resp *client.GetReviewerResponse) error {
		return printProfile(e, resp.JSON200)
	})
}

func newReviewersUpdateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
			resp, err := updateReviewer(cmd, e, c, args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			return printProfile(e, resp.JSON200)
		},
	}
	cmd.Flags().StringSlice("expertise", nil, "expertise keywords, e.g. language_model,speech,medical,ethics")
	cmd.Flags().StringArray("affiliation", nil, "add an affiliation: NAME[,id=ORG_ID][,from=YYYY-MM-DD][,until=YYYY-MM-DD] (repeat)")
	cmd.Flags().StringArray("declare", nil, "add a declared conflict: ORGANIZATION:REASON (repeat)")
	cmd.Flags().Bool("clear", false, "drop the current affiliations and declared conflicts first")
	cmd.Flags().String("file", "", "replace the profile with this JSON file (ReviewerProfileInput)")
	jsonFlag(cmd)
	return cmd
}

// updateReviewer replaces the profile with --file, or else changes the
// current profile as the flags say.
func updateReviewer(cmd *cobra.Command, e *env, c *client.ClientWithResponses, id string) (*client.UpdateReviewerResponse, error) {
	var resp *client.UpdateReviewerResponse
	if path, _ := cmd.Flags().GetString("file"); path != "" {
		body, err := readJSONFile(e, path)
		if err != nil {
			return nil, err
		}
		resp, err = c.UpdateReviewerWithBodyWithResponse(cmd.Context(), id, "application/json", bytes.NewReader(body))
		return resp, called(resp, err)
	}
	cur, err := c.GetReviewerWithResponse(cmd.Context(), id)
	if err := called(cur, err); err != nil {
		return nil, err
	}
	in, err := profileFromFlags(cmd, cur.JSON200)
	if err != nil {
		return nil, err
	}
	resp, err = c.UpdateReviewerWithResponse(cmd.Context(), id, in)
	return resp, called(resp, err)
}

// profileFromFlags applies update's flags to the current profile.
func profileFromFlags(cmd *cobra.Command, cur *client.ReviewerProfile) (client.ReviewerProfileInput, error) {
	in := client.ReviewerProfileInput{Expertise: cur.Expertise, Affiliations: cur.Affiliations, DeclaredConflicts: cur.DeclaredConflicts}
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
			return in, err
		}
		in.Affiliations = append(in.Affiliations, af)
	}
	decl, _ := cmd.Flags().GetStringArray("declare")
	for _, d := range decl {
		org, reason, found := strings.Cut(d, ":")
		if !found || strings.TrimSpace(reason) == "" {
			return in, pactum.Errorf(pactum.EINVALID, "--declare %q: use ORGANIZATION:REASON", d)
		}
		dc := client.DeclaredConflict{Reason: strings.TrimSpace(reason)}
		org = strings.TrimSpace(org)
		dc.Organization = &org
		in.DeclaredConflicts = append(in.DeclaredConflicts, dc)
	}
	return in, nil
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
		if err := e.table([]string{"ORGANIZATION", "ID", "FROM", "UNTIL"}, rows); err != nil {
			return err
		}
	}
	if len(r.DeclaredConflicts) > 0 {
		fmt.Fprintln(e.stdout, "\nDeclared conflicts:")
		var rows [][]string
		for _, d := range r.DeclaredConflicts {
			rows = append(rows, []string{str(d.Organization), str(d.OrganizationId), d.Reason})
		}
		return e.table([]string{"ORGANIZATION", "ID", "REASON"}, rows)
	}
	return nil
}

func dateOr(d *openapi_types.Date, none string) string {
	if d == nil {
		return none
	}
	return d.Format(time.DateOnly)
}
