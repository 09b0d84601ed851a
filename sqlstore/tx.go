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

// Tx is one use case's transaction: its queries run cached prepared
// statements, and its audit events are sealed into the chain before it
// commits, so the change and its record land together or not at all.
type Tx struct {
	queries
	tx *sql.Tx
	db *DB
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
	// memory for the duration of its transaction; nil means read and lock
	// the head row (PostgreSQL).
	head *chainHead
}

// chainHead is the audit chain's last sequence number and hash.
type chainHead struct {
	seq  int64
	hash string
}

// write runs fn as one use case in a write transaction for the user in ctx,
// and seals fn's audit events into the chain in it. If fn fails, nothing it
// did is kept. On SQLite, use cases arriving together share one commit
// (group commit): each runs in its own savepoint, rolled back alone if it
// fails, and none returns before the shared commit is durable. On
// PostgreSQL each use case is its own transaction. fn must not call write
// itself: on SQLite the nested call would wait for the writer it runs on.
func (db *DB) write(ctx context.Context, actor *pactum.User, fn func(tx *Tx) error) error {
	if db.dialect == SQLite {
		return db.group.submit(ctx, actor, fn)
	}
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := db.newTx(sqlTx, actor)
	defer tx.finish()
	if err := tx.run(ctx, fn); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	tx.done()
	return nil
}

