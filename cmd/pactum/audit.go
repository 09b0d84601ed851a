// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/usecase"
)

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the tamper-evident audit log"}
	cmd.AddCommand(newAuditVerifyCmd(e), newAuditEventsCmd(e), newAuditKeygenCmd(e), newAuditCheckpointCmd(e))
	return cmd
}

func newAuditVerifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit hash chain (and with --state the tables) offline, straight from the database",
		Long: `Walk the audit log from its first event to its last, recomputing each event's
SHA-256 over its content and its predecessor's hash. An edited, deleted or
reordered event breaks the chain; the first bad event is named. Runs offline
against --data or --db, so an auditor needs no server and no token.

A chain can verify and still have been recomputed from scratch by someone
with write access to the database. Signed checkpoints ("pactum audit
checkpoint"), kept outside the database, close that gap: with --checkpoint,
the chain must also match each checkpoint, which must be signed by the key
given with --trust.

The chain proves the log, not the tables: a direct SQL edit of a row
(an allocation's amount, a proposal's state) leaves the log intact. With
--state, the log is then replayed — every write of a covered table records
the row's whole new value, and the last one of each row is what the table
must hold — and compared with the tables: organizations, users, systems,
calls, proposals, allocations, reviews, review_assignments, conflicts,
reviewer_profiles and incidents. The first row that differs is named (table, id, field,
the log's value and the table's), and rows only one side has are counted.
Usage records are not replayed: they arrive in bulk from the sites'
accounting, and are checked against it. Long runs report progress on
standard error.

Exit status: 0 when the chain (and with --state the tables) verifies, 7 when
it does not, 1 on other errors.`,
		Example: `  pactum audit verify --data ./pactum-data
  pactum audit verify --db postgres://auditor@db.example/pactum --json
  pactum audit verify --data ./pactum-data --state
  pactum audit verify --data ./pactum-data --checkpoint cp-2026-11-26.json --trust "$(cat audit.pub)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := readOnlyDSN(cmd)
			if err != nil {
				return err
			}
			pins, err := checkpointsFromFlags(cmd)
			if err != nil {
				return err
			}
			state, _ := cmd.Flags().GetBool("state")
			var progress usecase.VerifyAuditProgress
			if state {
				progress = func(stage string, done int64) { fmt.Fprintf(e.stderr, "audit verify: %d %s…\n", done, stage) }
			}
			r, err := verifyStoredAudit(cmd.Context(), dsn, state, progress, pins...)
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
				if r.FirstBad == nil && r.State != nil && r.State.First != nil {
					d := r.State.First
					return &exitError{code: exitCheck, err: fmt.Errorf("the tables differ from the audit log at %s %s", d.Table, d.ID)}
				}
				return &exitError{code: exitCheck, err: fmt.Errorf("audit chain broken at event %d", r.FirstBad.Seq)}
			}
			return nil
		},
	}
	storeFlags(cmd)
	jsonFlag(cmd)
	cmd.Flags().Bool("state", false, "also replay the log and compare it with the tables")
	cmd.Flags().StringArray("checkpoint", nil, "signed checkpoint file the chain must match (repeat)")
	cmd.Flags().String("trust", "", "the base64 public key checkpoints must be signed with")
	return cmd
}

// checkpointsFromFlags reads the checkpoints of --checkpoint and checks
// that each is signed with the key of --trust.
func checkpointsFromFlags(cmd *cobra.Command) ([]*audit.Checkpoint, error) {
	paths, _ := cmd.Flags().GetStringArray("checkpoint")
	trust, _ := cmd.Flags().GetString("trust")
	if len(paths) > 0 && trust == "" {
		return nil, pactum.Errorf(pactum.EINVALID, "--checkpoint needs --trust PUBLIC_KEY: a checkpoint signed by anyone proves nothing.")
	}
	var pins []*audit.Checkpoint
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c, err := audit.ParseCheckpoint(data)
		if err != nil {
			return nil, pactum.Errorf(pactum.EINVALID, "%s: %v", p, err)
		}
		if err := c.VerifySignature(strings.TrimSpace(trust)); err != nil {
			return nil, &exitError{code: exitCheck, err: fmt.Errorf("%s: %w", p, err)}
		}
		pins = append(pins, c)
	}
	return pins, nil
}

// verifyStoredAudit verifies the audit chain of the database dsn, which
// must also match every checkpoint in pins.
// With state, the replayed log is also compared with the tables.
func verifyStoredAudit(ctx context.Context, dsn string, state bool, progress usecase.VerifyAuditProgress, pins ...*audit.Checkpoint) (*pactum.AuditReport, error) {
	db, err := openReadOnly(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if state {
		return usecase.VerifyAuditState(ctx, db, progress, pins...)
	}
	return usecase.VerifyAudit(ctx, db, pins...)
}

// storedAuditHead verifies the audit chain of the database dsn and, when
// it verifies, returns its head: the last event's sequence number and hash.
func storedAuditHead(ctx context.Context, dsn string) (r *pactum.AuditReport, seq int64, hash string, err error) {
	db, err := openReadOnly(ctx, dsn)
	if err != nil {
		return nil, 0, "", err
	}
	defer db.Close()
	if r, err = usecase.VerifyAudit(ctx, db); err != nil || !r.OK {
		return r, 0, "", err
	}
	seq, hash, err = db.GetAuditHead(ctx)
	return r, seq, hash, err
}

func newAuditKeygenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
	cmd.Flags().String("out", "", "file for the private key (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newAuditCheckpointCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
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
			dsn, err := readOnlyDSN(cmd)
			if err != nil {
				return err
			}
			keyPath, _ := cmd.Flags().GetString("key")
			key, err := os.ReadFile(keyPath)
			if err != nil {
				return err
			}
			r, seq, hash, err := storedAuditHead(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			if !r.OK {
				printReport(e, r)
				return &exitError{code: exitCheck, err: fmt.Errorf("refusing to sign a broken chain")}
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
	storeFlags(cmd)
	cmd.Flags().String("key", "", "private key file from audit keygen (required)")
	cmd.Flags().String("out", "", "write the checkpoint to this file instead of standard output")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

func newAuditEventsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events",
		Short:   "List audit events (access managers and auditors)",
		Example: `  pactum audit events --subject-type proposal --subject-id 0193…`,
		Args:    cobra.NoArgs,
	}
	cmd.Flags().String("subject-type", "", "only events about this kind of subject (proposal, allocation, …)")
	cmd.Flags().String("subject-id", "", "only events about this subject")
	cmd.Flags().String("actor-id", "", "only events by this user")
	cmd.Flags().Int64("after-seq", 0, "only events after this sequence number")
	return listCmd(e, cmd, listing[*client.ListAuditEventsResponse, client.AuditEvent]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListAuditEventsResponse, error) {
			l, o := pageParams(cmd)
			params := &client.ListAuditEventsParams{SubjectType: optString(cmd, "subject-type"), SubjectId: optString(cmd, "subject-id"),
				ActorId: optString(cmd, "actor-id"), Limit: l, Offset: o}
			if cmd.Flags().Changed("after-seq") {
				v, _ := cmd.Flags().GetInt64("after-seq")
				params.AfterSeq = &v
			}
			return c.ListAuditEventsWithResponse(ctx, params)
		},
		page: func(r *client.ListAuditEventsResponse) ([]client.AuditEvent, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.AuditEvent]{
			header: []string{"SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "HASH"},
			row: func(ev client.AuditEvent) []string {
				return []string{strconv.FormatInt(ev.Seq, 10), fmtTime(ev.At), ev.ActorId, ev.Action, ev.SubjectType + " " + ev.SubjectId, ev.Hash[:12]}
			},
		},
		paged: true,
	})
}

func printReport(e *env, r *pactum.AuditReport) {
	if r.FirstBad == nil {
		fmt.Fprintf(e.stdout, "Audit chain OK: %d events, head %s.\n", r.Events, r.HeadHash)
		if r.Pending > 0 {
			fmt.Fprintf(e.stdout, "%d more events are committed and not yet sealed into the chain (they are sealed within a second of commit).\n", r.Pending)
		}
		if r.State != nil {
			printStateReport(e, r.State)
		}
		return
	}
	fmt.Fprintf(e.stdout, "Audit chain BROKEN after %d events.\nFirst bad event: seq %d", r.Events, r.FirstBad.Seq)
	if r.FirstBad.ID != "" {
		fmt.Fprintf(e.stdout, " (id %s)", r.FirstBad.ID)
	}
	fmt.Fprintf(e.stdout, "\nReason: %s\n", r.FirstBad.Reason)
}

func printStateReport(e *env, s *pactum.AuditStateReport) {
	if s.OK {
		fmt.Fprintf(e.stdout, "Tables OK: %d rows of %d tables are what the log rebuilds.\n", s.Rows, len(s.Subjects))
		return
	}
	fmt.Fprintf(e.stdout, "Tables DIFFER from the log: %d of %d rows (or rows only one side has).\n", s.Differences, s.Rows)
	d := s.First
	fmt.Fprintf(e.stdout, "First difference: %s %s", d.Table, d.ID)
	if d.Field != "" {
		fmt.Fprintf(e.stdout, ", field %s: log %s, table %s", d.Field, orNone(d.Log), orNone(d.Stored))
	}
	if d.Seq > 0 {
		fmt.Fprintf(e.stdout, " (last written by event %d)", d.Seq)
	}
	fmt.Fprintf(e.stdout, "\nReason: %s\n", d.Reason)
}

func orNone(v []byte) string {
	if len(v) == 0 {
		return "(none)"
	}
	return string(v)
}
