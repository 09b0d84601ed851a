// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"sync"
)

// instance is this process's identity towards the database, so that a claim
// on an idempotency key can say who holds it and a retry can tell whether
// the holder is still alive.
//
// On SQLite the database belongs to one server process (its single writer
// lives in that process): a claim by another instance is a claim by a
// process that has stopped. On PostgreSQL several servers may share the
// database, so each holds a session-level advisory lock derived from its id
// on a connection of its own for as long as it runs; the lock goes with
// the session when the process dies, and a retry that can take the lock
// knows the holder is gone.
type instance struct {
	id string

	mu   sync.Mutex
	conn *sql.Conn // PostgreSQL: the session holding the advisory lock
	// live are the attempts this process holds and has not finished.
	live sync.Map
}

// lockKey is the advisory-lock key of an instance id.
func lockKey(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte("pactum instance " + id))
	return int64(h.Sum64())
}

// instanceID returns this process's id, on PostgreSQL first taking its
// advisory lock so that other servers see it alive.
func (db *DB) instanceID(ctx context.Context) (string, error) {
	if db.dialect != Postgres {
		return db.inst.id, nil
	}
	db.inst.mu.Lock()
	defer db.inst.mu.Unlock()
	if db.inst.conn != nil {
		return db.inst.id, nil
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("instance lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey(db.inst.id)); err != nil {
		conn.Close()
		return "", fmt.Errorf("instance lock: %w", err)
	}
	db.inst.conn = conn
	return db.inst.id, nil
}

// ownerGone reports whether the instance owner has stopped. tx is the
// caller's write transaction: on PostgreSQL the probe takes the owner's
// lock for the transaction only, if nobody holds it.
func (db *DB) ownerGone(ctx context.Context, tx *Tx, owner string) (bool, error) {
	switch {
	case owner == "":
		return true, nil // claimed before claims named their holder
	case owner == db.inst.id:
		return false, nil
	case db.dialect != Postgres:
		return true, nil
	}
	var free bool
	if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockKey(owner)).Scan(&free); err != nil {
		return false, fmt.Errorf("probe instance %s: %w", owner, err)
	}
	return free, nil
}

// closeInstance releases the PostgreSQL session holding the lock.
func (db *DB) closeInstance() error {
	db.inst.mu.Lock()
	defer db.inst.mu.Unlock()
	if db.inst.conn == nil {
		return nil
	}
	err := db.inst.conn.Close()
	db.inst.conn = nil
	return err
}
