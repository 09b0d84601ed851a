// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
)

// applyConfigFile sets the flags that --config names and the command line
// does not: one "name = value" a line, '#' starts a comment.
func applyConfigFile(cmd *cobra.Command) error {
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return pactum.Errorf(pactum.EINVALID, "--config: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if !ok || k == "config" || cmd.Flags().Lookup(k) == nil {
			return pactum.Errorf(pactum.EINVALID, "%s:%d: want 'name = value' with the name of one of the agent's flags, got %q", path, n, sc.Text())
		}
		if cmd.Flags().Changed(k) {
			continue
		}
		if err := cmd.Flags().Set(k, v); err != nil {
			return pactum.Errorf(pactum.EINVALID, "%s:%d: %s: %v", path, n, k, err)
		}
	}
	return sc.Err()
}

// requireAgentFlags checks the flags the agent cannot run without, once
// the config file is applied (so it may set them).
func requireAgentFlags(cmd *cobra.Command) error {
	var missing []string
	for _, f := range []string{"site", "state-dir"} {
		if v, _ := cmd.Flags().GetString(f); v == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return pactum.Errorf(pactum.EINVALID, "required flag(s) %q not set (on the command line or in --config)", missing)
	}
	return nil
}

// tokenFromFile reads the API token from --token-file, which must not be
// readable or writable by group or others (as ssh treats its keys).
func tokenFromFile(cmd *cobra.Command) error {
	path, _ := cmd.Flags().GetString("token-file")
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return pactum.Errorf(pactum.EINVALID, "--token-file: %v", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return pactum.Errorf(pactum.EINVALID, "--token-file %s has mode %04o: make it 0600 (chmod 600 %s), since the token lets its holder act as the site's operator", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return pactum.Errorf(pactum.EINVALID, "--token-file: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return pactum.Errorf(pactum.EINVALID, "--token-file %s is empty", path)
	}
	return cmd.Flags().Set("token", tok)
}

func newAgentStatusCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show the agent's last reconcile, drift and pending removals from its state directory",
		Example: `  pactum agent status --site CSC --cluster lumi --state-dir /var/lib/pactum-agent`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString("state-dir")
			site, _ := cmd.Flags().GetString("site")
			cluster, _ := cmd.Flags().GetString("cluster")
			st, err := agent.LoadState(dir, site, cluster)
			if err != nil {
				return err
			}
			if !st.Existed() {
				return pactum.Errorf(pactum.ENOTFOUND, "No agent state in %s: the agent has not applied anything there yet.", dir)
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, st)
			}
			fmt.Fprintf(e.stdout, "site %s, cluster %s\nlast reconcile: %s\n", st.Site, st.Cluster, fmtTime(st.LastReconcile))
			if st.LastError != "" {
				fmt.Fprintf(e.stdout, "last error: %s\n", st.LastError)
			}
			fmt.Fprintf(e.stdout, "usage read up to: %s\naccounts applied: %d\n", fmtTime(st.Cursor), len(st.Applied))
			for name, n := range st.Absent {
				fmt.Fprintf(e.stdout, "pending removal: %s (absent %d cycles)\n", name, n)
			}
			for _, h := range st.Held {
				fmt.Fprintf(e.stdout, "removal held (confirm with --accept-removals): %s\n", h)
			}
			for _, f := range st.Foreign {
				fmt.Fprintf(e.stdout, "drift, left alone (not pactum's): %s\n", f)
			}
			return nil
		},
	}
	cmd.Flags().String("site", "", "hosting site (required)")
	cmd.Flags().String("cluster", "", "Slurm's ClusterName (required)")
	cmd.Flags().String("state-dir", "", "the agent's state directory (required)")
	jsonFlag(cmd)
	for _, f := range []string{"site", "cluster", "state-dir"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
