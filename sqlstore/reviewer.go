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

// --- reviewer profiles ---

// profileSelect reads reviewers with their profiles; a reviewer who never
// wrote one has an empty profile at version 0.
const (
	profileColumns = `u.id, u.name, u.email, p.expertise, p.affiliations, p.declared_conflicts, p.updated_at, COALESCE(p.version, 0)`
	profileFrom    = ` FROM users u LEFT JOIN reviewer_profiles p ON p.user_id = u.id`
	profileSelect  = `SELECT ` + profileColumns + profileFrom
)

func scanProfile(row scanner, extra ...any) (*pactum.ReviewerProfile, error) {
	var r pactum.ReviewerProfile
	var exp, aff, dec sql.NullString
	var updated sql.NullTime
	if err := row.Scan(append([]any{&r.UserID, &r.Name, &r.Email, &exp, &aff, &dec, &updated, &r.Version}, extra...)...); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		col sql.NullString
		v   any
	}{{exp, &r.Expertise}, {aff, &r.Affiliations}, {dec, &r.DeclaredConflicts}} {
		if f.col.Valid {
			if err := json.Unmarshal([]byte(f.col.String), f.v); err != nil {
				return nil, fmt.Errorf("reviewer profile %s: %w", r.UserID, err)
			}
		}
	}
	if updated.Valid {
		r.UpdatedAt = updated.Time.UTC()
	}
	r.Normalize()
	return &r, nil
}

// GetReviewerProfile returns a reviewer's profile, or ENOTFOUND for a user
// who is not a reviewer.
func (q *queries) GetReviewerProfile(ctx context.Context, userID string) (*pactum.ReviewerProfile, error) {
	r, err := scanProfile(q.q.QueryRowContext(ctx, profileSelect+` WHERE u.id = $1 AND u.role = 'reviewer'`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Reviewer %q not found.", userID)
	} else if err != nil {
		return nil, fmt.Errorf("find reviewer %s: %w", userID, err)
	}
	return r, nil
}

// ListReviewerProfiles lists reviewers within s, by e-mail.
func (q *queries) ListReviewerProfiles(ctx context.Context, s pactum.Scope, f pactum.ReviewerFilter) ([]*pactum.ReviewerProfile, int, error) {
	var w where
	w.conds = append(w.conds, "u.role = 'reviewer'")
	if !w.scope(s, scopeConds{user: "u.id = ?"}) {
		return []*pactum.ReviewerProfile{}, 0, nil
	}
	if f.Expertise != nil {
		// The keywords are a JSON array of lower-case strings.
		k, _ := json.Marshal(strings.ToLower(strings.TrimSpace(*f.Expertise)))
		w.add("p.expertise LIKE ?", "%"+string(k)+"%")
	}
	if len(f.UserIDs) > 0 {
		ids := make([]any, len(f.UserIDs))
		for i, id := range f.UserIDs {
			ids[i] = id
		}
		w.addIn("u.id", ids...)
	}
	return listCounted(ctx, q.q, "find reviewers", profileSelect, &w, "u.email", f.Limit, f.Offset, scanProfile)
}

// SaveReviewerProfile writes a profile: inserted at version 0, else
// updated unless it moved on.
func (tx *Tx) SaveReviewerProfile(ctx context.Context, r *pactum.ReviewerProfile, oldVersion int) error {
	var cols [3]string
	for i, v := range []any{r.Expertise, r.Affiliations, r.DeclaredConflicts} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode reviewer profile: %w", err)
		}
		cols[i] = string(b)
	}
	if oldVersion == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reviewer_profiles (user_id, expertise, affiliations, declared_conflicts, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.UserID, cols[0], cols[1], cols[2], r.UpdatedAt, r.Version); err != nil {
			return fmt.Errorf("insert reviewer profile: %w", mapError(err))
		}
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE reviewer_profiles SET expertise = $1, affiliations = $2, declared_conflicts = $3, updated_at = $4, version = $5
		WHERE user_id = $6 AND version = $7`, cols[0], cols[1], cols[2], r.UpdatedAt, r.Version, r.UserID, oldVersion)
	return checkOneRow(res, err, "reviewer profile", r.UserID)
}

// ListReviewerCandidates returns every reviewer with their profile and
// their load in the call.
func (q *queries) ListReviewerCandidates(ctx context.Context, callID string) ([]pactum.Candidate, error) {
	profiles, err := listAll(ctx, q.q, "find reviewers", profileSelect+` WHERE u.role = 'reviewer' ORDER BY u.id`, nil, scanProfile)
	if err != nil {
		return nil, err
	}
	load := map[string]int{}
	if err := eachRow(ctx, q.q, `SELECT reviewer_id, COUNT(*) FROM review_assignments WHERE call_id = $1 AND state <> 'recused' GROUP BY reviewer_id`,
		[]any{callID}, func(rows *sql.Rows) error {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			load[id] = n
			return nil
		}); err != nil {
		return nil, fmt.Errorf("reviewer load: %w", err)
	}
	out := make([]pactum.Candidate, len(profiles))
	for i, r := range profiles {
		out[i] = pactum.Candidate{User: &pactum.User{ID: r.UserID, Name: r.Name, Email: r.Email, Role: pactum.RoleReviewer}, Profile: r, Load: load[r.UserID]}
	}
	return out, nil
}

// --- assignments ---

const assignmentColumns = `id, proposal_id, call_id, stage, reviewer_id, state, affinity, matched, assigned_by, assigned_at, updated_at, version`

func scanAssignment(row scanner, extra ...any) (*pactum.Assignment, error) {
	var a pactum.Assignment
	var matched string
	if err := row.Scan(append([]any{&a.ID, &a.ProposalID, &a.CallID, &a.Stage, &a.ReviewerID, &a.State, &a.Affinity, &matched,
		&a.AssignedBy, &a.AssignedAt, &a.UpdatedAt, &a.Version}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(matched), &a.Matched); err != nil {
		return nil, fmt.Errorf("assignment %s: matched: %w", a.ID, err)
	}
	a.AssignedAt, a.UpdatedAt = a.AssignedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// InsertAssignment stores an assignment.
func (tx *Tx) InsertAssignment(ctx context.Context, a *pactum.Assignment) error {
	matched, err := json.Marshal(a.Matched)
	if err != nil {
		return fmt.Errorf("encode matches: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO review_assignments (`+assignmentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, a.ID, a.ProposalID, a.CallID, a.Stage, a.ReviewerID,
		a.State, a.Affinity, string(matched), a.AssignedBy, a.AssignedAt, a.UpdatedAt, a.Version); err != nil {
		return fmt.Errorf("insert assignment: %w", mapError(err))
	}
	return nil
}

