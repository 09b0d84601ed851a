// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/slurm"
)

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
jobs sacct reports since its last accepted read. Pending jobs labelled with a
model that a call's terms hold (see pactum calls update --hold-models) are held
with scontrol hold, and released once an access manager acknowledges. A
stopped slurmdbd or
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
			if err := applyConfigFile(cmd); err != nil {
				return err
			}
			if err := requireAgentFlags(cmd); err != nil {
				return err
			}
			cfg, err := agentConfig(cmd, e)
			if err != nil {
				return err
			}
			a, err := agent.New(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if !a.State().Existed() && !cmd.Flags().Changed("dry-run") {
				// First run on this cluster: show what would change, change
				// nothing, and say how to go on.
				cfg.Logger.Warn("first run on this cluster (no state in --state-dir): dry run; review the plan, then run with --dry-run=false")
				a.Close()
				cfg.DryRun = true
				if a, err = agent.New(cfg); err != nil {
					return err
				}
				if err := a.Preflight(cmd.Context()); err != nil {
					return fmt.Errorf("preflight: %w", err)
				}
				return agentOnce(cmd, e, a)
			}
			if once, _ := cmd.Flags().GetBool("once"); once || cfg.DryRun {
				if err := a.Preflight(cmd.Context()); err != nil {
					return fmt.Errorf("preflight: %w", err)
				}
				return agentOnce(cmd, e, a)
			}
			cfg.Logger.Info("pactum agent running", "site", cfg.Site, "cluster", cfg.ClusterName, "interval", cfg.Interval, "state_dir", cfg.StateDir)
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
	cmd.Flags().Bool("gpu-util", false, "read job steps for the GPU utilisation Slurm gathers (gres/gpuutil, Slurm 23.02+), so FLOP is computed from measured utilisation")
	cmd.Flags().Int("cpus-per-node", 0, "enforce node-hour awards as cpu minutes at this many CPUs per node (default: node minutes)")
	cmd.Flags().Duration("reconcile-timeout", 5*time.Minute, "how long one cycle keeps retrying an unreachable Slurm")
	cmd.Flags().String("slurm-conf", "", "path to slurm.conf (default $SLURM_CONF)")
	cmd.Flags().Bool("once", false, "run one cycle and exit")
	cmd.Flags().Bool("dry-run", false, "print the plan and change nothing (the default on the first run on a cluster: pass --dry-run=false to apply)")
	cmd.Flags().Bool("accept-removals", false, "confirm removals held because the desired state suddenly lacks most of pactum's accounts")
	cmd.Flags().Int("min-uid", 1000, "never give an allocation a local login below this UID (system accounts); -1 to allow any")
	cmd.Flags().StringSlice("deny-users", []string{"root", "slurm"}, "logins never given to an allocation")
	cmd.Flags().String("login-map", "", "the site's login map, lines of \"USERNAME LOGIN\": the login each pactum user gets here (unlisted users get none); without it the username is the login")
	cmd.Flags().Duration("queue-grace", time.Hour, "how long queued jobs of an expired allocation wait before they are cancelled")
	cmd.Flags().Int("remove-after", 3, "cycles an account must be absent from the desired state before it is removed")
	cmd.Flags().String("config", "", "file of flag settings, one 'name = value' a line ('#' comments); flags on the command line win")
	cmd.Flags().String("token-file", "", "file holding the API token (mode 0600 or stricter), instead of PACTUM_TOKEN")
	cmd.Flags().String("log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().String("log-format", "text", "log format: text or json")
	jsonFlag(cmd)
	cmd.AddCommand(newAgentStatusCmd(e))
	return cmd
}

// agentConfig configures the agent from its flags: the logger, the server,
// the cluster and the agent's own settings.
func agentConfig(cmd *cobra.Command, e *env) (agent.Config, error) {
	var cfg agent.Config
	level, _ := cmd.Flags().GetString("log-level")
	logger, err := newLogger(e, level)
	if err != nil {
		return cfg, err
	}
	if f, _ := cmd.Flags().GetString("log-format"); f == "json" {
		var l slog.Level
		_ = l.UnmarshalText([]byte(level))
		logger = slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: l}))
	} else if f != "text" {
		return cfg, pactum.Errorf(pactum.EINVALID, "--log-format %q: use text or json", f)
	}
	if err := tokenFromFile(cmd); err != nil {
		return cfg, err
	}
	api, err := apiClient(cmd, e)
	if err != nil {
		return cfg, err
	}
	runner := slurmRunner(cmd, e)
	name, _ := cmd.Flags().GetString("cluster")
	if name == "" {
		if name, err = clusterName(cmd.Context(), runner); err != nil {
			return cfg, err
		}
	}
	cfg = agent.Config{API: api, Cluster: &slurm.Client{Runner: runner, Cluster: name}, ClusterName: name, Logger: logger}
	cfg.DryRun, _ = cmd.Flags().GetBool("dry-run")
	cfg.AcceptRemovals, _ = cmd.Flags().GetBool("accept-removals")
	cfg.RemoveAfter, _ = cmd.Flags().GetInt("remove-after")
	cfg.MinUID, _ = cmd.Flags().GetInt("min-uid")
	cfg.QueueGrace, _ = cmd.Flags().GetDuration("queue-grace")
	cfg.DenyUsers, _ = cmd.Flags().GetStringSlice("deny-users")
	if cfg.DenyUsers == nil {
		cfg.DenyUsers = []string{}
	}
	if path, _ := cmd.Flags().GetString("login-map"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return cfg, pactum.Errorf(pactum.EINVALID, "--login-map: %v", err)
		}
		cfg.LoginMap, err = agent.ParseLoginMap(f)
		f.Close()
		if err != nil {
			return cfg, err
		}
	}
	cfg.Site, _ = cmd.Flags().GetString("site")
	cfg.SystemID, _ = cmd.Flags().GetString("system")
	cfg.Root, _ = cmd.Flags().GetString("root")
	cfg.StateDir, _ = cmd.Flags().GetString("state-dir")
	cfg.Interval, _ = cmd.Flags().GetDuration("interval")
	cfg.Overlap, _ = cmd.Flags().GetDuration("overlap")
	cfg.BatchSize, _ = cmd.Flags().GetInt("batch")
	cfg.CPUsPerNode, _ = cmd.Flags().GetInt("cpus-per-node")
	cfg.GPUUtilisation, _ = cmd.Flags().GetBool("gpu-util")
	cfg.ReconcileTimeout, _ = cmd.Flags().GetDuration("reconcile-timeout")
	return cfg, nil
}

