// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// CallService implements pactum.CallService.
type CallService struct{ db *DB }

var _ pactum.CallService = (*CallService)(nil)

// NewCallService returns the call service.
func NewCallService(db *DB) *CallService { return &CallService{db: db} }

const callColumns = `id, title, description, opens_at, cutoff_at, modes, system_ids, created_at`

func scanCall(row scanner, extra ...any) (*pactum.Call, error) {
	var c pactum.Call
	var modes, systems string
	dest := append([]any{&c.ID, &c.Title, &c.Description, &c.OpensAt, &c.CutoffAt, &modes, &systems, &c.CreatedAt}, extra...)
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

// CreateCall opens a call. Access managers only.
func (s *CallService) CreateCall(ctx context.Context, c *pactum.Call) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may open calls.")
	}
	var v pactum.Validator
	v.Merge("", c.Validate())
	return s.db.write(ctx, func(tx *Tx) error { return createCall(ctx, tx, c, &v) })
}

func createCall(ctx context.Context, tx *Tx, c *pactum.Call, v *pactum.Validator) error {
	systems, err := systemMap(ctx, tx)
	if err != nil {
		return err
	}
	for i, id := range c.SystemIDs {
		v.Check(systems[id] != nil, fmt.Sprintf("system_ids[%d]", i), "names no system in the catalogue: %q", id)
	}
	if err := v.Err("The call is not valid."); err != nil {
		return err
	}
	c.ID = newID()
	c.CreatedAt = tx.now
	c.OpensAt, c.CutoffAt = c.OpensAt.UTC().Truncate(time.Microsecond), c.CutoffAt.UTC().Truncate(time.Microsecond)
	modes, err := json.Marshal(c.Modes)
	if err != nil {
		return fmt.Errorf("encode modes: %w", err)
	}
	sys, err := json.Marshal(c.SystemIDs)
	if err != nil {
		return fmt.Errorf("encode systems: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO calls (`+callColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.Title, c.Description, c.OpensAt, c.CutoffAt, string(modes), string(sys), c.CreatedAt); err != nil {
		return fmt.Errorf("insert call: %w", mapError(err))
	}
	return tx.record("call.create", "call", c.ID, nil, c)
}

// FindCallByID returns a call; any authenticated caller may read calls.
func (s *CallService) FindCallByID(ctx context.Context, id string) (*pactum.Call, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return findCallByID(ctx, s.db.r, id)
}

func findCallByID(ctx context.Context, q querier, id string) (*pactum.Call, error) {
	c, err := scanCall(q.QueryRowContext(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Call %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find call %s: %w", id, err)
	}
	return c, nil
}

// FindCalls lists calls, newest first.
func (s *CallService) FindCalls(ctx context.Context, f pactum.CallFilter) ([]*pactum.Call, int, error) {
	if _, err := actor(ctx); err != nil {
		return nil, 0, err
	}
	var w where
	if f.OpenAt != nil {
		w.add("opens_at <= ?", f.OpenAt.UTC())
		w.add("cutoff_at > ?", f.OpenAt.UTC())
	}
	q := `SELECT ` + callColumns + `, COUNT(*) OVER () FROM calls` + w.String() + ` ORDER BY id DESC` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find calls", q, w.args, scanCall)
}
