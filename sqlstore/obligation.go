// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

const obligationColumns = `o.id, o.allocation_id, o.organization_id, o.kind, o.title, o.detail, o.due_at, o.breach_after_days, o.state,
	o.report, o.outcome_id, o.submitted_by, o.submitted_at, o.reviewed_by, o.reviewed_at, o.return_reason, o.overdue_at,
	o.created_at, o.version`

// obligationSelect joins the allocation's site, which visibility needs.
const obligationSelect = `SELECT ` + obligationColumns + `, s.site FROM obligations o JOIN allocations a ON a.id = o.allocation_id
	JOIN systems s ON s.id = a.system_id`

func scanObligation(row scanner, extra ...any) (*pactum.Obligation, string, error) {
	var o pactum.Obligation
	var site string
	var submitted, reviewed, overdue sql.NullTime
	dest := append([]any{&o.ID, &o.AllocationID, &o.OrganizationID, &o.Kind, &o.Title, &o.Detail, &o.DueAt, &o.BreachAfterDays,
		&o.State, &o.Report, &o.OutcomeID, &o.SubmittedBy, &submitted, &o.ReviewedBy, &reviewed, &o.ReturnReason, &overdue,
		&o.CreatedAt, &o.Version, &site}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, "", err
	}
	o.DueAt, o.CreatedAt = o.DueAt.UTC(), o.CreatedAt.UTC()
	o.SubmittedAt, o.ReviewedAt, o.OverdueAt = timePtr(submitted), timePtr(reviewed), timePtr(overdue)
	return &o, site, nil
}

// GetObligation returns an obligation and its allocation's site, or
// ENOTFOUND.
func (q *queries) GetObligation(ctx context.Context, id string) (*pactum.Obligation, string, error) {
	o, site, err := scanObligation(q.q.QueryRowContext(ctx, obligationSelect+` WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "Obligation %q not found.", id)
	} else if err != nil {
		return nil, "", fmt.Errorf("find obligation %s: %w", id, err)
	}
	return o, site, nil
}

// pendingStates is the SQL of Obligation.Pending.
const pendingStates = `o.state IN ('` + string(pactum.ObligationOpen) + `', '` + string(pactum.ObligationReturned) + `')`

// ListObligations lists obligations within s by due date, then ID.
func (q *queries) ListObligations(ctx context.Context, s pactum.Scope, f pactum.ObligationFilter) ([]*pactum.Obligation, int, error) {
	var w where
	if !w.scope(s, scopeConds{organization: "o.organization_id = ?", site: "s.site = ?"}) {
		return []*pactum.Obligation{}, 0, nil
	}
	if f.AllocationID != nil {
		w.add("o.allocation_id = ?", *f.AllocationID)
	}
	if f.OrganizationID != nil {
		w.add("o.organization_id = ?", *f.OrganizationID)
	}
	if f.State != nil {
		w.add("o.state = ?", string(*f.State))
	}
	if f.OverdueAt != nil {
		w.add(pendingStates+" AND o.due_at <= ?", f.OverdueAt.UTC())
	}
	return listCounted(ctx, q.q, "find obligations", `SELECT `+obligationColumns+`, s.site FROM obligations o
		JOIN allocations a ON a.id = o.allocation_id JOIN systems s ON s.id = a.system_id`, &w, "o.due_at, o.id", f.Limit, f.Offset, func(row scanner, extra ...any) (*pactum.Obligation, error) {
		o, _, err := scanObligation(row, extra...)
		return o, err
	})
}

// ListObligationsToSweep returns the IDs of pending obligations due at or
// before until, by due date, leaving out those whose last notice was sent
// (breach when their terms breach, overdue otherwise): however many stay
// overdue, they never crowd newer ones out of a sweep's batch.
func (q *queries) ListObligationsToSweep(ctx context.Context, until time.Time, limit int) ([]string, error) {
	return listAll(ctx, q.q, "obligations to sweep", `SELECT o.id FROM obligations o WHERE `+pendingStates+` AND o.due_at <= $1
		AND NOT EXISTS (SELECT 1 FROM obligation_notices n WHERE n.obligation_id = o.id
			AND n.notice = CASE WHEN o.breach_after_days > 0 THEN $2 ELSE $3 END)
		ORDER BY o.due_at, o.id LIMIT $4`, []any{until.UTC(), pactum.NoticeBreach, pactum.NoticeOverdue, limit}, func(row scanner, _ ...any) (string, error) {
		var id string
		return id, row.Scan(&id)
	})
}

// FirstOverdueObligation returns the organization's pending obligation
// due earliest before now, nil when none.
func (q *queries) FirstOverdueObligation(ctx context.Context, orgID string, now time.Time) (*pactum.Obligation, error) {
	o, _, err := scanObligation(q.q.QueryRowContext(ctx, obligationSelect+` WHERE o.organization_id = $1 AND `+pendingStates+`
		AND o.due_at <= $2 ORDER BY o.due_at, o.id LIMIT 1`, orgID, now.UTC()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("overdue obligations of %s: %w", orgID, err)
	}
	return o, nil
}

// InsertObligation adds an obligation.
func (tx *Tx) InsertObligation(ctx context.Context, o *pactum.Obligation) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO obligations (id, allocation_id, organization_id, kind, title, detail, due_at,
		breach_after_days, state, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		o.ID, o.AllocationID, o.OrganizationID, string(o.Kind), o.Title, o.Detail, o.DueAt, o.BreachAfterDays, string(o.State),
		o.CreatedAt, o.Version); err != nil {
		return fmt.Errorf("insert obligation: %w", mapError(err))
	}
	return nil
}

// UpdateObligation writes an obligation's state and submission, refusing a
// lost update.
func (tx *Tx) UpdateObligation(ctx context.Context, o *pactum.Obligation, oldVersion int) error {
	res, err := tx.ExecContext(ctx, `UPDATE obligations SET state = $1, report = $2, outcome_id = $3, submitted_by = $4,
		submitted_at = $5, reviewed_by = $6, reviewed_at = $7, return_reason = $8, overdue_at = $9, version = $10
		WHERE id = $11 AND version = $12`, string(o.State), o.Report, o.OutcomeID, o.SubmittedBy, nullTime(o.SubmittedAt), o.ReviewedBy,
		nullTime(o.ReviewedAt), o.ReturnReason, nullTime(o.OverdueAt), o.Version, o.ID, oldVersion)
	return checkOneRow(res, err, "obligation", o.ID)
}

// InsertObligationNotice records a notice unless it was recorded before.
// On PostgreSQL a concurrent insert of the same notice waits for the first
// to commit and then inserts nothing, so exactly one instance sends it.
func (tx *Tx) InsertObligationNotice(ctx context.Context, obligationID, notice string, at time.Time) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO obligation_notices (obligation_id, notice, sent_at) VALUES ($1, $2, $3)
		ON CONFLICT (obligation_id, notice) DO NOTHING RETURNING obligation_id`, obligationID, notice, at).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("notice %s of %s: %w", notice, obligationID, mapError(err))
	}
	return true, nil
}

