// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newSitesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "sites", Short: "The hosting sites and their agents"}
	cmd.AddCommand(newSitesAgentsCmd(e))
	return cmd
}

func newSitesAgentsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "Show each site's agent as last heard from, and which have gone silent",
		Long: `Show each site's agent on each cluster: its last heartbeat, the process that
sent it and its last result, and whether it has gone silent (no heartbeat
within the server's threshold, pactum serve --agent-silent-after). A site of
the catalogue whose agents never made contact is listed as "never".
Access managers and auditors see every site; site operators their own.`,
		Example: `  pactum sites agents
  pactum sites agents --site CSC --json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().String("site", "", "only this site's agents")
	return listCmd(e, cmd, listing[*client.ListAgentsResponse, client.AgentStatus]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListAgentsResponse, error) {
			var p client.ListAgentsParams
			if site, _ := cmd.Flags().GetString("site"); site != "" {
				p.Site = &site
			}
			return c.ListAgentsWithResponse(ctx, &p)
		},
		page: func(r *client.ListAgentsResponse) ([]client.AgentStatus, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.AgentStatus]{
			header: []string{"SITE", "CLUSTER", "STATE", "LAST CONTACT", "AGENT", "LAST RESULT"},
			row: func(a client.AgentStatus) []string {
				return []string{a.Site, str(a.Cluster), string(a.State), fmtTimePtr(a.LastContact), str(a.Holder), str(a.Result)}
			},
		},
		empty: "No sites.",
	})
}
