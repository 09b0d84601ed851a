// SPDX-License-Identifier: EUPL-1.2

// Command pactum runs responsible-AI access to EuroHPC supercomputers: the
// server, its command-line client, the demo, and offline tools for auditors.
// This package only wires flags to the other packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what commands need from the process, injected so tests can run
// the CLI in-process. stdout and stderr escape control characters
// (safeWriter); width is how wide tables may be (termWidth).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	width          int
	stderrTTY      bool
}

// exitError carries a specific exit status through cobra: exitCheck for a
// check that found problems.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run executes the CLI and returns the process exit code (exitClasses).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	out, errw := &safeWriter{w: stdout}, &safeWriter{w: stderr}
	defer out.Flush()
	defer errw.Flush()
	e := &env{stdin: stdin, stdout: out, stderr: errw, getenv: getenv,
		width: termWidth(stdout, getenv), stderrTTY: isTerminal(stderr)}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errw)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	// The command line's own --json, when its flags were parsed; the
	// arguments, when parsing them failed (an unknown flag before --json).
	asJSON := argsWantJSON(args) || cmd != nil && cmd.Flags().Lookup("json") != nil && wantJSON(cmd)
	reportError(errw, err, asJSON)
	return exitCode(err)
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "pactum",
		Short: "Responsible-AI access to EuroHPC supercomputers",
		Long: `pactum runs the scheme under which AI startups and SMEs get compute on Europe's
public supercomputers if they are eligible and responsible: calls, proposals,
screening against eligibility, AI Act and ethics rules, decisions, allocations,
and a tamper-evident audit log.

Client commands talk to a pactum server: set --server (or PACTUM_SERVER) and
--token (or PACTUM_TOKEN). Start one with "pactum serve", or try everything
at once with "pactum demo".

Exit status:
` + exitHelp() + `
With --json, an error is printed to standard error as JSON too:
{"error":{"code":…,"message":…,"fields":[…]}}.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("server", "", "pactum server URL (default $PACTUM_SERVER, else http://127.0.0.1:8080)")
	root.PersistentFlags().String("token", "", "API token (default $PACTUM_TOKEN)")
	root.PersistentFlags().String("idempotency-key", "", "a unique key (e.g. a UUID) sent with the command's change: re-running the command with the same key within 24 hours changes nothing twice and prints the first answer")
	root.AddCommand(
		newServeCmd(e), newInitCmd(e), newDemoCmd(e), newAuditCmd(e),
		newMeCmd(e), newSystemsCmd(e), newOrgsCmd(e), newUsersCmd(e), newTokensCmd(e),
		newCallsCmd(e), newProposalsCmd(e), newAllocationsCmd(e),
		newReviewsCmd(e), newReviewersCmd(e), newAllocateCmd(e), newNotificationsCmd(e),
		newAgentCmd(e), newJobCmd(e), newEstimateCmd(e),
		newModelsCmd(e), newUsageImportGroupCmd(e), newObligationsCmd(e),
		newIncidentsCmd(e), newOutcomesCmd(e), newReportsCmd(e),
		newSitesCmd(e),
		newMigrateCmd(e), newBackupCmd(e), newRestoreCmd(e), newAdminCmd(e),
	)
	for _, c := range extraCommands() {
		root.AddCommand(c)
	}
	strictCommands(root)
	return root
}

// strictCommands makes the command line fail on what it does not
// understand, with a usageError (exit status 2): a command group given an
// unknown subcommand names it and suggests the nearest (cobra would print
// the group's help and exit 0), and bad arguments, flags and missing
// required flags are usage errors.
func strictCommands(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return usageError{err}
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return usageError{err}
		}
		return nil
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
			c.Args = cobra.ArbitraryArgs
			// "pactum proposals lst --json" is an unknown command, not an
			// unknown flag of the group.
			c.FParseErrWhitelist.UnknownFlags = true
			c.RunE = groupRun
			c.SuggestionsMinimumDistance = 2
		case c.Args != nil:
			check := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// groupRun runs a command group: its help without arguments, an unknown
// command error with suggestions otherwise.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	msg += fmt.Sprintf("\n\nRun %q for its commands.", cmd.CommandPath()+" --help")
	return usageError{errors.New(msg)}
}
