// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"encoding/json"
	"fmt"
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
