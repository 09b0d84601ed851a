// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// Tx is one use case's write transaction: its queries run cached prepared
// statements, and its audit events are stored in the same transaction, so
// the change and its record land together or not at all.
//
// On PostgreSQL it is a transaction of its own. On SQLite, use cases that
// arrive together share one transaction and one commit (group.go): each
// runs in its own savepoint, rolled back alone if it fails, and Commit
// returns only once the shared commit is durable. Either way the use case
// drives it (Begin, its reads and writes, Commit or Rollback); the store
// never calls back into the use case.
type Tx struct {
	queries
	ctx context.Context
	tx  *sql.Tx
	db  *DB
	// events are the use case's audit events, sealed at its end.
	events []*pactum.AuditEvent
	// now is the use case's time, stamped when it starts.
	now   time.Time
	actor *pactum.User
	// committed run once the transaction's commit is durable (on SQLite
	// the group's), never if it rolls back: caches learn only what is
	// certainly stored.
	committed []func()
	// unprepared lists queries run without a cached statement; they are
	// prepared once the transaction ends and its connection is free (on
	// SQLite the writer has one connection, which the transaction holds).
	unprepared []string
	// head, when set, is the chain's end as the group commit holds it in
	// memory for the duration of its transaction (SQLite); nil means the
	// sequencer chains the events after commit (PostgreSQL).
	head *chainHead
	// pending is set once the events were written for the sequencer to
	// seal (PostgreSQL): Commit then asks it for a round.
	pending bool
	// usagePlaces holds, per cluster, where each job GetUsageRecords
	// looked up in this transaction is stored (PostgreSQL): its partition
	// month, where PutUsageRecords replaces its record, or periodNew for
	// a job not stored, which PutUsageRecords may copy in without a
	// conflict check. Keyed by cluster, then job, so that a batch's
	// twenty thousand jobs hash one string each. PutUsageRecords forgets
	// the clusters it wrote: a later write in the transaction looks its
	// jobs up again (placeRecords).
	usagePlaces map[string]map[string]int32
	// conn is the connection a PostgreSQL transaction runs on.
	conn *sql.Conn
	// later holds writes queued by execLater (PostgreSQL), sent together
	// as one pipelined batch before the transaction's next statement or
	// its commit (pipeline.go).
	later []laterStmt
	// opened is set once the transaction's BEGIN was sent (PostgreSQL),
	// until its COMMIT succeeded: a rollback must then end it.
	opened bool
	// failed is the error of a pipelined batch: the transaction is
	// aborted, and every later statement returns it.
	failed error
	// webhooks memoizes ListWebhookSubscriptions for the transaction
	// (read once however many notifications it enqueues); nil until read
	// (an empty list read is not nil).
	webhooks []*pactum.WebhookSubscription
	// independent is set while a read runs that depends on none of the
	// queued writes, so it need not send them first.
	independent bool
	// req is the group-commit request the transaction runs for (SQLite).
	req   *writeRequest
	ended bool
}

// chainHead is the audit chain's last sequence number and hash.
type chainHead struct {
	seq  int64
	hash string
}

// errEnded is returned by Commit after Commit or Rollback.
var errEnded = errors.New("the transaction has already ended")

// Begin starts one use case's write transaction on behalf of actor (nil
// for pactum itself). The caller must end it with Commit or Rollback —
// defer Rollback, which does nothing after Commit — since on SQLite the
// single writer waits for it.
func (db *DB) Begin(ctx context.Context, actor *pactum.User) (pactum.Tx, error) {
	tx, err := db.begin(ctx, actor)
	if err != nil {
		return nil, err
	}
	return tx, nil
}

func (db *DB) begin(ctx context.Context, actor *pactum.User) (*Tx, error) {
	if db.ro {
		return nil, errors.New("the database is open read-only")
	}
	if db.dialect == SQLite {
		return db.group.begin(ctx, actor)
	}
	// The transaction runs on a connection of its own, so that bulk
	// writes can use the connection's COPY protocol (copyFrom). It is
	// opened by a BEGIN queued like a write, sent with its first
	// statements, and closed by a COMMIT sent with its last (pipeline.go):
	// database/sql's transaction would make each a round trip of its own.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx := db.newTx(ctx, nil, actor)
	tx.conn = conn
	tx.later = append(tx.later, laterStmt{query: "BEGIN"})
	return tx, nil
}

func (db *DB) newTx(ctx context.Context, sqlTx *sql.Tx, actor *pactum.User) *Tx {
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db, now: db.stamp(), actor: actor}
	tx.queries = queries{q: tx, dialect: db.dialect, runs: db.runs}
	return tx
}

