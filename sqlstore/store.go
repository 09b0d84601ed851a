// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"

	"github.com/pactum/pactum"
)

var (
	_ pactum.Store = (*DB)(nil)
	_ pactum.Tx    = (*Tx)(nil)
)

// queries runs the Store's reads (pactum.Queries) on q: the read pool, a
// read-only transaction (View) or a write transaction (Tx), whose reads see
// its own writes.
type queries struct {
	q       querier
	dialect string
}

// View runs fn on one read-only transaction: a consistent snapshot.
func (db *DB) View(ctx context.Context, fn func(q pactum.Queries) error) error {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(&queries{q: tx, dialect: db.dialect})
}

// Update runs fn as one use case in a write transaction for actor, and seals
// fn's audit events into the chain in it. If fn fails, nothing it did is
// kept. On SQLite, use cases arriving together share one commit (group
// commit): each runs in its own savepoint, rolled back alone if it fails,
// and none returns before the shared commit is durable. On PostgreSQL each
// use case is its own transaction.
func (db *DB) Update(ctx context.Context, actor *pactum.User, fn func(tx pactum.Tx) error) error {
	return db.write(ctx, actor, func(tx *Tx) error { return fn(tx) })
}
