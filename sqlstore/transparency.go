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

// ScanProposalTimings streams the timing of submitted proposals by ID.
// The decision's time is read from its JSON: the only part of it needed.
func (q *queries) ScanProposalTimings(ctx context.Context, callID string, openOnly bool, fn func(*pactum.ProposalTiming) bool) error {
	query := `SELECT id, call_id, organization_id, mode, state, submitted_at, decision_due_at, decision FROM proposals
		WHERE submitted_at IS NOT NULL`
	var args []any
	if callID != "" {
		args = append(args, callID)
		query += ` AND call_id = $1`
	}
	if openOnly {
		query += fmt.Sprintf(` AND state IN ('%s', '%s', '%s') AND decision IS NULL`,
			pactum.ProposalSubmitted, pactum.ProposalScreening, pactum.ProposalInReview)
	}
	rows, err := q.q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("proposal timings: %w", err)
	}
	defer rows.Close()
	var t pactum.ProposalTiming
	var due sql.NullTime
	var decision sql.NullString
	var d struct {
		DecidedAt time.Time `json:"decided_at"`
	}
	for rows.Next() {
		if err := rows.Scan(&t.ProposalID, &t.CallID, &t.OrganizationID, &t.Mode, &t.State, &t.SubmittedAt, &due, &decision); err != nil {
			return fmt.Errorf("proposal timings: %w", err)
		}
		t.SubmittedAt, t.DecisionDueAt, t.DecidedAt = t.SubmittedAt.UTC(), t.SubmittedAt.UTC(), nil
		if due.Valid {
			t.DecisionDueAt = due.Time.UTC()
		}
		if decision.Valid {
			d.DecidedAt = time.Time{}
			if err := json.Unmarshal([]byte(decision.String), &d); err != nil {
				return fmt.Errorf("proposal %s: decision: %w", t.ProposalID, err)
			}
			at := d.DecidedAt.UTC()
			t.DecidedAt = &at
		}
		if !fn(&t) {
			return nil
		}
	}
	return rows.Err()
}

// ScanReportProposals streams the proposals submitted in [from, until)
// with what the report reads of them. Of the content only the work's
// declared parameters are decoded.
func (q *queries) ScanReportProposals(ctx context.Context, from, until time.Time, fn func(*pactum.Proposal) bool) error {
	rows, err := q.q.QueryContext(ctx, `SELECT id, organization_id, call_id, mode, state, content, screening, decision, submitted_at, created_at
		FROM proposals WHERE submitted_at >= $1 AND submitted_at < $2 ORDER BY id`, from, until)
	if err != nil {
		return fmt.Errorf("report proposals: %w", err)
	}
	defer rows.Close()
	var content struct {
		AIWork struct {
			ParameterCount float64 `json:"parameter_count"`
		} `json:"ai_work"`
	}
	var contentText []byte
	var screening, decision sql.NullString
	var submitted time.Time
	for rows.Next() {
		var p pactum.Proposal
		if err := rows.Scan(&p.ID, &p.OrganizationID, &p.CallID, &p.Mode, &p.State, &contentText, &screening, &decision,
			&submitted, &p.CreatedAt); err != nil {
			return fmt.Errorf("report proposals: %w", err)
		}
		content.AIWork.ParameterCount = 0
		if err := json.Unmarshal(contentText, &content); err != nil {
			return fmt.Errorf("proposal %s: content: %w", p.ID, err)
		}
		p.AIWork.ParameterCount = content.AIWork.ParameterCount
		submitted = submitted.UTC()
		p.SubmittedAt = &submitted
		if screening.Valid {
			p.Screening = new(pactum.ScreeningDecision)
			if err := json.Unmarshal([]byte(screening.String), p.Screening); err != nil {
				return fmt.Errorf("proposal %s: screening: %w", p.ID, err)
			}
		}
		if decision.Valid {
			p.Decision = new(pactum.ProposalDecision)
			if err := json.Unmarshal([]byte(decision.String), p.Decision); err != nil {
				return fmt.Errorf("proposal %s: decision: %w", p.ID, err)
			}
		}
		if !fn(&p) {
			return nil
		}
	}
	return rows.Err()
}

