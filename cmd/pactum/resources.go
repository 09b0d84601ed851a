// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"encoding/json"
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

func newMeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "me",
		Short: "Show the user your token belongs to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetMeResponse, error) {
				return c.GetMeWithResponse(ctx)
			}, func(resp *client.GetMeResponse) error {
				return printUser(e, resp.JSON200)
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func printUser(e *env, u *client.User) error {
	return keyValues(e.stdout, [][2]string{{"id", u.Id}, {"email", u.Email}, {"name", u.Name}, {"role", string(u.Role)},
		{"organization", str(u.OrganizationId)}, {"site", str(u.Site)}, {"username", str(u.Username)}, {"created", fmtTime(u.CreatedAt)}})
}

// --- systems ---

func newSystemsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "systems", Short: "The EuroHPC systems catalogue"}
	list := &cobra.Command{
		Use: "list", Short: "List the systems offered to the scheme", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListSystemsResponse, error) {
				return c.ListSystemsWithResponse(ctx)
			}, func(resp *client.ListSystemsResponse) error {
				var rows [][]string
				for _, s := range resp.JSON200.Items {
					rows = append(rows, []string{s.Id, s.Name, s.Site + " (" + s.Country + ")", s.Accelerator,
						fmt.Sprintf("%d×%d", s.Nodes, s.GpusPerNode), fmtNum(s.PeakTflopsPerGpu), fmtNum(s.CapacityPerPeriod) + " " + unitShort(string(s.Unit)), string(s.Software)})
				}
				return table(e.stdout, []string{"ID", "NAME", "SITE", "ACCELERATOR", "NODES×GPUS", "TFLOP/S/GPU", "CAPACITY/PERIOD", "STACK"}, rows)
			})
		},
	}
	jsonFlag(list)
	show := &cobra.Command{
		Use: "show ID", Short: "Show one system", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetSystemResponse, error) {
				return c.GetSystemWithResponse(ctx, args[0])
			}, func(resp *client.GetSystemResponse) error {
				s := resp.JSON200
				return keyValues(e.stdout, [][2]string{{"id", s.Id}, {"name", s.Name}, {"site", s.Site}, {"country", s.Country},
					{"partition", s.Partition}, {"accelerator", s.Accelerator}, {"nodes", strconv.Itoa(s.Nodes)},
					{"gpus per node", strconv.Itoa(s.GpusPerNode)}, {"peak TFLOP/s per GPU (BF16)", fmtNum(s.PeakTflopsPerGpu)},
					{"unit", string(s.Unit)}, {"capacity per period", fmtNum(s.CapacityPerPeriod)}, {"software", string(s.Software)},
					{"scheduler", string(s.Scheduler)}})
			})
		},
	}
	jsonFlag(show)
	cmd.AddCommand(list, show)
	return cmd
}

func unitShort(u string) string {
	switch u {
	case "gpu_hours":
		return "GPU-h"
	case "node_hours":
		return "node-h"
	}
	return u
}

// --- organizations ---

func newOrgsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Aliases: []string{"organizations"}, Short: "Register and list organizations"}
	create := &cobra.Command{
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
	create.Flags().String("name", "", "legal name (required)")
	create.Flags().String("country", "", "ISO 3166-1 alpha-2 country of establishment (required)")
	create.Flags().String("registration", "", "registration number (required)")
	create.Flags().String("founded", "", "founding date YYYY-MM-DD (required)")
	create.Flags().Int("staff", 0, "staff headcount in annual work units")
	create.Flags().Int64("turnover", 0, "annual turnover in euros")
	create.Flags().Int64("balance-sheet", 0, "balance-sheet total in euros")
	for _, f := range []string{"name", "country", "registration", "founded"} {
		_ = create.MarkFlagRequired(f)
	}
	jsonFlag(create)

	list := &cobra.Command{
		Use: "list", Short: "List organizations you may see", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListOrganizationsResponse, error) {
				return c.ListOrganizationsWithResponse(ctx, &client.ListOrganizationsParams{Country: optString(cmd, "country"), Limit: l, Offset: o})
			}, func(resp *client.ListOrganizationsResponse) error {
				var rows [][]string
				for _, o := range resp.JSON200.Items {
					rows = append(rows, []string{o.Id, o.LegalName, o.Country, strconv.Itoa(o.Staff), yesNo(o.Sme), yesNo(o.Startup)})
				}
				if err := table(e.stdout, []string{"ID", "LEGAL NAME", "COUNTRY", "STAFF", "SME", "STARTUP"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().String("country", "", "only organizations established in this country")
	pageFlags(list)
	jsonFlag(list)

	show := &cobra.Command{
		Use: "show ID", Short: "Show an organization", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetOrganizationResponse, error) {
				return c.GetOrganizationWithResponse(ctx, args[0])
			}, func(resp *client.GetOrganizationResponse) error {
				return printOrg(e, resp.JSON200)
			})
		},
	}
	jsonFlag(show)
	cmd.AddCommand(create, list, show)
	return cmd
}

