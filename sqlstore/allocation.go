// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

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

// GetAllocation returns an allocation and its system's site, or ENOTFOUND.
func (q *queries) GetAllocation(ctx context.Context, id string) (*pactum.Allocation, string, error) {
	a, site, err := scanAllocation(q.q.QueryRowContext(ctx, allocationSelect+` WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	} else if err != nil {
		return nil, "", fmt.Errorf("find allocation %s: %w", id, err)
	}
	return a, site, nil
}

// ListAllocations lists allocations within s, newest first.
func (q *queries) ListAllocations(ctx context.Context, s pactum.Scope, f pactum.AllocationFilter) ([]*pactum.Allocation, int, error) {
	var w where
	if !w.scope(s, scopeConds{organization: "a.organization_id = ?", site: "s.site = ?"}) {
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
	return listCounted(ctx, q.q, "find allocations", allocationSelect, &w, "a.id DESC", f.Limit, f.Offset, func(row scanner, extra ...any) (*pactum.Allocation, error) {
		a, _, err := scanAllocation(row, extra...)
		return a, err
	})
}

// InsertAllocation adds an allocation awarded in callID.
func (tx *Tx) InsertAllocation(ctx context.Context, a *pactum.Allocation, callID string) error {
	condJSON, err := json.Marshal(a.Conditions)
	if err != nil {
		return fmt.Errorf("encode conditions: %w", err)
	}
	if err := tx.execLater(ctx, `INSERT INTO allocations (`+allocationColumns+`, call_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		a.ID, a.ProposalID, a.OrganizationID, a.SystemID, a.Amount, a.Unit, a.StartsAt, a.EndsAt, a.State,
		string(condJSON), a.CreatedAt, a.UpdatedAt, a.Version, callID); err != nil {
		return fmt.Errorf("insert allocation: %w", mapError(err))
	}
	return nil
}

// UpdateAllocationState writes an allocation's state, refusing a lost
// update.
func (tx *Tx) UpdateAllocationState(ctx context.Context, a *pactum.Allocation, oldVersion int) error {
	res, err := tx.ExecContext(ctx, `UPDATE allocations SET state = $1, updated_at = $2, version = $3 WHERE id = $4 AND version = $5`,
		a.State, a.UpdatedAt, a.Version, a.ID, oldVersion)
	return checkOneRow(res, err, "allocation", a.ID)
}

// ListHostedAllocations returns the allocations among ids, with their
// sites, in chunks of keysPerLookup ids (one statement shape).
func (q *queries) ListHostedAllocations(ctx context.Context, ids []string) ([]pactum.HostedAllocation, error) {
	var out []pactum.HostedAllocation
	err := lookup(ctx, q.q, bulkStatements[q.dialect].lookupAllocations, nil, ids, func(rows *sql.Rows) error {
		a, site, err := scanAllocation(rows)
		if err != nil {
			return err
		}
		out = append(out, pactum.HostedAllocation{Allocation: a, Site: site})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find allocations: %w", err)
	}
	return out, nil
}

// ListConditionAcks returns the acknowledgements of an allocation's
// conditions.
func (q *queries) ListConditionAcks(ctx context.Context, allocationID string) ([]pactum.ConditionAck, error) {
	return listAll(ctx, q.q, "conditions of "+allocationID, `SELECT allocation_id, rule_id, statement, acknowledged_by, acknowledged_at
		FROM condition_acks WHERE allocation_id = $1`, []any{allocationID}, scanAck)
}

func scanAck(row scanner, _ ...any) (pactum.ConditionAck, error) {
	var k pactum.ConditionAck
	if err := row.Scan(&k.AllocationID, &k.RuleID, &k.Statement, &k.AcknowledgedBy, &k.AcknowledgedAt); err != nil {
		return k, err
	}
	k.AcknowledgedAt = k.AcknowledgedAt.UTC()
	return k, nil
}

// InsertConditionAck records an acknowledgement.
func (tx *Tx) InsertConditionAck(ctx context.Context, k pactum.ConditionAck) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO condition_acks (allocation_id, rule_id, statement, acknowledged_by, acknowledged_at)
		VALUES ($1, $2, $3, $4, $5)`, k.AllocationID, k.RuleID, k.Statement, k.AcknowledgedBy, k.AcknowledgedAt); err != nil {
		return fmt.Errorf("acknowledge condition: %w", mapError(err))
	}
	return nil
}

// ListSiteAllocations reads what a site's desired state is made of:
// allocations, their acknowledgements and their organizations' members,
// each in one query over the site.
func (q *queries) ListSiteAllocations(ctx context.Context, site string, systemID *string, expiredSince time.Time) ([]pactum.SiteAllocation, error) {
	return q.siteAllocations(ctx, site, systemID, expiredSince, 0, 0)
}

// siteAllocations is ListSiteAllocations, of one page of the allocations
// by ID when limit > 0.
func (q *queries) siteAllocations(ctx context.Context, site string, systemID *string, expiredSince time.Time, limit, offset int) ([]pactum.SiteAllocation, error) {
	var w where
	w.add("s.site = ?", site)
	w.add("(a.state <> '"+string(pactum.AllocationExpired)+"' OR a.updated_at >= ?)", expiredSince)
	if systemID != nil {
		w.add("a.system_id = ?", *systemID)
	}
	query := strings.Replace(allocationSelect, " FROM", ", o.legal_name, p.title, COALESCE(t.charge_seconds, 0) FROM", 1) +
		` JOIN organizations o ON o.id = a.organization_id JOIN proposals p ON p.id = a.proposal_id
		LEFT JOIN usage_totals t ON t.allocation_id = a.id` + w.String() + ` ORDER BY a.id`
	if limit > 0 {
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
	}
	out, err := listAll(ctx, q.q, "desired state of "+site, query, w.args, func(row scanner, _ ...any) (pactum.SiteAllocation, error) {
		var sa pactum.SiteAllocation
		a, _, err := scanAllocation(row, &sa.OrganizationName, &sa.Title, &sa.ChargeSeconds)
		sa.Allocation, sa.Acknowledged, sa.Members = a, []string{}, []string{}
		return sa, err
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*pactum.SiteAllocation, len(out))
	for i := range out {
		byID[out[i].Allocation.ID] = &out[i]
	}
	if err := eachRow(ctx, q.q, `SELECT k.allocation_id, k.rule_id FROM condition_acks k JOIN allocations a ON a.id = k.allocation_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1`, []any{site}, func(rows *sql.Rows) error {
		var id, rule string
		if err := rows.Scan(&id, &rule); err != nil {
			return err
		}
		if sa := byID[id]; sa != nil {
			sa.Acknowledged = append(sa.Acknowledged, rule)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("acknowledgements of %s: %w", site, err)
	}
	members := map[string][]string{}
	if err := eachRow(ctx, q.q, `SELECT DISTINCT u.organization_id, u.username FROM users u JOIN allocations a ON a.organization_id = u.organization_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1 AND u.username <> ''`,
		[]any{site}, func(rows *sql.Rows) error {
			var org, name string
			if err := rows.Scan(&org, &name); err != nil {
				return err
			}
			members[org] = append(members[org], name)
			return nil
		}); err != nil {
		return nil, fmt.Errorf("members at %s: %w", site, err)
	}
	held, err := q.siteHeldModels(ctx, site)
	if err != nil {
		return nil, err
	}
	breaches, err := q.siteBreaches(ctx, site)
	if err != nil {
		return nil, err
	}
	graces, err := q.siteGraces(ctx, site)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if g, ok := graces[out[i].Allocation.ID]; ok {
			out[i].GraceUntil = &g
		}
		if m := members[out[i].Allocation.OrganizationID]; m != nil {
			out[i].Members = m
		}
		out[i].HeldModels = held[out[i].Allocation.ID]
		out[i].Breach = breaches[out[i].Allocation.ID]
	}
	return out, nil
}

// eachRow runs a query and calls fn for every row.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
