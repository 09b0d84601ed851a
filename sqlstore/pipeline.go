// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pipelined writes (PostgreSQL).
//
// A submission writes a dozen rows: the proposal, its requests, facts,
// outcomes and fired rules, the allocation, the notifications, the audit
// events. Sent one by one, each is a round trip, and a round trip costs
// far more than the insert: profiled under BenchmarkSubmitHTTP, PostgreSQL
// spent two thirds of its CPU time in the kernel (receiving, sending,
// waking), and pactum a sixth of its own flushing statements to the
// socket. So the writes whose result the use case does not need go
// through execLater, which only queues them; the queue is sent as one
// pipelined batch (pgx.Batch) just before the transaction's next
// statement, with that statement last in the batch when it is a write or
// returns one row, or with the COMMIT. The transaction's BEGIN is queued
// the same way: a submission makes three round trips (its writes up to the
// capacity reservation, the webhook subscriptions, the rest with the
// commit) where it made twenty-two.
//
// Nothing changes for the use case but when it learns of a failed write:
// a queued insert that fails (a constraint) fails the statement that sends
// it, or the commit; either way the transaction is aborted, as PostgreSQL
// aborts it after any failed statement, and every later statement of the
// transaction returns that first error, so the use case reports the cause,
// not "transaction aborted". Order is kept: a read sends the queue first,
// so it sees the transaction's own writes.
//
// On SQLite execLater just runs the statement: the single writer's
// statements are function calls, with no round trip to save.

// laterStmt is a queued write.
type laterStmt struct {
	query string
	args  []any
}

// execLater runs a write whose result the caller does not need; on
// PostgreSQL it is queued and sent with the next statement (see above).
// args must not change after the call: they are encoded when sent.
func (tx *Tx) execLater(ctx context.Context, query string, args ...any) error {
	if tx.conn == nil {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	if tx.failed != nil {
		return tx.failed
	}
	tx.later = append(tx.later, laterStmt{query, args})
	return nil
}

// flush sends the queued writes, if any.
func (tx *Tx) flush(ctx context.Context) error {
	if tx.failed != nil {
		return tx.failed
	}
	if len(tx.later) == 0 {
		return nil
	}
	_, err := tx.sendLater(ctx, nil)
	return err
}

// flushForRead sends the queued writes before a read, unless the read runs
// as independent of them (readIndependent).
func (tx *Tx) flushForRead(ctx context.Context) error {
	if tx.independent && tx.failed == nil {
		return nil
	}
	return tx.flush(ctx)
}

// readIndependent runs fn, whose reads depend on none of the writes queued
// in the transaction, without sending the queue first: they may then be
// sent with a later statement. Only for reads of tables no queued write
// touches. Such a read may even run before the transaction's BEGIN is
// sent, outside it; at READ COMMITTED, where each statement reads what was
// committed when it started, it reads the same either way.
func (tx *Tx) readIndependent(fn func() error) error {
	tx.independent = true
	defer func() { tx.independent = false }()
	return fn()
}

// sendLater sends the queued writes and then last, when not nil, in one
// batch, and returns last's result.
func (tx *Tx) sendLater(ctx context.Context, last *laterStmt) (sql.Result, error) {
	var tag pgconn.CommandTag
	err := tx.send(ctx, func(b *pgx.Batch) {
		if last != nil {
			b.Queue(last.query, last.args...).Exec(func(ct pgconn.CommandTag) error {
				tag = ct
				return nil
			})
		}
	})
	if err != nil {
		return nil, err
	}
	return tagResult{tag}, nil
}

// send sends the queued writes, then what queue adds, as one batch. The
// first error fails the transaction for good (tx.failed).
func (tx *Tx) send(ctx context.Context, queue func(*pgx.Batch)) error {
	later := tx.later
	tx.later = nil
	tx.opened = true
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: driver connection is %T, not pgx", dc)
		}
		var b pgx.Batch
		for _, s := range later {
			b.Queue(s.query, s.args...)
		}
		queue(&b)
		return c.Conn().SendBatch(ctx, &b).Close()
	})
	if err != nil {
		tx.failed = mapError(err)
		return tx.failed
	}
	return nil
}

// queryRowPipelined runs a query returning at most one row, scanning it
// into dest: on PostgreSQL last in the batch of queued writes, in the same
// round trip. found is false when there is no row.
func (tx *Tx) queryRowPipelined(ctx context.Context, query string, args []any, dest ...any) (found bool, err error) {
	if tx.conn == nil {
		err := tx.QueryRowContext(ctx, query, args...).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, mapError(err)
	}
	if tx.failed != nil {
		return false, tx.failed
	}
	err = tx.send(ctx, func(b *pgx.Batch) {
		b.Queue(query, args...).QueryRow(func(row pgx.Row) error {
			err := row.Scan(dest...)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			found = err == nil
			return err
		})
	})
	return found, err
}

// commitPipelined sends the queued writes with COMMIT (PostgreSQL; nothing
// on SQLite, whose group commits). A transaction that never sent its
// BEGIN wrote nothing and sends nothing.
func (tx *Tx) commitPipelined(ctx context.Context) error {
	if tx.conn == nil {
		return nil
	}
	if tx.failed != nil {
		return tx.failed
	}
	if !tx.opened && len(tx.later) == 1 {
		tx.later = nil // only its BEGIN
		return nil
	}
	if err := tx.send(ctx, func(b *pgx.Batch) { b.Queue("COMMIT") }); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	tx.opened = false
	return nil
}

// rollbackPipelined drops the queued writes and ends the transaction if its
// BEGIN was sent (PostgreSQL; nothing on SQLite, where the group rolls
// back the use case's savepoint). It runs even when the use
// case's context is done, so that the connection goes back to the pool
// idle; if it cannot, the pool drops the connection (pgx's stdlib checks
// the transaction status when a connection is returned).
func (tx *Tx) rollbackPipelined() error {
	tx.later = nil
	if tx.conn == nil || !tx.opened {
		return nil
	}
	tx.opened = false
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tx.ctx), 5*time.Second)
	defer cancel()
	_, err := tx.conn.ExecContext(ctx, "ROLLBACK")
	return err
}

// tagResult is a statement's sql.Result from its PostgreSQL command tag.
type tagResult struct{ tag pgconn.CommandTag }

func (r tagResult) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

func (r tagResult) LastInsertId() (int64, error) {
	return 0, errors.New("LastInsertId is not supported by PostgreSQL")
}

// failedContext is a context that is done, with err as its cause: handed
// to database/sql, it makes a *sql.Row report err.
type failedContext struct {
	context.Context
	err error
}

var closedDone = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (c failedContext) Done() <-chan struct{} { return closedDone }
func (c failedContext) Err() error            { return c.err }
