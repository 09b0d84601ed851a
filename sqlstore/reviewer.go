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

func findProfile(ctx context.Context, q querier, userID string) (*pactum.ReviewerProfile, error) {
	r, err := scanProfile(q.QueryRowContext(ctx, profileSelect+` WHERE u.id = $1 AND u.role = 'reviewer'`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Reviewer %q not found.", userID)
	} else if err != nil {
		return nil, fmt.Errorf("find reviewer %s: %w", userID, err)
	}
	return r, nil
}

// FindReviewerProfile returns a reviewer's profile.
func (s *ReviewService) FindReviewerProfile(ctx context.Context, userID string) (*pactum.ReviewerProfile, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.ID != userID && !pactum.CanReadAll(u) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Reviewer %q not found.", userID)
	}
	return findProfile(ctx, s.db.r, userID)
}

// FindReviewerProfiles lists reviewers with their profiles.
func (s *ReviewService) FindReviewerProfiles(ctx context.Context, f pactum.ReviewerFilter) ([]*pactum.ReviewerProfile, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	w.conds = append(w.conds, "u.role = 'reviewer'")
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleReviewer:
		w.add("u.id = ?", u.ID)
	default:
		return []*pactum.ReviewerProfile{}, 0, nil
	}
	if f.Expertise != nil {
		// The keywords are a JSON array of lower-case strings.
		k, _ := json.Marshal(strings.ToLower(strings.TrimSpace(*f.Expertise)))
		w.add("p.expertise LIKE ?", "%"+string(k)+"%")
	}
	q := `SELECT ` + profileColumns + `, COUNT(*) OVER ()` + profileFrom + w.String() + ` ORDER BY u.email` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find reviewers", q, w.args, scanProfile)
}

// UpdateReviewerProfile replaces a reviewer's profile and recuses them from
// assignments it conflicts with.
func (s *ReviewService) UpdateReviewerProfile(ctx context.Context, r *pactum.ReviewerProfile) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if u.ID != r.UserID && !pactum.HasRole(u, pactum.RoleAccessManager) {
		if pactum.CanReadAll(u) {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only the reviewer and access managers may change a reviewer's profile.")
		}
		return pactum.Errorf(pactum.ENOTFOUND, "Reviewer %q not found.", r.UserID)
	}
	r.Normalize()
	if err := r.Validate(s.db.now()); err != nil {
		return err
	}
	exp, err := json.Marshal(r.Expertise)
	if err != nil {
		return fmt.Errorf("encode expertise: %w", err)
	}
	aff, err := json.Marshal(r.Affiliations)
	if err != nil {
		return fmt.Errorf("encode affiliations: %w", err)
	}
	dec, err := json.Marshal(r.DeclaredConflicts)
	if err != nil {
		return fmt.Errorf("encode declared conflicts: %w", err)
	}
	return s.db.write(ctx, func(tx *Tx) error {
		old, err := findProfile(ctx, tx, r.UserID)
		if err != nil {
			return err
		}
		r.Name, r.Email, r.UpdatedAt, r.Version = old.Name, old.Email, tx.now, old.Version+1
		if old.Version == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO reviewer_profiles (user_id, expertise, affiliations, declared_conflicts, updated_at, version)
				VALUES ($1, $2, $3, $4, $5, $6)`, r.UserID, string(exp), string(aff), string(dec), r.UpdatedAt, r.Version)
			if err != nil {
				return fmt.Errorf("insert reviewer profile: %w", mapError(err))
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE reviewer_profiles SET expertise = $1, affiliations = $2, declared_conflicts = $3, updated_at = $4, version = $5
				WHERE user_id = $6 AND version = $7`, string(exp), string(aff), string(dec), r.UpdatedAt, r.Version, r.UserID, old.Version)
			if err := checkOneRow(res, err, "reviewer profile", r.UserID); err != nil {
				return err
			}
		}
		if err := tx.record("reviewer.update", "reviewer", r.UserID, old, r); err != nil {
			return err
		}
		return recheckAssignments(ctx, tx, r)
	})
}