const breachColumns = `allocation_id, reason, declared_by, declared_at, automatic, cleared_at, cleared_by, clear_reason`

func scanBreach(row scanner, _ ...any) (*pactum.Breach, error) {
	var b pactum.Breach
	var cleared sql.NullTime
	if err := row.Scan(&b.AllocationID, &b.Reason, &b.DeclaredBy, &b.DeclaredAt, &b.Automatic, &cleared, &b.ClearedBy, &b.ClearReason); err != nil {
		return nil, err
	}
	b.DeclaredAt, b.ClearedAt = b.DeclaredAt.UTC(), timePtr(cleared)
	return &b, nil
}

// GetBreach returns an allocation's current or last breach, nil if none.
func (q *queries) GetBreach(ctx context.Context, allocationID string) (*pactum.Breach, error) {
	b, err := scanBreach(q.q.QueryRowContext(ctx, `SELECT `+breachColumns+` FROM allocation_breaches WHERE allocation_id = $1`, allocationID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("breach of %s: %w", allocationID, err)
	}
	return b, nil
}

// siteBreaches returns the breaches in force at a site, by allocation.
func (q *queries) siteBreaches(ctx context.Context, site string) (map[string]*pactum.Breach, error) {
	bs, err := listAll(ctx, q.q, "breaches at "+site, `SELECT b.allocation_id, b.reason, b.declared_by, b.declared_at, b.automatic,
		b.cleared_at, b.cleared_by, b.clear_reason FROM allocation_breaches b JOIN allocations a ON a.id = b.allocation_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1 AND b.cleared_at IS NULL`, []any{site}, scanBreach)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*pactum.Breach, len(bs))
	for _, b := range bs {
		out[b.AllocationID] = b
	}
	return out, nil
}

// PutBreach records a breach unless one is in force: it inserts the first,
// or replaces a cleared one.
func (tx *Tx) PutBreach(ctx context.Context, b *pactum.Breach) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO allocation_breaches (`+breachColumns+`) VALUES ($1, $2, $3, $4, $5, NULL, '', '')
		ON CONFLICT (allocation_id) DO UPDATE SET reason = excluded.reason, declared_by = excluded.declared_by,
		declared_at = excluded.declared_at, automatic = excluded.automatic, cleared_at = NULL, cleared_by = '', clear_reason = ''
		WHERE allocation_breaches.cleared_at IS NOT NULL RETURNING allocation_id`,
		b.AllocationID, b.Reason, b.DeclaredBy, b.DeclaredAt, b.Automatic).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("breach of %s: %w", b.AllocationID, mapError(err))
	}
	return true, nil
}

// ClearBreach writes a breach's clearance; ECONFLICT when none is in force.
func (tx *Tx) ClearBreach(ctx context.Context, b *pactum.Breach) error {
	if b.ClearedAt == nil {
		return fmt.Errorf("clear breach of %s: no time", b.AllocationID)
	}
	res, err := tx.ExecContext(ctx, `UPDATE allocation_breaches SET cleared_at = $1, cleared_by = $2, clear_reason = $3
		WHERE allocation_id = $4 AND cleared_at IS NULL`, *b.ClearedAt, b.ClearedBy, b.ClearReason, b.AllocationID)
	if err != nil {
		return fmt.Errorf("clear breach of %s: %w", b.AllocationID, mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("clear breach of %s: %w", b.AllocationID, err)
	} else if n != 1 {
		return pactum.Errorf(pactum.ECONFLICT, "Allocation %s has no breach in force.", b.AllocationID)
	}
	return nil
}
