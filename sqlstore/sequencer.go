// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// sequencer seals committed audit events into the hash chain on
// PostgreSQL, shortly after the transactions that wrote them commit.
//
// Why not seal in the transaction, as SQLite does: appending to a hash
// chain needs the previous event's hash, so a transaction that seals must
// lock the chain's head row and hold the lock to commit. On SQLite that
// costs nothing — there is one writer, and the group commit (group.go)
// holds the head in memory for a whole group. On PostgreSQL it made every
// write transaction wait for the previous one's commit and round trips, on
// every server instance sharing the database.
//
// So a PostgreSQL transaction writes its events as one row of
// audit_pending, in the same transaction as the change they record (a
// change is never kept without its events, nor the events without the
// change), and commits without touching the head. The sequencer then, in
// rounds, locks the head, takes the pending rows it can see in the order
// of their serial numbers, chains their events in that order, inserts them
// into audit_events, advances the head and commits: one short transaction
// for every transaction that committed since the last round. Several
// server instances each run a sequencer; the head lock makes their rounds
// take turns, and whichever runs first seals every instance's events.
//
// Order: the chain's order is the order of sealing. A transaction that
// began after another committed draws a higher serial number, so an event
// caused by another is always sealed after it; events of transactions that
// ran concurrently may be chained in either order, as any serial order of
// them is one they could have committed in. Event times are stamped when
// each transaction records them, so concurrent transactions' events may
// appear a few milliseconds out of time order in the chain.
//
// Acknowledgement: Commit returns once the transaction's own commit is
// durable — its change and its events are kept — and wakes the sequencer;
// it does not wait for the round, which would add the round's latency to
// every write (measured: a fifth of the throughput). So on PostgreSQL an
// event reaches the chain a few milliseconds after its use case returns.
// Readers that must see the chain whole ask for it: listing the audit log
// seals first (Store.SealAudit), and verification reports pending events
// and replays them after the chain (VerifyAuditState). Rounds are at least
// sealGap apart, so that under load each seals many transactions; a round
// that fails (the database went away) leaves the events pending for the
// next, and a sequencer also looks every sealInterval, for events of an
// instance that stopped before sealing its own.
type sequencer struct {
	db *DB

	kick    chan struct{}
	closing sync.Once
	stop    chan struct{}
	stopped chan struct{}
}

// sealBatch bounds the pending rows (transactions) one round seals, so
// that a backlog — after an outage — is sealed in transactions of bounded
// size.
const sealBatch = 2048

// sealGap is the least time between two rounds a commit wakes.
const sealGap = 5 * time.Millisecond

// sealInterval is how often a sequencer looks for pending events without
// being woken.
const sealInterval = 500 * time.Millisecond

func newSequencer(db *DB) *sequencer {
	s := &sequencer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	s.wake() // events an earlier run left pending
	go s.loop()
	return s
}

// wake asks for a round soon; it never blocks.
func (s *sequencer) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *sequencer) loop() {
	defer close(s.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	t := time.NewTicker(sealInterval)
	defer t.Stop()
	for {
		select {
		case <-s.kick:
		case <-t.C:
		case <-s.stop:
			return
		}
		start := time.Now()
		if _, err := s.db.sealAll(ctx); err != nil && ctx.Err() == nil {
			s.db.logger.Error("audit sequencer: sealing failed; the events stay pending for a later round", "err", err)
		}
		select {
		case <-time.After(sealGap - time.Since(start)):
		case <-s.stop:
			return
		}
	}
}

func (s *sequencer) close() {
	s.closing.Do(func() { close(s.stop) })
	<-s.stopped
}

// SealAudit chains every audit event committed so far that is not yet in
// the chain, and returns once it has (on SQLite there never is one).
//
// When nothing is pending it runs no round: readers of the model's
// compute, the audit log and reports call it on every request, and a
// round is a transaction that waits for the head row. Checking first is
// safe because a round moves events from audit_pending to audit_events in
// one transaction: a pending row this read does not see was either sealed
// by a round that committed before the read began, or committed after it
// (and so after this call began).
func (db *DB) SealAudit(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	var n int64
	switch err := db.r.QueryRowContext(ctx, `SELECT n FROM audit_pending ORDER BY n LIMIT 1`).Scan(&n); {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("pending audit events: %w", mapError(err))
	}
	_, err := db.sealAll(ctx)
	return err
}

// sealAll runs sealing rounds until none is left, and returns how
// many transactions' events it sealed. It may run beside the sequencer
// and other instances': rounds take turns on the head row.
func (db *DB) sealAll(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := db.sealPending(ctx, sealBatch)
		total += n
		if err != nil || n < sealBatch {
			return total, err
		}
	}
}

