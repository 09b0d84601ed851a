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

// GetRunSnapshot reads what an allocation run of the call is computed
// from: the call, the catalogue, the call's running totals, and its
// proposals in review with their panel verdicts, organizations' SME status
// and technical assessments.
func (q *queries) GetRunSnapshot(ctx context.Context, callID string) (*pactum.RunSnapshot, error) {
	call, err := q.GetCall(ctx, callID)
	if err != nil {
		return nil, err
	}
	systems, err := q.systemMap(ctx)
	if err != nil {
		return nil, err
	}
	snap := &pactum.RunSnapshot{Call: call, Systems: systems, Granted: map[string]float64{}, Candidates: []pactum.RunCandidate{}}
	if err := eachRow(ctx, q.q, `SELECT system_id, SUM(granted) FROM call_grant_shards WHERE call_id = $1 GROUP BY system_id`, []any{callID}, func(rows *sql.Rows) error {
		var id string
		var g float64
		if err := rows.Scan(&id, &g); err != nil {
			return err
		}
		snap.Granted[id] = g
		return nil
	}); err != nil {
		return nil, fmt.Errorf("granted capacity: %w", err)
	}
	snap.Candidates, err = listAll(ctx, q.q, "reviewed proposals", `SELECT `+proposalColumnsP+`, t.panel FROM proposals p
		JOIN review_tracks t ON t.proposal_id = p.id WHERE p.call_id = $1 AND p.state = 'in_review' ORDER BY p.id`, []any{callID},
		func(row scanner, _ ...any) (pactum.RunCandidate, error) {
			var panel sql.NullString
			p, err := scanProposal(row, &panel)
			if err != nil {
				return pactum.RunCandidate{}, err
			}
			pr, err := scanPanel(p.ID, panel)
			return pactum.RunCandidate{Proposal: p, Panel: pr}, err
		})
	if err != nil {
		return nil, err
	}
	// The technical assessments of every proposal in review, in one
	// query rather than one per proposal.
	technical := map[string][]*pactum.Review{}
	if err := eachRow(ctx, q.q, `SELECT `+reviewColumns+` FROM reviews WHERE stage = 'technical'
		AND proposal_id IN (SELECT id FROM proposals WHERE call_id = $1 AND state = 'in_review') ORDER BY proposal_id, site`, []any{callID},
		func(rows *sql.Rows) error {
			r, err := scanReview(rows)
			if err == nil {
				technical[r.ProposalID] = append(technical[r.ProposalID], r)
			}
			return err
		}); err != nil {
		return nil, fmt.Errorf("technical assessments: %w", err)
	}
	sme := map[string]bool{}
	for i := range snap.Candidates {
		c := &snap.Candidates[i]
		if c.Panel == nil {
			continue // not yet ranked: the run leaves it out
		}
		org := c.Proposal.OrganizationID
		if _, ok := sme[org]; !ok {
			o, err := q.GetOrganization(ctx, org)
			if err != nil {
				return nil, err
			}
			sme[org] = o.IsSME()
		}
		c.SME = sme[org]
		c.Technical = technical[c.Proposal.ID]
		if c.Technical == nil {
			c.Technical = []*pactum.Review{}
		}
	}
	return snap, nil
}

// runRecord is a run as stored in allocation_runs.result.
type runRecord struct {
	Run   pactum.AllocationRun      `json:"run"`
	Input pactum.AllocationRunInput `json:"input"`
}

// InsertRun stores a run with its input and the solver's instance.
func (tx *Tx) InsertRun(ctx context.Context, run *pactum.AllocationRun, in pactum.AllocationRunInput, instance []byte) error {
	result, err := json.Marshal(runRecord{Run: *run, Input: in})
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	brief := *run
	brief.Outcomes, brief.Changes = nil, nil
	summary, err := json.Marshal(runRecord{Run: brief, Input: in})
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO allocation_runs (id, call_id, state, input_hash, instance, result, summary, created_by, created_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, run.ID, run.CallID, run.State, run.InputHash, string(instance), string(result), string(summary),
		run.CreatedBy, run.CreatedAt, run.Version); err != nil {
		return fmt.Errorf("insert allocation run: %w", mapError(err))
	}
	return nil
}

const runColumns = `id, call_id, state, input_hash, result, created_by, created_at, published_by, published_at, version`

func scanRun(row scanner, extra ...any) (*pactum.AllocationRun, *pactum.AllocationRunInput, error) {
	var rec runRecord
	r, err := scanRunInto(row, &rec.Run, &rec, extra...)
	if err != nil {
		return nil, nil, err
	}
	return r, &rec.Input, nil
}

