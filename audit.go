// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// AuditEvent records one state change: who did what to which subject, when,
// and the subject before and after. Events form a hash chain: Hash covers the
// event and PrevHash, so an edited, deleted or reordered event breaks the
// chain at that point (see package audit).
type AuditEvent struct {
	Seq         int64           `json:"seq"`
	ID          string          `json:"id"`
	At          time.Time       `json:"at"`
	ActorID     string          `json:"actor_id"`
	Action      string          `json:"action"` // e.g. "proposal.submit"
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	Before      json.RawMessage `json:"before,omitempty"`
	After       json.RawMessage `json:"after,omitempty"`
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

// AuditRow is one stored event as the bytes the store holds, for
// verifying a long chain without decoding it: At is the event time in the
// form that enters the hash (audit.TimeFormat). Whoever is handed a row
// must not keep it or its slices past the call.
type AuditRow struct {
	Seq                                             int64
	ID, At, ActorID, Action, SubjectType, SubjectID []byte
	Before, After, PrevHash, Hash                   []byte
}

// AuditProblem names the first event at which the chain fails and why.
type AuditProblem struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// AuditReport is the result of verifying the chain.
type AuditReport struct {
	OK       bool          `json:"ok"`
	Events   int64         `json:"events"`
	HeadHash string        `json:"head_hash"`
	FirstBad *AuditProblem `json:"first_bad,omitempty"`
	// Pending counts events committed but not yet sealed into the chain
	// (PostgreSQL seals shortly after commit); they are not verified, and
	// --state replays them after the chain.
	Pending int64 `json:"pending,omitempty"`
	// State is the comparison of the replayed log with the tables, when
	// asked for (audit verify --state); OK is false when it fails.
	State *AuditStateReport `json:"state,omitempty"`
}

// AuditStateReport is the result of replaying the audit log and comparing
// what it rebuilds with the rows the tables hold.
type AuditStateReport struct {
	OK bool `json:"ok"`
	// Subjects are the kinds of subject compared, each with its table.
	Subjects []AuditStateSubject `json:"subjects"`
	// Rows counts the table rows compared; Differences the rows that
	// differ from the log or are missing on one side.
	Rows        int64 `json:"rows"`
	Differences int64 `json:"differences"`
	// First is the first difference, in the order of Subjects and ids.
	First *StateDifference `json:"first_difference,omitempty"`
}

// AuditStateSubject is one kind of subject the log rebuilds and the table
// that holds it.
type AuditStateSubject struct {
	SubjectType string `json:"subject_type"`
	Table       string `json:"table"`
}

// StateDifference is a row on which the replayed log and the table
// disagree: a field whose values differ, or a row only one side has.
type StateDifference struct {
	Table string `json:"table"`
	ID    string `json:"id"`
	// Field is the snapshot field that differs; empty when the whole row
	// is missing on one side.
	Field string `json:"field,omitempty"`
	// Log and Stored are the field's JSON values in the log and in the
	// table; absent when that side has no such row.
	Log    json.RawMessage `json:"log,omitempty"`
	Stored json.RawMessage `json:"table_value,omitempty"`
	// Seq is the last event that wrote the row, when the log has one.
	Seq    int64  `json:"seq,omitempty"`
	Reason string `json:"reason"`
}

// AuditFilter selects audit events. Nil fields match everything.
type AuditFilter struct {
	SubjectType   *string
	SubjectID     *string
	ActorID       *string
	AfterSeq      int64
	Limit, Offset int
}

// AuditService reads and verifies the audit log. Events are only ever
// written by the other services, inside their transactions.
type AuditService interface {
	// FindAuditEvents lists events in chain order. Access managers and
	// auditors only; EFORBIDDEN otherwise.
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
	// VerifyAudit walks the whole chain and reports the first bad event.
	// Access managers and auditors only.
	VerifyAudit(ctx context.Context) (*AuditReport, error)
}

// NewAuditEvent returns an event, not yet sealed into the chain, in which
// actorID did action to a subject, with JSON snapshots of the subject
// before and after (nil for none). A Store seals it (Tx.Adopt, Tx.Record).
func NewAuditEvent(actorID, action, subjectType, subjectID string, before, after any) (*AuditEvent, error) {
	b, err := snapshotJSON(before)
	if err != nil {
		return nil, err
	}
	a, err := snapshotJSON(after)
	if err != nil {
		return nil, err
	}
	return &AuditEvent{ActorID: actorID, Action: action, SubjectType: subjectType, SubjectID: subjectID, Before: b, After: a}, nil
}

func snapshotJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit snapshot: %w", err)
	}
	return b, nil
}

// Noted returns a snapshot of v with notes beside its fields: for an event
// whose After is the subject's whole new value (from which the audit log
// rebuilds the row) and also says why it changed. A note named like a
// field of v is left out: the field is the state.
func Noted(v any, notes map[string]any) any { return noted{v, notes} }

type noted struct {
	v     any
	notes map[string]any
}

func (n noted) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(n.v)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("audit snapshot with notes: %w", err)
	}
	keys := make([]string, 0, len(n.notes))
	for k := range n.notes {
		if _, isField := fields[k]; !isField {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = b[:len(b)-1] // the object's closing brace
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(n.notes[k])
		if err != nil {
			return nil, err
		}
		if len(fields) > 0 || b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}
