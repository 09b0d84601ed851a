// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore"
)

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the tamper-evident audit log"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit hash chain offline, straight from the database",
		Long: `Walk the audit log from its first event to its last, recomputing each event's
SHA-256 over its content and its predecessor's hash. An edited, deleted or
reordered event breaks the chain; the first bad event is named. Runs offline
against --data or --db, so an auditor needs no server and no token.

Exit status: 0 when the chain verifies, 2 when it does not, 1 on other errors.`,
		Example: `  pactum audit verify --data ./pactum-data
  pactum audit verify --db postgres://auditor@db.example/pactum --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dsnFromFlags(cmd)
			if err != nil {
				return err
			}
			db, err := sqlstore.Open(cmd.Context(), dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				if err := writeJSONValue(e.stdout, r); err != nil {
					return err
				}
			} else {
				printReport(e, r)
			}
			if !r.OK {
				return &exitError{code: 2, err: fmt.Errorf("audit chain broken at event %d", r.FirstBad.Seq)}
			}
			return nil
		},
	}
	storeFlags(verify)
	jsonFlag(verify)

	events := &cobra.Command{
		Use:     "events",
		Short:   "List audit events (access managers and auditors)",
		Example: `  pactum audit events --subject-type proposal --subject-id 0193…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			l, o := page(cmd)
			params := &client.ListAuditEventsParams{SubjectType: optString(cmd, "subject-type"), SubjectId: optString(cmd, "subject-id"),
				ActorId: optString(cmd, "actor-id"), Limit: l, Offset: o}
			if cmd.Flags().Changed("after-seq") {
				v, _ := cmd.Flags().GetInt64("after-seq")
				params.AfterSeq = &v
			}
			resp, err := c.ListAuditEventsWithResponse(cmd.Context(), params)
			if err != nil {
				return netErr(err)
			}
			if err := ok(resp, resp.Body); err != nil {
				return err
			}
			if wantJSON(cmd) {
				return printJSON(e.stdout, resp.Body)
			}
			var rows [][]string
			for _, ev := range resp.JSON200.Items {
				rows = append(rows, []string{strconv.FormatInt(ev.Seq, 10), fmtTime(ev.At), ev.ActorId, ev.Action, ev.SubjectType + " " + ev.SubjectId, ev.Hash[:12]})
			}
			if err := table(e.stdout, []string{"SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "HASH"}, rows); err != nil {
				return err
			}
			footer(e.stdout, len(rows), resp.JSON200.Total)
			return nil
		},
	}
	events.Flags().String("subject-type", "", "only events about this kind of subject (proposal, allocation, …)")
	events.Flags().String("subject-id", "", "only events about this subject")
	events.Flags().String("actor-id", "", "only events by this user")
	events.Flags().Int64("after-seq", 0, "only events after this sequence number")
	pageFlags(events)
	jsonFlag(events)
	cmd.AddCommand(verify, events)
	return cmd
}

func printReport(e *env, r *pactum.AuditReport) {
	if r.OK {
		fmt.Fprintf(e.stdout, "Audit chain OK: %d events, head %s.\n", r.Events, r.HeadHash)
		return
	}
	fmt.Fprintf(e.stdout, "Audit chain BROKEN after %d events.\nFirst bad event: seq %d", r.Events, r.FirstBad.Seq)
	if r.FirstBad.ID != "" {
		fmt.Fprintf(e.stdout, " (id %s)", r.FirstBad.ID)
	}
	fmt.Fprintf(e.stdout, "\nReason: %s\n", r.FirstBad.Reason)
}
