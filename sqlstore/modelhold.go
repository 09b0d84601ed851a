// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

const modelHoldColumns = `h.model_id, m.name, m.version, h.organization_id, h.call_id, h.reason, h.held_at,
	h.acknowledged_at, h.acknowledged_by, h.note`

// GetModelHold returns a model's hold; ENOTFOUND when it was never held.
func (q *queries) GetModelHold(ctx context.Context, modelID string) (*pactum.ModelHold, error) {
	var h pactum.ModelHold
	var name, version string
	var ack sql.NullTime
	err := q.q.QueryRowContext(ctx, `SELECT `+modelHoldColumns+` FROM model_holds h JOIN models m ON m.id = h.model_id
		WHERE h.model_id = $1`, modelID).Scan(&h.ModelID, &name, &version, &h.OrganizationID, &h.CallID, &h.Reason, &h.HeldAt,
		&ack, &h.AcknowledgedBy, &h.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Model %q was never held.", modelID)
	} else if err != nil {
		return nil, fmt.Errorf("model hold %s: %w", modelID, err)
	}
	h.Model, h.HeldAt = name+"@"+version, h.HeldAt.UTC()
	if ack.Valid {
		t := ack.Time.UTC()
		h.AcknowledgedAt = &t
	}
	return &h, nil
}

// HoldingCall returns a call holding models of which the organization
// has an allocation not expired (the first by ID), "" when none.
func (q *queries) HoldingCall(ctx context.Context, orgID string) (string, error) {
	var id string
	err := q.q.QueryRowContext(ctx, `SELECT c.id FROM allocations a JOIN calls c ON c.id = a.call_id
		WHERE a.organization_id = $1 AND a.state <> $2 AND c.hold_models_at_systemic_risk = $3 ORDER BY c.id LIMIT 1`,
		orgID, string(pactum.AllocationExpired), true).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("holding call of %s: %w", orgID, err)
	}
	return id, nil
}

// heldModelsQuery selects (allocation, model label parts) for the held
// models of allocations whose call holds models.
const heldModelsQuery = `SELECT a.id, m.name, m.version FROM model_holds h JOIN models m ON m.id = h.model_id
	JOIN allocations a ON a.organization_id = h.organization_id JOIN calls c ON c.id = a.call_id`

// ListHeldModels returns the labels of the models held under an
// allocation, by label.
func (q *queries) ListHeldModels(ctx context.Context, allocationID string) ([]string, error) {
	out := []string{}
	err := eachRow(ctx, q.q, heldModelsQuery+` WHERE a.id = $1 AND h.acknowledged_at IS NULL AND c.hold_models_at_systemic_risk = $2
		ORDER BY m.name, m.version`, []any{allocationID, true}, func(rows *sql.Rows) error {
		var id, name, version string
		if err := rows.Scan(&id, &name, &version); err != nil {
			return err
		}
		out = append(out, name+"@"+version)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("held models of %s: %w", allocationID, err)
	}
	return out, nil
}

// siteHeldModels returns the labels of the models held under each of a
// site's allocations, by allocation.
func (q *queries) siteHeldModels(ctx context.Context, site string) (map[string][]string, error) {
	out := map[string][]string{}
	err := eachRow(ctx, q.q, heldModelsQuery+` JOIN systems s ON s.id = a.system_id
		WHERE s.site = $1 AND h.acknowledged_at IS NULL AND c.hold_models_at_systemic_risk = $2
		ORDER BY a.id, m.name, m.version`, []any{site, true}, func(rows *sql.Rows) error {
		var id, name, version string
		if err := rows.Scan(&id, &name, &version); err != nil {
			return err
		}
		out[id] = append(out[id], name+"@"+version)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("held models at %s: %w", site, err)
	}
	return out, nil
}

// InsertModelHold records a model's hold unless it has one.
func (tx *Tx) InsertModelHold(ctx context.Context, h *pactum.ModelHold) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO model_holds (model_id, organization_id, call_id, reason, held_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model_id) DO NOTHING RETURNING model_id`,
		h.ModelID, h.OrganizationID, h.CallID, h.Reason, h.HeldAt).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("hold model %s: %w", h.ModelID, mapError(err))
	}
	return true, nil
}

// AcknowledgeModelHold writes h's acknowledgement; ECONFLICT when the
// hold is acknowledged already (or there is none).
func (tx *Tx) AcknowledgeModelHold(ctx context.Context, h *pactum.ModelHold) error {
	if h.AcknowledgedAt == nil {
		return fmt.Errorf("acknowledge hold of %s: no time", h.ModelID)
	}
	res, err := tx.ExecContext(ctx, `UPDATE model_holds SET acknowledged_at = $1, acknowledged_by = $2, note = $3
		WHERE model_id = $4 AND acknowledged_at IS NULL`, *h.AcknowledgedAt, h.AcknowledgedBy, h.Note, h.ModelID)
	if err != nil {
		return fmt.Errorf("acknowledge hold of %s: %w", h.ModelID, mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("acknowledge hold of %s: %w", h.ModelID, err)
	} else if n != 1 {
		return pactum.Errorf(pactum.ECONFLICT, "Model %s is not held.", h.ModelID)
	}
	return nil
}
