// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

// SystemService implements pactum.SystemService.
type SystemService struct{ db *DB }

var _ pactum.SystemService = (*SystemService)(nil)

// NewSystemService returns the systems catalogue service.
func NewSystemService(db *DB) *SystemService { return &SystemService{db: db} }

const systemColumns = `id, name, site, country, partition_name, accelerator, nodes, gpus_per_node, peak_tflops_per_gpu, unit, capacity_per_period, software, scheduler`

type scanner interface{ Scan(dest ...any) error }

func scanSystem(row scanner) (*pactum.System, error) {
	var s pactum.System
	if err := row.Scan(&s.ID, &s.Name, &s.Site, &s.Country, &s.Partition, &s.Accelerator, &s.Nodes, &s.GPUsPerNode,
		&s.PeakTFLOPSPerGPU, &s.Unit, &s.CapacityPerPeriod, &s.Software, &s.Scheduler); err != nil {
		return nil, err
	}
	return &s, nil
}

// FindSystems returns the catalogue ordered by ID.
func (s *SystemService) FindSystems(ctx context.Context) ([]*pactum.System, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return findSystems(ctx, s.db.r)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func findSystems(ctx context.Context, q querier) ([]*pactum.System, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+systemColumns+` FROM systems ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("find systems: %w", err)
	}
	defer rows.Close()
	var out []*pactum.System
	for rows.Next() {
		sys, err := scanSystem(rows)
		if err != nil {
			return nil, fmt.Errorf("scan system: %w", err)
		}
		out = append(out, sys)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find systems: %w", err)
	}
	return out, nil
}

// systemMap returns the catalogue keyed by ID.
func systemMap(ctx context.Context, q querier) (map[string]*pactum.System, error) {
	list, err := findSystems(ctx, q)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*pactum.System, len(list))
	for _, s := range list {
		m[s.ID] = s
	}
	return m, nil
}

// FindSystemByID returns one system or ENOTFOUND.
func (s *SystemService) FindSystemByID(ctx context.Context, id string) (*pactum.System, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return findSystemByID(ctx, s.db.r, id)
}

func findSystemByID(ctx context.Context, q querier, id string) (*pactum.System, error) {
	sys, err := scanSystem(q.QueryRowContext(ctx, `SELECT `+systemColumns+` FROM systems WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "System %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find system %s: %w", id, err)
	}
	return sys, nil
}

// UpsertSystems adds or replaces catalogue entries in one transaction.
// Access managers only.
func (s *SystemService) UpsertSystems(ctx context.Context, systems []*pactum.System) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may change the systems catalogue.")
	}
	var v pactum.Validator
	for i, sys := range systems {
		v.Merge(fmt.Sprintf("systems[%d]", i), sys.Validate())
	}
	if err := v.Err("The systems catalogue is not valid."); err != nil {
		return err
	}
	defer s.db.cache.dropSystems()
	return s.db.write(ctx, func(tx *Tx) error { return upsertSystems(ctx, tx, systems) })
}

func upsertSystems(ctx context.Context, tx *Tx, systems []*pactum.System) error {
	for _, sys := range systems {
		old, err := findSystemByID(ctx, tx, sys.ID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		if old != nil && *old == *sys {
			continue // unchanged: no write, no audit noise on every start
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO systems (`+systemColumns+`, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, site = excluded.site, country = excluded.country,
				partition_name = excluded.partition_name, accelerator = excluded.accelerator, nodes = excluded.nodes,
				gpus_per_node = excluded.gpus_per_node, peak_tflops_per_gpu = excluded.peak_tflops_per_gpu,
				unit = excluded.unit, capacity_per_period = excluded.capacity_per_period, software = excluded.software,
				scheduler = excluded.scheduler, updated_at = excluded.updated_at`,
			sys.ID, sys.Name, sys.Site, sys.Country, sys.Partition, sys.Accelerator, sys.Nodes, sys.GPUsPerNode,
			sys.PeakTFLOPSPerGPU, sys.Unit, sys.CapacityPerPeriod, sys.Software, sys.Scheduler, tx.now); err != nil {
			return fmt.Errorf("upsert system %s: %w", sys.ID, mapError(err))
		}
		var before any
		if old != nil {
			before = old
		}
		if err := tx.record("system.upsert", "system", sys.ID, before, sys); err != nil {
			return err
		}
	}
	return nil
}