// GetAssignment returns an assignment, or ENOTFOUND.
func (q *queries) GetAssignment(ctx context.Context, id string) (*pactum.Assignment, error) {
	a, err := scanAssignment(q.q.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM review_assignments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Assignment %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find assignment: %w", err)
	}
	return a, nil
}

// ListAssignments lists assignments within s, oldest first.
func (q *queries) ListAssignments(ctx context.Context, s pactum.Scope, f pactum.AssignmentFilter) ([]*pactum.Assignment, int, error) {
	var w where
	if !w.scope(s, scopeConds{user: "reviewer_id = ?"}) {
		return []*pactum.Assignment{}, 0, nil
	}
	if f.ProposalID != nil {
		w.add("proposal_id = ?", *f.ProposalID)
	}
	if f.CallID != nil {
		w.add("call_id = ?", *f.CallID)
	}
	if f.ReviewerID != nil {
		w.add("reviewer_id = ?", *f.ReviewerID)
	}
	if f.Stage != nil {
		w.add("stage = ?", string(*f.Stage))
	}
	if f.State != nil {
		w.add("state = ?", string(*f.State))
	}
	return listCounted(ctx, q.q, "find assignments", `SELECT `+assignmentColumns+` FROM review_assignments`, &w, "id",
		f.Limit, f.Offset, scanAssignment)
}

// ListCallAssignments returns every assignment in a call.
func (q *queries) ListCallAssignments(ctx context.Context, callID string) ([]*pactum.Assignment, error) {
	return listAll(ctx, q.q, "find assignments", `SELECT `+assignmentColumns+` FROM review_assignments WHERE call_id = $1 ORDER BY id`,
		[]any{callID}, scanAssignment)
}

// ListOpenAssignments returns a reviewer's unrecused assignments, on one
// proposal when proposalID is not "".
func (q *queries) ListOpenAssignments(ctx context.Context, reviewerID, proposalID string) ([]*pactum.Assignment, error) {
	var w where
	w.add("reviewer_id = ?", reviewerID)
	w.conds = append(w.conds, "state <> 'recused'")
	if proposalID != "" {
		w.add("proposal_id = ?", proposalID)
	}
	return listAll(ctx, q.q, "find assignments", `SELECT `+assignmentColumns+` FROM review_assignments`+w.String()+` ORDER BY id`, w.args, scanAssignment)
}

