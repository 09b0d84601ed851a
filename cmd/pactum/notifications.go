// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newNotificationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "notifications", Aliases: []string{"inbox"}, Short: "Your notifications (review assignments, reviews to reply to, decisions)"}
	cmd.AddCommand(newNotificationsListCmd(e), newNotificationsReadCmd(e))
	cmd.AddCommand(deliveryCmds(e)...)
	return cmd
}

func newNotificationsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "List your notifications, newest first", Args: cobra.NoArgs,
		Example: `  pactum notifications list --unread`,
	}
	cmd.Flags().Bool("unread", false, "only unread ones")
	cmd.Flags().String("proposal", "", "only about this proposal")
	cmd.Flags().String("user", "", "another user's (access managers and auditors)")
	return listCmd(e, cmd, listing[*client.ListNotificationsResponse, client.Notification]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListNotificationsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListNotificationsParams{UserId: optString(cmd, "user"), ProposalId: optString(cmd, "proposal"), Limit: l, Offset: o}
			if u, _ := cmd.Flags().GetBool("unread"); u {
				p.Unread = &u
			}
			return c.ListNotificationsWithResponse(ctx, p)
		},
		page: func(r *client.ListNotificationsResponse) ([]client.Notification, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		block: func(n client.Notification) error {
			read := "unread"
			if n.ReadAt != nil {
				read = "read"
			}
			_, err := fmt.Fprintf(e.stdout, "%s  %s  %s (%s)\n  %s\n  %s\n", fmtTime(n.CreatedAt), n.Id, n.Subject, read, str(n.ProposalId), n.Body)
			return err
		},
		empty: "No notifications.",
		paged: true,
	})
}

func newNotificationsReadCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
	jsonFlag(cmd)
	return cmd
}
