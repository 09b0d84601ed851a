// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

// ListAllocationPhaseUsage returns the GPU-seconds of the allocations
// among ids, by allocation and phase (all models together), leaving out
// allocations with a usage flag of kind on file: one statement for up to
// keysPerLookup allocations.
func (q *queries) ListAllocationPhaseUsage(ctx context.Context, kind string, ids []string) ([]pactum.AllocationPhaseUsage, error) {
	var out []pactum.AllocationPhaseUsage
	err := lookup(ctx, q.q, bulkStatements[q.dialect].phaseUsage, []any{kind}, ids, func(rows *sql.Rows) error {
		var r pactum.AllocationPhaseUsage
		var code int
		if err := rows.Scan(&r.AllocationID, &code, &r.GPUSeconds); err != nil {
			return err
		}
		r.Phase = pactum.PhaseOfCode(code)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage by phase: %w", err)
	}
	return out, nil
}

// InsertUsageFlag records a flag unless one of its allocation and kind is
// on file, and reports whether it was new.
func (tx *Tx) InsertUsageFlag(ctx context.Context, f pactum.UsageFlag) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO usage_flags (allocation_id, kind, raised, training_gpu_seconds, other_gpu_seconds, flagged_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (allocation_id, kind) DO NOTHING RETURNING allocation_id`,
		f.AllocationID, f.Kind, f.Raised, f.TrainingGPUSeconds, f.OtherGPUSeconds, f.FlaggedAt).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("usage flag %s: %w", f.AllocationID, mapError(err))
	}
	return true, nil
}

// ListUsageFlags returns an allocation's recorded flags by kind.
func (q *queries) ListUsageFlags(ctx context.Context, allocationID string) ([]pactum.UsageFlag, error) {
	return listAll(ctx, q.q, "usage flags", `SELECT allocation_id, kind, raised, training_gpu_seconds, other_gpu_seconds, flagged_at
		FROM usage_flags WHERE allocation_id = $1 ORDER BY kind`, []any{allocationID}, func(row scanner, _ ...any) (pactum.UsageFlag, error) {
		var f pactum.UsageFlag
		err := row.Scan(&f.AllocationID, &f.Kind, &f.Raised, &f.TrainingGPUSeconds, &f.OtherGPUSeconds, &f.FlaggedAt)
		f.FlaggedAt = f.FlaggedAt.UTC()
		return f, err
	})
}
