// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/slurm"
)

// --- users ---

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

// --- allocations: usage, conditions, admission ---

func unitHours(u client.Unit) string {
	if u == client.NodeHours {
		return "node-h"
	}
	return "GPU-h"
}

func newUsageCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "usage ID",
		Short:   "Show an allocation's usage against its grant, per cluster user",
		Example: `  pactum allocations usage 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetAllocationUsageResponse, error) {
				return c.GetAllocationUsageWithResponse(ctx, args[0])
			}, func(resp *client.GetAllocationUsageResponse) error {
				s := resp.JSON200
				h := unitHours(s.Unit)
				updated := "-"
				if s.UpdatedAt != nil {
					updated = fmtTime(*s.UpdatedAt)
				}
				var crossed []string
				for _, t := range s.Thresholds {
					crossed = append(crossed, fmt.Sprintf("%d%% at %s", t.Percent, fmtTime(t.CrossedAt)))
				}
				if err := keyValues(e.stdout, [][2]string{{"allocation", s.AllocationId}, {"system", s.SystemId}, {"state", string(s.State)},
					{"used", fmt.Sprintf("%s of %s %s (%s%%)", fmtNum(s.Used), fmtNum(s.Amount), h, fmtNum(s.Percent))},
					{"jobs", strconv.FormatInt(s.Jobs, 10)}, {"GPU-hours", fmtNum(float64(s.GpuSeconds) / 3600)},
					{"node-hours", fmtNum(float64(s.NodeSeconds) / 3600)}, {"CPU-hours", fmtNum(float64(s.CpuSeconds) / 3600)},
					{"thresholds crossed", strings.Join(append(crossed, "-")[:max(len(crossed), 1)], ", ")}, {"updated", updated}}); err != nil {
					return err
				}
				if len(s.Users) == 0 {
					return nil
				}
				fmt.Fprintln(e.stdout)
				var rows [][]string
				for _, u := range s.Users {
					rows = append(rows, []string{u.Username, strconv.FormatInt(u.Jobs, 10), fmtNum(u.Used) + " " + h})
				}
				return table(e.stdout, []string{"USER", "JOBS", "USED"}, rows)
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

func newRecordsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "records ID",
		Short:   "List an allocation's job records, latest started first",
		Example: `  pactum allocations records 0190f3c2-... --user ada --running`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, o := page(cmd)
			p := &client.ListUsageRecordsParams{Username: optString(cmd, "user"), Limit: l, Offset: o}
			if running, _ := cmd.Flags().GetBool("running"); running {
				p.Final = new(bool)
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListUsageRecordsResponse, error) {
				return c.ListUsageRecordsWithResponse(ctx, args[0], p)
			}, func(resp *client.ListUsageRecordsResponse) error {
				var rows [][]string
				for _, r := range resp.JSON200.Items {
					rows = append(rows, []string{r.Cluster, r.JobId, r.Username, r.State, fmtTimePtr(r.StartAt), fmtTimePtr(r.EndAt),
						(time.Duration(r.ElapsedSeconds) * time.Second).String(), fmtNum(float64(r.GpuSeconds) / 3600), fmtNum(float64(r.ChargeSeconds) / 3600)})
				}
				if err := table(e.stdout, []string{"CLUSTER", "JOB", "USER", "STATE", "START", "END", "ELAPSED", "GPU-H", "CHARGED"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	cmd.Flags().String("user", "", "only this cluster user's jobs")
	cmd.Flags().Bool("running", false, "only jobs not yet ended")
	pageFlags(cmd)
	jsonFlag(cmd)
	return cmd
}

func newConditionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "conditions", Short: "List and acknowledge an award's conditions"}
	list := &cobra.Command{
		Use:     "list ID",
		Short:   "List the conditions and whether each is met",
		Example: `  pactum allocations conditions list 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListConditionsResponse, error) {
				return c.ListConditionsWithResponse(ctx, args[0])
			}, func(resp *client.ListConditionsResponse) error {
				var rows [][]string
				for _, x := range resp.JSON200.Items {
					met := "no"
					if x.Met {
						met = "yes, " + fmtTimePtr(x.AcknowledgedAt)
					}
					rows = append(rows, []string{x.RuleId, x.Basis, met, x.Message})
				}
				return table(e.stdout, []string{"RULE", "BASIS", "MET", "OBLIGATION"}, rows)
			})
		},
	}
	jsonFlag(list)
	ack := &cobra.Command{
		Use:   "ack ID RULE --statement TEXT",
		Short: "Meet a condition by stating how (applicants of the organization)",
		Long: `Acknowledge one of the award's conditions with a statement of how it is met.
The statement is recorded in the audit log. Jobs are refused, by pactum and by
the cluster, until every condition is met.`,
		Example: `  pactum allocations conditions ack 0190f3c2-... art50.2 --statement "Outputs carry a machine-readable AI mark."`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, _ := cmd.Flags().GetString("statement")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AcknowledgeConditionResponse, error) {
				return c.AcknowledgeConditionWithResponse(ctx, args[0], args[1], client.AcknowledgeInput{Statement: st})
			}, func(resp *client.AcknowledgeConditionResponse) error {
				fmt.Fprintf(e.stdout, "Condition %s is met (acknowledged %s).\n", resp.JSON200.RuleId, fmtTimePtr(resp.JSON200.AcknowledgedAt))
				return nil
			})
		},
	}
	ack.Flags().String("statement", "", "how the condition is met (required)")
	_ = ack.MarkFlagRequired("statement")
	jsonFlag(ack)
	cmd.AddCommand(list, ack)
	return cmd
}

func newAdmissionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "admission ID",
		Short:   "Say whether you may run jobs under an allocation now, and if not why",
		Example: `  pactum allocations admission 0190f3c2-...`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ad, body, err := admission(cmd, e, args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, body)
			}
			if ad.Allowed {
				fmt.Fprintf(e.stdout, "You may run jobs under account %s.\n", ad.Account)
				return nil
			}
			fmt.Fprintf(e.stdout, "You may not run jobs under allocation %s now:\n", ad.AllocationId)
			for _, r := range ad.Reasons {
				fmt.Fprintf(e.stdout, "  - %s\n", r)
			}
			return nil
		},
	}
	jsonFlag(cmd)
	return cmd
}

func admission(cmd *cobra.Command, e *env, id string) (*client.Admission, []byte, error) {
	c, err := apiClient(cmd, e)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.GetAdmissionWithResponse(cmd.Context(), id)
	if err != nil {
		return nil, nil, netErr(err)
	}
	if err := ok(resp, resp.Body); err != nil {
		return nil, nil, err
	}
	return resp.JSON200, resp.Body, nil
}

// --- the site agent ---

// slurmRunner runs Slurm's commands for the cluster of --slurm-conf, or of
// $SLURM_CONF, or Slurm's default.
func slurmRunner(cmd *cobra.Command, e *env) *slurm.ExecRunner {
	conf, _ := cmd.Flags().GetString("slurm-conf")
	if conf == "" {
		conf = e.getenv("SLURM_CONF")
	}
	return slurm.NewExecRunner(conf)
}

