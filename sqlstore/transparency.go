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

const factsColumns = `proposal_id, call_id, organization_id, mode, state, submitted_at, decision_due_at, decided_at, accepted,
	grants, risk_class, parameter_count, estimate_flop`

// micros and fromMicros convert the facts' times, microseconds since
// 1970 UTC (the precision both databases keep).
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicrosPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// scanFacts reads a row of factsColumns into f, reusing its grants.
func scanFacts(row scanner, f *pactum.ProposalFacts) error {
	var due, decided sql.NullInt64
	var submitted int64
	var grants string
	if err := row.Scan(&f.ProposalID, &f.CallID, &f.OrganizationID, &f.Mode, &f.State, &submitted, &due, &decided, &f.Accepted,
		&grants, &f.RiskClass, &f.ParameterCount, &f.EstimateFLOP); err != nil {
		return err
	}
	f.SubmittedAt, f.DecisionDueAt, f.DecidedAt = fromMicros(submitted), fromMicrosPtr(due), fromMicrosPtr(decided)
	f.Grants = f.Grants[:0]
	if grants != "[]" {
		if err := json.Unmarshal([]byte(grants), &f.Grants); err != nil {
			return fmt.Errorf("proposal %s: grants: %w", f.ProposalID, err)
		}
	}
	return nil
}

// putFacts writes p's facts if it was submitted: every write of a
// proposal row calls it, in the same transaction.
func (tx *Tx) putFacts(ctx context.Context, p *pactum.Proposal) error {
	f, ok := pactum.FactsOf(p)
	if !ok {
		return nil
	}
	return tx.PutProposalFacts(ctx, &f)
}

// PutProposalFacts writes a proposal's facts, replacing any.
func (tx *Tx) PutProposalFacts(ctx context.Context, f *pactum.ProposalFacts) error {
	grants, err := json.Marshal(f.Grants)
	if err != nil {
		return fmt.Errorf("encode grants: %w", err)
	}
	if f.Grants == nil {
		grants = []byte("[]")
	}
	err = tx.execLater(ctx, `INSERT INTO proposal_facts (`+factsColumns+`, derived)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (proposal_id) DO UPDATE SET call_id = excluded.call_id, organization_id = excluded.organization_id,
		mode = excluded.mode, state = excluded.state, submitted_at = excluded.submitted_at, decision_due_at = excluded.decision_due_at,
		decided_at = excluded.decided_at, accepted = excluded.accepted, grants = excluded.grants, risk_class = excluded.risk_class,
		parameter_count = excluded.parameter_count, estimate_flop = excluded.estimate_flop, derived = excluded.derived`,
		f.ProposalID, f.CallID, f.OrganizationID, f.Mode, f.State, micros(f.SubmittedAt), microsPtr(f.DecisionDueAt), microsPtr(f.DecidedAt),
		f.Accepted, string(grants), f.RiskClass, f.ParameterCount, f.EstimateFLOP, true)
	if err != nil {
		return fmt.Errorf("proposal facts %s: %w", f.ProposalID, mapError(err))
	}
	return nil
}

// ListUnfilledProposalFacts returns IDs of facts not derived yet.
func (q *queries) ListUnfilledProposalFacts(ctx context.Context, limit int) ([]string, error) {
	out := []string{}
	err := eachRow(ctx, q.q, `SELECT proposal_id FROM proposal_facts WHERE derived = $1 LIMIT $2`,
		[]any{false, limit}, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("unfilled proposal facts: %w", err)
	}
	return out, nil
}

// ScanProposalTimings streams the timing of submitted proposals by ID,
// from their facts.
func (q *queries) ScanProposalTimings(ctx context.Context, callID string, openOnly bool, fn func(*pactum.ProposalTiming) bool) error {
	query := `SELECT ` + factsColumns + ` FROM proposal_facts WHERE 1 = 1`
	var args []any
	if callID != "" {
		args = append(args, callID)
		query += ` AND call_id = $1`
	}
	if openOnly {
		query += fmt.Sprintf(` AND state IN ('%s', '%s', '%s') AND decided_at IS NULL`,
			pactum.ProposalSubmitted, pactum.ProposalScreening, pactum.ProposalInReview)
	}
	rows, err := q.q.QueryContext(ctx, query+` ORDER BY proposal_id`, args...)
	if err != nil {
		return fmt.Errorf("proposal timings: %w", err)
	}
	defer rows.Close()
	var f pactum.ProposalFacts
	for rows.Next() {
		if err := scanFacts(rows, &f); err != nil {
			return fmt.Errorf("proposal timings: %w", err)
		}
		t := f.Timing()
		if !fn(&t) {
			return nil
		}
	}
	return rows.Err()
}

