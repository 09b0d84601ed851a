// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

// outcomeSelect joins the allocation's site, which visibility needs.
const outcomeSelect = `SELECT o.id, o.allocation_id, o.organization_id, o.call_id, o.kind, o.fields, o.created_by,
	o.created_at, o.updated_at, o.version FROM outcomes o JOIN allocations a ON a.id = o.allocation_id JOIN systems s ON s.id = a.system_id`

func scanOutcome(row scanner, extra ...any) (*pactum.AllocationOutcome, error) {
	var o pactum.AllocationOutcome
	var fields string
	dest := append([]any{&o.ID, &o.AllocationID, &o.OrganizationID, &o.CallID, &o.Kind, &fields, &o.CreatedBy,
		&o.CreatedAt, &o.UpdatedAt, &o.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &o.OutcomeFields); err != nil {
		return nil, fmt.Errorf("outcome %s: fields: %w", o.ID, err)
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// GetOutcome returns one outcome, or ENOTFOUND.
func (q *queries) GetOutcome(ctx context.Context, id string) (*pactum.AllocationOutcome, error) {
	o, err := scanOutcome(q.q.QueryRowContext(ctx, outcomeSelect+` WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Outcome %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find outcome %s: %w", id, err)
	}
	return o, nil
}

// ListOutcomes lists outcomes within s, newest first.
func (q *queries) ListOutcomes(ctx context.Context, s pactum.Scope, f pactum.OutcomeFilter) ([]*pactum.AllocationOutcome, int, error) {
	var w where
	if !w.scope(s, scopeConds{organization: "o.organization_id = ?", site: "s.site = ?"}) {
		return []*pactum.AllocationOutcome{}, 0, nil
	}
	if f.AllocationID != nil {
		w.add("o.allocation_id = ?", *f.AllocationID)
	}
	if f.OrganizationID != nil {
		w.add("o.organization_id = ?", *f.OrganizationID)
	}
	if f.CallID != nil {
		w.add("o.call_id = ?", *f.CallID)
	}
	if f.Kind != nil {
		w.add("o.kind = ?", string(*f.Kind))
	}
	return listCounted(ctx, q.q, "find outcomes", outcomeSelect, &w, "o.id DESC", f.Limit, f.Offset, scanOutcome)
}

// InsertOutcome adds an outcome.
func (tx *Tx) InsertOutcome(ctx context.Context, o *pactum.AllocationOutcome) error {
	fields, err := json.Marshal(o.OutcomeFields)
	if err != nil {
		return fmt.Errorf("encode outcome: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outcomes (id, allocation_id, organization_id, call_id, kind, fields, created_by,
		created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		o.ID, o.AllocationID, o.OrganizationID, o.CallID, string(o.Kind), string(fields), o.CreatedBy, o.CreatedAt, o.UpdatedAt,
		o.Version); err != nil {
		return fmt.Errorf("insert outcome: %w", mapError(err))
	}
	return nil
}

// UpdateOutcome writes an outcome's fields, refusing a lost update.
func (tx *Tx) UpdateOutcome(ctx context.Context, o *pactum.AllocationOutcome, oldVersion int) error {
	fields, err := json.Marshal(o.OutcomeFields)
	if err != nil {
		return fmt.Errorf("encode outcome: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE outcomes SET fields = $1, updated_at = $2, version = $3 WHERE id = $4 AND version = $5`,
		string(fields), o.UpdatedAt, o.Version, o.ID, oldVersion)
	return checkOneRow(res, err, "outcome", o.ID)
}

// DeleteOutcome deletes an outcome, or answers ENOTFOUND.
func (tx *Tx) DeleteOutcome(ctx context.Context, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM outcomes WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete outcome %s: %w", id, mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete outcome %s: %w", id, err)
	} else if n != 1 {
		return pactum.Errorf(pactum.ENOTFOUND, "Outcome %q not found.", id)
	}
	return nil
}
