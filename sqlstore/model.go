// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

const modelColumns = `num, id, organization_id, name, version, base_model, base_model_flop, base_model_systemic_risk,
	prior_training_flop, parameter_count, training_tokens, declared_mfu, created_at, created_by`

func scanModel(row scanner, extra ...any) (*pactum.Model, error) {
	var m pactum.Model
	if err := row.Scan(append([]any{&m.Num, &m.ID, &m.OrganizationID, &m.Name, &m.Version, &m.BaseModel, &m.BaseModelFLOP,
		&m.BaseModelSystemicRisk, &m.PriorTrainingFLOP, &m.ParameterCount, &m.TrainingTokens, &m.DeclaredMFU,
		&m.CreatedAt, &m.CreatedBy}, extra...)...); err != nil {
		return nil, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

// InsertModel stores a new model and sets its Num; ECONFLICT when its
// organization has the name and version.
func (tx *Tx) InsertModel(ctx context.Context, m *pactum.Model) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO models (id, organization_id, name, version, base_model, base_model_flop,
		base_model_systemic_risk, prior_training_flop, parameter_count, training_tokens, declared_mfu, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING num`,
		m.ID, m.OrganizationID, m.Name, m.Version, m.BaseModel, m.BaseModelFLOP, m.BaseModelSystemicRisk, m.PriorTrainingFLOP,
		m.ParameterCount, m.TrainingTokens, m.DeclaredMFU, m.CreatedAt, m.CreatedBy).Scan(&m.Num)
	if err != nil {
		if isConflict(err) {
			return pactum.Errorf(pactum.ECONFLICT, "The organization already has a model %s.", m.Label())
		}
		return fmt.Errorf("insert model: %w", mapError(err))
	}
	return nil
}

// GetModel returns one model or ENOTFOUND.
func (q *queries) GetModel(ctx context.Context, id string) (*pactum.Model, error) {
	m, err := scanModel(q.q.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM models WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Model %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find model %s: %w", id, err)
	}
	return m, nil
}

// ListModels lists models by organization, name and version.
func (q *queries) ListModels(ctx context.Context, f pactum.ModelFilter) ([]*pactum.Model, int, error) {
	var w where
	if f.OrganizationID != nil {
		w.add("organization_id = ?", *f.OrganizationID)
	}
	if f.Label != nil {
		name, version, _ := pactum.ParseModelLabel(*f.Label)
		w.add("name = ?", name)
		if version != "" {
			w.add("version = ?", version)
		}
	}
	return listCounted(ctx, q.q, "find models", `SELECT `+modelColumns+` FROM models`, &w, "organization_id, name, version",
		f.Limit, f.Offset, scanModel)
}

// modelTotalsColumns are a model_usage row's; modelUsageColumns add its
// allocation's system (joined as a).
const (
	modelTotalsColumns = `u.model_num, u.allocation_id, u.phase, u.organization_id, u.jobs, u.gpu_seconds,
	u.util_gpu_seconds, u.util_weighted, u.energy_gpu_seconds, u.energy_measured_j, u.energy_implausible`
	modelUsageColumns = modelTotalsColumns + `, a.system_id`
)

// scanModelUsage scans modelUsageColumns.
func scanModelUsage(row scanner, _ ...any) (pactum.ModelUsageRow, error) {
	var r pactum.ModelUsageRow
	err := scanModelRow(row, &r, &r.SystemID)
	return r, err
}

// scanModelTotals scans modelTotalsColumns: SystemID is left empty.
func scanModelTotals(row scanner, _ ...any) (pactum.ModelUsageRow, error) {
	var r pactum.ModelUsageRow
	err := scanModelRow(row, &r)
	return r, err
}

func scanModelRow(row scanner, r *pactum.ModelUsageRow, extra ...any) error {
	var phase int
	err := row.Scan(append([]any{&r.ModelNum, &r.AllocationID, &phase, &r.OrganizationID, &r.Jobs, &r.GPUSeconds,
		&r.UtilGPUSeconds, &r.UtilWeighted, &r.EnergyGPUSeconds, &r.EnergyMeasuredJ, &r.EnergyImplausible}, extra...)...)
	r.Phase = pactum.PhaseOfCode(phase)
	return err
}

// ListModelDays returns a model's training compute per day.
func (q *queries) ListModelDays(ctx context.Context, modelNum int64) ([]pactum.ModelDay, error) {
	return listAll(ctx, q.q, "model days", `SELECT model_num, day, gpu_seconds, flop FROM model_days WHERE model_num = $1 ORDER BY day`,
		[]any{modelNum}, func(row scanner, _ ...any) (pactum.ModelDay, error) {
			var d pactum.ModelDay
			err := row.Scan(&d.ModelNum, &d.Day, &d.GPUSeconds, &d.FLOP)
			return d, err
		})
}

// ListOrganizationUsage returns an organization's running totals (every
// model's and the unattributed jobs') and its allocations with their
// charges. Two queries, each system set from the allocations read: joining
// the totals to allocations cost an index probe per row, and took longer
// than both queries together (BenchmarkScale/model-compute).
func (q *queries) ListOrganizationUsage(ctx context.Context, orgID string) ([]pactum.ModelUsageRow, []pactum.AllocationCharge, error) {
	allocs, err := listAll(ctx, q.q, "organization allocations", `SELECT a.id, a.system_id, a.state, a.amount, a.unit,
		COALESCE(t.charge_seconds, 0) FROM allocations a LEFT JOIN usage_totals t ON t.allocation_id = a.id
		WHERE a.organization_id = $1 ORDER BY a.id`, []any{orgID},
		func(row scanner, _ ...any) (pactum.AllocationCharge, error) {
			var c pactum.AllocationCharge
			err := row.Scan(&c.ID, &c.SystemID, &c.State, &c.Amount, &c.Unit, &c.ChargeSeconds)
			return c, err
		})
	if err != nil {
		return nil, nil, err
	}
	rows, err := listAll(ctx, q.q, "organization usage", `SELECT `+modelTotalsColumns+` FROM model_usage u
		WHERE u.organization_id = $1 ORDER BY u.model_num, u.allocation_id, u.phase`, []any{orgID}, scanModelTotals)
	if err != nil {
		return nil, nil, err
	}
	system := make(map[string]string, len(allocs))
	for _, c := range allocs {
		system[c.ID] = c.SystemID
	}
	for i := range rows {
		var ok bool
		if rows[i].SystemID, ok = system[rows[i].AllocationID]; !ok {
			return nil, nil, fmt.Errorf("organization usage: totals of allocation %s, which is not organization %s's", rows[i].AllocationID, orgID)
		}
	}
	return rows, allocs, nil
}

// AddModelUsage adds deltas to the running totals and days to the daily
// series, each sorted by key so that concurrent batches on PostgreSQL
// take the rows' locks in one order.
func (tx *Tx) AddModelUsage(ctx context.Context, deltas []pactum.ModelUsageDelta, days []pactum.ModelDay) error {
	deltas = slices.Clone(deltas)
	slices.SortFunc(deltas, func(a, b pactum.ModelUsageDelta) int {
		switch {
		case a.ModelNum != b.ModelNum:
			return cmpInt(a.ModelNum, b.ModelNum)
		case a.AllocationID != b.AllocationID:
			return strings.Compare(a.AllocationID, b.AllocationID)
		}
		return cmpInt(int64(a.Phase.Code()), int64(b.Phase.Code()))
	})
	args := make([]any, 0, 11*maxBulkRows)
	err := chunks(len(deltas), bulkStatements[tx.db.dialect].modelUsage, func(stmt string, from, to int) error {
		args = args[:0]
		for _, d := range deltas[from:to] {
			args = append(args, d.ModelNum, d.AllocationID, d.Phase.Code(), d.OrganizationID, d.Jobs, d.GPUSeconds,
				d.UtilGPUSeconds, d.UtilWeighted, d.EnergyGPUSeconds, d.EnergyMeasuredJ, d.EnergyImplausible)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("model usage totals: %w", mapError(err))
	}
	days = slices.Clone(days)
	slices.SortFunc(days, func(a, b pactum.ModelDay) int {
		if a.ModelNum != b.ModelNum {
			return cmpInt(a.ModelNum, b.ModelNum)
		}
		return cmpInt(a.Day, b.Day)
	})
	err = chunks(len(days), bulkStatements[tx.db.dialect].modelDays, func(stmt string, from, to int) error {
		args = args[:0]
		for _, d := range days[from:to] {
			args = append(args, d.ModelNum, d.Day, d.GPUSeconds, d.FLOP)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("model days: %w", mapError(err))
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddComputeTotals adds FLOP to subjects' cumulative totals, in subject
// order (one lock order for concurrent batches), a few multi-row
// statements per batch, and returns each total afterwards.
func (tx *Tx) AddComputeTotals(ctx context.Context, add map[string]float64, at time.Time) (map[string]float64, error) {
	subjects := slices.Sorted(maps.Keys(add))
	out := make(map[string]float64, len(add))
	args := make([]any, 0, 3*maxBulkRows)
	err := chunks(len(subjects), bulkStatements[tx.db.dialect].computeTotals, func(stmt string, from, to int) error {
		args = args[:0]
		for _, s := range subjects[from:to] {
			args = append(args, s, add[s], at)
		}
		return eachRow(ctx, tx, stmt, args, func(rows *sql.Rows) error {
			var s string
			var total float64
			if err := rows.Scan(&s, &total); err != nil {
				return err
			}
			out[s] = total
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("compute totals: %w", mapError(err))
	}
	return out, nil
}

// ListModelsOf returns the models of the organizations orgIDs, a query
// per few hundred organizations: a usage batch resolves its claims with it.
func (q *queries) ListModelsOf(ctx context.Context, orgIDs []string) ([]*pactum.Model, error) {
	out := []*pactum.Model{}
	err := lookup(ctx, q.q, bulkStatements[q.dialect].lookupModels, nil, orgIDs, func(rows *sql.Rows) error {
		m, err := scanModel(rows)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find models: %w", err)
	}
	return out, nil
}

// InsertComputeAlert records an alert unless it is on file.
func (tx *Tx) InsertComputeAlert(ctx context.Context, a pactum.ComputeAlert) (bool, error) {
	var s string
	err := tx.QueryRowContext(ctx, `INSERT INTO compute_alerts (subject, threshold, fraction, flop, crossed_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject, threshold, fraction) DO NOTHING RETURNING subject`, a.Subject, a.Threshold, a.Fraction, a.FLOP, a.CrossedAt).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("compute alert %s: %w", a.Subject, err)
	}
	return true, nil
}

// ListComputeAlerts returns the alerts of each subject in turn, each
// subject's by threshold and fraction: one query, so that the model view
// reads its model's and its organization's in one round trip.
func (q *queries) ListComputeAlerts(ctx context.Context, subjects ...string) ([]pactum.ComputeAlert, error) {
	if len(subjects) == 0 {
		return []pactum.ComputeAlert{}, nil
	}
	var w where
	args := make([]any, len(subjects))
	for i, s := range subjects {
		args[i] = s
	}
	w.addIn("subject", args...)
	out, err := listAll(ctx, q.q, "compute alerts", `SELECT subject, threshold, fraction, flop, crossed_at FROM compute_alerts`+
		w.String()+` ORDER BY subject, threshold, fraction`, w.args, func(row scanner, _ ...any) (pactum.ComputeAlert, error) {
		var a pactum.ComputeAlert
		err := row.Scan(&a.Subject, &a.Threshold, &a.Fraction, &a.FLOP, &a.CrossedAt)
		a.CrossedAt = a.CrossedAt.UTC()
		return a, err
	})
	if err != nil {
		return nil, err
	}
	// The order asked for, not the keys' collation.
	slices.SortStableFunc(out, func(a, b pactum.ComputeAlert) int {
		return slices.Index(subjects, a.Subject) - slices.Index(subjects, b.Subject)
	})
	return out, nil
}

// ListAllocationModelUsage returns an allocation's running totals per
// model and phase.
func (q *queries) ListAllocationModelUsage(ctx context.Context, allocationID string) ([]pactum.ModelUsageRow, error) {
	return listAll(ctx, q.q, "allocation model usage", `SELECT `+modelUsageColumns+` FROM model_usage u
		JOIN allocations a ON a.id = u.allocation_id WHERE u.allocation_id = $1 ORDER BY u.model_num, u.phase`,
		[]any{allocationID}, scanModelUsage)
}
