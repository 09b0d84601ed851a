// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"strconv"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newOrgsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Aliases: []string{"organizations"}, Short: "Register and list organizations"}
	cmd.AddCommand(newOrgsCreateCmd(e), newOrgsListCmd(e), newOrgsShowCmd(e))
	return cmd
}

func newOrgsCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register an organization (access managers)",
		Long: `Register an organization from its legal facts. SME and startup status are
derived from them (Recommendation 2003/361/EC), never typed in.`,
		Example: `  pactum orgs create --name "Aleph Lingua GmbH" --country DE --registration "HRB 123456" \
    --founded 2022-03-01 --staff 24 --turnover 2000000 --balance-sheet 3000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			founded, _ := cmd.Flags().GetString("founded")
			d, err := time.Parse(time.DateOnly, founded)
			if err != nil {
				return pactum.Errorf(pactum.EINVALID, "--founded %q: use YYYY-MM-DD", founded)
			}
			in := client.OrganizationInput{FoundedOn: openapi_types.Date{Time: d}}
			in.LegalName, _ = cmd.Flags().GetString("name")
			in.Country, _ = cmd.Flags().GetString("country")
			in.RegistrationNumber, _ = cmd.Flags().GetString("registration")
			in.Staff, _ = cmd.Flags().GetInt("staff")
			in.TurnoverEur, _ = cmd.Flags().GetInt64("turnover")
			in.BalanceSheetEur, _ = cmd.Flags().GetInt64("balance-sheet")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateOrganizationResponse, error) {
				return c.CreateOrganizationWithResponse(ctx, in)
			}, func(resp *client.CreateOrganizationResponse) error {
				return printOrg(e, resp.JSON201)
			})
		},
	}
	cmd.Flags().String("name", "", "legal name (required)")
	cmd.Flags().String("country", "", "ISO 3166-1 alpha-2 country of establishment (required)")
	cmd.Flags().String("registration", "", "registration number (required)")
	cmd.Flags().String("founded", "", "founding date YYYY-MM-DD (required)")
	cmd.Flags().Int("staff", 0, "staff headcount in annual work units")
	cmd.Flags().Int64("turnover", 0, "annual turnover in euros")
	cmd.Flags().Int64("balance-sheet", 0, "balance-sheet total in euros")
	for _, f := range []string{"name", "country", "registration", "founded"} {
		_ = cmd.MarkFlagRequired(f)
	}
	jsonFlag(cmd)
	return cmd
}

func newOrgsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List organizations you may see", Args: cobra.NoArgs}
	cmd.Flags().String("country", "", "only organizations established in this country")
	return listCmd(e, cmd, listing[*client.ListOrganizationsResponse, client.Organization]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListOrganizationsResponse, error) {
			l, o := pageParams(cmd)
			return c.ListOrganizationsWithResponse(ctx, &client.ListOrganizationsParams{Country: optString(cmd, "country"), Limit: l, Offset: o})
		},
		page: func(r *client.ListOrganizationsResponse) ([]client.Organization, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.Organization]{
			header: []string{"ID", "LEGAL NAME", "COUNTRY", "STAFF", "SME", "STARTUP"},
			row: func(o client.Organization) []string {
				return []string{o.Id, o.LegalName, o.Country, strconv.Itoa(o.Staff), yesNo(o.Sme), yesNo(o.Startup)}
			},
		},
		paged: true,
	})
}

func newOrgsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show an organization", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetOrganizationWithResponse), func(resp *client.GetOrganizationResponse) error {
		return printOrg(e, resp.JSON200)
	})
}

func printOrg(e *env, o *client.Organization) error {
	return keyValues(e.stdout, [][2]string{{"id", o.Id}, {"legal name", o.LegalName}, {"country", o.Country},
		{"registration", o.RegistrationNumber}, {"founded", o.FoundedOn.String()}, {"staff", strconv.Itoa(o.Staff)},
		{"turnover (EUR)", fmtNum(float64(o.TurnoverEur))}, {"balance sheet (EUR)", fmtNum(float64(o.BalanceSheetEur))},
		{"SME", yesNo(o.Sme)}, {"startup", yesNo(o.Startup)}})
}