func (db *DB) newTx(sqlTx *sql.Tx, actor *pactum.User) *Tx {
	tx := &Tx{tx: sqlTx, db: db, now: db.stamp(), actor: actor}
	tx.queries = queries{q: tx, dialect: db.dialect}
	return tx
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

// run executes fn and seals its events. A panic in fn becomes an error, so
// that a bug in one use case cannot take the shared writer down.
func (tx *Tx) run(ctx context.Context, fn func(tx *Tx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in use case: %v", v)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.seal(ctx)
}

// sealChunk bounds the rows of one audit INSERT.
const sealChunk = 64

// seal appends the queued events to the chain. Taking the head row first
// (UPDATE … RETURNING) locks it on PostgreSQL, so concurrent writers append
// one after another and the chain never forks; SQLite serialises writers.
// Events are stamped here, in chain order, so event times never go back.
func (tx *Tx) seal(ctx context.Context) error {
	if len(tx.events) == 0 {
		return nil
	}
	var seq int64
	var prev string
	if tx.head != nil {
		seq, prev = tx.head.seq, tx.head.hash
	} else if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	at := tx.db.stamp()
	for _, e := range tx.events {
		seq++
		e.Seq, e.At = seq, at
		if e.ID == "" {
			e.ID = newID()
		}
		audit.Seal(prev, e)
		prev = e.Hash
	}
	// One statement for up to maxEventRows events, as many as needed
	// beyond: a use case recording many events (a usage batch that crosses
	// thresholds for hundreds of allocations) then runs a few cached
	// statements instead of parsing one with thousands of parameters.
	args := make([]any, 0, 11*min(len(tx.events), maxEventRows))
	for rest := tx.events; len(rest) > 0; {
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
	if tx.head != nil {
		tx.head.seq, tx.head.hash = seq, prev // the group writes the row once
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev); err != nil {
		return fmt.Errorf("audit head update: %w", err)
	}
	return nil
}

// maxEventRows bounds the events one audit INSERT writes.
const maxEventRows = 32

// eventInserts[n-1] inserts n audit events.
var eventInserts = func() []string {
	out := make([]string, maxEventRows)
	var sb strings.Builder
	sb.WriteString(`INSERT INTO audit_events (seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash) VALUES `)
	for i := range maxEventRows {
		if i > 0 {
			sb.WriteString(", ")
		}
		k := 11 * i
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10, k+11)
		out[i] = sb.String()
	}
	return out
}()

func (db *DB) cachedStmt(query string) *sql.Stmt {
	db.stmtMu.RLock()
	defer db.stmtMu.RUnlock()
	return db.stmts[query]
}

func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := tx.db.cachedStmt(query); st != nil {
		return tx.tx.StmtContext(ctx, st)
	}
	tx.unprepared = append(tx.unprepared, query)
	return nil
}

// ExecContext runs query in the transaction, through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction, through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, through the statement
// cache.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// finish prepares the statements this transaction ran uncached, once its
// connection is free again. The cache grows only to the number of distinct
// queries in the code.
func (tx *Tx) finish() {
	for _, q := range tx.unprepared {
		if tx.db.cachedStmt(q) != nil {
			continue
		}
		st, err := tx.db.w.Prepare(q)
		if err != nil {
			continue // the query failed in the transaction too; nothing to cache
		}
		tx.db.stmtMu.Lock()
		if _, ok := tx.db.stmts[q]; ok {
			st.Close()
		} else {
			tx.db.stmts[q] = st
		}
		tx.db.stmtMu.Unlock()
	}
	tx.unprepared = nil
}

// groupCommit is SQLite's single writer. SQLite allows one writer at a time
// and most of a small transaction's cost is writing its pages at commit;
// use cases that arrive while one commits are run together, each in a
// savepoint, and committed at once, so their shared pages (index tails, the
// audit head) are written once.
type groupCommit struct {
	db       *DB
	requests chan *writeRequest
	stop     chan struct{}
	stopped  chan struct{}
}

type writeRequest struct {
	ctx   context.Context
	actor *pactum.User
	fn    func(tx *Tx) error
	done  chan error
}

// maxGroup bounds a group: enough to amortise a commit, small enough that
// the first use case does not wait long for the last.
const maxGroup = 64

func newGroupCommit(db *DB) *groupCommit {
	g := &groupCommit{db: db, requests: make(chan *writeRequest, maxGroup), stop: make(chan struct{}), stopped: make(chan struct{})}
	go g.loop()
	return g
}

// errClosed is returned for writes after Close.
var errClosed = errors.New("the database is closed")

func (g *groupCommit) submit(ctx context.Context, actor *pactum.User, fn func(tx *Tx) error) error {
	r := &writeRequest{ctx: ctx, actor: actor, fn: fn, done: make(chan error, 1)}
	select {
	case g.requests <- r:
	case <-g.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the use case may
	// already be committed, and the caller must not be told otherwise.
	return <-r.done
}

func (g *groupCommit) loop() {
	defer close(g.stopped)
	for {
		var first *writeRequest
		select {
		case first = <-g.requests:
		case <-g.stop:
			return
		}
		batch := []*writeRequest{first}
	drain:
		for len(batch) < maxGroup {
			select {
			case r := <-g.requests:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.run(batch)
		g.restartWAL()
	}
}

// restartWAL restarts SQLite's write-ahead log once it has grown too long
// (see checkpointer). It runs on the writer between groups, so it never
// waits for a writer; what the background checkpointer already copied it
// need not copy again. TRUNCATE rather than RESTART: the file must shrink
// too, since its size is what says the log has grown too long.
func (g *groupCommit) restartWAL() {
	c := g.db.ckpt
	if c == nil || !c.walTooLong() {
		return
	}
	start := time.Now()
	if _, err := g.db.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		g.db.logger.Warn("wal restart", "err", err)
		return
	}
	g.db.logger.Debug("wal restarted", "duration", time.Since(start))
}

// run executes a group in one transaction and answers every request after
// the commit.
func (g *groupCommit) run(batch []*writeRequest) {
	results := make([]error, len(batch))
	var txs []*Tx
	var owner []int // owner[k] is the request txs[k] ran
	sqlTx, err := g.db.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	// The group holds the write lock from BEGIN IMMEDIATE to COMMIT, so it
	// may keep the chain's head in memory and write its row once.
	var head chainHead
	if err := sqlTx.QueryRow(`SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.seq, &head.hash); err != nil {
		sqlTx.Rollback()
		g.fail(batch, results, fmt.Errorf("audit head: %w", err))
		return
	}
	start := head
	committed := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := sqlTx.Exec("SAVEPOINT use_case"); err != nil {
			results[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		tx := g.db.newTx(sqlTx, r.actor)
		tx.head = &head
		before := head
		txs = append(txs, tx)
		owner = append(owner, i)
		if err := tx.run(r.ctx, r.fn); err != nil {
			results[i] = err
			head = before
			if _, rerr := sqlTx.Exec("ROLLBACK TO use_case"); rerr != nil {
				// The savepoint cannot be undone: abandon the whole group
				// rather than commit a half-done use case.
				sqlTx.Rollback()
				g.fail(batch, results, fmt.Errorf("roll back a failed use case: %w", rerr))
				return
			}
		} else {
			committed++
		}
		if _, err := sqlTx.Exec("RELEASE use_case"); err != nil {
			sqlTx.Rollback()
			g.fail(batch, results, fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if committed == 0 {
		err = sqlTx.Rollback()
	} else {
		if head != start {
			if _, err := sqlTx.Exec(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, head.seq, head.hash); err != nil {
				sqlTx.Rollback()
				g.fail(batch, results, fmt.Errorf("audit head update: %w", err))
				return
			}
		}
		err = sqlTx.Commit()
	}
	for _, tx := range txs {
		tx.finish()
	}
	if err != nil {
		g.fail(batch, results, fmt.Errorf("commit: %w", mapError(err)))
		return
	}
	for i, tx := range txs {
		if results[owner[i]] == nil {
			tx.done()
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// fail answers every request that had not failed on its own with err: none
// of the group was committed.
func (g *groupCommit) fail(batch []*writeRequest, results []error, err error) {
	for i, r := range batch {
		if results[i] == nil {
			results[i] = err
		}
		r.done <- results[i]
	}
}

// close stops the writer after the group in progress.
func (g *groupCommit) close() {
	close(g.stop)
	<-g.stopped
}