// Commit stores the transaction's audit events and commits; an error
// means nothing of the use case was kept. On SQLite it returns once the
// group's commit is durable, its events chained. On PostgreSQL it returns
// once its own commit is durable; the sequencer chains the events just
// after (SealAudit waits for that).
func (tx *Tx) Commit() error {
	if tx.ended {
		return errEnded
	}
	tx.ended = true
	err := tx.seal(tx.ctx)
	if tx.req != nil {
		tx.req.end <- err
		if err != nil {
			return err
		}
		return <-tx.req.done
	}
	if err == nil {
		err = tx.commitPipelined(tx.ctx)
	}
	if err != nil {
		tx.rollbackPipelined()
		tx.finish()
		return err
	}
	tx.finish()
	tx.done()
	if tx.pending {
		tx.db.seq.wake()
	}
	return nil
}

// errRolledBack tells the group's writer that its use case gave up.
var errRolledBack = errors.New("the use case rolled back")

// Rollback discards everything the transaction did. After Commit it does
// nothing.
func (tx *Tx) Rollback() error {
	if tx.ended {
		return nil
	}
	tx.ended = true
	if tx.req != nil {
		tx.req.end <- errRolledBack
		return nil
	}
	err := tx.rollbackPipelined()
	tx.finish()
	return err
}

// Now is the use case's time, fixed when its transaction began.
func (tx *Tx) Now() time.Time { return tx.now }

// Record queues an audit event by the transaction's actor.
func (tx *Tx) Record(action, subjectType, subjectID string, before, after any) error {
	actor := ""
	if tx.actor != nil {
		actor = tx.actor.ID
	}
	e, err := pactum.NewAuditEvent(actor, action, subjectType, subjectID, before, after)
	if err != nil {
		return err
	}
	tx.events = append(tx.events, e)
	return nil
}

// Adopt queues events prepared before the transaction, ahead of those
// recorded in it.
func (tx *Tx) Adopt(events []*pactum.AuditEvent) {
	tx.events = append(slices.Clone(events), tx.events...)
}

// onCommit runs fn once the transaction's commit is durable.
func (tx *Tx) onCommit(fn func()) { tx.committed = append(tx.committed, fn) }

// done runs the commit hooks.
func (tx *Tx) done() {
	for _, fn := range tx.committed {
		fn()
	}
	tx.committed = nil
}

// write runs fn in a write transaction of its own: for the store's own
// bookkeeping (idempotency keys), which is no use case.
func (db *DB) write(ctx context.Context, actor *pactum.User, fn func(tx *Tx) error) error {
	return pactum.Update(ctx, db, actor, func(tx pactum.Tx) error { return fn(tx.(*Tx)) })
}

// seal stamps the queued events and stores them, and marks the claim of
// the idempotent request the transaction runs for (markIdempotent). Events
// are stamped here, at the end of the use case.
//
// On SQLite the group commit holds the chain's head in memory (tx.head),
// and the events are chained here, in the writer's transaction. On
// PostgreSQL they are written as one pending row and chained after commit
// by the sequencer (sequencer.go says why), so that concurrent writers
// never queue on the head row.
func (tx *Tx) seal(ctx context.Context) error {
	if len(tx.events) == 0 {
		return tx.markIdempotent(ctx)
	}
	at := tx.db.stamp()
	for _, e := range tx.events {
		e.At = at
		if e.ID == "" {
			e.ID = newID()
		}
	}
	if tx.head == nil {
		if err := tx.execLater(ctx, `INSERT INTO audit_pending (events) VALUES ($1)`, encodePending(tx.events)); err != nil {
			return fmt.Errorf("audit insert: %w", mapError(err))
		}
		tx.pending = true
		return tx.markIdempotent(ctx)
	}
	seq, prev := tx.head.seq, tx.head.hash
	for _, e := range tx.events {
		seq++
		e.Seq = seq
		audit.Seal(prev, e)
		prev = e.Hash
	}
	if err := insertEvents(ctx, tx, tx.events); err != nil {
		return err
	}
	if err := tx.markIdempotent(ctx); err != nil {
		return err
	}
	tx.head.seq, tx.head.hash = seq, prev // the group writes the row once
	return nil
}

