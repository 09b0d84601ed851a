// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
)

// stateTable is how ScanStateRows reads the rows of one kind of subject.
type stateTable struct {
	table string
	query string
	scan  func(scanner) (id string, row any, err error)
}

func rowOf[T any](scan func(scanner, ...any) (T, error), id func(T) string) func(scanner) (string, any, error) {
	return func(s scanner) (string, any, error) {
		v, err := scan(s)
		if err != nil {
			return "", nil, err
		}
		return id(v), v, nil
	}
}

// stateTables are the tables whose rows the audit log snapshots, by the
// subject type of its events.
var stateTables = map[string]stateTable{
	"organization": {"organizations", `SELECT ` + orgColumns + ` FROM organizations ORDER BY id`,
		rowOf(scanOrg, func(o *pactum.Organization) string { return o.ID })},
	"user": {"users", `SELECT ` + userColumns + ` FROM users ORDER BY id`,
		rowOf(scanUser, func(u *pactum.User) string { return u.ID })},
	"system": {"systems", `SELECT ` + systemColumns + ` FROM systems ORDER BY id`,
		rowOf(scanSystem, func(s *pactum.System) string { return s.ID })},
	"call": {"calls", `SELECT ` + callColumns + ` FROM calls ORDER BY id`,
		rowOf(scanCall, func(c *pactum.Call) string { return c.ID })},
	"proposal": {"proposals", `SELECT ` + proposalColumns + ` FROM proposals ORDER BY id`,
		rowOf(scanProposal, func(p *pactum.Proposal) string { return p.ID })},
	"allocation": {"allocations", allocationSelect + ` ORDER BY a.id`, func(s scanner) (string, any, error) {
		a, _, err := scanAllocation(s)
		if err != nil {
			return "", nil, err
		}
		return a.ID, a, nil
	}},
	"review": {"reviews", `SELECT ` + reviewColumns + ` FROM reviews ORDER BY id`,
		rowOf(scanReview, func(r *pactum.Review) string { return r.ID })},
	"assignment": {"review_assignments", `SELECT ` + assignmentColumns + ` FROM review_assignments ORDER BY id`,
		rowOf(scanAssignment, func(a *pactum.Assignment) string { return a.ID })},
	"conflict": {"conflicts", `SELECT ` + conflictColumns + ` FROM conflicts ORDER BY id`,
		rowOf(scanConflict, func(c *pactum.Conflict) string { return c.ID })},
	"reviewer": {"reviewer_profiles", `SELECT ` + profileColumns + ` FROM users u JOIN reviewer_profiles p ON p.user_id = u.id ORDER BY u.id`,
		rowOf(scanProfile, func(r *pactum.ReviewerProfile) string { return r.UserID })},
	"incident": {"incidents", incidentSelect + ` ORDER BY i.id`,
		rowOf(scanIncident, func(i *pactum.Incident) string { return i.ID })},
	"obligation": {"obligations", obligationSelect + ` ORDER BY o.id`, func(s scanner) (string, any, error) {
		o, _, err := scanObligation(s)
		if err != nil {
			return "", nil, err
		}
		return o.ID, o, nil
	}},
}

// ScanStateRows streams every row of the table that holds subjects of
// subjectType, as the domain value the audit log snapshots, in id order,
// to fn until it returns false, and returns the table's name. EINVALID
// for a subject type without such a table.
func (q *queries) ScanStateRows(ctx context.Context, subjectType string, fn func(id string, row any) bool) (string, error) {
	st, ok := stateTables[subjectType]
	if !ok {
		return "", pactum.Errorf(pactum.EINVALID, "No table holds subjects of type %q.", subjectType)
	}
	rows, err := q.q.QueryContext(ctx, st.query)
	if err != nil {
		return st.table, fmt.Errorf("read %s: %w", st.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		id, row, err := st.scan(rows)
		if err != nil {
			return st.table, fmt.Errorf("scan %s: %w", st.table, err)
		}
		if !fn(id, row) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return st.table, fmt.Errorf("read %s: %w", st.table, err)
	}
	return st.table, nil
}