// ScanReportFacts streams the facts of the proposals submitted in
// [from, until), by ID: those the report reads (not the timing's dates,
// whose parsing was a fifth of its time).
func (q *queries) ScanReportFacts(ctx context.Context, from, until time.Time, fn func(*pactum.ProposalFacts) bool) error {
	rows, err := q.q.QueryContext(ctx, `SELECT proposal_id, organization_id, mode, state, submitted_at, accepted, grants, risk_class,
		parameter_count, estimate_flop FROM proposal_facts WHERE submitted_at >= $1 AND submitted_at < $2 ORDER BY proposal_id`,
		micros(from), micros(until))
	if err != nil {
		return fmt.Errorf("report proposals: %w", err)
	}
	defer rows.Close()
	var f pactum.ProposalFacts
	var grants string
	var submitted int64
	// Grants repeat (a mode's typical request): each distinct list is
	// decoded once. fn must not keep f, so the lists may be shared.
	decoded := map[string][]pactum.Grant{}
	for rows.Next() {
		if err := rows.Scan(&f.ProposalID, &f.OrganizationID, &f.Mode, &f.State, &submitted, &f.Accepted, &grants, &f.RiskClass,
			&f.ParameterCount, &f.EstimateFLOP); err != nil {
			return fmt.Errorf("report proposals: %w", err)
		}
		f.SubmittedAt = fromMicros(submitted)
		g, ok := decoded[grants]
		if !ok {
			if err := json.Unmarshal([]byte(grants), &g); err != nil {
				return fmt.Errorf("proposal %s: grants: %w", f.ProposalID, err)
			}
			if len(decoded) < 10_000 {
				decoded[grants] = g
			}
		}
		f.Grants = g
		if !fn(&f) {
			return nil
		}
	}
	return rows.Err()
}

// ScanReportUsage streams the running totals of the allocations of the
// proposals in cohort (every allocation's for nil), with each model's
// declared MFU. It joins in
// memory, from scans in key order (the allocations' covering index
// allocations_report, the models, model_usage), rather than seeking an
// allocation and a model for each of the totals: on SQLite that read the
// pages of a large file at random.
func (q *queries) ScanReportUsage(ctx context.Context, cohort map[string]bool, fn func(string, float64, *pactum.ModelUsageRow) bool) error {
	type alloc struct{ proposal, system string }
	allocs := map[string]alloc{}
	err := eachRow(ctx, q.q, `SELECT id, proposal_id, system_id FROM allocations`, nil, func(rows *sql.Rows) error {
		var id string
		var a alloc
		if err := rows.Scan(&id, &a.proposal, &a.system); err != nil {
			return err
		}
		if cohort == nil || cohort[a.proposal] {
			allocs[id] = a
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report allocations: %w", err)
	}
	mfus := map[int64]float64{}
	err = eachRow(ctx, q.q, `SELECT num, declared_mfu FROM models`, nil, func(rows *sql.Rows) error {
		var num int64
		var mfu float64
		if err := rows.Scan(&num, &mfu); err != nil {
			return err
		}
		mfus[num] = mfu
		return nil
	})
	if err != nil {
		return fmt.Errorf("report models: %w", err)
	}
	// Only the columns the figures need: each costs a conversion per row.
	rows, err := q.q.QueryContext(ctx, `SELECT model_num, allocation_id, phase, gpu_seconds, util_gpu_seconds,
		util_weighted, energy_gpu_seconds, energy_measured_j FROM model_usage`)
	if err != nil {
		return fmt.Errorf("report usage: %w", err)
	}
	defer rows.Close()
	var r pactum.ModelUsageRow
	var phase int
	for rows.Next() {
		if err := rows.Scan(&r.ModelNum, &r.AllocationID, &phase, &r.GPUSeconds,
			&r.UtilGPUSeconds, &r.UtilWeighted, &r.EnergyGPUSeconds, &r.EnergyMeasuredJ); err != nil {
			return fmt.Errorf("report usage: %w", err)
		}
		a, ok := allocs[r.AllocationID]
		if !ok {
			continue
		}
		r.Phase, r.SystemID = pactum.PhaseOfCode(phase), a.system
		if !fn(a.proposal, mfus[r.ModelNum], &r) {
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
