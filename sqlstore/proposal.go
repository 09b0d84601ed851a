// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pactum/pactum"
)

const proposalColumns = `id, call_id, organization_id, applicant_id, mode, title, state, content, screening, decision, decision_override, submitted_at, decision_due_at, created_at, updated_at, version`

// proposalColumnsP is proposalColumns qualified with the alias p.
var proposalColumnsP = "p." + strings.ReplaceAll(proposalColumns, ", ", ", p.")

func scanProposal(row scanner, extra ...any) (*pactum.Proposal, error) {
	var p pactum.Proposal
	var content string
	var screening, decision, override sql.NullString
	var submitted, due sql.NullTime
	dest := append([]any{&p.ID, &p.CallID, &p.OrganizationID, &p.ApplicantID, &p.Mode, &p.Title, &p.State, &content,
		&screening, &decision, &override, &submitted, &due, &p.CreatedAt, &p.UpdatedAt, &p.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	// The content is one JSON document: read and written whole, it lets
	// the form grow without a migration for every field.
	if err := json.Unmarshal([]byte(content), &p.ProposalContent); err != nil {
		return nil, fmt.Errorf("proposal %s: content: %w", p.ID, err)
	}
	if screening.Valid {
		p.Screening = new(pactum.ScreeningDecision)
		if err := json.Unmarshal([]byte(screening.String), p.Screening); err != nil {
			return nil, fmt.Errorf("proposal %s: screening: %w", p.ID, err)
		}
	}
	if decision.Valid {
		p.Decision = new(pactum.ProposalDecision)
		if err := json.Unmarshal([]byte(decision.String), p.Decision); err != nil {
			return nil, fmt.Errorf("proposal %s: decision: %w", p.ID, err)
		}
	}
	if override.Valid {
		p.Override = new(pactum.DecisionOverride)
		if err := json.Unmarshal([]byte(override.String), p.Override); err != nil {
			return nil, fmt.Errorf("proposal %s: override: %w", p.ID, err)
		}
	}
	p.SubmittedAt, p.DecisionDueAt = timePtr(submitted), timePtr(due)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// GetProposal returns a proposal or ENOTFOUND.
func (q *queries) GetProposal(ctx context.Context, id string) (*pactum.Proposal, error) {
	p, err := scanProposal(q.q.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find proposal %s: %w", id, err)
	}
	return p, nil
}

// ListProposalsByID returns the proposals among ids, in chunks of
// keysPerLookup ids (one statement shape).
func (q *queries) ListProposalsByID(ctx context.Context, ids []string) ([]*pactum.Proposal, error) {
	var out []*pactum.Proposal
	err := lookup(ctx, q.q, bulkStatements[q.dialect].lookupProposals, nil, ids, func(rows *sql.Rows) error {
		p, err := scanProposal(rows)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find proposals: %w", err)
	}
	return out, nil
}

// GetProposalAccess looks up the assignment, conflict and site facts of
// pactum.ProposalAccess.
func (q *queries) GetProposalAccess(ctx context.Context, proposalID, reviewerID, site string) (pactum.ProposalAccess, error) {
	var a pactum.ProposalAccess
	if reviewerID != "" {
		if err := q.q.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM review_assignments WHERE proposal_id = $1 AND reviewer_id = $2 AND state <> 'recused'),
			EXISTS (SELECT 1 FROM conflicts WHERE proposal_id = $1 AND reviewer_id = $2 AND status = 'active')`,
			proposalID, reviewerID).Scan(&a.Assigned, &a.Conflicted); err != nil {
			return a, fmt.Errorf("reviewer access to proposal %s: %w", proposalID, err)
		}
	}
	if site != "" {
		if err := q.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM proposal_requests r JOIN systems s ON s.id = r.system_id
			WHERE r.proposal_id = $1 AND s.site = $2)`, proposalID, site).Scan(&a.HostsRequest); err != nil {
			return a, fmt.Errorf("site access to proposal %s: %w", proposalID, err)
		}
	}
	return a, nil
}

// proposalScope are the conditions of pactum.ProposalScope, as
// pactum.CanSeeProposalWith states them.
var proposalScope = scopeConds{
	organization: "organization_id = ?",
	reviewer: `state <> 'draft' AND id IN (SELECT proposal_id FROM review_assignments WHERE reviewer_id = ? AND state <> 'recused')
		AND id NOT IN (SELECT proposal_id FROM conflicts WHERE reviewer_id = ? AND status = 'active')`,
	site: `state = 'in_review' AND id IN (SELECT r.proposal_id FROM proposal_requests r JOIN systems s ON s.id = r.system_id
		WHERE s.site = ?)`,
}

// ListProposals lists proposals within s, newest first.
func (q *queries) ListProposals(ctx context.Context, s pactum.Scope, f pactum.ProposalFilter) ([]*pactum.Proposal, int, error) {
	var w where
	if !w.scope(s, proposalScope) {
		return []*pactum.Proposal{}, 0, nil
	}
	if f.CallID != nil {
		w.add("call_id = ?", *f.CallID)
	}
	if f.OrganizationID != nil {
		w.add("organization_id = ?", *f.OrganizationID)
	}
	if f.State != nil {
		w.add("state = ?", string(*f.State))
	}
	if f.Mode != nil {
		w.add("mode = ?", string(*f.Mode))
	}
	// The outcome and rule filters read the indexes of migration 00290,
	// narrowed to the call when there is one (their indexes lead with
	// it, or with the rule).
	call, callArgs := "", []any{}
	if f.CallID != nil {
		call, callArgs = " AND call_id = ?", []any{*f.CallID}
	}
	if f.ScreeningOutcome != nil {
		w.addEach("id IN (SELECT proposal_id FROM proposal_outcomes WHERE screening = ?"+call+")", append([]any{string(*f.ScreeningOutcome)}, callArgs...)...)
	}
	if f.DecisionOutcome != nil {
		w.addEach("id IN (SELECT proposal_id FROM proposal_outcomes WHERE decision = ?"+call+")", append([]any{string(*f.DecisionOutcome)}, callArgs...)...)
	}
	if f.RuleID != nil {
		w.addEach("id IN (SELECT proposal_id FROM proposal_rules WHERE rule_id = ?"+call+")", append([]any{*f.RuleID}, callArgs...)...)
	}
	return listCounted(ctx, q.q, "find proposals", `SELECT `+proposalColumns+` FROM proposals`, &w, "id DESC", f.Limit, f.Offset, scanProposal)
}

// ListSubmittedProposals returns every proposal that left draft, oldest
// first.
func (q *queries) ListSubmittedProposals(ctx context.Context) ([]*pactum.Proposal, error) {
	return listAll(ctx, q.q, "read proposals", `SELECT `+proposalColumns+` FROM proposals WHERE state <> $1 ORDER BY id`,
		[]any{string(pactum.ProposalDraft)}, scanProposal)
}

// InsertProposal writes a new proposal row, in whatever state it has
// reached, with its requests: creating and submitting in one step writes
// the row once.
func (tx *Tx) InsertProposal(ctx context.Context, p *pactum.Proposal) error {
	content, err := json.Marshal(p.ProposalContent)
	if err != nil {
		return fmt.Errorf("encode proposal: %w", err)
	}
	screening, decision, override, err := decisionsJSON(p)
	if err != nil {
		return err
	}
	if err := tx.execLater(ctx, `INSERT INTO proposals (`+proposalColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		p.ID, p.CallID, p.OrganizationID, p.ApplicantID, p.Mode, p.Title, p.State, string(content), screening, decision, override,
		nullTime(p.SubmittedAt), nullTime(p.DecisionDueAt), p.CreatedAt, p.UpdatedAt, p.Version); err != nil {
		return fmt.Errorf("insert proposal: %w", mapError(err))
	}
	if err := tx.putFacts(ctx, p); err != nil {
		return err
	}
	if err := tx.putOutcomes(ctx, p, true); err != nil {
		return err
	}
	return tx.insertRequests(ctx, p)
}

// putOutcomes writes p's screening and decision outcomes and the rules
// that fired on it (migration 00290): every write of a proposal's
// screening or decision calls it, in the same transaction. fresh: the
// proposal has no rows yet.
func (tx *Tx) putOutcomes(ctx context.Context, p *pactum.Proposal, fresh bool) error {
	screening := ""
	if p.Screening != nil {
		screening = string(p.Screening.Outcome)
	}
	if err := tx.execLater(ctx, `INSERT INTO proposal_outcomes (proposal_id, call_id, screening, decision) VALUES ($1, $2, $3, $4)
		ON CONFLICT (proposal_id) DO UPDATE SET call_id = excluded.call_id, screening = excluded.screening, decision = excluded.decision`,
		p.ID, p.CallID, screening, string(pactum.DecisionOutcomeOf(p))); err != nil {
		return fmt.Errorf("proposal outcomes %s: %w", p.ID, mapError(err))
	}
	if !fresh {
		if err := tx.execLater(ctx, `DELETE FROM proposal_rules WHERE proposal_id = $1`, p.ID); err != nil {
			return fmt.Errorf("proposal rules %s: %w", p.ID, mapError(err))
		}
	}
	if p.Screening == nil {
		return nil
	}
	var seen []string
	for _, f := range p.Screening.Findings {
		if f.RuleID != "" && !slices.Contains(seen, f.RuleID) {
			seen = append(seen, f.RuleID)
		}
	}
	// One statement for the rules, up to maxRuleRows a statement: a
	// screening fires a handful, and a statement per rule cost more than
	// its row (binding, executor start, on PostgreSQL a message each).
	for rest := seen; len(rest) > 0; {
		n := min(len(rest), maxRuleRows)
		args := make([]any, 0, 2+n)
		args = append(args, p.ID, p.CallID)
		for _, id := range rest[:n] {
			args = append(args, id)
		}
		if err := tx.execLater(ctx, ruleInserts[n-1], args...); err != nil {
			return fmt.Errorf("proposal rules %s: %w", p.ID, mapError(err))
		}
		rest = rest[n:]
	}
	return nil
}

// maxRuleRows bounds the fired rules one INSERT writes.
const maxRuleRows = 16

// ruleInserts[n-1] inserts n rules fired on proposal $1 of call $2, the
// rules' ids from $3 on.
var ruleInserts = multiRowInserts(`INSERT INTO proposal_rules (proposal_id, rule_id, call_id) VALUES `, maxRuleRows,
	func(i int) string { return fmt.Sprintf("($1, $%d, $2)", i+3) })

func (tx *Tx) insertRequests(ctx context.Context, p *pactum.Proposal) error {
	for _, r := range p.Requests {
		if err := tx.execLater(ctx, `INSERT INTO proposal_requests (proposal_id, system_id, amount, storage_tb, support) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, r.SystemID, r.Amount, r.StorageTB, r.Support); err != nil {
			return fmt.Errorf("insert request: %w", mapError(err))
		}
	}
	return nil
}

// decisionsJSON encodes the screening, decision and override columns
// (NULL when absent).
func decisionsJSON(p *pactum.Proposal) (screening, decision, override any, err error) {
	enc := func(v any, nilv bool, what string) (any, error) {
		if nilv {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", what, err)
		}
		return string(b), nil
	}
	if screening, err = enc(p.Screening, p.Screening == nil, "screening"); err != nil {
		return nil, nil, nil, err
	}
	if decision, err = enc(p.Decision, p.Decision == nil, "decision"); err != nil {
		return nil, nil, nil, err
	}
	if override, err = enc(p.Override, p.Override == nil, "override"); err != nil {
		return nil, nil, nil, err
	}
	return screening, decision, override, nil
}

// UpdateProposalContent replaces a draft's mode, title, content and
// requests; the version guard refuses the update if the draft changed
// since it was read.
func (tx *Tx) UpdateProposalContent(ctx context.Context, p *pactum.Proposal, oldVersion int) error {
	content, err := json.Marshal(p.ProposalContent)
	if err != nil {
		return fmt.Errorf("encode proposal: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET mode = $1, title = $2, content = $3, updated_at = $4, version = $5 WHERE id = $6 AND version = $7`,
		p.Mode, p.Title, string(content), p.UpdatedAt, p.Version, p.ID, oldVersion)
	if err := checkOneRow(res, err, "proposal", p.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM proposal_requests WHERE proposal_id = $1`, p.ID); err != nil {
		return fmt.Errorf("replace requests: %w", err)
	}
	return tx.insertRequests(ctx, p)
}

// UpdateProposalState writes a proposal's state, decisions and dates,
// refusing a lost update.
func (tx *Tx) UpdateProposalState(ctx context.Context, p *pactum.Proposal, oldVersion int) error {
	screening, decision, override, err := decisionsJSON(p)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET state = $1, screening = $2, decision = $3, submitted_at = $4, decision_due_at = $5,
		updated_at = $6, version = $7, decision_override = $10 WHERE id = $8 AND version = $9`,
		p.State, screening, decision, nullTime(p.SubmittedAt), nullTime(p.DecisionDueAt), p.UpdatedAt, p.Version, p.ID, oldVersion, override)
	if err := checkOneRow(res, err, "proposal", p.ID); err != nil {
		return err
	}
	if err := tx.putOutcomes(ctx, p, false); err != nil {
		return err
	}
	return tx.putFacts(ctx, p)
}

// checkOneRow turns an UPDATE that matched no row into a conflict: the row's
// version moved under us.
func checkOneRow(res sql.Result, err error, kind, id string) error {
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, err)
	}
	if n != 1 {
		return pactum.Errorf(pactum.ECONFLICT, "The %s %s was changed concurrently; reload and retry.", kind, id)
	}
	return nil
}