func printOrg(e *env, o *client.Organization) error {
	return keyValues(e.stdout, [][2]string{{"id", o.Id}, {"legal name", o.LegalName}, {"country", o.Country},
		{"registration", o.RegistrationNumber}, {"founded", o.FoundedOn.String()}, {"staff", strconv.Itoa(o.Staff)},
		{"turnover (EUR)", fmtNum(float64(o.TurnoverEur))}, {"balance sheet (EUR)", fmtNum(float64(o.BalanceSheetEur))},
		{"SME", yesNo(o.Sme)}, {"startup", yesNo(o.Startup)}})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// --- users and tokens ---

func newUsersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Create and list users"}
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a user (access managers)",
		Example: `  pactum users create --email ada@aleph.example --name "Ada Aleph" --role applicant --org ORG_ID
  pactum users create --email ops@csc.example --name "Olli" --role site_operator --site CSC`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in client.UserInput
			in.Email, _ = cmd.Flags().GetString("email")
			in.Name, _ = cmd.Flags().GetString("name")
			role, _ := cmd.Flags().GetString("role")
			in.Role = client.Role(role)
			in.OrganizationId = optString(cmd, "org")
			in.Site = optString(cmd, "site")
			in.Username = optString(cmd, "username")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateUserResponse, error) {
				return c.CreateUserWithResponse(ctx, in)
			}, func(resp *client.CreateUserResponse) error {
				return printUser(e, resp.JSON201)
			})
		},
	}
	create.Flags().String("email", "", "e-mail (required)")
	create.Flags().String("name", "", "full name (required)")
	create.Flags().String("role", "", "applicant, reviewer, access_manager, site_operator or auditor (required)")
	create.Flags().String("org", "", "organization ID (applicants)")
	create.Flags().String("site", "", "hosting site, e.g. CSC (site operators)")
	create.Flags().String("username", "", "cluster (POSIX) username: makes an applicant a member of the organization's allocations")
	for _, f := range []string{"email", "name", "role"} {
		_ = create.MarkFlagRequired(f)
	}
	jsonFlag(create)

	list := &cobra.Command{
		Use: "list", Short: "List users you may see", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			p := &client.ListUsersParams{OrganizationId: optString(cmd, "org"), Email: optString(cmd, "email"), Limit: l, Offset: o}
			if r := optString(cmd, "role"); r != nil {
				role := client.Role(*r)
				p.Role = &role
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListUsersResponse, error) {
				return c.ListUsersWithResponse(ctx, p)
			}, func(resp *client.ListUsersResponse) error {
				var rows [][]string
				for _, u := range resp.JSON200.Items {
					rows = append(rows, []string{u.Id, u.Email, u.Name, string(u.Role), str(u.OrganizationId), str(u.Site)})
				}
				if err := table(e.stdout, []string{"ID", "EMAIL", "NAME", "ROLE", "ORGANIZATION", "SITE"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	list.Flags().String("role", "", "only this role")
	list.Flags().String("org", "", "only members of this organization")
	list.Flags().String("email", "", "only this e-mail")
	pageFlags(list)
	jsonFlag(list)
	cmd.AddCommand(create, list, newSetUsernameCmd(e))
	return cmd
}

func newTokensCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Issue, list and revoke API tokens"}
	userOf := func(cmd *cobra.Command, c *client.ClientWithResponses) (string, error) {
		if u, _ := cmd.Flags().GetString("user"); u != "" {
			return u, nil
		}
		resp, err := c.GetMeWithResponse(cmd.Context())
		if err != nil {
			return "", netErr(err)
		}
		if err := ok(resp, resp.Body); err != nil {
			return "", err
		}
		return resp.JSON200.Id, nil
	}
	create := &cobra.Command{
		Use:   "create",
		Short: "Issue a token (for yourself, or, as access manager, for --user)",
		Long:  "Issue an API token. The secret is printed once; pactum stores only its SHA-256.",
		Example: `  pactum tokens create --name laptop
  pactum tokens create --user USER_ID --name site-agent --expires 2027-06-30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			user, err := userOf(cmd, c)
			if err != nil {
				return err
			}
			in := client.TokenInput{}
			in.Name, _ = cmd.Flags().GetString("name")
			if exp, _ := cmd.Flags().GetString("expires"); exp != "" {
				t, err := parseTime(exp)
				if err != nil {
					return pactum.Errorf(pactum.EINVALID, "--expires %q: %v", exp, err)
				}
				in.ExpiresAt = &t
			}
			resp, err := c.CreateTokenWithResponse(cmd.Context(), user, in)
			if err != nil {
				return netErr(err)
			}
			if err := ok(resp, resp.Body); err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			t := resp.JSON201
			fmt.Fprintf(e.stdout, "Token %s (%s) for user %s, expires %s.\nSecret (shown once): %s\n", t.Id, t.Name, t.UserId, fmtTimePtr(t.ExpiresAt), t.Secret)
			return nil
		},
	}
	create.Flags().String("name", "", "what the token is for (required)")
	create.Flags().String("user", "", "user ID (default: yourself)")
	create.Flags().String("expires", "", "expiry, YYYY-MM-DD or RFC 3339 (default: never)")
	_ = create.MarkFlagRequired("name")
	jsonFlag(create)

	list := &cobra.Command{
		Use: "list", Short: "List tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			user, err := userOf(cmd, c)
			if err != nil {
				return err
			}
			resp, err := c.ListTokensWithResponse(cmd.Context(), user)
			if err != nil {
				return netErr(err)
			}
			if err := ok(resp, resp.Body); err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			var rows [][]string
			for _, t := range resp.JSON200.Items {
				rows = append(rows, []string{t.Id, t.Name, t.Prefix + "…", fmtTime(t.CreatedAt), fmtTimePtr(t.ExpiresAt), fmtTimePtr(t.LastUsedAt), fmtTimePtr(t.RevokedAt)})
			}
			return table(e.stdout, []string{"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "REVOKED"}, rows)
		},
	}
	list.Flags().String("user", "", "user ID (default: yourself)")
	jsonFlag(list)

	revoke := &cobra.Command{
		Use: "revoke TOKEN_ID", Short: "Revoke a token at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.RevokeTokenWithResponse(cmd.Context(), args[0])
			if err != nil {
				return netErr(err)
			}
			if err := ok(resp, resp.Body); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Token %s revoked.\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// parseTime accepts a date (midnight UTC) or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("use YYYY-MM-DD or RFC 3339 (2026-12-31T12:00:00Z)")
	}
	return t.UTC(), nil
}

// readJSONFile reads a JSON document from path ("-" for stdin) and checks
// that it is JSON; the server validates its content.
func readJSONFile(e *env, path string) ([]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, pactum.Errorf(pactum.EINVALID, "%s is not valid JSON: %v", path, err)
	}
	return bytes.TrimSpace(data), nil
}

// joinComma renders a list or "-".
func joinComma(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}
