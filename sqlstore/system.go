// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

const systemColumns = `id, name, site, country, partition_name, accelerator, nodes, gpus_per_node, peak_tflops_per_gpu, unit, capacity_per_period, software, scheduler,
	tdp_watts_per_gpu, node_overhead, pue, grid_gco2_per_kwh, mfu_low, mfu_high, energy_source`

type scanner interface{ Scan(dest ...any) error }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanSystem(row scanner, extra ...any) (*pactum.System, error) {
	var s pactum.System
	if err := row.Scan(append([]any{&s.ID, &s.Name, &s.Site, &s.Country, &s.Partition, &s.Accelerator, &s.Nodes, &s.GPUsPerNode,
		&s.PeakTFLOPSPerGPU, &s.Unit, &s.CapacityPerPeriod, &s.Software, &s.Scheduler,
		&s.TDPWattsPerGPU, &s.NodeOverhead, &s.PUE, &s.GridGCO2PerKWh, &s.MFULow, &s.MFUHigh, &s.EnergySource}, extra...)...); err != nil {
		return nil, err
	}
	return &s, nil
}

// ListSystems returns the catalogue ordered by ID.
func (q *queries) ListSystems(ctx context.Context) ([]*pactum.System, error) {
	return listAll(ctx, q.q, "find systems", `SELECT `+systemColumns+` FROM systems ORDER BY id`, nil, scanSystem)
}

// systemMap returns the catalogue keyed by ID.
func (q *queries) systemMap(ctx context.Context) (map[string]*pactum.System, error) {
	list, err := q.ListSystems(ctx)
	if err != nil {
		return nil, err
	}
	return pactum.SystemsByID(list), nil
}

// GetSystem returns one system or ENOTFOUND.
func (q *queries) GetSystem(ctx context.Context, id string) (*pactum.System, error) {
	sys, err := scanSystem(q.q.QueryRowContext(ctx, `SELECT `+systemColumns+` FROM systems WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "System %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find system %s: %w", id, err)
	}
	return sys, nil
}

// UpsertSystem adds or replaces a catalogue entry.
func (tx *Tx) UpsertSystem(ctx context.Context, sys *pactum.System) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO systems (`+systemColumns+`, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, site = excluded.site, country = excluded.country,
			partition_name = excluded.partition_name, accelerator = excluded.accelerator, nodes = excluded.nodes,
			gpus_per_node = excluded.gpus_per_node, peak_tflops_per_gpu = excluded.peak_tflops_per_gpu,
			unit = excluded.unit, capacity_per_period = excluded.capacity_per_period, software = excluded.software,
			scheduler = excluded.scheduler, tdp_watts_per_gpu = excluded.tdp_watts_per_gpu,
			node_overhead = excluded.node_overhead, pue = excluded.pue, grid_gco2_per_kwh = excluded.grid_gco2_per_kwh,
			mfu_low = excluded.mfu_low, mfu_high = excluded.mfu_high, energy_source = excluded.energy_source,
			updated_at = excluded.updated_at`,
		sys.ID, sys.Name, sys.Site, sys.Country, sys.Partition, sys.Accelerator, sys.Nodes, sys.GPUsPerNode,
		sys.PeakTFLOPSPerGPU, sys.Unit, sys.CapacityPerPeriod, sys.Software, sys.Scheduler,
		sys.TDPWattsPerGPU, sys.NodeOverhead, sys.PUE, sys.GridGCO2PerKWh, sys.MFULow, sys.MFUHigh, sys.EnergySource, tx.now); err != nil {
		return fmt.Errorf("upsert system %s: %w", sys.ID, mapError(err))
	}
	return nil
}