// recheckAssignments runs conflict detection between a reviewer's new
// profile and the proposals they are assigned to, recording each conflict
// found and recusing the reviewer from those proposals.
func recheckAssignments(ctx context.Context, tx *Tx, r *pactum.ReviewerProfile) error {
	user, err := findUserByID(ctx, tx, r.UserID)
	if err != nil {
		return err
	}
	ids, err := strings1(ctx, tx, `SELECT DISTINCT proposal_id FROM review_assignments WHERE reviewer_id = $1 AND state <> 'recused' ORDER BY proposal_id`, r.UserID)
	if err != nil {
		return err
	}
	subjects := subjectCache{}
	for _, id := range ids {
		subj, err := subjects.get(ctx, tx, id)
		if err != nil {
			return err
		}
		found := pactum.DetectConflicts(subj, user, r, tx.now)
		if len(found) == 0 {
			continue
		}
		for i := range found {
			if _, err := recordConflict(ctx, tx, &found[i]); err != nil {
				return err
			}
		}
		if err := recuseAll(ctx, tx, id, r.UserID, found[0].Reason); err != nil {
			return err
		}
	}
	return nil
}

// subjectCache loads proposals with their organization and applicant for
// conflict detection, once each.
type subjectCache map[string]pactum.ConflictSubject