// clusterName reads ClusterName from the running configuration.
func clusterName(ctx context.Context, r slurm.Runner) (string, error) {
	var out strings.Builder
	if err := r.Run(ctx, &out, "scontrol", "show", "config"); err != nil {
		return "", fmt.Errorf("read the cluster's name (pass --cluster): %w", err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "ClusterName" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", pactum.Errorf(pactum.EINVALID, "scontrol show config names no ClusterName; pass --cluster.")
}

func newAgentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the site agent beside a Slurm cluster",
		Long: `Run the site agent that a hosting site runs beside its Slurm cluster. Every
--interval it pulls the desired state of the site's allocations from the pactum
server (the cluster needs no inbound access), reconciles Slurm's accounts to it
with sacctmgr (an account per organization and per allocation, members,
GrpTRESMins from the grant, suspension, removal at expiry; drift made by hand
is restored and reported), activates allocations once provisioned, and posts the
jobs sacct reports since its last accepted read. A stopped slurmdbd or
slurmctld is retried with backoff.

Its token must belong to a site operator of --site. Its state (the usage cursor)
lives in --state-dir, which must survive restarts and belong to this agent only.
SIGTERM stops it after the cycle in progress. --once runs one cycle and exits
non-zero if it failed, for tests and cron.`,
		Example: `  export PACTUM_SERVER=https://pactum.example.eu PACTUM_TOKEN=pct_...
  pactum agent --site CSC --state-dir /var/lib/pactum-agent
  pactum agent --site CSC --cluster lumi --system lumi-g --state-dir ./agent-state --once --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level, _ := cmd.Flags().GetString("log-level")
			logger, err := newLogger(e, level)
			if err != nil {
				return err
			}
			if f, _ := cmd.Flags().GetString("log-format"); f == "json" {
				var l slog.Level
				_ = l.UnmarshalText([]byte(level))
				logger = slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: l}))
			} else if f != "text" {
				return pactum.Errorf(pactum.EINVALID, "--log-format %q: use text or json", f)
			}
			api, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			runner := slurmRunner(cmd, e)
			name, _ := cmd.Flags().GetString("cluster")
			if name == "" {
				if name, err = clusterName(cmd.Context(), runner); err != nil {
					return err
				}
			}
			cfg := agent.Config{API: api, Cluster: &slurm.Client{Runner: runner}, ClusterName: name, Logger: logger}
			cfg.Site, _ = cmd.Flags().GetString("site")
			cfg.SystemID, _ = cmd.Flags().GetString("system")
			cfg.Root, _ = cmd.Flags().GetString("root")
			cfg.StateDir, _ = cmd.Flags().GetString("state-dir")
			cfg.Interval, _ = cmd.Flags().GetDuration("interval")
			cfg.Overlap, _ = cmd.Flags().GetDuration("overlap")
			cfg.BatchSize, _ = cmd.Flags().GetInt("batch")
			cfg.CPUsPerNode, _ = cmd.Flags().GetInt("cpus-per-node")
			cfg.ReconcileTimeout, _ = cmd.Flags().GetDuration("reconcile-timeout")
			a, err := agent.New(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if once, _ := cmd.Flags().GetBool("once"); once {
				rep, err := a.Cycle(cmd.Context())
				if wantJSON(cmd) {
					if werr := writeJSONValue(e.stdout, rep); werr != nil {
						return werr
					}
				} else {
					fmt.Fprintf(e.stdout, "%d allocations; %d changes applied, %d drift restored, %d activated, %d expired; %d records posted (%d accepted, %d duplicate, %d rejected), %d malformed lines; cursor %s\n",
						rep.Allocations, len(rep.Applied), len(rep.Drift), len(rep.Activated), len(rep.Expired), rep.Records, rep.Accepted,
						rep.Duplicate, rep.Rejected, rep.Malformed, fmtTime(rep.Cursor))
				}
				return err
			}
			logger.Info("pactum agent running", "site", cfg.Site, "cluster", name, "interval", cfg.Interval, "state_dir", cfg.StateDir)
			return a.Run(cmd.Context())
		},
	}
	cmd.Flags().String("site", "", "hosting site whose allocations to provision, e.g. CSC (required)")
	cmd.Flags().String("cluster", "", "Slurm's ClusterName (default: read with scontrol)")
	cmd.Flags().String("system", "", "only this system's allocations (one agent per cluster when a site has several)")
	cmd.Flags().String("root", "", "account beneath which pactum's accounts live (default the server's: pactum)")
	cmd.Flags().String("state-dir", "", "directory for the agent's state; must survive restarts (required)")
	cmd.Flags().Duration("interval", time.Minute, "time between cycles")
	cmd.Flags().Duration("overlap", 15*time.Minute, "how far before the cursor each sacct read starts")
	cmd.Flags().Int("batch", 5000, "records per POST")
	cmd.Flags().Int("cpus-per-node", 0, "enforce node-hour awards as cpu minutes at this many CPUs per node (default: node minutes)")
	cmd.Flags().Duration("reconcile-timeout", 5*time.Minute, "how long one cycle keeps retrying an unreachable Slurm")
	cmd.Flags().String("slurm-conf", "", "path to slurm.conf (default $SLURM_CONF)")
	cmd.Flags().Bool("once", false, "run one cycle and exit")
	cmd.Flags().String("log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().String("log-format", "text", "log format: text or json")
	jsonFlag(cmd)
	_ = cmd.MarkFlagRequired("site")
	_ = cmd.MarkFlagRequired("state-dir")
	return cmd
}

// --- jobs ---

func newJobCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Submit jobs under an allocation and follow them"}
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
			ad, _, err := admission(cmd, e, id)
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
	cmd.AddCommand(submit, status)
	return cmd
}
