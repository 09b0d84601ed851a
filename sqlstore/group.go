// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// groupCommit is SQLite's single writer. SQLite allows one writer at a time
// and most of a small transaction's cost is writing its pages at commit;
// use cases that arrive while one commits are run together, each in a
// savepoint, and committed at once, so that their shared pages (index
// tails, the audit head) are written once.
//
// The writer hands each use case in turn its savepoint (writeRequest.start),
// waits for it to commit or roll back on its own goroutine (end), and once
// the whole group is committed tells every use case that committed the
// outcome (done).
type groupCommit struct {
	db       *DB
	requests chan *writeRequest
	stop     chan struct{}
	stopped  chan struct{}
}

type writeRequest struct {
	ctx   context.Context
	actor *pactum.User
	start chan started
	end   chan error
	done  chan error
}

// started is the writer's answer to a request: the transaction to run in,
// or why there is none.
type started struct {
	tx  *Tx
	err error
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

// begin queues a use case and waits for its turn. Once queued it waits
// even if ctx ends: the writer checks ctx itself before starting it.
func (g *groupCommit) begin(ctx context.Context, actor *pactum.User) (*Tx, error) {
	r := &writeRequest{ctx: ctx, actor: actor, start: make(chan started, 1), end: make(chan error, 1), done: make(chan error, 1)}
	select {
	case g.requests <- r:
	case <-g.stop:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := <-r.start
	return s.tx, s.err
}

func (g *groupCommit) loop() {
	defer close(g.stopped)
	for {
		var first *writeRequest
		select {
		case first = <-g.requests:
		case <-g.stop:
			g.refuseQueued()
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

// refuseQueued answers the use cases still queued when the writer stops.
func (g *groupCommit) refuseQueued() {
	for {
		select {
		case r := <-g.requests:
			r.start <- started{err: errClosed}
		default:
			return
		}
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

// group is one group's progress: what each request got and how it ended.
type group struct {
	batch   []*writeRequest
	txs     []*Tx   // txs[i] is batch[i]'s transaction, nil if never started
	results []error // each request's own outcome
}

// run executes a group in one transaction and answers every use case that
// committed once the group's commit is durable.
func (g *groupCommit) run(batch []*writeRequest) {
	gr := &group{batch: batch, txs: make([]*Tx, len(batch)), results: make([]error, len(batch))}
	sqlTx, err := g.db.w.BeginTx(context.Background(), nil)
	if err != nil {
		gr.fail(fmt.Errorf("begin: %w", err))
		return
	}
	// The group holds the write lock from BEGIN IMMEDIATE to COMMIT, so it
	// may keep the chain's head in memory and write its row once.
	var head chainHead
	if err := sqlTx.QueryRow(`SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.seq, &head.hash); err != nil {
		sqlTx.Rollback()
		gr.fail(fmt.Errorf("audit head: %w", err))
		return
	}
	start := head
	committed := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			gr.results[i] = err
			r.start <- started{err: err}
			continue
		}
		if _, err := sqlTx.Exec("SAVEPOINT use_case"); err != nil {
			gr.results[i] = fmt.Errorf("savepoint: %w", err)
			r.start <- started{err: gr.results[i]}
			continue
		}
		tx := g.db.newTx(r.ctx, sqlTx, r.actor)
		tx.head, tx.req = &head, r
		gr.txs[i] = tx
		before := head
		r.start <- started{tx: tx}
		if err := <-r.end; err != nil {
			gr.results[i] = err
			head = before
			if _, rerr := sqlTx.Exec("ROLLBACK TO use_case"); rerr != nil {
				// The savepoint cannot be undone: abandon the whole group
				// rather than commit a half-done use case.
				sqlTx.Rollback()
				gr.fail(fmt.Errorf("roll back a failed use case: %w", rerr))
				return
			}
		} else {
			committed++
		}
		if _, err := sqlTx.Exec("RELEASE use_case"); err != nil {
			sqlTx.Rollback()
			gr.fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if committed == 0 {
		err = sqlTx.Rollback()
	} else {
		if head != start {
			if _, err := sqlTx.Exec(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, head.seq, head.hash); err != nil {
				sqlTx.Rollback()
				gr.fail(fmt.Errorf("audit head update: %w", err))
				return
			}
		}
		err = sqlTx.Commit()
	}
	for _, tx := range gr.txs {
		if tx != nil {
			tx.finish()
		}
	}
	if err != nil {
		gr.fail(fmt.Errorf("commit: %w", mapError(err)))
		return
	}
	for i, tx := range gr.txs {
		if tx != nil && gr.results[i] == nil {
			tx.done()
			tx.req.done <- nil
		}
	}
}

// fail answers every use case of the group that had not failed on its own
// with err: none of the group was committed. Those never started learn it
// instead of their transaction.
func (gr *group) fail(err error) {
	for i, r := range gr.batch {
		switch {
		case gr.txs[i] == nil && gr.results[i] == nil:
			r.start <- started{err: err}
		case gr.results[i] == nil:
			r.done <- err
		}
	}
}

// close stops the writer after the group in progress.
func (g *groupCommit) close() {
	close(g.stop)
	<-g.stopped
}
