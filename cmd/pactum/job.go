// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"fmt"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
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
node, as the cluster user whose username pactum knows.

With --model and --phase the job is attributed to one of your organization's
models: the claim travels in the job's Slurm comment and comes back with its
accounting, so that the model's cumulative training compute is measured
against the AI Act's thresholds. Pre-training, fine-tuning and synthetic-data
generation count as training; evaluation, inference and other work are shown
beside it. Unattributed jobs stay visible as such.`,
		Example: `  pactum job submit --allocation 0190f3c2-... --gpus 4 --time 2h -- train.sh --epochs 3
  pactum job submit --allocation 0190f3c2-... --model aleph-7b@1 --phase pre-training --gpus 8 -- train.sh
  pactum job submit --allocation 0190f3c2-... --json -- eval.sh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, _ := cmd.Flags().GetString("allocation")
			label, err := jobLabel(cmd, e)
			if err != nil {
				return err
			}
			ad, err := admission(cmd, e, id)
			if err != nil {
				return err
			}
			if !ad.Allowed {
				return pactum.Errorf(pactum.ECONFLICT, "The job was not submitted: allocation %s does not accept your jobs now:\n  - %s",
					id, strings.Join(ad.Reasons, "\n  - "))
			}
			if err := refuseHeld(ad, label); err != nil {
				return err
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
			req.Comment = label
			sc := &slurm.Client{Runner: slurmRunner(cmd, e)}
			job, err := sc.Submit(cmd.Context(), req)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				out := map[string]string{"job_id": job, "account": ad.Account, "allocation_id": ad.AllocationId}
				if label != "" {
					out["comment"] = label
				}
				return writeJSONValue(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "Submitted job %s under account %s (allocation %s).\n", job, ad.Account, ad.AllocationId)
			if label != "" {
				model, phase := pactum.ParseJobLabel(label)
				fmt.Fprintf(e.stdout, "Its usage counts for model %s, phase %s.\n", model, phase)
			}
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
	submit.Flags().String("model", "", "the model the job works on, NAME@VERSION (or NAME if it has one version); see pactum models create")
	submit.Flags().String("phase", "", "what the job does for the model: pre-training, fine-tuning, synthetic-data, evaluation, inference or other (required with --model)")
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

// jobLabel resolves --model and --phase into the job's comment
// (pactum.JobLabel), checking with the server that the model is one of
// the caller's organization's; "" without --model.
func jobLabel(cmd *cobra.Command, e *env) (string, error) {
	model, _ := cmd.Flags().GetString("model")
	phase, _ := cmd.Flags().GetString("phase")
	if model == "" {
		if phase != "" {
			return "", pactum.Errorf(pactum.EINVALID, "--phase needs --model: name the model the job works on.")
		}
		return "", nil
	}
	name, version, ok := pactum.ParseModelLabel(model)
	if !ok {
		return "", pactum.Errorf(pactum.EINVALID, "--model %q: use NAME@VERSION (letters, digits, '.', '_', '-').", model)
	}
	if !pactum.Phase(phase).Valid() {
		return "", pactum.Errorf(pactum.EINVALID, "--phase %q: say what the job does for the model: pre-training, fine-tuning, synthetic-data, evaluation, inference or other.", phase)
	}
	c, err := apiClient(cmd, e)
	if err != nil {
		return "", err
	}
	resp, err := c.ListModelsWithResponse(cmd.Context(), &client.ListModelsParams{Label: &name})
	if err := called(resp, err); err != nil {
		return "", err
	}
	var versions []string
	for _, m := range resp.JSON200.Items {
		if version == "" || m.Version == version {
			versions = append(versions, m.Version)
		}
	}
	switch {
	case len(versions) == 0:
		return "", pactum.Errorf(pactum.ENOTFOUND, "Your organization has no model %s: register it first with 'pactum models create %s@VERSION'.", model, name)
	case len(versions) > 1:
		return "", pactum.Errorf(pactum.EINVALID, "Model %s has versions %s: name one, e.g. --model %s@%s.", name, strings.Join(versions, ", "), name, versions[len(versions)-1])
	}
	return pactum.JobLabel(name+"@"+versions[0], pactum.Phase(phase)), nil
}