// ScanReportUsage streams the running totals of the allocations of the
// proposals submitted in [from, until), with each model's declared MFU.
func (q *queries) ScanReportUsage(ctx context.Context, from, until time.Time, fn func(string, float64, *pactum.ModelUsageRow) bool) error {
	rows, err := q.q.QueryContext(ctx, `SELECT p.id, COALESCE(m.declared_mfu, 0), `+modelUsageColumns+`
		FROM proposals p JOIN allocations a ON a.proposal_id = p.id JOIN model_usage u ON u.allocation_id = a.id
		LEFT JOIN models m ON m.num = u.model_num
		WHERE p.submitted_at >= $1 AND p.submitted_at < $2 ORDER BY p.id, u.allocation_id, u.model_num, u.phase`, from, until)
	if err != nil {
		return fmt.Errorf("report usage: %w", err)
	}
	defer rows.Close()
	var id string
	var mfu float64
	var r pactum.ModelUsageRow
	var phase int
	for rows.Next() {
		if err := rows.Scan(&id, &mfu, &r.ModelNum, &r.AllocationID, &phase, &r.OrganizationID, &r.Jobs, &r.GPUSeconds,
			&r.UtilGPUSeconds, &r.UtilWeighted, &r.EnergyGPUSeconds, &r.EnergyMeasuredJ, &r.EnergyImplausible, &r.SystemID); err != nil {
			return fmt.Errorf("report usage: %w", err)
		}
		r.Phase = pactum.PhaseOfCode(phase)
		if !fn(id, mfu, &r) {
			return nil
		}
	}
	return rows.Err()
}

const reportColumns = `body, published_at, published_by`

func scanReport(row scanner, _ ...any) (*pactum.TransparencyReport, error) {
	var body string
	var published sql.NullTime
	var by string
	if err := row.Scan(&body, &published, &by); err != nil {
		return nil, err
	}
	r := new(pactum.TransparencyReport)
	if err := json.Unmarshal([]byte(body), r); err != nil {
		return nil, fmt.Errorf("transparency report: %w", err)
	}
	r.PublishedAt, r.PublishedBy = timePtr(published), by
	if r.PublishedAt != nil {
		t := r.PublishedAt.UTC()
		r.PublishedAt = &t
	}
	return r, nil
}

// GetTransparencyReport returns a stored report or ENOTFOUND.
func (q *queries) GetTransparencyReport(ctx context.Context, id string) (*pactum.TransparencyReport, error) {
	r, err := scanReport(q.q.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM transparency_reports WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Transparency report %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("transparency report %s: %w", id, err)
	}
	return r, nil
}

// ListTransparencyReports lists stored reports, newest first.
func (q *queries) ListTransparencyReports(ctx context.Context, publishedOnly bool) ([]*pactum.TransparencyReport, error) {
	query := `SELECT ` + reportColumns + ` FROM transparency_reports`
	if publishedOnly {
		query += ` WHERE published_at IS NOT NULL`
	}
	out, err := listAll(ctx, q.q, "transparency reports", query+` ORDER BY created_at DESC, id DESC`, nil, scanReport)
	if out == nil {
		out = []*pactum.TransparencyReport{}
	}
	return out, err
}

// InsertTransparencyReport stores a report as generated; the body is the
// report without its publication, which has columns of its own.
func (tx *Tx) InsertTransparencyReport(ctx context.Context, r *pactum.TransparencyReport) error {
	c := *r
	c.PublishedAt, c.PublishedBy = nil, ""
	body, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("encode transparency report: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO transparency_reports (id, period_from, period_until, k, audit_seq, audit_head, body,
		created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.Period.From.String(), r.Period.Until.String(), r.K,
		r.AuditSeq, r.AuditHead, string(body), r.CreatedAt, r.CreatedBy)
	if err != nil {
		return fmt.Errorf("insert transparency report: %w", err)
	}
	return nil
}

// PublishTransparencyReport sets a report's publication once.
func (tx *Tx) PublishTransparencyReport(ctx context.Context, id string, at time.Time, by string) error {
	res, err := tx.ExecContext(ctx, `UPDATE transparency_reports SET published_at = $1, published_by = $2
		WHERE id = $3 AND published_at IS NULL`, at, by, id)
	if err != nil {
		return fmt.Errorf("publish transparency report %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	if _, err := tx.GetTransparencyReport(ctx, id); err != nil {
		return err
	}
	return pactum.Errorf(pactum.ECONFLICT, "Transparency report %q is published already: a published report never changes.", id)
}
