// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pactum/pactum"
)

// AllocationService implements pactum.AllocationService.
type AllocationService struct{ db *DB }

var _ pactum.AllocationService = (*AllocationService)(nil)

// NewAllocationService returns the allocation service.
func NewAllocationService(db *DB) *AllocationService { return &AllocationService{db: db} }

const allocationColumns = `id, proposal_id, organization_id, system_id, amount, unit, starts_at, ends_at, state, conditions, created_at, updated_at, version`

// allocationSelect joins the system's site, which visibility needs.
const allocationSelect = `SELECT a.id, a.proposal_id, a.organization_id, a.system_id, a.amount, a.unit, a.starts_at, a.ends_at, a.state,
	a.conditions, a.created_at, a.updated_at, a.version, s.site FROM allocations a JOIN systems s ON s.id = a.system_id`

func scanAllocation(row scanner, extra ...any) (*pactum.Allocation, string, error) {
	var a pactum.Allocation
	var conditions, site string
	dest := append([]any{&a.ID, &a.ProposalID, &a.OrganizationID, &a.SystemID, &a.Amount, &a.Unit, &a.StartsAt, &a.EndsAt,
		&a.State, &conditions, &a.CreatedAt, &a.UpdatedAt, &a.Version, &site}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, "", err
	}
	if err := json.Unmarshal([]byte(conditions), &a.Conditions); err != nil {
		return nil, "", fmt.Errorf("allocation %s: conditions: %w", a.ID, err)
	}
	a.StartsAt, a.EndsAt, a.CreatedAt, a.UpdatedAt = a.StartsAt.UTC(), a.EndsAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, site, nil
}

func findAllocationByID(ctx context.Context, q querier, id string) (*pactum.Allocation, string, error) {
	a, site, err := scanAllocation(q.QueryRowContext(ctx, allocationSelect+` WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	} else if err != nil {
		return nil, "", fmt.Errorf("find allocation %s: %w", id, err)
	}
	return a, site, nil
}

// FindAllocationByID returns an allocation visible to the caller.
func (s *AllocationService) FindAllocationByID(ctx context.Context, id string) (*pactum.Allocation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, site, err := findAllocationByID(ctx, s.db.r, id)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeAllocation(u, a, site) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	}
	return a, nil
}

// FindAllocations lists allocations visible to the caller, newest first.
func (s *AllocationService) FindAllocations(ctx context.Context, f pactum.AllocationFilter) ([]*pactum.Allocation, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleApplicant:
		w.add("a.organization_id = ?", u.OrganizationID)
	case u.Role == pactum.RoleSiteOperator:
		w.add("s.site = ?", u.Site)
	default:
		return []*pactum.Allocation{}, 0, nil
	}
	if f.ProposalID != nil {
		w.add("a.proposal_id = ?", *f.ProposalID)
	}
	if f.OrganizationID != nil {
		w.add("a.organization_id = ?", *f.OrganizationID)
	}
	if f.SystemID != nil {
		w.add("a.system_id = ?", *f.SystemID)
	}
	if f.State != nil {
		w.add("a.state = ?", string(*f.State))
	}
	q := strings.Replace(allocationSelect, " FROM", ", COUNT(*) OVER () FROM", 1) + w.String() + ` ORDER BY a.id DESC` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find allocations", q, w.args, func(row scanner, extra ...any) (*pactum.Allocation, error) {
		a, _, err := scanAllocation(row, extra...)
		return a, err
	})
}

// TransitionAllocation moves an allocation to another state.
func (s *AllocationService) TransitionAllocation(ctx context.Context, id string, to pactum.AllocationState, reason string) (*pactum.Allocation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !to.Valid() {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The transition is not valid.",
			Fields: []pactum.FieldError{{Field: "state", Message: "must be one of pending_provisioning, active, suspended, exhausted, expired"}}}
	}
	if len(reason) > 5000 {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The transition is not valid.",
			Fields: []pactum.FieldError{{Field: "reason", Message: "must be at most 5000 characters"}}}
	}
	var a *pactum.Allocation
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		a, err = transitionAllocation(ctx, tx, u, id, to, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func transitionAllocation(ctx context.Context, tx *Tx, u *pactum.User, id string, to pactum.AllocationState, reason string) (*pactum.Allocation, error) {
	a, site, err := findAllocationByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeAllocation(u, a, site) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	}
	if a.State == to {
		return a, nil // idempotent: a retried request changes nothing
	}
	if !pactum.CanTransitionAllocation(u, site, a.State, to) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "A %s may not move an allocation from %s to %s.", u.Role, a.State, to)
	}
	from, oldVersion := a.State, a.Version
	if err := a.Transition(to); err != nil {
		return nil, err
	}
	a.UpdatedAt, a.Version = tx.now, oldVersion+1
	res, err := tx.ExecContext(ctx, `UPDATE allocations SET state = $1, updated_at = $2, version = $3 WHERE id = $4 AND version = $5`,
		a.State, a.UpdatedAt, a.Version, a.ID, oldVersion)
	if err := checkOneRow(res, err, "allocation", a.ID); err != nil {
		return nil, err
	}
	if err := tx.record("allocation."+transitionVerb(to), "allocation", a.ID,
		map[string]any{"state": from}, map[string]any{"state": a.State, "reason": reason}); err != nil {
		return nil, err
	}
	return a, nil
}

func transitionVerb(to pactum.AllocationState) string {
	switch to {
	case pactum.AllocationActive:
		return "activate"
	case pactum.AllocationSuspended:
		return "suspend"
	case pactum.AllocationExhausted:
		return "exhaust"
	case pactum.AllocationExpired:
		return "expire"
	}
	return "transition"
}