// scanRunInto scans a row of runColumns, decoding the result column into
// rec, whose run is r.
func scanRunInto(row scanner, r *pactum.AllocationRun, rec any, extra ...any) (*pactum.AllocationRun, error) {
	var id, callID, hash, result, createdBy, publishedBy string
	var state pactum.AllocationRunState
	var created sql.NullTime
	var published sql.NullTime
	var version int
	if err := row.Scan(append([]any{&id, &callID, &state, &hash, &result, &createdBy, &created, &publishedBy, &published, &version}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(result), rec); err != nil {
		return nil, fmt.Errorf("allocation run %s: %w", id, err)
	}
	r.ID, r.CallID, r.State, r.InputHash, r.CreatedBy, r.PublishedBy, r.Version = id, callID, state, hash, createdBy, publishedBy, version
	r.CreatedAt = created.Time.UTC()
	r.PublishedAt = timePtr(published)
	return r, nil
}

// GetRun returns a run and its input, or ENOTFOUND. A run decoded before
// comes from the cache (runcache.go) with its state, publication and
// version read from the row.
func (q *queries) GetRun(ctx context.Context, id string) (*pactum.AllocationRun, *pactum.AllocationRunInput, error) {
	if r, in, ok := q.runs.get(id); ok {
		var state pactum.AllocationRunState
		var publishedBy string
		var published sql.NullTime
		err := q.q.QueryRowContext(ctx, `SELECT state, published_by, published_at, version FROM allocation_runs WHERE id = $1`, id).
			Scan(&state, &publishedBy, &published, &r.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation run %q not found.", id)
		} else if err != nil {
			return nil, nil, fmt.Errorf("find allocation run %s: %w", id, err)
		}
		r.State, r.PublishedBy, r.PublishedAt = state, publishedBy, timePtr(published)
		return r, in, nil
	}
	r, in, err := scanRun(q.q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM allocation_runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation run %q not found.", id)
	} else if err != nil {
		return nil, nil, fmt.Errorf("find allocation run %s: %w", id, err)
	}
	q.runs.put(r, in)
	return r, in, nil
}

// ListRuns lists runs newest first, without their per-proposal outcomes.
func (q *queries) ListRuns(ctx context.Context, f pactum.AllocationRunFilter) ([]*pactum.AllocationRun, int, error) {
	var w where
	if f.CallID != nil {
		w.add("call_id = ?", *f.CallID)
	}
	// The summary (the result without outcomes) where there is one.
	cols := strings.Replace(runColumns, "result", "COALESCE(summary, result)", 1)
	return listCounted(ctx, q.q, "find allocation runs", `SELECT `+cols+` FROM allocation_runs`, &w, "id DESC", f.Limit, f.Offset, func(row scanner, extra ...any) (*pactum.AllocationRun, error) {
		var rec runListRecord
		r, err := scanRunInto(row, &rec.Run.AllocationRun, &rec, extra...)
		if err == nil {
			r.Outcomes = nil
		}
		return r, err
	})
}

// runListRecord is runRecord for lists: the outcomes, most of a run's
// size, are skipped rather than decoded (runs stored before the summary
// column have them).
type runListRecord struct {
	Run struct {
		pactum.AllocationRun
		Outcomes json.RawMessage `json:"outcomes"`
		Changes  json.RawMessage `json:"changes"`
	} `json:"run"`
}

// GetRunInstance returns the solver's input of a run as stored.
func (q *queries) GetRunInstance(ctx context.Context, id string) ([]byte, error) {
	var instance string
	err := q.q.QueryRowContext(ctx, `SELECT instance FROM allocation_runs WHERE id = $1`, id).Scan(&instance)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation run %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find allocation run %s: %w", id, err)
	}
	return []byte(instance), nil
}

// UpdateRunPublished writes a run's publication, refusing a lost update.
func (tx *Tx) UpdateRunPublished(ctx context.Context, r *pactum.AllocationRun, oldVersion int) error {
	res, err := tx.ExecContext(ctx, `UPDATE allocation_runs SET state = $1, published_by = $2, published_at = $3, version = $4 WHERE id = $5 AND version = $6`,
		r.State, r.PublishedBy, nullTime(r.PublishedAt), r.Version, r.ID, oldVersion)
	return checkOneRow(res, err, "allocation run", r.ID)
}
