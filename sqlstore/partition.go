// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pactum/pactum"
)

// On PostgreSQL usage_records is partitioned by month (migration 00160):
// a record's period is the month of its job's start, or of the day it was
// first stored when the job had not started, fixed at its first write.
// Partitions are made on demand, in the writing transaction, and ahead of
// time when the database is opened, so that the ingest path seldom makes
// one.

// usagePeriod returns the partition month (months since January 1970,
// UTC) of a record first stored at now.
func usagePeriod(r *pactum.UsageRecord, now time.Time) int32 {
	t := now
	if r.StartAt != nil {
		t = *r.StartAt
	}
	t = t.UTC()
	return int32((t.Year()-1970)*12 + int(t.Month()) - 1)
}

// partitionName names the partition of period p: usage_records_2026_12.
func partitionName(p int32) string {
	year, month := 1970+p/12, p%12
	if month < 0 { // before 1970: floor, not truncation
		year, month = year-1, month+12
	}
	return fmt.Sprintf("usage_records_%04d_%02d", year, month+1)
}

// partitionSet caches the periods known to have a partition. It only
// grows: pactum never drops a partition. An operator archiving a month
// detaches its table and renames or drops it; a record of that month
// arriving later makes the partition again, empty. (A detached table left
// under its name would be attached again as it is, rows and all.)
type partitionSet struct {
	mu    sync.Mutex
	known map[int32]bool
}

// missing returns those of periods with no known partition, each once.
func (s *partitionSet) missing(periods []int32) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int32
	seen := map[int32]bool{}
	for _, p := range periods {
		if !s.known[p] && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func (s *partitionSet) add(periods []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		s.known = map[int32]bool{}
	}
	for _, p := range periods {
		s.known[p] = true
	}
}

// ddl is what making a partition needs of a transaction: the raw one, so
// that its statements, each naming a partition, stay out of the statement
// cache.
type ddl interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// makePartitions gives each period in periods its partition, unless it has
// one. It takes the parent's SHARE UPDATE EXCLUSIVE lock, which orders the
// makers of partitions (two instances making the same month) without
// blocking the reads and writes of other months, then creates each table
// like the parent and attaches it; ATTACH adds the parent's indexes. A
// partition made by CREATE TABLE … PARTITION OF would take an ACCESS
// EXCLUSIVE lock on the parent, stopping every reader until commit.
func makePartitions(ctx context.Context, tx ddl, periods []int32) error {
	if len(periods) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE usage_records IN SHARE UPDATE EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock usage records for a partition: %w", err)
	}
	for _, p := range periods {
		name := partitionName(p)
		var attached bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_inherits
			WHERE inhrelid = to_regclass($1) AND inhparent = 'usage_records'::regclass)`, name).Scan(&attached); err != nil {
			return fmt.Errorf("usage partition %s: %w", name, err)
		}
		if attached {
			continue // made by another instance
		}
		id := pgx.Identifier{name}.Sanitize()
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+id+` (LIKE usage_records INCLUDING DEFAULTS)`); err != nil {
			return fmt.Errorf("create usage partition %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE usage_records ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)`,
			id, p, p+1)); err != nil {
			return fmt.Errorf("attach usage partition %s: %w", name, err)
		}
	}
	return nil
}

// ensurePartitions makes, in the transaction, the partitions periods need
// that are not known to exist; they are known once it commits.
func (tx *Tx) ensurePartitions(ctx context.Context, periods []int32) error {
	missing := tx.db.parts.missing(periods)
	if len(missing) == 0 {
		return nil
	}
	if err := tx.flush(ctx); err != nil {
		return err
	}
	if err := makePartitions(ctx, tx.conn, missing); err != nil {
		return mapError(err)
	}
	tx.onCommit(func() { tx.db.parts.add(missing) })
	return nil
}

// partitionsAhead is how many months after the current one get their
// partitions when the database is opened.
const partitionsAhead = 2

// openPartitions learns the existing partitions and makes those of the
// previous, current and next months, in a transaction of its own
// (PostgreSQL, after the migrations). Making them is an optimisation (a
// write makes the partition it needs), so a failure there is logged and
// does not stop the opening: an auditor verifying the chain with read-only
// credentials opens the database too.
func (db *DB) openPartitions(ctx context.Context) error {
	rows, err := db.w.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'usage_records'::regclass`)
	if err != nil {
		return fmt.Errorf("usage partitions: %w", err)
	}
	var known []int32
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("usage partitions: %w", err)
		}
		var year, month int32
		if _, err := fmt.Sscanf(name, "usage_records_%04d_%02d", &year, &month); err == nil {
			known = append(known, (year-1970)*12+month-1)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("usage partitions: %w", err)
	}
	db.parts.add(known)
	now := &pactum.UsageRecord{}
	first := usagePeriod(now, db.now())
	var want []int32
	for p := first - 1; p <= first+partitionsAhead; p++ {
		want = append(want, p)
	}
	if err := db.makeAhead(ctx, db.parts.missing(want)); err != nil {
		db.logger.Warn("usage partitions not made ahead; writes will make them", "err", err)
	}
	return nil
}

// makeAhead makes the partitions of missing in a transaction of its own.
func (db *DB) makeAhead(ctx context.Context, missing []int32) error {
	if len(missing) == 0 {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("usage partitions: %w", err)
	}
	defer tx.Rollback()
	if err := makePartitions(ctx, tx, missing); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("usage partitions: %w", err)
	}
	db.parts.add(missing)
	return nil
}
