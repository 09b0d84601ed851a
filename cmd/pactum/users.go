// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newUsersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Create and list users"}
	cmd.AddCommand(newUsersCreateCmd(e), newUsersListCmd(e), newSetUsernameCmd(e),
		newUserStateCmd(e, true), newUserStateCmd(e, false))
	return cmd
}

// newUserStateCmd is users deactivate (deactivate) or users reactivate.
func newUserStateCmd(e *env, deactivate bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reactivate USER_ID",
		Short: "Reactivate a deactivated user (access managers): their tokens work again",
		Args:  cobra.ExactArgs(1),
	}
	if deactivate {
		cmd.Use, cmd.Short = "deactivate USER_ID", "Deactivate a user (access managers): their tokens stop working at once"
		cmd.Long = `Deactivate a user: their tokens are refused at once (by another server on the
same PostgreSQL database within two seconds) and no token can be issued to
them. Their tokens are kept: reactivating them restores the tokens. You cannot
deactivate yourself.`
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if deactivate {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.DeactivateUserResponse, error) {
				return c.DeactivateUserWithResponse(ctx, args[0])
			}, func(resp *client.DeactivateUserResponse) error { return printUser(e, resp.JSON200) })
		}
		return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ReactivateUserResponse, error) {
			return c.ReactivateUserWithResponse(ctx, args[0])
		}, func(resp *client.ReactivateUserResponse) error { return printUser(e, resp.JSON200) })
	}
	jsonFlag(cmd)
	return cmd
}

// userState is "deactivated" or "active".
func userState(u client.User) string {
	if u.DeactivatedAt != nil {
		return "deactivated"
	}
	return "active"
}

func newUsersCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
	cmd.Flags().String("email", "", "e-mail (required)")
	cmd.Flags().String("name", "", "full name (required)")
	cmd.Flags().String("role", "", "applicant, reviewer, access_manager, site_operator or auditor (required)")
	cmd.Flags().String("org", "", "organization ID (applicants)")
	cmd.Flags().String("site", "", "hosting site, e.g. CSC (site operators)")
	cmd.Flags().String("username", "", "cluster (POSIX) username: makes an applicant a member of the organization's allocations")
	for _, f := range []string{"email", "name", "role"} {
		_ = cmd.MarkFlagRequired(f)
	}
	jsonFlag(cmd)
	return cmd
}

func newUsersListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List users you may see", Args: cobra.NoArgs}
	cmd.Flags().String("role", "", "only this role")
	cmd.Flags().String("org", "", "only members of this organization")
	cmd.Flags().String("email", "", "only this e-mail")
	return listCmd(e, cmd, listing[*client.ListUsersResponse, client.User]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListUsersResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListUsersParams{OrganizationId: optString(cmd, "org"), Email: optString(cmd, "email"), Limit: l, Offset: o}
			if r := optString(cmd, "role"); r != nil {
				role := client.Role(*r)
				p.Role = &role
			}
			return c.ListUsersWithResponse(ctx, p)
		},
		page: func(r *client.ListUsersResponse) ([]client.User, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.User]{
			header: []string{"ID", "EMAIL", "NAME", "ROLE", "ORGANIZATION", "SITE", "STATE"},
			row: func(u client.User) []string {
				return []string{u.Id, u.Email, u.Name, string(u.Role), str(u.OrganizationId), str(u.Site), userState(u)}
			},
		},
		paged: true,
	})
}

func newSetUsernameCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-username USER_ID USERNAME",
		Short: "Set a user's cluster username (access managers); \"\" clears it",
		Long: `Set the POSIX login a user has on the scheme's clusters. An applicant with a
username is a member of every allocation of their organization: the site agent
adds it to the allocation's Slurm account.`,
		Example: `  pactum users set-username 0190f3c2-... ada
  pactum users set-username 0190f3c2-... ""`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.SetUsernameResponse, error) {
				return c.SetUsernameWithResponse(ctx, args[0], client.UsernameInput{Username: args[1]})
			}, func(resp *client.SetUsernameResponse) error {
				return printUser(e, resp.JSON200)
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func newTokensCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Issue, list and revoke API tokens"}
	cmd.AddCommand(newTokensCreateCmd(e), newTokensListCmd(e), newTokensRevokeCmd(e))
	return cmd
}