func (c subjectCache) get(ctx context.Context, q querier, proposalID string) (pactum.ConflictSubject, error) {
	if s, ok := c[proposalID]; ok {
		return s, nil
	}
	p, err := findProposalByID(ctx, q, proposalID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	s, err := subjectOf(ctx, q, p)
	if err != nil {
		return s, err
	}
	c[proposalID] = s
	return s, nil
}

func subjectOf(ctx context.Context, q querier, p *pactum.Proposal) (pactum.ConflictSubject, error) {
	org, err := findOrgByID(ctx, q, p.OrganizationID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	app, err := findUserByID(ctx, q, p.ApplicantID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	return pactum.ConflictSubject{Proposal: p, Organization: org, Applicant: app}, nil
}

// recordConflict stores a detected conflict, with a new ID, unless the same
// reason is already on file for the pair, and audits it. It reports whether
// the conflict was new (c.ID is empty when it was not).
func recordConflict(ctx context.Context, tx *Tx, c *pactum.Conflict) (bool, error) {
	c.ID = newID()
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO conflicts (id, proposal_id, reviewer_id, reason, severity, status, detail, detected_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (proposal_id, reviewer_id, reason) DO NOTHING RETURNING id`,
		c.ID, c.ProposalID, c.ReviewerID, c.Reason, c.Severity, c.Status, c.Detail, c.DetectedAt).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		c.ID = ""
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("record conflict: %w", mapError(err))
	}
	return true, tx.record("conflict.detect", "conflict", c.ID, nil, c)
}

// recuseAll takes a reviewer off every stage of a proposal.
func recuseAll(ctx context.Context, tx *Tx, proposalID, reviewerID string, reason pactum.ConflictReason) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, state FROM review_assignments WHERE proposal_id = $1 AND reviewer_id = $2 AND state <> 'recused' ORDER BY id`,
		proposalID, reviewerID)
	if err != nil {
		return fmt.Errorf("find assignments: %w", err)
	}
	type open struct {
		id    string
		state pactum.AssignmentState
	}
	var list []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.state); err != nil {
			rows.Close()
			return fmt.Errorf("scan assignment: %w", err)
		}
		list = append(list, o)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("find assignments: %w", err)
	}
	rows.Close()
	for _, o := range list {
		if _, err := tx.ExecContext(ctx, `UPDATE review_assignments SET state = 'recused', updated_at = $1, version = version + 1 WHERE id = $2`,
			tx.now, o.id); err != nil {
			return fmt.Errorf("recuse: %w", err)
		}
		if err := tx.record("review.recuse", "assignment", o.id, map[string]any{"state": o.state},
			map[string]any{"state": pactum.AssignmentRecused, "conflict": reason}); err != nil {
			return err
		}
	}
	return nil
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

// AssignReviewers fills the call's proposals at stage with reviewers.
func (s *ReviewService) AssignReviewers(ctx context.Context, callID string, stage pactum.ReviewStage) (*pactum.AssignmentReport, error) {
	u, err := manager(ctx, "assign reviewers")
	if err != nil {
		return nil, err
	}
	if !stage.Assignable() {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The assignment is not valid.",
			Fields: []pactum.FieldError{{Field: "stage", Message: "must be ethics or peer (site operators write technical assessments)"}}}
	}
	rep := &pactum.AssignmentReport{Stage: stage, Assignments: []*pactum.Assignment{}, Conflicts: []*pactum.Conflict{},
		Shortfalls: []pactum.AssignmentShortfall{}}
	err = s.db.write(ctx, func(tx *Tx) error {
		if _, err := findCallByID(ctx, tx, callID); err != nil {
			return err
		}
		plan := pactum.AssignmentPlan{Stage: stage, Min: 1, Assigned: map[string][]string{}, Excluded: map[[2]string]bool{}}
		if stage == pactum.StagePeer {
			rubric, err := callRubric(ctx, tx, callID, s.rubric)
			if err != nil {
				return err
			}
			plan.Min = rubric.MinReviewers
		}
		var err error
		if plan.Proposals, err = proposalsAtStage(ctx, tx, callID, stage); err != nil {
			return err
		}
		if len(plan.Proposals) == 0 {
			return nil
		}
		if plan.Candidates, err = candidates(ctx, tx, callID); err != nil {
			return err
		}
		// Detect and record conflicts for every pair first, so that none
		// can be assigned and every one is on file.
		for _, p := range plan.Proposals {
			subj, err := subjectOf(ctx, tx, p)
			if err != nil {
				return err
			}
			for _, c := range plan.Candidates {
				for _, found := range pactum.DetectConflicts(subj, c.User, c.Profile, tx.now) {
					isNew, err := recordConflict(ctx, tx, &found)
					if err != nil {
						return err
					}
					if isNew {
						rep.Conflicts = append(rep.Conflicts, &found)
					}
				}
			}
		}
		if err := s.loadExclusions(ctx, tx, callID, stage, &plan); err != nil {
			return err
		}
		planned, short := pactum.PlanAssignments(plan)
		rep.Shortfalls = append(rep.Shortfalls, short...)
		titles := map[string]string{}
		for _, p := range plan.Proposals {
			titles[p.ID] = p.Title
		}
		for _, pa := range planned {
			a := &pactum.Assignment{ID: newID(), ProposalID: pa.ProposalID, CallID: callID, Stage: stage, ReviewerID: pa.ReviewerID,
				State: pactum.AssignmentAssigned, Affinity: pa.Affinity, Matched: pa.Matched, AssignedBy: u.ID,
				AssignedAt: tx.now, UpdatedAt: tx.now, Version: 1}
			matched, err := json.Marshal(a.Matched)
			if err != nil {
				return fmt.Errorf("encode matches: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_assignments (`+assignmentColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, a.ID, a.ProposalID, a.CallID, a.Stage, a.ReviewerID,
				a.State, a.Affinity, string(matched), a.AssignedBy, a.AssignedAt, a.UpdatedAt, a.Version); err != nil {
				return fmt.Errorf("insert assignment: %w", mapError(err))
			}
			if err := notify(ctx, tx, &pactum.Notification{UserID: a.ReviewerID, ProposalID: a.ProposalID, Kind: pactum.NotifyReviewAssigned,
				Subject: fmt.Sprintf("%s review assigned: “%s”", strings.ToUpper(string(stage[:1]))+string(stage[1:]), titles[a.ProposalID]),
				Body: fmt.Sprintf("You are asked for the %s review of proposal %s (pactum proposals show %s). If you have a conflict of interest, "+
					"recuse yourself before reading it (pactum reviews recuse %s).", stage, a.ProposalID, a.ProposalID, a.ID)}); err != nil {
				return err
			}
			if err := tx.record("review.assign", "assignment", a.ID, nil, a); err != nil {
				return err
			}
			rep.Assignments = append(rep.Assignments, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// candidates returns every reviewer with their profile and their load: the
// assignments they hold in the call, recusals aside.
func candidates(ctx context.Context, q querier, callID string) ([]pactum.Candidate, error) {
	rows, err := q.QueryContext(ctx, profileSelect+` WHERE u.role = 'reviewer' ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("find reviewers: %w", err)
	}
	var out []pactum.Candidate
	for rows.Next() {
		r, err := scanProfile(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan reviewer: %w", err)
		}
		out = append(out, pactum.Candidate{User: &pactum.User{ID: r.UserID, Name: r.Name, Email: r.Email, Role: pactum.RoleReviewer}, Profile: r})
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("find reviewers: %w", err)
	}
	rows.Close()
	load := map[string]int{}
	rows, err = q.QueryContext(ctx, `SELECT reviewer_id, COUNT(*) FROM review_assignments WHERE call_id = $1 AND state <> 'recused' GROUP BY reviewer_id`, callID)
	if err != nil {
		return nil, fmt.Errorf("reviewer load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("scan load: %w", err)
		}
		load[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reviewer load: %w", err)
	}
	for i := range out {
		out[i].Load = load[out[i].User.ID]
	}
	return out, nil
}

// loadExclusions fills the plan's existing assignments for the stage and the
// pairs that must never be assigned: active conflicts and recusals.
func (s *ReviewService) loadExclusions(ctx context.Context, q querier, callID string, stage pactum.ReviewStage, plan *pactum.AssignmentPlan) error {
	rows, err := q.QueryContext(ctx, `SELECT proposal_id, reviewer_id, stage, state FROM review_assignments WHERE call_id = $1 ORDER BY id`, callID)
	if err != nil {
		return fmt.Errorf("find assignments: %w", err)
	}
	for rows.Next() {
		var pid, rid string
		var st pactum.ReviewStage
		var state pactum.AssignmentState
		if err := rows.Scan(&pid, &rid, &st, &state); err != nil {
			rows.Close()
			return fmt.Errorf("scan assignment: %w", err)
		}
		switch {
		case state == pactum.AssignmentRecused:
			plan.Excluded[[2]string{pid, rid}] = true
		case st == stage:
			plan.Assigned[pid] = append(plan.Assigned[pid], rid)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("find assignments: %w", err)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT c.proposal_id, c.reviewer_id FROM conflicts c JOIN proposals p ON p.id = c.proposal_id
		WHERE p.call_id = $1 AND c.status = 'active'`, callID)
	if err != nil {
		return fmt.Errorf("find conflicts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, rid string
		if err := rows.Scan(&pid, &rid); err != nil {
			return fmt.Errorf("scan conflict: %w", err)
		}
		plan.Excluded[[2]string{pid, rid}] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find conflicts: %w", err)
	}
	return nil
}

// FindAssignments lists assignments visible to the caller.
func (s *ReviewService) FindAssignments(ctx context.Context, f pactum.AssignmentFilter) ([]*pactum.Assignment, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleReviewer:
		w.add("reviewer_id = ?", u.ID)
	default:
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
	q := `SELECT ` + assignmentColumns + `, COUNT(*) OVER () FROM review_assignments` + w.String() + ` ORDER BY id` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find assignments", q, w.args, scanAssignment)
}

// Recuse withdraws the caller from an assignment for a declared conflict.
func (s *ReviewService) Recuse(ctx context.Context, assignmentID, reason string) (*pactum.Assignment, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" || len(reason) > 2000 {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The recusal is not valid.",
			Fields: []pactum.FieldError{{Field: "reason", Message: "is required (at most 2000 characters)"}}}
	}
	var a *pactum.Assignment
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		a, err = scanAssignment(tx.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM review_assignments WHERE id = $1`, assignmentID))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && a.ReviewerID != u.ID) {
			return pactum.Errorf(pactum.ENOTFOUND, "Assignment %q not found.", assignmentID)
		} else if err != nil {
			return fmt.Errorf("find assignment: %w", err)
		}
		if a.State == pactum.AssignmentRecused {
			return pactum.Errorf(pactum.ECONFLICT, "You are already recused from this proposal.")
		}
		c := pactum.Conflict{ProposalID: a.ProposalID, ReviewerID: u.ID, Reason: pactum.ConflictDeclared, Severity: pactum.SeverityReal,
			Status: pactum.ConflictActive, Detail: "The reviewer recused themself: " + reason, DetectedAt: tx.now}
		if _, err := recordConflict(ctx, tx, &c); err != nil {
			return err
		}
		if err := recuseAll(ctx, tx, a.ProposalID, u.ID, pactum.ConflictDeclared); err != nil {
			return err
		}
		a.State, a.UpdatedAt, a.Version = pactum.AssignmentRecused, tx.now, a.Version+1
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// --- conflicts ---

const conflictColumns = `id, proposal_id, reviewer_id, reason, severity, status, detail, detected_at, waived_by, waive_reason, waived_at`

func scanConflict(row scanner, extra ...any) (*pactum.Conflict, error) {
	var c pactum.Conflict
	var waived sql.NullTime
	if err := row.Scan(append([]any{&c.ID, &c.ProposalID, &c.ReviewerID, &c.Reason, &c.Severity, &c.Status, &c.Detail, &c.DetectedAt,
		&c.WaivedBy, &c.WaiveReason, &waived}, extra...)...); err != nil {
		return nil, err
	}
	c.DetectedAt = c.DetectedAt.UTC()
	c.WaivedAt = timePtr(waived)
	return &c, nil
}

// FindConflicts lists recorded conflicts visible to the caller.
func (s *ReviewService) FindConflicts(ctx context.Context, f pactum.ConflictFilter) ([]*pactum.Conflict, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleReviewer:
		w.add("reviewer_id = ?", u.ID)
	default:
		return []*pactum.Conflict{}, 0, nil
	}
	if f.ProposalID != nil {
		w.add("proposal_id = ?", *f.ProposalID)
	}
	if f.ReviewerID != nil {
		w.add("reviewer_id = ?", *f.ReviewerID)
	}
	if f.Status != nil {
		w.add("status = ?", string(*f.Status))
	}
	q := `SELECT ` + conflictColumns + `, COUNT(*) OVER () FROM conflicts` + w.String() + ` ORDER BY id` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find conflicts", q, w.args, scanConflict)
}

// WaiveConflict waives an apparent conflict.
func (s *ReviewService) WaiveConflict(ctx context.Context, id, reason string) (*pactum.Conflict, error) {
	u, err := manager(ctx, "waive conflicts of interest")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" || len(reason) > 2000 {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The waiver is not valid.",
			Fields: []pactum.FieldError{{Field: "reason", Message: "is required (at most 2000 characters)"}}}
	}
	var c *pactum.Conflict
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		c, err = scanConflict(tx.QueryRowContext(ctx, `SELECT `+conflictColumns+` FROM conflicts WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return pactum.Errorf(pactum.ENOTFOUND, "Conflict %q not found.", id)
		} else if err != nil {
			return fmt.Errorf("find conflict: %w", err)
		}
		if c.Severity == pactum.SeverityReal {
			return pactum.Errorf(pactum.ECONFLICT, "A real conflict of interest (%s) cannot be waived.", c.Reason)
		}
		if c.Status == pactum.ConflictWaived {
			return nil
		}
		before := *c
		now := tx.now
		c.Status, c.WaivedBy, c.WaiveReason, c.WaivedAt = pactum.ConflictWaived, u.ID, reason, &now
		if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET status = $1, waived_by = $2, waive_reason = $3, waived_at = $4 WHERE id = $5`,
			c.Status, c.WaivedBy, c.WaiveReason, now, id); err != nil {
			return fmt.Errorf("waive conflict: %w", err)
		}
		return tx.record("conflict.waive", "conflict", id, before, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
