// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"slices"

	"github.com/pactum/pactum"
)

// FindReviewerProfile returns a reviewer's profile (empty if never
// written) to the reviewer, access managers and auditors
// (CanSeeReviewerProfile); ENOTFOUND otherwise or for a user who is not a
// reviewer.
func (a *App) FindReviewerProfile(ctx context.Context, userID string) (*pactum.ReviewerProfile, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeReviewerProfile(u, userID) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Reviewer %q not found.", userID)
	}
	return a.store.GetReviewerProfile(ctx, userID)
}

// FindReviewerProfiles lists reviewers with their profiles: all to access
// managers and auditors, themselves to reviewers, nobody to others.
func (a *App) FindReviewerProfiles(ctx context.Context, f pactum.ReviewerFilter) ([]*pactum.ReviewerProfile, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListReviewerProfiles(ctx, pactum.ReviewerProfileScope(u), f)
}

// UpdateReviewerProfile replaces a reviewer's expertise, affiliations and
// declared conflicts. Affiliations are history: one on file may be ended,
// never removed or back-dated (pactum.KeepsAffiliationHistory, EINVALID). The reviewer themself or an access manager
// (EFORBIDDEN for auditors, ENOTFOUND for others). Assignments the new
// profile conflicts with are recused at once, with the conflict recorded.
// EINVALID for a bad profile, ENOTFOUND for an unknown reviewer.
func (a *App) UpdateReviewerProfile(ctx context.Context, r *pactum.ReviewerProfile) error {
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
	if err := r.Validate(a.clock()); err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		old, err := tx.GetReviewerProfile(ctx, r.UserID)
		if err != nil {
			return err
		}
		if err := pactum.KeepsAffiliationHistory(old.Affiliations, r.Affiliations, old.UpdatedAt); err != nil {
			return err
		}
		r.Name, r.Email, r.UpdatedAt, r.Version = old.Name, old.Email, tx.Now(), old.Version+1
		if err := tx.SaveReviewerProfile(ctx, r, old.Version); err != nil {
			return err
		}
		if err := tx.Record("reviewer.update", "reviewer", r.UserID, old, r); err != nil {
			return err
		}
		return recheckAssignments(ctx, tx, r)
	})
}

