// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"

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
	// runs is the DB's cache of decoded allocation runs (runcache.go).
	runs *runCache
}

// readTx is a read-only transaction: one consistent snapshot.
type readTx struct {
	queries
	tx *sql.Tx
}

// Rollback ends the read transaction.
func (r *readTx) Rollback() error { return r.tx.Rollback() }

// BeginRead starts a read-only transaction.
func (db *DB) BeginRead(ctx context.Context) (pactum.ReadTx, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	return &readTx{queries: queries{q: tx, dialect: db.dialect, runs: db.runs}, tx: tx}, nil
}
