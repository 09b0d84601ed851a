// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// AwardService implements pactum.AwardService and pactum.SiteService: an
// award's conditions and admission, and the desired state its site's agent
// provisions.
type AwardService struct{ db *DB }

var (
	_ pactum.AwardService = (*AwardService)(nil)
	_ pactum.SiteService  = (*AwardService)(nil)
)

// NewAwardService returns the award and site service.
func NewAwardService(db *DB) *AwardService { return &AwardService{db: db} }

// conditionStatuses pairs an allocation's conditions with their
// acknowledgements.
func conditionStatuses(ctx context.Context, q querier, a *pactum.Allocation) ([]pactum.ConditionStatus, error) {
	out := make([]pactum.ConditionStatus, len(a.Conditions))
	for i, f := range a.Conditions {
		out[i].Finding = f
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT rule_id, statement, acknowledged_by, acknowledged_at FROM condition_acks WHERE allocation_id = $1`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("conditions of %s: %w", a.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rule, statement, by string
		var at time.Time
		if err := rows.Scan(&rule, &statement, &by, &at); err != nil {
			return nil, fmt.Errorf("scan acknowledgement: %w", err)
		}
		for i := range out {
			if out[i].RuleID == rule {
				at := at.UTC()
				out[i].Met, out[i].Statement, out[i].AcknowledgedBy, out[i].AcknowledgedAt = true, statement, by, &at
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conditions of %s: %w", a.ID, err)
	}
	return out, nil
}

// FindConditions returns an allocation's conditions and whether each is met.
func (s *AwardService) FindConditions(ctx context.Context, allocationID string) ([]pactum.ConditionStatus, error) {
	a, _, err := visibleAllocation(ctx, s.db.r, allocationID)
	if err != nil {
		return nil, err
	}
	return conditionStatuses(ctx, s.db.r, a)
}

// AcknowledgeCondition meets a condition with the caller's statement.
func (s *AwardService) AcknowledgeCondition(ctx context.Context, allocationID, ruleID, statement string) (*pactum.ConditionStatus, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidateStatement(statement); err != nil {
		return nil, err
	}
	var out *pactum.ConditionStatus
	err = s.db.write(ctx, func(tx *Tx) error {
		a, site, err := findAllocationByID(ctx, tx, allocationID)
		if err != nil {
			return err
		}
		if !pactum.CanSeeAllocation(u, a, site) {
			return pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", allocationID)
		}
		if u.Role != pactum.RoleApplicant || u.OrganizationID != a.OrganizationID {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only applicants of the allocation's organization acknowledge its conditions.")
		}
		conds, err := conditionStatuses(ctx, tx, a)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(conds, func(c pactum.ConditionStatus) bool { return c.RuleID == ruleID })
		if i < 0 {
			return pactum.Errorf(pactum.ENOTFOUND, "Allocation %s has no condition %q.", a.ID, ruleID)
		}
		c := conds[i]
		if c.Met {
			out = &c // a retried request changes nothing
			return nil
		}
		if a.State == pactum.AllocationExpired {
			return pactum.Errorf(pactum.ECONFLICT, "Allocation %s has expired; its conditions can no longer be acknowledged.", a.ID)
		}
		statement = strings.TrimSpace(statement)
		if _, err := tx.ExecContext(ctx, `INSERT INTO condition_acks (allocation_id, rule_id, statement, acknowledged_by, acknowledged_at)
			VALUES ($1, $2, $3, $4, $5)`, a.ID, ruleID, statement, u.ID, tx.now); err != nil {
			return fmt.Errorf("acknowledge condition: %w", mapError(err))
		}
		at := tx.now
		c.Met, c.Statement, c.AcknowledgedBy, c.AcknowledgedAt = true, statement, u.ID, &at
		out = &c
		return tx.record("allocation.acknowledge_condition", "allocation", a.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Admission says whether the caller may run jobs under an allocation now.
func (s *AwardService) Admission(ctx context.Context, allocationID string) (*pactum.Admission, error) {
	a, _, err := visibleAllocation(ctx, s.db.r, allocationID)
	if err != nil {
		return nil, err
	}
	conds, err := conditionStatuses(ctx, s.db.r, a)
	if err != nil {
		return nil, err
	}
	return pactum.Admit(a, conds, pactum.UserFromContext(ctx), s.db.stamp()), nil
}

// DesiredState returns what a site's scheduler must carry.
func (s *AwardService) DesiredState(ctx context.Context, site string, systemID *string) (*pactum.SiteState, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanReadAll(u) && !(u.Role == pactum.RoleSiteOperator && u.Site == site) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators, access managers and auditors read a site's desired state.")
	}
	now := s.db.stamp()
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Every allocation of the site, but expired ones only for the grace
	// period after they expired.
	var w where
	w.add("s.site = ?", site)
	w.add("(a.state <> '"+string(pactum.AllocationExpired)+"' OR a.updated_at >= ?)", now.Add(-pactum.RemovalGrace))
	if systemID != nil {
		w.add("a.system_id = ?", *systemID)
	}
	q := strings.Replace(allocationSelect, " FROM", ", o.legal_name, p.title FROM", 1) +
		` JOIN organizations o ON o.id = a.organization_id JOIN proposals p ON p.id = a.proposal_id` + w.String() + ` ORDER BY a.id`
	rows, err := tx.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("desired state of %s: %w", site, err)
	}
	type item struct {
		a            *pactum.Allocation
		org, title   string
		acknowledged map[string]bool
	}
	var items []*item
	byID := map[string]*item{}
	orgs := map[string][]string{}
	for rows.Next() {
		it := &item{acknowledged: map[string]bool{}}
		a, _, err := scanAllocation(rows, &it.org, &it.title)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan allocation: %w", err)
		}
		it.a = a
		items = append(items, it)
		byID[a.ID] = it
		orgs[a.OrganizationID] = nil
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("desired state of %s: %w", site, err)
	}
	rows.Close()
	// Acknowledgements and members, each in one query over the site.
	if err := eachRow(ctx, tx, `SELECT k.allocation_id, k.rule_id FROM condition_acks k JOIN allocations a ON a.id = k.allocation_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1`, []any{site}, func(rows *sql.Rows) error {
		var id, rule string
		if err := rows.Scan(&id, &rule); err != nil {
			return err
		}
		if it := byID[id]; it != nil {
			it.acknowledged[rule] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("acknowledgements of %s: %w", site, err)
	}
	if err := eachRow(ctx, tx, `SELECT DISTINCT u.organization_id, u.username FROM users u JOIN allocations a ON a.organization_id = u.organization_id
		JOIN systems s ON s.id = a.system_id WHERE s.site = $1 AND u.role = $2 AND u.username <> ''`,
		[]any{site, string(pactum.RoleApplicant)}, func(rows *sql.Rows) error {
			var org, name string
			if err := rows.Scan(&org, &name); err != nil {
				return err
			}
			orgs[org] = append(orgs[org], name)
			return nil
		}); err != nil {
		return nil, fmt.Errorf("members at %s: %w", site, err)
	}
	st := &pactum.SiteState{Site: site, Root: pactum.SchedulerRoot, GeneratedAt: now, Allocations: make([]pactum.DesiredAllocation, 0, len(items))}
	for _, it := range items {
		conds := make([]pactum.ConditionStatus, len(it.a.Conditions))
		for i, f := range it.a.Conditions {
			conds[i] = pactum.ConditionStatus{Finding: f, Met: it.acknowledged[f.RuleID]}
		}
		st.Allocations = append(st.Allocations, pactum.Desire(it.a, it.org, it.title, conds, orgs[it.a.OrganizationID], now))
	}
	return st, nil
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

// ReportDrift records drift an agent found and restored.
func (s *AwardService) ReportDrift(ctx context.Context, site string, r pactum.DriftReport) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if u.Role != pactum.RoleSiteOperator || u.Site != site {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators report drift on its clusters.")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error { return tx.record("site.drift", "site", site, nil, r) })
}