// UpdateAssignmentState moves an assignment to state.
func (tx *Tx) UpdateAssignmentState(ctx context.Context, id string, state pactum.AssignmentState, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE review_assignments SET state = $1, updated_at = $2, version = version + 1 WHERE id = $3`, state, at, id)
	return checkOneRow(res, err, "assignment", id)
}

// --- conflicts ---

const conflictColumns = `id, proposal_id, reviewer_id, reason, severity, status, detail, detected_at, waived_by, waive_reason, waived_at, disclosed`

func scanConflict(row scanner, extra ...any) (*pactum.Conflict, error) {
	var c pactum.Conflict
	var waived sql.NullTime
	if err := row.Scan(append([]any{&c.ID, &c.ProposalID, &c.ReviewerID, &c.Reason, &c.Severity, &c.Status, &c.Detail, &c.DetectedAt,
		&c.WaivedBy, &c.WaiveReason, &waived, &c.Disclosed}, extra...)...); err != nil {
		return nil, err
	}
	c.DetectedAt = c.DetectedAt.UTC()
	c.WaivedAt = timePtr(waived)
	return &c, nil
}

// InsertConflict stores a conflict unless the same reason is on file for
// the pair, and reports whether it was new.
func (tx *Tx) InsertConflict(ctx context.Context, c *pactum.Conflict) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO conflicts (id, proposal_id, reviewer_id, reason, severity, status, detail, detected_at, disclosed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (proposal_id, reviewer_id, reason) DO NOTHING RETURNING id`,
		c.ID, c.ProposalID, c.ReviewerID, c.Reason, c.Severity, c.Status, c.Detail, c.DetectedAt, c.Disclosed).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("record conflict: %w", mapError(err))
	}
	return true, nil
}

// GetConflict returns a conflict, or ENOTFOUND.
func (q *queries) GetConflict(ctx context.Context, id string) (*pactum.Conflict, error) {
	c, err := scanConflict(q.q.QueryRowContext(ctx, `SELECT `+conflictColumns+` FROM conflicts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Conflict %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find conflict: %w", err)
	}
	return c, nil
}

// ListConflicts lists conflicts within s, oldest first.
func (q *queries) ListConflicts(ctx context.Context, s pactum.Scope, f pactum.ConflictFilter) ([]*pactum.Conflict, int, error) {
	var w where
	if !w.scope(s, scopeConds{disclosed: "reviewer_id = ? AND disclosed"}) {
		return []*pactum.Conflict{}, 0, nil
	}
	if f.ProposalID != nil {
		w.add("proposal_id = ?", *f.ProposalID)
	}
	if f.ReviewerID != nil {
		w.add("reviewer_id = ?", *f.ReviewerID)
	}
	if f.CallID != nil {
		w.add("proposal_id IN (SELECT id FROM proposals WHERE call_id = ?)", *f.CallID)
	}
	if f.Status != nil {
		w.add("status = ?", string(*f.Status))
	}
	return listCounted(ctx, q.q, "find conflicts", `SELECT `+conflictColumns+` FROM conflicts`, &w, "id", f.Limit, f.Offset, scanConflict)
}

// ListActiveConflicts returns the active conflicts on a call's proposals.
func (q *queries) ListActiveConflicts(ctx context.Context, callID string) ([]*pactum.Conflict, error) {
	cols := "c." + strings.ReplaceAll(conflictColumns, ", ", ", c.")
	return listAll(ctx, q.q, "find conflicts", `SELECT `+cols+` FROM conflicts c JOIN proposals p ON p.id = c.proposal_id
		WHERE p.call_id = $1 AND c.status = 'active' ORDER BY c.id`, []any{callID}, scanConflict)
}

// UpdateConflict writes a conflict's status and waiver.
func (tx *Tx) UpdateConflict(ctx context.Context, c *pactum.Conflict) error {
	res, err := tx.ExecContext(ctx, `UPDATE conflicts SET status = $1, waived_by = $2, waive_reason = $3, waived_at = $4 WHERE id = $5`,
		c.Status, c.WaivedBy, c.WaiveReason, nullTime(c.WaivedAt), c.ID)
	return checkOneRow(res, err, "conflict", c.ID)
}
