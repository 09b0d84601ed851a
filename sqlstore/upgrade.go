// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// GetConditionGrace returns the end of an allocation's grace period for its
// conditions, nil when it has none (migration 00240).
func (q *queries) GetConditionGrace(ctx context.Context, allocationID string) (*time.Time, error) {
	var until time.Time
	err := q.q.QueryRowContext(ctx, `SELECT grace_until FROM condition_graces WHERE allocation_id = $1`, allocationID).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("grace of %s: %w", allocationID, err)
	}
	until = until.UTC()
	return &until, nil
}

// siteGraces returns the grace periods of a site's allocations, by ID.
func (q *queries) siteGraces(ctx context.Context, site string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := eachRow(ctx, q.q, `SELECT g.allocation_id, g.grace_until FROM condition_graces g JOIN allocations a ON a.id = g.allocation_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1`, []any{site}, func(rows *sql.Rows) error {
		var id string
		var until time.Time
		if err := rows.Scan(&id, &until); err != nil {
			return err
		}
		out[id] = until.UTC()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grace periods at %s: %w", site, err)
	}
	return out, nil
}

// InsertConditionGrace gives an allocation a grace period for its
// conditions.
func (tx *Tx) InsertConditionGrace(ctx context.Context, allocationID string, until, noticedAt time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO condition_graces (allocation_id, grace_until, noticed_at) VALUES ($1, $2, $3)`,
		allocationID, until.UTC(), noticedAt.UTC()); err != nil {
		return fmt.Errorf("grace of %s: %w", allocationID, mapError(err))
	}
	return nil
}

// ListStrandedReviews lists proposals in review without a review track:
// written before review stages existed (migration 00010).
func (q *queries) ListStrandedReviews(ctx context.Context) ([]string, error) {
	var ids []string
	err := eachRow(ctx, q.q, `SELECT p.id FROM proposals p LEFT JOIN review_tracks t ON t.proposal_id = p.id
		WHERE p.state = $1 AND t.proposal_id IS NULL ORDER BY p.id`, []any{string(pactum.ProposalInReview)}, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("proposals in review without a track: %w", err)
	}
	return ids, nil
}

// conditionsSince returns when this database was upgraded to enforce award
// conditions (schema 4), and false when that happened in the run that
// created it: then no allocation can be older.
func (q *queries) conditionsSince(ctx context.Context) (time.Time, bool, error) {
	col := "tstamp"
	if q.dialect == Postgres {
		col = "tstamp::timestamptz" // stored as the session's local time
	}
	at := func(version int) (time.Time, bool, error) {
		// SQLite returns goose's text time ("2006-01-02 15:04:05", UTC).
		var v any
		err := q.q.QueryRowContext(ctx, `SELECT `+col+` FROM goose_db_version WHERE version_id = $1 AND is_applied ORDER BY id DESC LIMIT 1`, version).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, false, nil
		} else if err != nil {
			return time.Time{}, false, fmt.Errorf("when schema %d was applied: %w", version, err)
		}
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), true, nil
		case string:
			t, err := time.Parse(time.DateTime, x)
			return t, err == nil, err
		case []byte:
			t, err := time.Parse(time.DateTime, string(x))
			return t, err == nil, err
		}
		return time.Time{}, false, nil
	}
	t3, ok3, err := at(3)
	if err != nil {
		return time.Time{}, false, err
	}
	t4, ok4, err := at(4)
	if err != nil {
		return time.Time{}, false, err
	}
	// One run applies every migration within seconds; an upgrade comes
	// in a later run.
	if !ok3 || !ok4 || t4.Sub(t3) < time.Minute {
		return time.Time{}, false, nil
	}
	return t4, true, nil
}

// ListAllocationsBeforeConditions lists the allocations, not expired and
// without a grace period, created before the database's upgrade to
// award conditions.
func (q *queries) ListAllocationsBeforeConditions(ctx context.Context) ([]*pactum.Allocation, error) {
	since, ok, err := q.conditionsSince(ctx)
	if err != nil || !ok {
		return []*pactum.Allocation{}, err
	}
	query := allocationSelect + ` LEFT JOIN condition_graces g ON g.allocation_id = a.id
		WHERE g.allocation_id IS NULL AND a.state <> $1 AND a.created_at < $2 ORDER BY a.id`
	return listAll(ctx, q.q, "allocations before conditions", query, []any{string(pactum.AllocationExpired), since},
		func(row scanner, _ ...any) (*pactum.Allocation, error) {
			a, _, err := scanAllocation(row)
			return a, err
		})
}