// tokenUser returns the user of --user, or the token's own user.
func tokenUser(ctx context.Context, cmd *cobra.Command, c *client.ClientWithResponses) (string, error) {
	if u, _ := cmd.Flags().GetString("user"); u != "" {
		return u, nil
	}
	resp, err := c.GetMeWithResponse(ctx)
	if err := called(resp, err); err != nil {
		return "", err
	}
	return resp.JSON200.Id, nil
}

func newTokensCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Issue a token (for yourself, or, as access manager, for --user)",
		Long:  "Issue an API token. The secret is printed once; pactum stores only its SHA-256.",
		Example: `  pactum tokens create --name laptop --expires-in 30d
  pactum tokens create --name dashboards --scope read-only
  pactum tokens create --user USER_ID --name agent --scope site-agent --expires 2027-06-30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := client.TokenInput{}
			in.Name, _ = cmd.Flags().GetString("name")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateTokenResponse, error) {
				user, err := tokenUser(ctx, cmd, c)
				if err != nil {
					return nil, err
				}
				exp, _ := cmd.Flags().GetString("expires")
				within, _ := cmd.Flags().GetString("expires-in")
				if exp != "" && within != "" {
					return nil, pactum.Errorf(pactum.EINVALID, "Give --expires or --expires-in, not both.")
				}
				if exp != "" {
					t, err := parseTime(exp)
					if err != nil {
						return nil, pactum.Errorf(pactum.EINVALID, "--expires %q: %v", exp, err)
					}
					in.ExpiresAt = &t
				}
				if within != "" {
					d, err := parseLifetime(within)
					if err != nil {
						return nil, pactum.Errorf(pactum.EINVALID, "--expires-in %q: %v", within, err)
					}
					// From this machine's clock: the server checks
					// the result against its maximum.
					t := time.Now().Add(d).UTC()
					in.ExpiresAt = &t
				}
				if s, _ := cmd.Flags().GetString("scope"); s != "" {
					scope := client.TokenScope(s)
					if !scope.Valid() {
						return nil, pactum.Errorf(pactum.EINVALID, "--scope %q: give full, read-only or site-agent", s)
					}
					in.Scope = &scope
				}
				return c.CreateTokenWithResponse(ctx, user, in)
			}, func(resp *client.CreateTokenResponse) error {
				t := resp.JSON201
				fmt.Fprintf(e.stdout, "Token %s (%s, scope %s) for user %s, expires %s.\nSecret (shown once): %s\n", t.Id, t.Name, scopeOf(t.Scope), t.UserId, fmtTimePtr(t.ExpiresAt), t.Secret)
				return nil
			})
		},
	}
	cmd.Flags().String("name", "", "what the token is for (required)")
	cmd.Flags().String("user", "", "user ID (default: yourself)")
	cmd.Flags().String("expires", "", "expiry, YYYY-MM-DD or RFC 3339 (default: the server's default lifetime, 90 days unless configured)")
	cmd.Flags().String("expires-in", "", "lifetime from now instead of --expires: 30d, 2w, 12h (at most the server's maximum, 365 days unless configured)")
	cmd.Flags().String("scope", "", "full (default), read-only (GET only) or site-agent (only the site agent's requests)")
	_ = cmd.MarkFlagRequired("name")
	jsonFlag(cmd)
	return cmd
}

func newTokensListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List tokens (never their secrets)", Args: cobra.NoArgs}
	cmd.Flags().String("user", "", "user ID (default: yourself)")
	return listCmd(e, cmd, listing[*client.ListTokensResponse, client.Token]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListTokensResponse, error) {
			user, err := tokenUser(ctx, cmd, c)
			if err != nil {
				return nil, err
			}
			return c.ListTokensWithResponse(ctx, user)
		},
		page: func(r *client.ListTokensResponse) ([]client.Token, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.Token]{
			header: []string{"ID", "NAME", "PREFIX", "SCOPE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"},
			row: func(t client.Token) []string {
				return []string{t.Id, t.Name, t.Prefix + "…", scopeOf(t.Scope), fmtTime(t.CreatedAt), fmtTimePtr(t.ExpiresAt), fmtTimePtr(t.LastUsedAt), fmtTimePtr(t.RevokedAt)}
			},
		},
	})
}

func newTokensRevokeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use: "revoke TOKEN_ID", Short: "Revoke a token at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.RevokeTokenWithResponse(cmd.Context(), args[0])
			if err := called(resp, err); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Token %s revoked.\n", args[0])
			return nil
		},
	}
}

// scopeOf is a token's scope, full when the server did not say.
func scopeOf(s *client.TokenScope) string {
	if s == nil {
		return string(client.Full)
	}
	return string(*s)
}
