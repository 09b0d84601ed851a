// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

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

// ListAuditEvents lists events in chain order.
func (q *queries) ListAuditEvents(ctx context.Context, f pactum.AuditFilter) ([]*pactum.AuditEvent, int, error) {
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
	query := `SELECT ` + auditColumns + `, COUNT(*) OVER () FROM audit_events` + w.String() + ` ORDER BY seq` + w.page(f.Limit, f.Offset)
	return listPage(ctx, q.q, "find audit events", query, w.args, scanAuditEvent)
}

// GetAuditHead returns the chain's last sequence number and hash; ENOTFOUND
// when the head record is missing (a tampered database).
func (q *queries) GetAuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := q.q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", pactum.Errorf(pactum.ENOTFOUND, "The audit head record is missing.")
	} else if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return seq, hash, nil
}

// ScanAuditEvents streams every event in chain order to fn until it
// returns false.
func (q *queries) ScanAuditEvents(ctx context.Context, fn func(*pactum.AuditEvent) bool) error {
	rows, err := q.q.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return fmt.Errorf("scan audit event: %w", err)
		}
		if !fn(e) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit events: %w", err)
	}
	return nil
}