// agentOnce runs one cycle and prints its report; the cycle's error, if
// any, is the command's.
func agentOnce(cmd *cobra.Command, e *env, a *agent.Agent) error {
	rep, err := a.Cycle(cmd.Context())
	if wantJSON(cmd) {
		if werr := writeJSONValue(e.stdout, rep); werr != nil {
			return werr
		}
	} else {
		if rep.DryRun {
			fmt.Fprintf(e.stdout, "DRY RUN: nothing was changed. %d allocations; plan (%d actions):\n", rep.Allocations, len(rep.Planned))
			for _, x := range rep.Planned {
				fmt.Fprintf(e.stdout, "  %s\n", x)
			}
			for _, f := range rep.Foreign {
				fmt.Fprintf(e.stdout, "  left alone (not pactum's): %s\n", f)
			}
			for _, h := range rep.Held {
				fmt.Fprintf(e.stdout, "  removal held: %s\n", h)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "%d allocations; %d changes applied, %d drift restored, %d activated, %d expired; %d records posted (%d accepted, %d duplicate, %d rejected), %d malformed lines; cursor %s\n",
			rep.Allocations, len(rep.Applied), len(rep.Drift), len(rep.Activated), len(rep.Expired), rep.Records, rep.Accepted,
			rep.Duplicate, rep.Rejected, rep.Malformed, fmtTime(rep.Cursor))
		if len(rep.JobsHeld) > 0 {
			fmt.Fprintf(e.stdout, "held pending jobs of held models: %s\n", strings.Join(rep.JobsHeld, ", "))
		}
		if len(rep.JobsReleased) > 0 {
			fmt.Fprintf(e.stdout, "released jobs of acknowledged models: %s\n", strings.Join(rep.JobsReleased, ", "))
		}
	}
	return err
}

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
