// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newSitesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "sites", Short: "The hosting sites and their agents"}
	cmd.AddCommand(newSitesAgentsCmd(e), newSitesDriftCmd(e), newSitesIngestCmd(e))
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

func newSitesDriftCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drift SITE",
		Short: "Show the drift a site's agents found on its clusters and restored",
		Long: `Show the drift reports of a site, newest first: each difference an agent found
between its cluster and what it had applied (a change made by hand), what the
cluster had and the action that restored it. The site's operators, access
managers and auditors.`,
		Example: `  pactum sites drift CSC
  pactum sites drift CSC --limit 200 --json`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().Int("limit", 0, "how many reports, newest first (default 50, at most 500)")
	return listCmd(e, cmd, listing[*client.ListDriftReportsResponse, client.SiteDrift]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, args []string) (*client.ListDriftReportsResponse, error) {
			var p client.ListDriftReportsParams
			if n, _ := cmd.Flags().GetInt("limit"); n != 0 {
				p.Limit = &n
			}
			return c.ListDriftReportsWithResponse(ctx, args[0], &p)
		},
		page: func(r *client.ListDriftReportsResponse) ([]client.SiteDrift, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		block: func(d client.SiteDrift) error {
			fmt.Fprintf(e.stdout, "%s  cluster %s  reported by %s\n", d.ReportedAt.UTC().Format(time.RFC3339), d.Cluster, d.ReportedBy)
			for _, it := range d.Items {
				fmt.Fprintf(e.stdout, "  %s: found %s; restored by %s\n", it.Account, it.Found, it.Action)
			}
			return nil
		},
		empty: "No drift reported.",
	})
}

func newSitesIngestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest SITE",
		Short: "Show what pactum has taken in from each of a site's clusters",
		Long: `Show, for each cluster of a site (those whose usage its operators posted and
those its agents hold a lease on), the job records pactum keeps and the last
batch that wrote any: when, how many records, how many new jobs. A batch of
records pactum already had changes nothing and is not shown. The site's
operators, access managers and auditors.`,
		Example: `  pactum sites ingest CSC --json`,
		Args:    cobra.ExactArgs(1),
	}
	return listCmd(e, cmd, listing[*client.GetUsageIngestStatusResponse, client.UsageCluster]{
		send: func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, args []string) (*client.GetUsageIngestStatusResponse, error) {
			return c.GetUsageIngestStatusWithResponse(ctx, args[0])
		},
		page: func(r *client.GetUsageIngestStatusResponse) ([]client.UsageCluster, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.UsageCluster]{
			header: []string{"CLUSTER", "RECORDS", "LAST BATCH", "WRITTEN", "NEW"},
			row: func(u client.UsageCluster) []string {
				return []string{u.Cluster, fmt.Sprint(u.Records), fmtTimePtr(u.LastBatchAt), fmt.Sprint(u.LastWritten), fmt.Sprint(u.LastNew)}
			},
		},
		empty: "No usage taken in from this site's clusters yet.",
	})
}