// recheckAssignments runs conflict detection between a reviewer's new
// profile and the proposals they are assigned to, recording each conflict
// found and recusing the reviewer from those proposals.
func recheckAssignments(ctx context.Context, tx pactum.Tx, r *pactum.ReviewerProfile) error {
	user, err := tx.GetUser(ctx, r.UserID)
	if err != nil {
		return err
	}
	open, err := tx.ListOpenAssignments(ctx, r.UserID, "")
	if err != nil {
		return err
	}
	var ids []string
	for _, as := range open {
		if !slices.Contains(ids, as.ProposalID) {
			ids = append(ids, as.ProposalID)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		subj, err := conflictSubject(ctx, tx, id)
		if err != nil {
			return err
		}
		found := pactum.DetectConflicts(subj, user, r, tx.Now())
		if len(found) == 0 {
			continue
		}
		for i := range found {
			// The reviewer holds an assignment on it: they know the
			// proposal, so the conflict may be shown to them.
			found[i].Disclosed = true
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

// conflictSubject loads what conflict detection compares a reviewer with.
func conflictSubject(ctx context.Context, q pactum.Queries, proposalID string) (pactum.ConflictSubject, error) {
	p, err := q.GetProposal(ctx, proposalID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	return subjectOf(ctx, q, p)
}

func subjectOf(ctx context.Context, q pactum.Queries, p *pactum.Proposal) (pactum.ConflictSubject, error) {
	org, err := q.GetOrganization(ctx, p.OrganizationID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	app, err := q.GetUser(ctx, p.ApplicantID)
	if err != nil {
		return pactum.ConflictSubject{}, err
	}
	return pactum.ConflictSubject{Proposal: p, Organization: org, Applicant: app}, nil
}

// recordConflict stores a detected conflict, with a new ID, unless the same
// reason is already on file for the pair, and audits it. It reports whether
// the conflict was new (c.ID is empty when it was not).
func recordConflict(ctx context.Context, tx pactum.Tx, c *pactum.Conflict) (bool, error) {
	c.ID = newID()
	isNew, err := tx.InsertConflict(ctx, c)
	if err != nil || !isNew {
		c.ID = ""
		return false, err
	}
	return true, tx.Record("conflict.detect", "conflict", c.ID, nil, c)
}

// recuseAll takes a reviewer off every stage of a proposal.
func recuseAll(ctx context.Context, tx pactum.Tx, proposalID, reviewerID string, reason pactum.ConflictReason) error {
	open, err := tx.ListOpenAssignments(ctx, reviewerID, proposalID)
	if err != nil {
		return err
	}
	for _, as := range open {
		if err := tx.UpdateAssignmentState(ctx, as.ID, pactum.AssignmentRecused, tx.Now()); err != nil {
			return err
		}
		from := as.State
		as.State, as.UpdatedAt, as.Version = pactum.AssignmentRecused, tx.Now(), as.Version+1 // as the store wrote it
		if err := tx.Record("review.recuse", "assignment", as.ID, map[string]any{"state": from},
			pactum.Noted(as, map[string]any{"conflict": reason})); err != nil {
			return err
		}
	}
	return nil
}

// AssignReviewers assigns reviewers to every proposal of the call at stage
// (ethics or peer) until each has the rubric's minimum (one for ethics), by
// expertise with balanced load (pactum.PlanAssignments). Conflicts between
// the call's proposals and the candidates are recorded first; conflicted
// reviewers are never assigned. Re-running it only fills gaps. Access
// managers only.
func (a *App) AssignReviewers(ctx context.Context, callID string, stage pactum.ReviewStage) (*pactum.AssignmentReport, error) {
	u, err := manager(ctx, "assign reviewers")
	if err != nil {
		return nil, err
	}
	if !stage.Assignable() {
		return nil, invalid("The assignment is not valid.", "stage", "must be ethics or peer (site operators write technical assessments)")
	}
	rep := &pactum.AssignmentReport{Stage: stage, Assignments: []*pactum.Assignment{}, Conflicts: []*pactum.Conflict{},
		Shortfalls: []pactum.AssignmentShortfall{}}
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		plan, err := a.assignmentPlan(ctx, tx, callID, stage)
		if err != nil || len(plan.Proposals) == 0 {
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
				for _, found := range pactum.DetectConflicts(subj, c.User, c.Profile, tx.Now()) {
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
		if err := exclusions(ctx, tx, callID, stage, plan); err != nil {
			return err
		}
		planned, short := pactum.PlanAssignments(*plan)
		rep.Shortfalls = append(rep.Shortfalls, short...)
		return a.assign(ctx, tx, u, callID, plan, planned, rep)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// assignmentPlan reads the call's proposals at stage and the candidates.
func (a *App) assignmentPlan(ctx context.Context, tx pactum.Tx, callID string, stage pactum.ReviewStage) (*pactum.AssignmentPlan, error) {
	if _, err := tx.GetCall(ctx, callID); err != nil {
		return nil, err
	}
	plan := &pactum.AssignmentPlan{Stage: stage, Min: 1, Assigned: map[string][]string{}, Excluded: map[[2]string]bool{}}
	if stage == pactum.StagePeer {
		rubric, err := a.callRubric(ctx, tx, callID)
		if err != nil {
			return nil, err
		}
		plan.Min = rubric.MinReviewers
	}
	var err error
	if plan.Proposals, err = tx.ListProposalsAtStage(ctx, callID, stage); err != nil || len(plan.Proposals) == 0 {
		return plan, err
	}
	plan.Candidates, err = tx.ListReviewerCandidates(ctx, callID)
	return plan, err
}

// exclusions fills the plan's existing assignments for the stage and the
// pairs that must never be assigned: active conflicts and recusals.
func exclusions(ctx context.Context, tx pactum.Tx, callID string, stage pactum.ReviewStage, plan *pactum.AssignmentPlan) error {
	all, err := tx.ListCallAssignments(ctx, callID)
	if err != nil {
		return err
	}
	for _, as := range all {
		switch {
		case as.State == pactum.AssignmentRecused:
			plan.Excluded[[2]string{as.ProposalID, as.ReviewerID}] = true
		case as.Stage == stage:
			plan.Assigned[as.ProposalID] = append(plan.Assigned[as.ProposalID], as.ReviewerID)
		}
	}
	conflicts, err := tx.ListActiveConflicts(ctx, callID)
	if err != nil {
		return err
	}
	for _, c := range conflicts {
		plan.Excluded[[2]string{c.ProposalID, c.ReviewerID}] = true
	}
	return nil
}

// assign stores the planned assignments, each notified and audited.
func (a *App) assign(ctx context.Context, tx pactum.Tx, u *pactum.User, callID string, plan *pactum.AssignmentPlan, planned []pactum.PlannedAssignment, rep *pactum.AssignmentReport) error {
	titles := map[string]string{}
	for _, p := range plan.Proposals {
		titles[p.ID] = p.Title
	}
	for _, pa := range planned {
		now := tx.Now()
		as := &pactum.Assignment{ID: newID(), ProposalID: pa.ProposalID, CallID: callID, Stage: plan.Stage, ReviewerID: pa.ReviewerID,
			State: pactum.AssignmentAssigned, Affinity: pa.Affinity, Matched: pa.Matched, AssignedBy: u.ID,
			AssignedAt: now, UpdatedAt: now, Version: 1}
		if err := tx.InsertAssignment(ctx, as); err != nil {
			return err
		}
		if err := a.notify(ctx, tx, pactum.AssignmentNotice(as, titles[as.ProposalID])); err != nil {
			return err
		}
		if err := tx.Record("review.assign", "assignment", as.ID, nil, as); err != nil {
			return err
		}
		rep.Assignments = append(rep.Assignments, as)
	}
	return nil
}

// FindAssignments lists assignments: reviewers their own; access managers
// and auditors all.
func (a *App) FindAssignments(ctx context.Context, f pactum.AssignmentFilter) ([]*pactum.Assignment, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListAssignments(ctx, pactum.AssignmentScope(u), f)
}

// Recuse withdraws the caller from an assignment because of a conflict of
// interest, which is recorded as declared; from then on the reviewer cannot
// read the proposal, and a review they already wrote no longer counts. The
// assigned reviewer only; ENOTFOUND for anyone else. ECONFLICT when already
// recused.
func (a *App) Recuse(ctx context.Context, assignmentID, reason string) (*pactum.Assignment, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.CheckNote("The recusal is not valid.", "reason", reason, true, 2000, true); err != nil {
		return nil, err
	}
	var as *pactum.Assignment
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		var err error
		as, err = tx.GetAssignment(ctx, assignmentID)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND || (err == nil && as.ReviewerID != u.ID) {
			return pactum.Errorf(pactum.ENOTFOUND, "Assignment %q not found.", assignmentID)
		} else if err != nil {
			return err
		}
		if as.State == pactum.AssignmentRecused {
			return pactum.Errorf(pactum.ECONFLICT, "You are already recused from this proposal.")
		}
		c := pactum.Conflict{ProposalID: as.ProposalID, ReviewerID: u.ID, Reason: pactum.ConflictDeclared, Severity: pactum.SeverityReal,
			Status: pactum.ConflictActive, Detail: "The reviewer recused themself: " + reason, DetectedAt: tx.Now(), Disclosed: true}
		if _, err := recordConflict(ctx, tx, &c); err != nil {
			return err
		}
		if err := recuseAll(ctx, tx, as.ProposalID, u.ID, pactum.ConflictDeclared); err != nil {
			return err
		}
		as.State, as.UpdatedAt, as.Version = pactum.AssignmentRecused, tx.Now(), as.Version+1
		return nil
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

// FindConflicts lists recorded conflicts: access managers and auditors all;
// reviewers their own disclosed ones (pactum.CanSeeConflict), never one
// found before they were assigned, which would reveal the proposal.
func (a *App) FindConflicts(ctx context.Context, f pactum.ConflictFilter) ([]*pactum.Conflict, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListConflicts(ctx, pactum.ConflictScope(u), f)
}

// WaiveConflict waives an apparent conflict, so the reviewer may be
// assigned. Access managers only, with a reason. ECONFLICT for a real
// conflict, which can never be waived.
func (a *App) WaiveConflict(ctx context.Context, id, reason string) (*pactum.Conflict, error) {
	u, err := manager(ctx, "waive conflicts of interest")
	if err != nil {
		return nil, err
	}
	if err := pactum.CheckNote("The waiver is not valid.", "reason", reason, true, 2000, true); err != nil {
		return nil, err
	}
	var c *pactum.Conflict
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		var err error
		if c, err = tx.GetConflict(ctx, id); err != nil {
			return err
		}
		if c.Severity == pactum.SeverityReal {
			return pactum.Errorf(pactum.ECONFLICT, "A real conflict of interest (%s) cannot be waived.", c.Reason)
		}
		if c.Status == pactum.ConflictWaived {
			return nil
		}
		before := *c
		now := tx.Now()
		c.Status, c.WaivedBy, c.WaiveReason, c.WaivedAt = pactum.ConflictWaived, u.ID, reason, &now
		if err := tx.UpdateConflict(ctx, c); err != nil {
			return err
		}
		return tx.Record("conflict.waive", "conflict", id, before, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
