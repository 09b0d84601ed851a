// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum/audit"

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
	return listCounted(ctx, q.q, "find audit events", `SELECT `+auditColumns+` FROM audit_events`, &w, "seq", f.Limit, f.Offset, scanAuditEvent)
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

// auditRowsSQL reads each event as its sequence number and one text that
// holds its other fields, each as its length in bytes, a colon and its
// bytes, the time already in the form the hash covers on PostgreSQL
// (SQLite's is converted by canonicalTime). One column instead of ten
// saves the driver ten copies and boxings a row, and concat() builds it in
// one pass (|| would copy the growing text once per field, printf scans
// it); the lengths come from the database, so no stored text can shift the
// boundary between two fields, and a NULL forced into a column drops its
// length too, so the row does not parse.
var auditRowsSQL = map[string]string{
	SQLite:   packedSQL(`CAST(at AS TEXT)`),
	Postgres: packedSQL(`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`),
}

// packedColumns are the fields auditRowsSQL packs, in AuditRow's order;
// "at" stands for the engine's text of the time.
var packedColumns = []string{"id", "at", "actor_id", "action", "subject_type", "subject_id", "before_json", "after_json", "prev_hash", "hash"}

func packedSQL(at string) string {
	parts := make([]string, len(packedColumns))
	for i, c := range packedColumns {
		v := c
		if c == "at" {
			v = at
		}
		parts[i] = `octet_length(` + v + `), ':', ` + v
	}
	return `SELECT seq, concat(` + strings.Join(parts, ", ") + `) FROM audit_events ORDER BY seq`
}

// ScanAuditRows streams every event in chain order to fn, as stored bytes
// in one reused row, until fn returns false. A row whose packed text does
// not parse (a NULL forced into a column) reaches fn with empty fields, so
// it fails verification as an edited event.
func (q *queries) ScanAuditRows(ctx context.Context, fn func(*pactum.AuditRow) bool) error {
	rows, err := q.q.QueryContext(ctx, auditRowsSQL[q.dialect])
	if err != nil {
		return fmt.Errorf("read audit events: %w", err)
	}
	defer rows.Close()
	var r pactum.AuditRow
	var text sql.RawBytes
	fields := []*[]byte{&r.ID, &r.At, &r.ActorID, &r.Action, &r.SubjectType, &r.SubjectID, &r.Before, &r.After, &r.PrevHash, &r.Hash}
	var atBuf []byte
	for rows.Next() {
		if err := rows.Scan(&r.Seq, &text); err != nil {
			return fmt.Errorf("scan audit event: %w", err)
		}
		unpack(text, fields)
		if q.dialect == SQLite {
			atBuf = canonicalTime(atBuf[:0], r.At)
			r.At = atBuf
		}
		if !fn(&r) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit events: %w", err)
	}
	return nil
}

// unpack splits text, as auditRowsSQL packs it, into fields, which point
// into text. Fields it cannot read are left empty.
func unpack(text []byte, fields []*[]byte) {
	for _, f := range fields {
		*f = nil
	}
	for _, f := range fields {
		n, i := 0, 0
		for i < len(text) && text[i] >= '0' && text[i] <= '9' && n < 1<<40 {
			n = n*10 + int(text[i]-'0')
			i++
		}
		if i == 0 || i >= len(text) || text[i] != ':' || len(text)-i-1 < n {
			return
		}
		*f = text[i+1 : i+1+n]
		text = text[i+1+n:]
	}
}

// canonicalTime appends to dst the time SQLite stored as src
// ("2006-01-02 15:04:05.999999999-07:00", what _time_format=sqlite
// writes) in audit.TimeFormat. The common case, a UTC time, is rewritten
// byte by byte; any other form is parsed. Text that is no time is appended
// as it is, so the event fails to verify rather than the scan.
func canonicalTime(dst, src []byte) []byte {
	if len(src) >= 19 && src[10] == ' ' {
		rest := src[19:]
		frac := []byte(nil)
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			frac, rest = rest[1:i], rest[i:]
		}
		if string(rest) == "+00:00" || string(rest) == "Z" {
			dst = append(dst, src[:10]...)
			dst = append(dst, 'T')
			dst = append(dst, src[11:19]...)
			dst = append(dst, '.')
			for i := range 6 {
				if i < len(frac) {
					dst = append(dst, frac[i])
				} else {
					dst = append(dst, '0')
				}
			}
			return append(dst, 'Z')
		}
	}
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, string(src)); err == nil {
			return t.UTC().AppendFormat(dst, audit.TimeFormat)
		}
	}
	return append(dst, src...)
}

// sqliteTimeLayouts are the forms a time may take in SQLite text.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"}
