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
// the CLI in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError carries a specific exit code (for example 2 for a failed audit
// verification) through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run executes the CLI and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "pactum: "+errorText(err))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
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
at once with "pactum demo".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("server", "", "pactum server URL (default $PACTUM_SERVER, else http://127.0.0.1:8080)")
	root.PersistentFlags().String("token", "", "API token (default $PACTUM_TOKEN)")
	root.AddCommand(
		newServeCmd(e), newInitCmd(e), newDemoCmd(e), newAuditCmd(e),
		newMeCmd(e), newSystemsCmd(e), newOrgsCmd(e), newUsersCmd(e), newTokensCmd(e),
		newCallsCmd(e), newProposalsCmd(e), newAllocationsCmd(e),
		newReviewsCmd(e), newReviewersCmd(e), newAllocateCmd(e), newNotificationsCmd(e),
		newAgentCmd(e), newJobCmd(e),
	)
	for _, c := range extraCommands() {
		root.AddCommand(c)
	}
	return root
}
