// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
)

func newAdminSignInLinkCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign-in-link --email EMAIL --url BASE_URL (--data DIR | --db URL)",
		Short: "Make a one-time link that signs a user in to the portal",
		Long: `Make a one-time sign-in link for the active user with --email, straight in
the database (no server, no token needed): for letting someone in while the
identity provider is away, or on a server without one. Only whoever can open
the database can run it. The link works once, until --ttl has passed (default
15m, at most 168h); opening it shows a page whose button signs the browser in
to the portal at BASE_URL. Making it and using it are in the audit log
(signin_link.create, session.create).

Exit status: 0 when made, 3 when no user has that e-mail, 2 when the user is
deactivated or a flag is wrong.`,
		Example: `  sudo -u pactum pactum admin sign-in-link --data /var/lib/pactum --email ada@aleph.example --url https://pactum.example`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			email, _ := cmd.Flags().GetString("email")
			base, _ := cmd.Flags().GetString("url")
			ttl, _ := cmd.Flags().GetDuration("ttl")
			base = strings.TrimRight(base, "/")
			if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://127.0.0.1") && !strings.HasPrefix(base, "http://localhost") {
				return pactum.Errorf(pactum.EINVALID, "--url %q: give the server's address, https:// (or http:// on 127.0.0.1 or localhost)", base)
			}
			ctx := cmd.Context()
			a, err := openExisting(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
			us, _, err := a.uc.FindUsers(sys, pactum.UserFilter{Email: &email, Limit: 1})
			if err != nil {
				return err
			}
			if len(us) == 0 {
				return pactum.Errorf(pactum.ENOTFOUND, "No user has the e-mail %q.", email)
			}
			l, code, err := a.uc.CreateSignInLink(sys, us[0].ID, ttl)
			if err != nil {
				return err
			}
			link := base + "/auth/link?code=" + code
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, map[string]any{"link": l, "url": link})
			}
			fmt.Fprintf(e.stdout, "Sign-in link for %s (%s), works once until %s:\n\n  %s\n",
				us[0].Email, us[0].Role, l.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), link)
			return nil
		},
	}
	storeFlags(cmd)
	jsonFlag(cmd)
	cmd.Flags().String("email", "", "e-mail of the user (required)")
	cmd.Flags().String("url", "", "the server's address as browsers reach it, e.g. https://pactum.example (required)")
	cmd.Flags().Duration("ttl", pactum.DefaultSignInLinkTTL, "how long the link works")
	_ = cmd.MarkFlagRequired("email")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}
