// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newMeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "me",
		Short: "Show the user your token belongs to",
		Args:  cobra.NoArgs,
	}
	return requestCmd(e, cmd, func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, _ []string) (*client.GetMeResponse, error) {
		return c.GetMeWithResponse(ctx)
	}, func(resp *client.GetMeResponse) error {
		return printUser(e, resp.JSON200)
	})
}

func printUser(e *env, u *client.User) error {
	return keyValues(e.stdout, [][2]string{{"id", u.Id}, {"email", u.Email}, {"name", u.Name}, {"role", string(u.Role)},
		{"organization", str(u.OrganizationId)}, {"site", str(u.Site)}, {"username", str(u.Username)}, {"created", fmtTime(u.CreatedAt)}, {"state", userState(*u)}})
}
