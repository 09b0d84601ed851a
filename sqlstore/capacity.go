// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/pactum/pactum"
)

// grantShards is how many rows hold a call's running total on one system.
//
// One row per call and system made every automatic approval of a call wait
// for the previous one's commit on PostgreSQL: each locks the row it
// updates until it commits. With the total spread over several rows, each
// holding a share of the capacity (an escrow), concurrent approvals pick a
// row at random and rarely meet; on SQLite, with its single writer, the
// shards cost one row read more and change nothing else.
const grantShards = 8

// capacityTolerance absorbs float summation noise in capacity checks, and
// nothing more.
const capacityTolerance = 1 + 1e-12

// reserveShardSQL grants $1 in one shard if it fits the shard's share of
// the capacity.
const reserveShardSQL = `UPDATE call_grant_shards SET granted = granted + $1
	WHERE call_id = $2 AND system_id = $3 AND shard = $4
	AND granted + $1 <= share * (SELECT capacity_per_period FROM systems WHERE id = $3) * (1 + 1e-12)`

// reserveFreeShardSQL grants $1 in any shard of the call and system that
// no other transaction holds and whose share it fits, picked at random, and
// returns the shard (PostgreSQL: SKIP LOCKED).
const reserveFreeShardSQL = `UPDATE call_grant_shards SET granted = granted + $1
	WHERE call_id = $2 AND system_id = $3 AND shard = (
		SELECT shard FROM call_grant_shards WHERE call_id = $2 AND system_id = $3
		AND granted + $1 <= share * (SELECT capacity_per_period FROM systems WHERE id = $3) * (1 + 1e-12)
		ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING shard`

// ReserveCapacity adds grants to the call's running totals per system.
//
// On PostgreSQL the fast path first grants in a shard no concurrent
// transaction holds (reserveFreeShardSQL): a transaction keeps the shard it
// updated locked until it commits, and with a shard picked blindly, 16
// concurrent submissions to one call waited on each other's locks more
// than they worked (5 ms each, measured by pg_stat_statements under
// BenchmarkSubmitHTTP). When every shard is held or none has room for the
// grant, it goes on as on SQLite.
//
// The fast path is one conditional UPDATE of a random shard: it succeeds
// if the grant fits that shard's share of the capacity, as the catalogue
// holds it at that moment (a share is a fraction, so a changed capacity
// is never missed). When it does not fit, the slow path locks every shard
// of the call and system (in shard order, so two slow paths cannot
// deadlock), checks the grant against the whole capacity less the sum, and
// rebalances: the shard takes the grant and every shard's share becomes
// its own grants plus an equal part of what is left. No shard ever grants
// beyond its share and the shares never add up to more than 1, so the
// total never exceeds the capacity, whatever runs concurrently.
//
// Systems are reserved in id order, so that two reservations over the
// same systems lock their rows in the same order.
func (tx *Tx) ReserveCapacity(ctx context.Context, callID string, grants []pactum.Grant) (*pactum.CapacityShortfall, error) {
	grants = slices.Clone(grants)
	slices.SortStableFunc(grants, func(a, b pactum.Grant) int { return cmp.Compare(a.SystemID, b.SystemID) })
	taken := make([]int, 0, len(grants))
	for _, g := range grants {
		shard, ok, err := tx.reserveFreeShard(ctx, callID, g)
		if err != nil {
			return nil, err
		}
		if !ok {
			shard = rand.IntN(grantShards)
			if ok, err = tx.reserveShard(ctx, callID, g, shard); err != nil {
				return nil, err
			}
		}
		var short *pactum.CapacityShortfall
		if !ok {
			if short, err = tx.rebalance(ctx, callID, g, shard); err != nil {
				return nil, err
			}
		}
		if short != nil {
			// Give back what this reservation took so far.
			for i, u := range grants[:len(taken)] {
				if _, err := tx.ExecContext(ctx, `UPDATE call_grant_shards SET granted = granted - $1 WHERE call_id = $2 AND system_id = $3 AND shard = $4`,
					u.Amount, callID, u.SystemID, taken[i]); err != nil {
					return nil, fmt.Errorf("release capacity on %s: %w", u.SystemID, err)
				}
			}
			return short, nil
		}
		taken = append(taken, shard)
	}
	return nil, nil
}

// reserveFreeShard grants g in a shard no concurrent transaction holds,
// if one has room, and returns it (PostgreSQL; on SQLite it reports none).
//
// Nothing stays locked when it finds none: it runs in a savepoint, rolled
// back then, because a row that another transaction changed while this
// one waited to lock it is rechecked against the grant, and when it no
// longer has room it is skipped but stays locked; kept, that lock
// deadlocked two rebalances (TestConcurrentDecisions). The savepoint costs
// no round trip: both statements are queued (pipeline.go).
func (tx *Tx) reserveFreeShard(ctx context.Context, callID string, g pactum.Grant) (int, bool, error) {
	if tx.dialect != Postgres {
		return 0, false, nil
	}
	if err := tx.execLater(ctx, `SAVEPOINT reserve_free_shard`); err != nil {
		return 0, false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, err)
	}
	var shard int
	found, err := tx.queryRowPipelined(ctx, reserveFreeShardSQL, []any{g.Amount, callID, g.SystemID}, &shard)
	if err != nil {
		return 0, false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, err)
	}
	if !found {
		if err := tx.execLater(ctx, `ROLLBACK TO SAVEPOINT reserve_free_shard`); err != nil {
			return 0, false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, err)
		}
	}
	return shard, found, nil
}

