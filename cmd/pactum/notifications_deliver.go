// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

// deliveryCmds are the notifications subcommands for delivery: the
// outbox, e-mail preferences and webhook subscriptions.
func deliveryCmds(e *env) []*cobra.Command {
	deliveries := &cobra.Command{Use: "deliveries", Short: "The outbox: each notification's e-mails and webhooks, and the dead letters (access managers, auditors)"}
	deliveries.AddCommand(newDeliveriesListCmd(e), newDeliveriesRetryCmd(e))
	prefs := &cobra.Command{Use: "preferences", Short: "Which kinds of notification you also receive by e-mail"}
	prefs.AddCommand(newPreferencesListCmd(e), newPreferencesSetCmd(e))
	hooks := &cobra.Command{Use: "webhooks", Short: "Signed webhooks for sites and integrations (access managers)"}
	hooks.AddCommand(newWebhooksListCmd(e), newWebhooksCreateCmd(e), newWebhooksDeleteCmd(e))
	return []*cobra.Command{deliveries, prefs, hooks}
}

func newDeliveriesListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "List deliveries, newest first", Args: cobra.NoArgs,
		Long: `Each notification is delivered by e-mail (to its user, unless their preferences
turn the kind off, when the server has an SMTP server) and to each webhook
subscription naming its kind. A delivery is pending until sent, then
delivered; after 8 failed attempts (30 s doubling to 6 h apart, with jitter)
it is dead. Dead letters: --state dead; send one again with
pactum notifications deliveries retry ID.`,
		Example: `  pactum notifications deliveries list --state dead
  pactum notifications deliveries list --channel webhook --json`,
	}
	cmd.Flags().String("state", "", "pending, delivered or dead")
	cmd.Flags().String("channel", "", "email or webhook")
	cmd.Flags().String("notification", "", "only this notification's")
	return listCmd(e, cmd, listing[*client.ListDeliveriesResponse, client.Delivery]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListDeliveriesResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListDeliveriesParams{NotificationId: optString(cmd, "notification"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				p.State = (*client.ListDeliveriesParamsState)(s)
			}
			if s := optString(cmd, "channel"); s != nil {
				p.Channel = (*client.ListDeliveriesParamsChannel)(s)
			}
			return c.ListDeliveriesWithResponse(ctx, p)
		},
		page: func(r *client.ListDeliveriesResponse) ([]client.Delivery, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		block: func(d client.Delivery) error {
			_, err := fmt.Fprintf(e.stdout, "%s  %s  %s %s to %s: %s, %d attempts, next %s\n", fmtTime(d.CreatedAt), d.Id, d.Kind, d.Channel,
				d.Target, d.State, d.Attempts, fmtTime(d.NextAt))
			if err == nil && d.LastError != nil && *d.LastError != "" {
				_, err = fmt.Fprintf(e.stdout, "  last error: %s\n", *d.LastError)
			}
			return err
		},
		empty: "No deliveries.",
		paged: true,
	})
}

func newDeliveriesRetryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "retry ID", Short: "Send a dead (or pending) delivery again now (access managers)", Args: cobra.ExactArgs(1),
		Long:    `Makes the delivery due now with its attempts reset; audit-logged. Exit status 5 (conflict) for a delivered one.`,
		Example: `  pactum notifications deliveries retry 0190f3c2-...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.RetryDeliveryResponse, error) {
				return c.RetryDeliveryWithResponse(ctx, args[0])
			}, func(resp *client.RetryDeliveryResponse) error {
				fmt.Fprintf(e.stdout, "Delivery %s is due again (%s to %s).\n", args[0], resp.JSON200.Channel, resp.JSON200.Target)
				return nil
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func printPreferences(e *env, ps []client.Preference) {
	for _, p := range ps {
		mail := "e-mail on"
		if !p.Email {
			mail = "e-mail off"
		}
		fmt.Fprintf(e.stdout, "%-22s %s\n", p.Kind, mail)
	}
}

func newPreferencesListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "Your e-mail choice per kind of notification (in-app notices are always kept)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListNotificationPreferencesResponse, error) {
				return c.ListNotificationPreferencesWithResponse(ctx)
			}, func(resp *client.ListNotificationPreferencesResponse) error {
				printPreferences(e, resp.JSON200.Items)
				return nil
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func newPreferencesSetCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "set KIND --email=true|false", Short: "Turn e-mail of one kind of notification on or off for yourself", Args: cobra.ExactArgs(1),
		Example: `  pactum notifications preferences set proposal.screening --email=false`,
		RunE: func(cmd *cobra.Command, args []string) error {
			email, _ := cmd.Flags().GetBool("email")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.SetNotificationPreferenceResponse, error) {
				return c.SetNotificationPreferenceWithResponse(ctx, client.PreferenceInput{Kind: args[0], Email: email})
			}, func(resp *client.SetNotificationPreferenceResponse) error {
				printPreferences(e, resp.JSON200.Items)
				return nil
			})
		},
	}
	cmd.Flags().Bool("email", true, "receive this kind by e-mail too")
	_ = cmd.MarkFlagRequired("email")
	jsonFlag(cmd)
	return cmd
}

func newWebhooksListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "List webhook subscriptions (without their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListWebhooksResponse, error) {
				return c.ListWebhooksWithResponse(ctx)
			}, func(resp *client.ListWebhooksResponse) error {
				if resp.JSON200.Total == 0 {
					fmt.Fprintln(e.stdout, "No webhook subscriptions.")
				}
				for _, w := range resp.JSON200.Items {
					kinds := "every kind"
					if len(w.Kinds) > 0 {
						kinds = strings.Join(w.Kinds, ", ")
					}
					fmt.Fprintf(e.stdout, "%s  %s (%s)  %s  %s\n", w.Id, w.Name, str(w.Site), w.Url, kinds)
				}
				return nil
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func newWebhooksCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "create --name NAME --url URL", Short: "Subscribe a URL to notifications; prints the signing secret once", Args: cobra.NoArgs,
		Long: `pactum POSTs each notification of the chosen kinds as JSON to the URL, with
headers Pactum-Delivery (the delivery id, the same on every attempt) and
Pactum-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body,
keyed with the secret>. Verify the signature over the raw body, reject
timestamps more than 5 minutes away, and keep the delivery ids you have
seen: deliveries are at least once. A 2xx answer is success; anything else
is retried with backoff.`,
		Example: `  pactum notifications webhooks create --name "CSC intake" --site CSC --url https://hooks.csc.example/pactum --kinds proposal.decision`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, _ := cmd.Flags().GetString("name")
			url, _ := cmd.Flags().GetString("url")
			kinds, _ := cmd.Flags().GetStringSlice("kinds")
			in := client.WebhookInput{Name: name, Url: url, Site: optString(cmd, "site")}
			if len(kinds) > 0 {
				in.Kinds = &kinds
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateWebhookResponse, error) {
				return c.CreateWebhookWithResponse(ctx, in)
			}, func(resp *client.CreateWebhookResponse) error {
				fmt.Fprintf(e.stdout, "Webhook %s subscribed.\nSigning secret (shown once): %s\n", resp.JSON201.Id, str(resp.JSON201.Secret))
				return nil
			})
		},
	}
	cmd.Flags().String("name", "", "what the subscription is (required)")
	cmd.Flags().String("url", "", "http(s) URL to post to (required)")
	cmd.Flags().String("site", "", "the hosting site it is for (none: an integration)")
	cmd.Flags().StringSlice("kinds", nil, "notification kinds to post (default: every kind)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("url")
	jsonFlag(cmd)
	return cmd
}

func newWebhooksDeleteCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "delete ID", Short: "End a webhook subscription (its pending deliveries are dropped)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.DeleteWebhookResponse, error) {
				return c.DeleteWebhookWithResponse(ctx, args[0])
			}, func(*client.DeleteWebhookResponse) error {
				fmt.Fprintf(e.stdout, "Webhook %s deleted.\n", args[0])
				return nil
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}
