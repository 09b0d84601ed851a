// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
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

A chain can verify and still have been recomputed from scratch by someone
with write access to the database. Signed checkpoints ("pactum audit
checkpoint"), kept outside the database, close that gap: with --checkpoint,
the chain must also match each checkpoint, which must be signed by the key
given with --trust.

Exit status: 0 when the chain verifies, 2 when it does not, 1 on other errors.`,
		Example: `  pactum audit verify --data ./pactum-data
  pactum audit verify --db postgres://auditor@db.example/pactum --json
  pactum audit verify --data ./pactum-data --checkpoint cp-2026-11-26.json --trust "$(cat audit.pub)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dsnFromFlags(cmd)
			if err != nil {
				return err
			}
			paths, _ := cmd.Flags().GetStringArray("checkpoint")
			trust, _ := cmd.Flags().GetString("trust")
			if len(paths) > 0 && trust == "" {
				return pactum.Errorf(pactum.EINVALID, "--checkpoint needs --trust PUBLIC_KEY: a checkpoint signed by anyone proves nothing.")
			}
			var pins []*audit.Checkpoint
			for _, p := range paths {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				c, err := audit.ParseCheckpoint(data)
				if err != nil {
					return pactum.Errorf(pactum.EINVALID, "%s: %v", p, err)
				}
				if err := c.VerifySignature(strings.TrimSpace(trust)); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("%s: %w", p, err)}
				}
				pins = append(pins, c)
			}
			db, err := sqlstore.Open(cmd.Context(), dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := usecase.VerifyAudit(cmd.Context(), db, pins...)
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
	verify.Flags().StringArray("checkpoint", nil, "signed checkpoint file the chain must match (repeat)")
	verify.Flags().String("trust", "", "the base64 public key checkpoints must be signed with")

	keygen := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Create an Ed25519 key for signing audit checkpoints",
		Long: `Create an Ed25519 key pair for signing audit checkpoints. The private key is
written to --out (mode 0600; keep it off the database host if you can); the
public key is printed, for auditors to pass to "audit verify --trust".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, _ := cmd.Flags().GetString("out")
			priv, pub, err := audit.NewKey()
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("write key: %w (an existing key file is never overwritten)", err)
			}
			if _, err := f.WriteString(priv + "\n"); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, pub)
			return nil
		},
	}
	keygen.Flags().String("out", "", "file for the private key (required)")
	_ = keygen.MarkFlagRequired("out")

	checkpoint := &cobra.Command{
		Use:   "checkpoint --key FILE",
		Short: "Sign the audit chain's current head, for safekeeping outside the database",
		Long: `Sign a statement of the audit chain's current head (its last event's sequence
number and hash) with the key in --key, and print it as JSON (or write it to
--out). Keep checkpoints where the database's administrators cannot change
them: publish them, mail them to auditors. "audit verify --checkpoint" then
detects any rewrite of the history before them.`,
		Example: `  pactum audit checkpoint --data ./pactum-data --key audit.key --out cp-$(date +%F).json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dsnFromFlags(cmd)
			if err != nil {
				return err
			}
			keyPath, _ := cmd.Flags().GetString("key")
			key, err := os.ReadFile(keyPath)
			if err != nil {
				return err
			}
			db, err := sqlstore.Open(cmd.Context(), dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := usecase.VerifyAudit(cmd.Context(), db)
			if err != nil {
				return err
			}
			if !r.OK {
				printReport(e, r)
				return &exitError{code: 2, err: fmt.Errorf("refusing to sign a broken chain")}
			}
			seq, hash, err := db.GetAuditHead(cmd.Context())
			if err != nil {
				return err
			}
			if seq == 0 {
				return pactum.Errorf(pactum.ECONFLICT, "The audit log is empty; there is nothing to sign yet.")
			}
			c, err := audit.Sign(strings.TrimSpace(string(key)), seq, hash, time.Now())
			if err != nil {
				return err
			}
			data, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				return err
			}
			data = append(data, '\n')
			if out, _ := cmd.Flags().GetString("out"); out != "" {
				return os.WriteFile(out, data, 0o644)
			}
			_, err = e.stdout.Write(data)
			return err
		},
	}
	storeFlags(checkpoint)
	checkpoint.Flags().String("key", "", "private key file from audit keygen (required)")
	checkpoint.Flags().String("out", "", "write the checkpoint to this file instead of standard output")
	_ = checkpoint.MarkFlagRequired("key")

	events := &cobra.Command{
		Use:     "events",
		Short:   "List audit events (access managers and auditors)",
		Example: `  pactum audit events --subject-type proposal --subject-id 0193…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, o := page(cmd)
			params := &client.ListAuditEventsParams{SubjectType: optString(cmd, "subject-type"), SubjectId: optString(cmd, "subject-id"),
				ActorId: optString(cmd, "actor-id"), Limit: l, Offset: o}
			if cmd.Flags().Changed("after-seq") {
				v, _ := cmd.Flags().GetInt64("after-seq")
				params.AfterSeq = &v
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ListAuditEventsResponse, error) {
				return c.ListAuditEventsWithResponse(ctx, params)
			}, func(resp *client.ListAuditEventsResponse) error {
				var rows [][]string
				for _, ev := range resp.JSON200.Items {
					rows = append(rows, []string{strconv.FormatInt(ev.Seq, 10), fmtTime(ev.At), ev.ActorId, ev.Action, ev.SubjectType + " " + ev.SubjectId, ev.Hash[:12]})
				}
				if err := table(e.stdout, []string{"SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "HASH"}, rows); err != nil {
					return err
				}
				footer(e.stdout, len(rows), resp.JSON200.Total)
				return nil
			})
		},
	}
	events.Flags().String("subject-type", "", "only events about this kind of subject (proposal, allocation, …)")
	events.Flags().String("subject-id", "", "only events about this subject")
	events.Flags().String("actor-id", "", "only events by this user")
	events.Flags().Int64("after-seq", 0, "only events after this sequence number")
	pageFlags(events)
	jsonFlag(events)
	cmd.AddCommand(verify, events, keygen, checkpoint)
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