// sealPending runs one round: it locks the head, takes up to limit pending
// rows in serial order, chains their events, and commits.
func (db *DB) sealPending(ctx context.Context, limit int) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin sealing: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	var prev string
	// Locks the head row until commit: rounds of every instance take turns.
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev); err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM audit_pending WHERE n IN (SELECT n FROM audit_pending ORDER BY n LIMIT $1) RETURNING n, events`, limit)
	if err != nil {
		return 0, fmt.Errorf("take pending audit events: %w", err)
	}
	type pendingRow struct {
		n      int64
		events []*pactum.AuditEvent
	}
	var pending []pendingRow
	for rows.Next() {
		var r pendingRow
		var text string
		if err := rows.Scan(&r.n, &text); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan pending audit events: %w", err)
		}
		if r.events, err = decodePending(text); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pending audit events %d: %w", r.n, err)
		}
		pending = append(pending, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("take pending audit events: %w", err)
	}
	if len(pending) == 0 {
		return 0, nil
	}
	// RETURNING promises no order.
	slices.SortFunc(pending, func(a, b pendingRow) int { return cmp.Compare(a.n, b.n) })
	var events []*pactum.AuditEvent
	for _, r := range pending {
		for _, e := range r.events {
			seq++
			e.Seq = seq
			audit.Seal(prev, e)
			prev = e.Hash
			events = append(events, e)
		}
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev); err != nil {
		return 0, fmt.Errorf("audit head update: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit sealing: %w", mapError(err))
	}
	return len(pending), nil
}

// encodePending packs events as audit_pending keeps them until they are
// sealed: everything the hash covers except the chain's fields, each field
// as its length in bytes, a colon and its bytes (the form auditRowsSQL
// reads sealed events in), one event after another. Packing copies bytes
// and escapes nothing: JSON here cost the sequencer, which every commit
// waits for, a tenth of the server's time in decoding alone. Before and
// After are kept as the exact bytes recorded, since the hash covers them.
func encodePending(events []*pactum.AuditEvent) string {
	n := 0
	for _, e := range events {
		n += len(e.ID) + len(e.ActorID) + len(e.Action) + len(e.SubjectType) + len(e.SubjectID) + len(e.Before) + len(e.After) + 80
	}
	b := make([]byte, 0, n)
	var at [40]byte
	for _, e := range events {
		for _, f := range [][]byte{[]byte(e.ID), e.At.UTC().AppendFormat(at[:0], audit.TimeFormat), []byte(e.ActorID), []byte(e.Action),
			[]byte(e.SubjectType), []byte(e.SubjectID), e.Before, e.After} {
			b = strconv.AppendInt(b, int64(len(f)), 10)
			b = append(b, ':')
			b = append(b, f...)
		}
	}
	return string(b)
}

// pendingFields is how many fields encodePending packs per event.
const pendingFields = 8

// decodePending unpacks what encodePending packed.
func decodePending(text string) ([]*pactum.AuditEvent, error) {
	var out []*pactum.AuditEvent
	var f [pendingFields]string
	for len(text) > 0 {
		for i := range f {
			j := strings.IndexByte(text, ':')
			n, err := strconv.Atoi(text[:max(j, 0)])
			if j < 1 || err != nil || n < 0 || n > len(text)-j-1 {
				return nil, fmt.Errorf("pending audit event %d, field %d: not in packed form", len(out)+1, i+1)
			}
			f[i], text = text[j+1:j+1+n], text[j+1+n:]
		}
		at, err := time.Parse(audit.TimeFormat, f[1])
		if err != nil {
			return nil, fmt.Errorf("pending audit event %d: time: %w", len(out)+1, err)
		}
		e := &pactum.AuditEvent{ID: f[0], At: at.UTC(), ActorID: f[2], Action: f[3], SubjectType: f[4], SubjectID: f[5]}
		if f[6] != "" {
			e.Before = json.RawMessage(f[6])
		}
		if f[7] != "" {
			e.After = json.RawMessage(f[7])
		}
		out = append(out, e)
	}
	return out, nil
}

// ScanPendingAudit streams the events committed but not yet sealed, in the
// order they will be sealed, to fn until it returns false; their chain
// fields are empty.
func (q *queries) ScanPendingAudit(ctx context.Context, fn func(*pactum.AuditEvent) bool) error {
	rows, err := q.q.QueryContext(ctx, `SELECT n, events FROM audit_pending ORDER BY n`)
	if err != nil {
		return fmt.Errorf("read pending audit events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var text string
		if err := rows.Scan(&n, &text); err != nil {
			return fmt.Errorf("scan pending audit events: %w", err)
		}
		events, err := decodePending(text)
		if err != nil {
			return fmt.Errorf("pending audit events %d: %w", n, err)
		}
		for _, e := range events {
			if !fn(e) {
				return nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read pending audit events: %w", err)
	}
	return nil
}
