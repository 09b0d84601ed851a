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

const callColumns = `id, title, description, opens_at, cutoff_at, modes, system_ids, created_at, hold_models_at_systemic_risk,
	block_overdue_organizations`

func scanCall(row scanner, extra ...any) (*pactum.Call, error) {
	var c pactum.Call
	var modes, systems string
	dest := append([]any{&c.ID, &c.Title, &c.Description, &c.OpensAt, &c.CutoffAt, &modes, &systems, &c.CreatedAt, &c.HoldModelsAtSystemicRisk,
		&c.BlockOverdueOrganizations}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(modes), &c.Modes); err != nil {
		return nil, fmt.Errorf("call %s: modes: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(systems), &c.SystemIDs); err != nil {
		return nil, fmt.Errorf("call %s: system_ids: %w", c.ID, err)
	}
	c.OpensAt, c.CutoffAt, c.CreatedAt = c.OpensAt.UTC(), c.CutoffAt.UTC(), c.CreatedAt.UTC()
	return &c, nil
}

// InsertCall opens a call.
func (tx *Tx) InsertCall(ctx context.Context, c *pactum.Call) error {
	modes, err := json.Marshal(c.Modes)
	if err != nil {
		return fmt.Errorf("encode modes: %w", err)
	}
	sys, err := json.Marshal(c.SystemIDs)
	if err != nil {
		return fmt.Errorf("encode systems: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO calls (`+callColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.Title, c.Description, c.OpensAt, c.CutoffAt, string(modes), string(sys), c.CreatedAt, c.HoldModelsAtSystemicRisk,
		c.BlockOverdueOrganizations); err != nil {
		return fmt.Errorf("insert call: %w", mapError(err))
	}
	return nil
}

// GetCall returns a call or ENOTFOUND.
func (q *queries) GetCall(ctx context.Context, id string) (*pactum.Call, error) {
	c, err := scanCall(q.q.QueryRowContext(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Call %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find call %s: %w", id, err)
	}
	return c, nil
}

// ListCalls lists calls, newest first.
func (q *queries) ListCalls(ctx context.Context, f pactum.CallFilter) ([]*pactum.Call, int, error) {
	var w where
	if f.OpenAt != nil {
		w.add("opens_at <= ?", f.OpenAt.UTC())
		w.add("cutoff_at > ?", f.OpenAt.UTC())
	}
	return listCounted(ctx, q.q, "find calls", `SELECT `+callColumns+` FROM calls`, &w, "id DESC", f.Limit, f.Offset, scanCall)
}

// SetCallTerms writes c's terms; ENOTFOUND for an unknown call.
func (tx *Tx) SetCallTerms(ctx context.Context, c *pactum.Call) error {
	res, err := tx.ExecContext(ctx, `UPDATE calls SET hold_models_at_systemic_risk = $1, block_overdue_organizations = $2 WHERE id = $3`,
		c.HoldModelsAtSystemicRisk, c.BlockOverdueOrganizations, c.ID)
	if err != nil {
		return fmt.Errorf("update call %s: %w", c.ID, mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update call %s: %w", c.ID, err)
	} else if n == 0 {
		return pactum.Errorf(pactum.ENOTFOUND, "Call %q not found.", c.ID)
	}
	return nil
}

// SumCallDemand sums the call's requests (from proposal_requests, of
// proposals past draft and not withdrawn) and grants (call_grant_shards)
// per system, in two aggregate queries rather than reading every proposal.
func (q *queries) SumCallDemand(ctx context.Context, callID string) (map[string]float64, map[string]float64, error) {
	sum := func(query string) (map[string]float64, error) {
		out := map[string]float64{}
		err := eachRow(ctx, q.q, query, []any{callID}, func(rows *sql.Rows) error {
			var id string
			var v float64
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			out[id] = v
			return nil
		})
		return out, err
	}
	req, err := sum(`SELECT r.system_id, SUM(r.amount) FROM proposal_requests r JOIN proposals p ON p.id = r.proposal_id
		WHERE p.call_id = $1 AND p.state NOT IN ('draft', 'withdrawn') GROUP BY r.system_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("call demand: %w", err)
	}
	granted, err := sum(`SELECT system_id, SUM(granted) FROM call_grant_shards WHERE call_id = $1 GROUP BY system_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("call grants: %w", err)
	}
	return req, granted, nil
}
