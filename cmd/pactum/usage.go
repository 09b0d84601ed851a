// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/slurm"
)

func newUsageImportGroupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "usage", Short: "Post the job records a site already has (sacct dumps)"}
	cmd.AddCommand(newUsageImportCmd(e))
	return cmd
}

// importSummary is what an import did, for --json.
type importSummary struct {
	File      string   `json:"file"`
	Records   int      `json:"records"`
	Accepted  int      `json:"accepted"`
	Duplicate int      `json:"duplicate"`
	Rejected  int      `json:"rejected"`
	Malformed int      `json:"malformed"`
	Problems  []string `json:"problems"`
}

// maxProblems bounds the rejected records and malformed lines an import
// lists (it counts them all).
const maxProblems = 20

func newUsageImportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Post a sacct dump's job records to the server (site operators)",
		Long: `Read a dump of Slurm's accounting, as 'sacct --parsable2' writes it with its
header line, and post its job records to the server, as the site agent does
with what it reads. Columns are read by name, in any order: the dump needs
JobIDRaw, Account, User, State, AllocTRES and ElapsedRaw, and Cluster unless
--cluster names the dump's one cluster; JobID, Start, End, Comment (the
model claim of 'pactum job submit --model'), ConsumedEnergyRaw and
TRESUsageInTot (gres/gpuutil) are used when present. A dump lacking a
required column is refused whole, naming it. Step lines are folded into their
jobs. For example, on the cluster:

  sacct --allusers --parsable2 --noconvert --starttime 2026-01-01 \
    --format=` + slurm.SacctFormat + ` > jobs.txt

Importing is idempotent: the server keeps one record per (cluster, job id), so
a file posted twice, or overlapping what the agent posted, changes nothing.
Records of accounts that are not your site's allocations are rejected and
counted; malformed lines are skipped and listed with their numbers.`,
		Example: `  pactum usage import jobs.txt
  pactum usage import leonardo-2025.txt --cluster leonardo --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cluster, _ := cmd.Flags().GetString("cluster")
			if cluster != "" && !pactum.ValidClusterName(cluster) {
				return pactum.Errorf(pactum.EINVALID, "--cluster %q is not a cluster name (lower-case letters, digits, '_', '-').", cluster)
			}
			size, _ := cmd.Flags().GetInt("batch")
			if size < 1 || size > pactum.MaxUsageBatch {
				return pactum.Errorf(pactum.EINVALID, "--batch must be between 1 and %d.", pactum.MaxUsageBatch)
			}
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			sum := &importSummary{File: args[0], Problems: []string{}}
			batches := map[string][]pactum.UsageRecordInput{}
			post := func(ctx context.Context, cluster string) error {
				recs := batches[cluster]
				if len(recs) == 0 {
					return nil
				}
				body, err := client.FromUsageBatch(&pactum.UsageBatch{Cluster: cluster, Records: recs})
				if err != nil {
					return err
				}
				resp, err := c.IngestUsageWithResponse(ctx, body)
				if err := called(resp, err); err != nil {
					return err
				}
				res := resp.JSON200
				sum.Records += len(recs)
				sum.Accepted += res.Accepted
				sum.Duplicate += res.Duplicate
				sum.Rejected += res.Rejected
				for _, r := range res.Results {
					if r.Status == string(pactum.UsageRejected) && len(sum.Problems) < maxProblems {
						sum.Problems = append(sum.Problems, fmt.Sprintf("job %s on %s rejected: %s", r.JobId, cluster, orEmpty(r.Reason)))
					}
				}
				batches[cluster] = recs[:0]
				fmt.Fprintf(e.stderr, "%d records posted (%d accepted, %d already known, %d rejected)\n",
					sum.Records, sum.Accepted, sum.Duplicate, sum.Rejected)
				return nil
			}
			ctx := cmd.Context()
			bad, err := slurm.ParseFile(args[0], cluster, func(r *slurm.Record) error {
				if !pactum.ValidClusterName(r.Cluster) {
					return pactum.Errorf(pactum.EINVALID, "%s: job %s has cluster %q, which is not a cluster name; name it with --cluster.", args[0], r.JobID, r.Cluster)
				}
				batches[r.Cluster] = append(batches[r.Cluster], agent.UsageInput(r))
				if len(batches[r.Cluster]) == size {
					return post(ctx, r.Cluster)
				}
				return nil
			})
			var he *slurm.HeaderError
			if errors.As(err, &he) {
				return pactum.Errorf(pactum.EINVALID, "%s cannot be imported: %v", args[0], he)
			}
			if err != nil {
				return err
			}
			clusters := make([]string, 0, len(batches))
			for k := range batches {
				clusters = append(clusters, k)
			}
			slices.Sort(clusters)
			for _, k := range clusters {
				if err := post(ctx, k); err != nil {
					return err
				}
			}
			sum.Malformed = len(bad)
			for _, le := range bad {
				if len(sum.Problems) >= maxProblems {
					break
				}
				sum.Problems = append(sum.Problems, le.Error())
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, sum)
			}
			fmt.Fprintf(e.stdout, "Imported %s: %d records, %d accepted, %d already known, %d rejected; %d malformed lines skipped.\n",
				args[0], sum.Records, sum.Accepted, sum.Duplicate, sum.Rejected, sum.Malformed)
			for _, p := range sum.Problems {
				fmt.Fprintf(e.stdout, "  - %s\n", p)
			}
			return nil
		},
	}
	cmd.Flags().String("cluster", "", "the cluster of a dump without a Cluster column")
	cmd.Flags().Int("batch", 5000, "records per request")
	jsonFlag(cmd)
	return cmd
}