// execer runs a statement: a Tx (cached statements) or a plain *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertEvents inserts sealed events. One statement for up to maxEventRows
// events, as many as needed beyond: a use case recording many events (a
// usage batch that crosses thresholds for hundreds of allocations) then
// runs a few cached statements instead of parsing one with thousands of
// parameters.
func insertEvents(ctx context.Context, tx execer, events []*pactum.AuditEvent) error {
	args := make([]any, 0, 11*min(len(events), maxEventRows))
	for rest := events; len(rest) > 0; {
		n := min(len(rest), maxEventRows)
		args = args[:0]
		for _, e := range rest[:n] {
			args = append(args, e.Seq, e.ID, e.At, e.ActorID, e.Action, e.SubjectType, e.SubjectID, string(e.Before), string(e.After), e.PrevHash, e.Hash)
		}
		if _, err := tx.ExecContext(ctx, eventInserts[n-1], args...); err != nil {
			return fmt.Errorf("audit insert: %w", mapError(err))
		}
		rest = rest[n:]
	}
	return nil
}

// maxEventRows bounds the events one audit INSERT writes.
const maxEventRows = 32

// eventInserts[n-1] inserts n audit events.
var eventInserts = multiRowInserts(`INSERT INTO audit_events (seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash) VALUES `,
	maxEventRows, func(i int) string {
		k := 11 * i
		return fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10, k+11)
	})

// multiRowInserts returns, for n from 1 to max, the INSERT of n rows:
// prefix (ending in VALUES), then row(0) to row(n-1), comma-separated.
// Each n is a statement of its own, prepared once.
func multiRowInserts(prefix string, max int, row func(i int) string) []string {
	out := make([]string, max)
	var sb strings.Builder
	sb.WriteString(prefix)
	for i := range max {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row(i))
		out[i] = sb.String()
	}
	return out
}

func (db *DB) cachedStmt(query string) *sql.Stmt {
	db.stmtMu.RLock()
	defer db.stmtMu.RUnlock()
	return db.stmts[query]
}

// stmt returns query's cached statement in the transaction, or nil (to be
// prepared once the transaction ends). SQLite only: on PostgreSQL pgx
// prepares and caches each statement on its connection by itself.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := tx.db.cachedStmt(query); st != nil {
		return tx.tx.StmtContext(ctx, st)
	}
	tx.unprepared = append(tx.unprepared, query)
	return nil
}

// ExecContext runs query in the transaction, through the statement cache.
// On PostgreSQL, with writes queued by execLater, it is sent last in their
// batch, which answers for it.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx.failed != nil {
		return nil, tx.failed
	}
	if tx.conn != nil {
		if len(tx.later) > 0 {
			return tx.sendLater(ctx, &laterStmt{query, args})
		}
		return tx.conn.ExecContext(ctx, query, args...)
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction, through the statement cache,
// once the writes queued before it are sent.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := tx.flushForRead(ctx); err != nil {
		return nil, err
	}
	if tx.conn != nil {
		return tx.conn.QueryContext(ctx, query, args...)
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, through the statement
// cache, once the writes queued before it are sent.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := tx.flushForRead(ctx); err != nil {
		// A *sql.Row carries only the error of its query's start, which
		// the pool takes from the context before it picks a connection:
		// this one reports err, and no connection is touched.
		return tx.db.w.QueryRowContext(failedContext{ctx, err}, query, args...)
	}
	if tx.conn != nil {
		return tx.conn.QueryRowContext(ctx, query, args...)
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// finish prepares the statements this transaction ran uncached, once its
// connection is free again. The cache grows only to the number of distinct
// queries in the code.
func (tx *Tx) finish() {
	if tx.conn != nil {
		// Back to the pool first: preparing below takes a connection, and
		// transactions that each held theirs while waiting for another
		// would exhaust the pool and wait forever.
		tx.conn.Close()
		tx.conn = nil
	}
	for _, q := range tx.unprepared {
		if tx.db.cachedStmt(q) != nil {
			continue
		}
		st, err := tx.db.w.Prepare(q)
		if err != nil {
			continue // the query failed in the transaction too; nothing to cache
		}
		tx.db.stmtMu.Lock()
		_, dup := tx.db.stmts[q]
		if !dup {
			tx.db.stmts[q] = st
		}
		tx.db.stmtMu.Unlock()
		if dup {
			// Closed outside the lock: Close waits for every connection
			// the statement was prepared on to be free, and a transaction
			// on one of them may itself be waiting (in PostgreSQL, for a
			// row lock) on a transaction whose goroutine needs this lock
			// to look a statement up. Closing under the lock deadlocked
			// them all (TestTwoInstances stalled until the clients gave
			// up).
			st.Close()
		}
	}
	tx.unprepared = nil
}
