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

// incidentSelect joins the model's label and the allocation's site, which
// visibility needs.
const incidentSelect = `SELECT i.id, i.allocation_id, i.organization_id, i.call_id, COALESCE(i.model_id, ''),
	COALESCE(m.name, ''), COALESCE(m.version, ''), i.systemic_risk, i.kind, i.severity, i.harm, i.title, i.description,
	i.occurred_at, i.reported_at, i.reported_by, i.reporter_role, i.state, i.deadlines, i.due_at,
	i.triaged_at, i.triaged_by, i.triage_note, i.closed_at, i.closed_by, i.outcome, i.updated_at, i.version FROM incidents i JOIN allocations a ON a.id = i.allocation_id JOIN systems s ON s.id = a.system_id
	LEFT JOIN models m ON m.id = i.model_id`

// incidentScope are pactum.AllocationScope's conditions on incidents.
var incidentScope = scopeConds{organization: "i.organization_id = ?", site: "s.site = ?"}

func scanIncident(row scanner, extra ...any) (*pactum.Incident, error) {
	var i pactum.Incident
	var name, version, deadlines string
	var triaged, closed sql.NullTime
	dest := append([]any{&i.ID, &i.AllocationID, &i.OrganizationID, &i.CallID, &i.ModelID, &name, &version, &i.SystemicRisk,
		&i.Kind, &i.Severity, &i.Harm, &i.Title, &i.Description, &i.OccurredAt, &i.ReportedAt, &i.ReportedBy, &i.ReporterRole,
		&i.State, &deadlines, &i.DueAt, &triaged, &i.TriagedBy, &i.TriageNote, &closed, &i.ClosedBy, &i.Outcome,
		&i.UpdatedAt, &i.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(deadlines), &i.Deadlines); err != nil {
		return nil, fmt.Errorf("incident %s: deadlines: %w", i.ID, err)
	}
	if i.ModelID != "" {
		i.Model = name + "@" + version
	}
	i.OccurredAt, i.ReportedAt, i.DueAt, i.UpdatedAt = i.OccurredAt.UTC(), i.ReportedAt.UTC(), i.DueAt.UTC(), i.UpdatedAt.UTC()
	if triaged.Valid {
		t := triaged.Time.UTC()
		i.TriagedAt = &t
	}
	if closed.Valid {
		t := closed.Time.UTC()
		i.ClosedAt = &t
	}
	for k := range i.Deadlines {
		i.Deadlines[k].DueAt = i.Deadlines[k].DueAt.UTC()
	}
	return &i, nil
}

// GetIncident returns one incident, or ENOTFOUND.
func (q *queries) GetIncident(ctx context.Context, id string) (*pactum.Incident, error) {
	i, err := scanIncident(q.q.QueryRowContext(ctx, incidentSelect+` WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Incident %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find incident %s: %w", id, err)
	}
	return i, nil
}

// ListIncidents lists incidents within s, newest first, or, with
// f.OverdueAt, the overdue ones earliest due first.
func (q *queries) ListIncidents(ctx context.Context, s pactum.Scope, f pactum.IncidentFilter) ([]*pactum.Incident, int, error) {
	var w where
	if !w.scope(s, incidentScope) {
		return []*pactum.Incident{}, 0, nil
	}
	if f.AllocationID != nil {
		w.add("i.allocation_id = ?", *f.AllocationID)
	}
	if f.OrganizationID != nil {
		w.add("i.organization_id = ?", *f.OrganizationID)
	}
	if f.CallID != nil {
		w.add("i.call_id = ?", *f.CallID)
	}
	if f.State != nil {
		w.add("i.state = ?", string(*f.State))
	}
	order := "i.id DESC"
	if f.OverdueAt != nil {
		w.add("i.state <> ?", string(pactum.IncidentClosed))
		w.add("i.due_at < ?", *f.OverdueAt)
		order = "i.due_at, i.id"
	}
	return listCounted(ctx, q.q, "find incidents", incidentSelect, &w, order, f.Limit, f.Offset, scanIncident)
}

// CountOpenIncidents counts an allocation's incidents not closed.
func (q *queries) CountOpenIncidents(ctx context.Context, allocationID string) (int, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE allocation_id = $1 AND state <> $2`,
		allocationID, string(pactum.IncidentClosed)).Scan(&n); err != nil {
		return 0, fmt.Errorf("open incidents of %s: %w", allocationID, err)
	}
	return n, nil
}

// GetAllocationCall returns the call an allocation was awarded in.
func (q *queries) GetAllocationCall(ctx context.Context, allocationID string) (string, error) {
	var id string
	err := q.q.QueryRowContext(ctx, `SELECT call_id FROM allocations WHERE id = $1`, allocationID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", allocationID)
	} else if err != nil {
		return "", fmt.Errorf("call of allocation %s: %w", allocationID, err)
	}
	return id, nil
}

// InsertIncident adds an incident.
func (tx *Tx) InsertIncident(ctx context.Context, i *pactum.Incident) error {
	deadlines, err := json.Marshal(i.Deadlines)
	if err != nil {
		return fmt.Errorf("encode deadlines: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (id, allocation_id, organization_id, call_id, model_id, systemic_risk,
		kind, severity, harm, title, description, occurred_at, reported_at, reported_by, reporter_role, state, deadlines, due_at,
		updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		i.ID, i.AllocationID, i.OrganizationID, i.CallID, sql.NullString{String: i.ModelID, Valid: i.ModelID != ""}, i.SystemicRisk,
		string(i.Kind), string(i.Severity), string(i.Harm), i.Title, i.Description, i.OccurredAt, i.ReportedAt, i.ReportedBy,
		string(i.ReporterRole), string(i.State), string(deadlines), i.DueAt, i.UpdatedAt, i.Version); err != nil {
		return fmt.Errorf("insert incident: %w", mapError(err))
	}
	return nil
}

// UpdateIncident writes an incident's handling, refusing a lost update.
func (tx *Tx) UpdateIncident(ctx context.Context, i *pactum.Incident, oldVersion int) error {
	deadlines, err := json.Marshal(i.Deadlines)
	if err != nil {
		return fmt.Errorf("encode deadlines: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET severity = $1, state = $2, deadlines = $3, due_at = $4, triaged_at = $5,
		triaged_by = $6, triage_note = $7, closed_at = $8, closed_by = $9, outcome = $10, updated_at = $11, version = $12
		WHERE id = $13 AND version = $14`,
		string(i.Severity), string(i.State), string(deadlines), i.DueAt, nullTime(i.TriagedAt), i.TriagedBy, i.TriageNote,
		nullTime(i.ClosedAt), i.ClosedBy, i.Outcome, i.UpdatedAt, i.Version, i.ID, oldVersion)
	return checkOneRow(res, err, "incident", i.ID)
}