// reserveShard is the fast path: it grants g in shard if it fits the
// shard's share, and reports whether it did.
//
// On PostgreSQL it runs in a savepoint, rolled back when the grant does not
// fit: an UPDATE that waited for a concurrent update of the row locks the
// row's new version before it rechecks the condition, and keeps the lock
// when the recheck fails. Holding one shard while rebalance waits for all
// of them in shard order would deadlock with another rebalance; rolling
// back the savepoint releases the lock.
func (tx *Tx) reserveShard(ctx context.Context, callID string, g pactum.Grant, shard int) (bool, error) {
	savepoint := tx.dialect == Postgres
	if savepoint {
		if err := tx.execLater(ctx, `SAVEPOINT reserve_shard`); err != nil {
			return false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, mapError(err))
		}
	}
	res, err := tx.ExecContext(ctx, reserveShardSQL, g.Amount, callID, g.SystemID, shard)
	if err != nil {
		return false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, err)
	}
	if n == 0 && savepoint {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT reserve_shard`); err != nil {
			return false, fmt.Errorf("reserve capacity on %s: %w", g.SystemID, mapError(err))
		}
	}
	return n == 1, nil
}

// rebalance is ReserveCapacity's slow path: it locks all of the call and
// system's shards (making them, with no share, if there are none), and either
// grants g in shard and redistributes the capacity left, or returns the
// shortfall, changing nothing.
func (tx *Tx) rebalance(ctx context.Context, callID string, g pactum.Grant, shard int) (*pactum.CapacityShortfall, error) {
	granted, err := tx.lockShards(ctx, callID, g.SystemID)
	if err != nil {
		return nil, err
	}
	if granted == nil {
		// The call's first grant on the system: make all its shards in one
		// statement, so that no transaction ever sees some of them — one
		// that locked the existing shards while another inserted the rest
		// would each wait for the other.
		if _, err := tx.ExecContext(ctx, shardCreate, callID, g.SystemID); err != nil {
			return nil, fmt.Errorf("capacity shards of %s: %w", g.SystemID, mapError(err))
		}
		if granted, err = tx.lockShards(ctx, callID, g.SystemID); err != nil {
			return nil, err
		}
	}
	if len(granted) != grantShards {
		return nil, fmt.Errorf("capacity of %s: %d shards, want %d", g.SystemID, len(granted), grantShards)
	}
	total := 0.0
	for _, v := range granted {
		total += v
	}
	// Read once the shards are locked: a catalogue change committed while
	// this waited is seen.
	var capacity float64
	if err := tx.QueryRowContext(ctx, `SELECT capacity_per_period FROM systems WHERE id = $1`, g.SystemID).Scan(&capacity); err != nil {
		return nil, fmt.Errorf("capacity of %s: %w", g.SystemID, mapError(err))
	}
	if total+g.Amount > capacity*capacityTolerance {
		return &pactum.CapacityShortfall{SystemID: g.SystemID, Amount: g.Amount, Granted: total}, nil
	}
	granted[shard] += g.Amount
	free := max(capacity-total-g.Amount, 0)
	args := []any{callID, g.SystemID}
	for i := range grantShards {
		share := 0.0
		if capacity > 0 {
			share = (granted[i] + free/grantShards) / capacity
		}
		args = append(args, granted[i], share)
	}
	if _, err := tx.ExecContext(ctx, shardRebalance, args...); err != nil {
		return nil, fmt.Errorf("rebalance capacity of %s: %w", g.SystemID, mapError(err))
	}
	return nil, nil
}

// lockShards reads the amounts granted in each shard of a call and system,
// in shard order, locking them until commit on PostgreSQL (SQLite's single
// writer holds the whole database). It returns nil if there are none.
func (tx *Tx) lockShards(ctx context.Context, callID, systemID string) ([]float64, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	var granted []float64
	err := eachRow(ctx, tx, `SELECT shard, granted FROM call_grant_shards WHERE call_id = $1 AND system_id = $2 ORDER BY shard`+lock,
		[]any{callID, systemID}, func(rows *sql.Rows) error {
			var i int
			var v float64
			if err := rows.Scan(&i, &v); err != nil {
				return err
			}
			if i != len(granted) {
				return fmt.Errorf("capacity shard %d where %d was expected", i, len(granted))
			}
			granted = append(granted, v)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("capacity shards of %s: %w", systemID, err)
	}
	return granted, nil
}

// shardCreate makes the shards of call $1 and system $2 that do not exist
// yet, granting nothing, with no share.
var shardCreate = shardUpsert(false, `DO NOTHING`)

// shardRebalance writes every shard of call $1 and system $2: shard i's
// granted amount and share are parameters 3+2i and 4+2i.
var shardRebalance = shardUpsert(true, `DO UPDATE SET granted = excluded.granted, share = excluded.share`)

func shardUpsert(values bool, conflict string) string {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO call_grant_shards (call_id, system_id, shard, granted, share) VALUES `)
	for i := range grantShards {
		if i > 0 {
			sb.WriteString(", ")
		}
		if values {
			fmt.Fprintf(&sb, "($1, $2, %d, $%d, $%d)", i, 3+2*i, 4+2*i)
		} else {
			fmt.Fprintf(&sb, "($1, $2, %d, 0, 0)", i)
		}
	}
	sb.WriteString(` ON CONFLICT (call_id, system_id, shard) ` + conflict)
	return sb.String()
}
