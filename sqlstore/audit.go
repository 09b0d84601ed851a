// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// AuditService implements pactum.AuditService.
type AuditService struct{ db *DB }

var _ pactum.AuditService = (*AuditService)(nil)

// NewAuditService returns the audit reader and verifier.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

const auditColumns = `seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash`

func scanAuditEvent(row scanner, extra ...any) (*pactum.AuditEvent, error) {
	var e pactum.AuditEvent
	var before, after string
	dest := append([]any{&e.Seq, &e.ID, &e.At, &e.ActorID, &e.Action, &e.SubjectType, &e.SubjectID, &before, &after, &e.PrevHash, &e.Hash}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e.At = e.At.UTC()
	e.Before, e.After = json.RawMessage(before), json.RawMessage(after)
	return &e, nil
}

func canAudit(ctx context.Context) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.CanReadAll(u) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers and auditors may read the audit log.")
	}
	return nil
}

// FindAuditEvents lists events in chain order.
func (s *AuditService) FindAuditEvents(ctx context.Context, f pactum.AuditFilter) ([]*pactum.AuditEvent, int, error) {
	if err := canAudit(ctx); err != nil {
		return nil, 0, err
	}
	var w where
	if f.SubjectType != nil {
		w.add("subject_type = ?", *f.SubjectType)
	}
	if f.SubjectID != nil {
		w.add("subject_id = ?", *f.SubjectID)
	}
	if f.ActorID != nil {
		w.add("actor_id = ?", *f.ActorID)
	}
	if f.AfterSeq > 0 {
		w.add("seq > ?", f.AfterSeq)
	}
	q := `SELECT ` + auditColumns + `, COUNT(*) OVER () FROM audit_events` + w.String() + ` ORDER BY seq` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find audit events", q, w.args, scanAuditEvent)
}

// VerifyAudit checks the chain. Access managers and auditors only.
func (s *AuditService) VerifyAudit(ctx context.Context) (*pactum.AuditReport, error) {
	if err := canAudit(ctx); err != nil {
		return nil, err
	}
	return s.db.VerifyAudit(ctx)
}

// VerifyAudit walks the whole chain in one read transaction, streaming, and
// reports the first bad event. It needs no caller: `pactum audit verify`
// runs it offline against the database itself. Pins hold events to the
// hashes that signed checkpoints state (audit.Verifier.Pin).
func (db *DB) VerifyAudit(ctx context.Context, pins ...*audit.Checkpoint) (*pactum.AuditReport, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err == sql.ErrNoRows {
		return &pactum.AuditReport{OK: false, FirstBad: &pactum.AuditProblem{Reason: "the audit head record is missing"}}, nil
	} else if err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	v := audit.NewVerifier()
	for _, p := range pins {
		v.Pin(p.Seq, p.Hash)
	}
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("scan audit event: %w", err)
		}
		if !v.Add(e) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	return v.Report(headSeq, headHash), nil
}

// AuditHead returns the chain's last sequence number and hash, for a
// checkpoint. It needs no caller: it runs offline.
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	if err := db.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return seq, hash, nil
}
