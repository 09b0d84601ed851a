// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"fmt"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

func newJobCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Submit jobs under an allocation and follow them"}
	cmd.AddCommand(newJobSubmitCmd(e), newJobStatusCmd(e))
	return cmd
}

func newJobSubmitCmd(e *env) *cobra.Command {
	submit := &cobra.Command{
		Use:   "submit --allocation ID [flags] -- SCRIPT [ARGS...]",
		Short: "Submit a batch job under an allocation's Slurm account",
		Long: `Ask the pactum server whether you may run jobs under the allocation now (it is
active, within its period, every award condition is met, and you are a member),
and if so submit SCRIPT with sbatch under the allocation's account. Otherwise
nothing is submitted and every reason is printed. Run it on the cluster's login
node, as the cluster user whose username pactum knows.`,
		Example: `  pactum job submit --allocation 0190f3c2-... --gpus 4 --time 2h -- train.sh --epochs 3
  pactum job submit --allocation 0190f3c2-... --json -- eval.sh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, _ := cmd.Flags().GetString("allocation")
			ad, err := admission(cmd, e, id)
			if err != nil {
				return err
			}
			if !ad.Allowed {
				return pactum.Errorf(pactum.ECONFLICT, "The job was not submitted: allocation %s does not accept your jobs now:\n  - %s",
					id, strings.Join(ad.Reasons, "\n  - "))
			}
			if ad.Username != nil {
				if u, err := user.Current(); err == nil && u.Username != *ad.Username {
					return pactum.Errorf(pactum.EFORBIDDEN, "The job was not submitted: you are logged in as %s, but your pactum account's cluster username is %s.",
						u.Username, *ad.Username)
				}
			}
			req := slurm.SubmitRequest{Account: ad.Account, Script: args[0], Args: args[1:]}
			req.GPUs, _ = cmd.Flags().GetInt("gpus")
			req.Time, _ = cmd.Flags().GetDuration("time")
			req.Name, _ = cmd.Flags().GetString("name")
			req.Output, _ = cmd.Flags().GetString("output")
			req.Dir, _ = cmd.Flags().GetString("chdir")
			req.Partition, _ = cmd.Flags().GetString("partition")
			sc := &slurm.Client{Runner: slurmRunner(cmd, e)}
			job, err := sc.Submit(cmd.Context(), req)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, map[string]string{"job_id": job, "account": ad.Account, "allocation_id": ad.AllocationId})
			}
			fmt.Fprintf(e.stdout, "Submitted job %s under account %s (allocation %s).\n", job, ad.Account, ad.AllocationId)
			return nil
		},
	}
	submit.Flags().String("allocation", "", "allocation ID (required)")
	submit.Flags().Int("gpus", 0, "GPUs (--gres=gpu:N)")
	submit.Flags().Duration("time", 0, "time limit, e.g. 90m or 2h (rounded up to minutes; default the partition's)")
	submit.Flags().String("name", "", "job name")
	submit.Flags().String("output", "", "sbatch --output")
	submit.Flags().String("chdir", "", "working directory")
	submit.Flags().String("partition", "", "partition (default the cluster's)")
	submit.Flags().String("slurm-conf", "", "path to slurm.conf (default $SLURM_CONF)")
	_ = submit.MarkFlagRequired("allocation")
	jsonFlag(submit)
	return submit
}

func newJobStatusCmd(e *env) *cobra.Command {
	status := &cobra.Command{
		Use:     "status JOB_ID",
		Short:   "Show a job's state and Slurm's reason (e.g. PENDING AssocGrpGRESMinutes)",
		Example: `  pactum job status 4242`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc := &slurm.Client{Runner: slurmRunner(cmd, e)}
			st, err := sc.JobStatus(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				b, err := json.Marshal(map[string]string{"job_id": st.ID, "state": st.State, "reason": st.Reason})
				if err != nil {
					return err
				}
				return printJSON(e.stdout, b)
			}
			return keyValues(e.stdout, [][2]string{{"job", st.ID}, {"state", st.State}, {"reason", st.Reason}})
		},
	}
	status.Flags().String("slurm-conf", "", "path to slurm.conf (default $SLURM_CONF)")
	jsonFlag(status)
	return status
}
