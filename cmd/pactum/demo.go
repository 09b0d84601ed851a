// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/demo"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/usecase"
)

func newDemoCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole lifecycle on a fresh embedded database",
		Long: `Run pactum end to end on a fresh embedded database: start a server on
127.0.0.1, open a call, register eight European AI companies, submit their
proposals, screen them against the eligibility, AI Act and ethics rules,
decide those sent to review, create allocations, and verify the audit chain.
Everything goes through the HTTP API, as the CLI would.

The data stays in --data (a new temporary directory when omitted), so you can
inspect it afterwards, e.g. with "pactum audit verify --data DIR". With
--serve the server keeps running for you to explore with the CLI or the web
portal (/portal/): it prints a one-time sign-in link for each role (an
applicant, a reviewer, an access manager, a site operator, an auditor).`,
		Example: `  pactum demo
  pactum demo --data /tmp/pactum-demo --json
  pactum demo --serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, e) },
	}
	cmd.Flags().String("data", "", "fresh data directory (default: a new temporary directory)")
	cmd.Flags().String("addr", "127.0.0.1:0", "address for the demo's server")
	cmd.Flags().Bool("serve", false, "keep the server running afterwards, for exploring with the CLI or the portal (prints a sign-in link per role)")
	cmd.Flags().BoolP("quiet", "q", false, "no progress lines")
	cmd.Flags().Bool("json", false, "print the summary as JSON (proposals by final state, hours granted per system, …)")
	return cmd
}

// runDemo starts a server on a fresh database in --data, plays the demo
// against it through the API, prints the summary and, with --serve, keeps
// the server running until the command is stopped.
func runDemo(cmd *cobra.Command, e *env) error {
	ctx := cmd.Context()
	dir, err := demoDir(cmd)
	if err != nil {
		return err
	}
	dsn, err := dsnFromDir(dir)
	if err != nil {
		return err
	}
	quiet, _ := cmd.Flags().GetBool("quiet")
	progress := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(e.stderr, "  "+format+"\n", args...)
		}
	}
	start := time.Now()
	// The server runs on a clock two hours behind until the call's
	// cut-off, so that applicants submit before it and the panel ranks
	// the large-scale proposals after it, as the scheme's calendar has it.
	clock := &demoClock{}
	clock.offset.Store(int64(-2 * time.Hour))
	a, err := openApp(ctx, dsn, slog.New(slog.DiscardHandler), "", clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	mgr, token, err := a.uc.Bootstrap(ctx, "mara.manager@eurohpc-ju.example", "Mara Manager")
	if err != nil {
		return err
	}
	// The demo's people sign in to the portal with one-time links
	// (printed with --serve); there is no identity provider here.
	a.cfg.SignIn = &pactumhttp.SignInConfig{Sessions: a.uc, Links: a.uc}
	srv, err := pactumhttp.NewServer(a.cfg)
	if err != nil {
		return err
	}
	if err := mountPortal(srv, a.uc, false, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	addr, _ := cmd.Flags().GetString("addr")
	if err := srv.Open(addr); err != nil {
		return err
	}
	defer srv.Close()
	progress("pactum server on %s, data in %s, ruleset %s", srv.URL(), dir, a.ruleset.Version())
	res, err := demo.Run(ctx, srv.URL(), token, demo.Options{Progress: progress, Now: clock.Now, PassCutoff: clock.passCutoff})
	if err != nil {
		return err
	}
	if err := printDemo(cmd, e, res, dir, time.Since(start)); err != nil {
		return err
	}
	if serve, _ := cmd.Flags().GetBool("serve"); serve {
		links, err := demoSignInLinks(ctx, a.uc, srv.URL())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "\nThe server keeps running at %s. The portal is at %s/portal/; sign in as one of the demo's people\n(each link works once, for %s):\n\n",
			srv.URL(), srv.URL(), demoLinkTTL)
		for _, l := range links {
			fmt.Fprintf(e.stderr, "  %-15s %-34s %s\n", l.role, l.email, l.url)
		}
		fmt.Fprintf(e.stderr, "\nAs the access manager (%s) from the command line:\n\n  export PACTUM_SERVER=%s PACTUM_TOKEN=%s\n  pactum proposals list\n\nPress Ctrl-C to stop.\n",
			mgr.Email, srv.URL(), token)
		<-ctx.Done()
	}
	return nil
}

// demoLinkTTL is how long the demo's sign-in links work.
const demoLinkTTL = 12 * time.Hour

// demoLink is a sign-in link for one of the demo's people.
type demoLink struct{ role, email, url string }

// demoSignInLinks makes a one-time sign-in link for the first person of
// each role, as the operator does (the system identity).
func demoSignInLinks(ctx context.Context, uc *usecase.App, base string) ([]demoLink, error) {
	sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
	var out []demoLink
	for _, role := range []pactum.Role{pactum.RoleApplicant, pactum.RoleReviewer, pactum.RoleAccessManager, pactum.RoleSiteOperator, pactum.RoleAuditor} {
		us, _, err := uc.FindUsers(sys, pactum.UserFilter{Role: &role, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(us) == 0 {
			continue
		}
		_, code, err := uc.CreateSignInLink(sys, us[0].ID, demoLinkTTL)
		if err != nil {
			return nil, err
		}
		out = append(out, demoLink{role: strings.ReplaceAll(string(role), "_", " "), email: us[0].Email, url: base + "/auth/link?code=" + code})
	}
	return out, nil
}

// demoDir returns --data, or a new temporary directory. It refuses a
// directory that already holds a database rather than mix the demo's data
// into it.
func demoDir(cmd *cobra.Command) (string, error) {
	dir, _ := cmd.Flags().GetString("data")
	if dir == "" {
		d, err := os.MkdirTemp("", "pactum-demo-")
		if err != nil {
			return "", err
		}
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "pactum.db")); err == nil {
		return "", pactum.Errorf(pactum.ECONFLICT, "%s already holds a pactum database; the demo needs a fresh directory.", dir)
	}
	return dir, nil
}

// printDemo prints the demo's summary: as JSON with --json, else as text
// with how long it took and where the data is.
func printDemo(cmd *cobra.Command, e *env, res *demo.Result, dir string, took time.Duration) error {
	if wantJSON(cmd) {
		return writeJSONValue(e.stdout, res)
	}
	fmt.Fprintln(e.stdout)
	if err := res.WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nDone in %s. Data in %s (check it offline: pactum audit verify --data %s).\n",
		took.Round(time.Millisecond), dir, dir)
	return nil
}

// demoClock is the demo server's clock: real time shifted by an offset
// that only ever grows, so the clock never runs backwards.
type demoClock struct{ offset atomic.Int64 }

// Now returns the shifted time.
func (c *demoClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// passCutoff moves the clock just past cutoff, or to real time if that is
// later.
func (c *demoClock) passCutoff(cutoff time.Time) error {
	d := max(cutoff.Sub(time.Now())+time.Second, 0)
	if time.Duration(c.offset.Load()) < d {
		c.offset.Store(int64(d))
	}
	return nil
}
