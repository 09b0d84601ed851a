// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/usecase"
)

// serveOpsFlags adds serve's flags for running it: the log's format and
// the agents' silence threshold.
func serveOpsFlags(cmd *cobra.Command) {
	cmd.Long += serveOpsHelp
	cmd.Flags().String("log-format", "text", "log format: text (key=value lines) or json (one object a line, for a log collector)")
	cmd.Flags().Duration("agent-silent-after", pactum.DefaultAgentSilentAfter, "how long a site's agent may go without a heartbeat before it is shown silent (pactum sites agents, /metrics) and access managers and the site's operators are told")
}

// serveOpsHelp is appended to serve's help: logs, request IDs, metrics
// and agents.
const serveOpsHelp = `

Logs: each request is logged at info (probes and /metrics at debug) with
its ID, route, status, duration and authenticated user; --log-format json
writes one JSON object a line. The ID is the request's X-Request-Id when it
is 1-128 letters, digits and "-_.:@/+=" (a reverse proxy's), else a new one;
it is echoed in the response header and in every error body (request_id).
A refused token is logged at warn with the reason, never the token.

/metrics also counts submissions, screening findings by rule, decisions by
outcome and by whom, time to decision and usage ingest lag, and shows each
site agent's last contact and whether it is silent (no heartbeat within
--agent-silent-after; also "pactum sites agents"). Deployment: docs/deploy.md.`

// serveLogger returns serve's logger of --log-level and --log-format.
func serveLogger(e *env, cmd *cobra.Command) (*slog.Logger, error) {
	level, _ := cmd.Flags().GetString("log-level")
	format, _ := cmd.Flags().GetString("log-format")
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// agentSilentAfter returns the use-case option of --agent-silent-after.
func agentSilentAfter(cmd *cobra.Command) (func(*usecase.Config), error) {
	d, _ := cmd.Flags().GetDuration("agent-silent-after")
	if d < time.Minute || d > 30*24*time.Hour {
		return nil, pactum.Errorf(pactum.EINVALID, "--agent-silent-after %s: give between 1m and 720h", d)
	}
	return func(c *usecase.Config) { c.AgentSilentAfter = d }, nil
}
