// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
)

// serveOpsFlags adds serve's flags for running it: the log's format.
func serveOpsFlags(cmd *cobra.Command) {
	cmd.Flags().String("log-format", "text", "log format: text (key=value lines) or json (one object a line, for a log collector)")
}

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
