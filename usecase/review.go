// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"slices"

	"github.com/pactum/pactum"
)

// The review of proposals in review: rubrics, stages, reviews and the
// applicant's reply. Every read of a proposal's review material goes
// through visibleProposal, so a reviewer who is not assigned, or is
// conflicted, gets ENOTFOUND from every path.

// callRubric returns the call's own rubric or a copy of the default.
func (a *App) callRubric(ctx context.Context, q pactum.Queries, callID string) (*pactum.Rubric, error) {
	r, err := q.GetCallRubric(ctx, callID)
	if pactum.ErrorCode(err) != pactum.ENOTFOUND {
		return r, err
	}
	if a.rubric == nil {
		return nil, pactum.Errorf(pactum.EINTERNAL, "Call %s has no rubric and there is no default.", callID)
	}
	c := *a.rubric
	c.Criteria = slices.Clone(a.rubric.Criteria)
	return &c, nil
}

// FindRubric returns the call's published rubric (its own or the default).
// Any authenticated caller. ENOTFOUND for an unknown call.
func (a *App) FindRubric(ctx context.Context, callID string) (*pactum.Rubric, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	if _, err := a.store.GetCall(ctx, callID); err != nil {
		return nil, err
	}
	return a.callRubric(ctx, a.store, callID)
}

// SetRubric publishes a rubric for the call until its first peer review, so
// that every proposal is judged by the same rules. Access managers only.
// EINVALID for a bad rubric, ECONFLICT once a peer review exists.
func (a *App) SetRubric(ctx context.Context, callID string, r *pactum.Rubric) error {
	u, err := manager(ctx, "publish a rubric")
	if err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		if _, err := tx.GetCall(ctx, callID); err != nil {
			return err
		}
		n, err := tx.CountReviews(ctx, callID, pactum.StagePeer)
		if err != nil {
			return err
		}
		if n > 0 {
			return pactum.Errorf(pactum.ECONFLICT, "The call's rubric cannot change: %d peer review(s) were written under it.", n)
		}
		old, err := a.callRubric(ctx, tx, callID)
		if err != nil {
			return err
		}
		if err := tx.SaveCallRubric(ctx, callID, r, tx.Now()); err != nil {
			return err
		}
		return tx.Record("call.rubric", "call", callID, old, r)
	})
}

// FindReviewTrack returns the review progress of a proposal the caller may
// see; ENOTFOUND otherwise, or when it never reached review.
func (a *App) FindReviewTrack(ctx context.Context, proposalID string) (*pactum.ReviewTrack, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := visibleProposal(ctx, a.store, u, proposalID); err != nil {
		return nil, err
	}
	t, _, err := a.store.GetReviewTrack(ctx, proposalID)
	return t, err
}

// AdvanceReview closes the current stage and opens the next when
// ReviewTrack.CanClose allows; entering the reply stage notifies the
// applicant. Access managers only. ECONFLICT saying what is missing, or
// when the proposal is no longer in review.
func (a *App) AdvanceReview(ctx context.Context, proposalID string) (*pactum.ReviewTrack, error) {
	u, err := manager(ctx, "advance reviews")
	if err != nil {
		return nil, err
	}
	var t *pactum.ReviewTrack
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		p, err := tx.GetProposal(ctx, proposalID)
		if err != nil {
			return err
		}
		if p.State != pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s, no longer in review.", p.State)
		}
		var pr *pactum.PanelRecord
		if t, pr, err = tx.GetReviewTrack(ctx, proposalID); err != nil {
			return err
		}
		progress, err := tx.GetStageProgress(ctx, t)
		if err != nil {
			return err
		}
		if progress.Rubric, err = a.callRubric(ctx, tx, t.CallID); err != nil {
			return err
		}
		progress.Now = tx.Now()
		if err := t.CanClose(progress); err != nil {
			return err
		}
		from, oldVersion := t.Stage, t.Version
		if err := t.Advance(tx.Now()); err != nil {
			return err
		}
		if err := saveTrack(ctx, tx, t, pr, oldVersion); err != nil {
			return err
		}
		after := map[string]any{"stage": t.Stage}
		if t.Stage == pactum.StageReply {
			end := t.StageStartedAt.AddDate(0, 0, progress.Rubric.ReplyDays)
			if err := a.notify(ctx, tx, pactum.ReplyOpenNotice(p, end)); err != nil {
				return err
			}
			after["notified"] = p.ApplicantID
		}
		return tx.Record("review.advance", "proposal", p.ID, map[string]any{"stage": from}, after)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// saveTrack writes a track's stage and the panel's verdict as a new
// version.
func saveTrack(ctx context.Context, tx pactum.Tx, t *pactum.ReviewTrack, pr *pactum.PanelRecord, oldVersion int) error {
	t.SetPanel(pr)
	t.UpdatedAt, t.Version = tx.Now(), oldVersion+1
	return tx.UpdateReviewTrack(ctx, t, pr, oldVersion)
}

// notify writes a notification in the transaction of the change it
// reports; the change's audit event names who was notified.
func (a *App) notify(ctx context.Context, tx pactum.Tx, n *pactum.Notification) error {
	n.ID, n.CreatedAt = newID(), tx.Now()
	if err := tx.InsertNotification(ctx, n); err != nil {
		return err
	}
	return a.enqueue(ctx, tx, n)
}

// SubmitReview writes (or, while the stage is open, rewrites) the caller's
// review of a proposal in its current stage: for the technical stage a
// site operator of a site hosting a requested system; for ethics and peer
// review an assigned, unconflicted reviewer. ENOTFOUND when the caller may
// not see the proposal, EFORBIDDEN when they may see it but not review it
// now, EINVALID for a bad review, ECONFLICT when the proposal is not in a
// reviewed stage.
func (a *App) SubmitReview(ctx context.Context, proposalID string, in pactum.ReviewInput) (*pactum.Review, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *pactum.Review
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		p, err := visibleProposal(ctx, tx, u, proposalID)
		if err != nil {
			return err
		}
		if p.State != pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s; reviews are written while it is in review.", p.State)
		}
		t, _, err := tx.GetReviewTrack(ctx, p.ID)
		if err != nil {
			return err
		}
		if !t.Stage.Reviewed() {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal's review is at the %s stage, where no reviews are written.", t.Stage)
		}
		rc, key, site, err := a.reviewContext(ctx, tx, u, p, t)
		if err != nil {
			return err
		}
		if err := in.Validate(rc); err != nil {
			return err
		}
		out, err = saveReview(ctx, tx, u, p, t.Stage, key, site, rc.Rubric, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reviewContext checks that u may review p at t's stage and returns what
// the review is validated against, its author key and (for a technical
// assessment) its site.
func (a *App) reviewContext(ctx context.Context, tx pactum.Tx, u *pactum.User, p *pactum.Proposal, t *pactum.ReviewTrack) (pactum.ReviewContext, string, string, error) {
	rc := pactum.ReviewContext{Stage: t.Stage, Proposal: p}
	if t.Stage == pactum.StageTechnical {
		if u.Role != pactum.RoleSiteOperator {
			return rc, "", "", pactum.Errorf(pactum.EFORBIDDEN, "Technical assessments are written by the operators of the sites hosting the requested systems.")
		}
		systems, err := systemMap(ctx, tx)
		if err != nil {
			return rc, "", "", err
		}
		for _, r := range p.Requests {
			if sys := systems[r.SystemID]; sys != nil && sys.Site == u.Site {
				rc.SiteSystems = append(rc.SiteSystems, sys)
			}
		}
		return rc, "site:" + u.Site, u.Site, nil
	}
	assigned, err := tx.IsAssigned(ctx, p.ID, t.Stage, u.ID)
	if err != nil {
		return rc, "", "", err
	}
	if !assigned {
		return rc, "", "", pactum.Errorf(pactum.EFORBIDDEN, "You are not assigned to the %s review of this proposal.", t.Stage)
	}
	if t.Stage == pactum.StagePeer {
		if rc.Rubric, err = a.callRubric(ctx, tx, p.CallID); err != nil {
			return rc, "", "", err
		}
	}
	return rc, u.ID, "", nil
}

// saveReview inserts the author's review of the stage or replaces theirs,
// marks the assignment submitted and records the change.
func saveReview(ctx context.Context, tx pactum.Tx, u *pactum.User, p *pactum.Proposal, stage pactum.ReviewStage, key, site string,
	rubric *pactum.Rubric, in pactum.ReviewInput) (*pactum.Review, error) {
	now := tx.Now()
	r := &pactum.Review{ProposalID: p.ID, Stage: stage, ReviewerID: u.ID, Site: site, Scores: in.Scores, Systems: in.Systems,
		Conditions: in.Conditions, ConditionDueDays: in.ConditionDueDays, Recommendation: in.Recommendation, CommentsForApplicant: in.CommentsForApplicant,
		ConfidentialComments: in.ConfidentialComments, SubmittedAt: now, UpdatedAt: now, Version: 1}
	if rubric != nil {
		w := rubric.Weighted(in.Scores)
		r.Score = &w
	}
	old, err := tx.GetReviewByAuthor(ctx, p.ID, stage, key)
	switch {
	case pactum.ErrorCode(err) == pactum.ENOTFOUND:
		r.ID = newID()
		if err := tx.InsertReview(ctx, r, key); err != nil {
			return nil, err
		}
		if err := tx.Record("review.submit", "review", r.ID, nil, r); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		r.ID, r.SubmittedAt, r.Version = old.ID, old.SubmittedAt, old.Version+1
		if err := tx.UpdateReview(ctx, r, old.Version); err != nil {
			return nil, err
		}
		if err := tx.Record("review.update", "review", r.ID, old, r); err != nil {
			return nil, err
		}
	}
	if stage.Assignable() {
		if err := submitAssignments(ctx, tx, u.ID, p.ID, stage); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// submitAssignments marks the reviewer's assigned (not recused) assignment
// for the stage submitted, and records each with its whole new row.
func submitAssignments(ctx context.Context, tx pactum.Tx, reviewerID, proposalID string, stage pactum.ReviewStage) error {
	open, err := tx.ListOpenAssignments(ctx, reviewerID, proposalID)
	if err != nil {
		return err
	}
	for _, as := range open {
		if as.Stage != stage || as.State != pactum.AssignmentAssigned {
			continue
		}
		if err := tx.UpdateAssignmentState(ctx, as.ID, pactum.AssignmentSubmitted, tx.Now()); err != nil {
			return err
		}
		from := as.State
		as.State, as.UpdatedAt, as.Version = pactum.AssignmentSubmitted, tx.Now(), as.Version+1 // as the store wrote it
		if err := tx.Record("assignment.submit", "assignment", as.ID, map[string]any{"state": from}, as); err != nil {
			return err
		}
	}
	return nil
}

// FindReviews lists the reviews of a proposal that the caller may read
// (CanSeeReview): access managers and auditors all of them; reviewers
// their own; site operators their site's technical assessments; the
// applicant's organization every review, anonymised and without
// confidential comments, once the reply stage opens or the proposal is
// decided.
func (a *App) FindReviews(ctx context.Context, proposalID string, f pactum.ReviewFilter) ([]*pactum.Review, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := visibleProposal(ctx, a.store, u, proposalID)
	if err != nil {
		return nil, err
	}
	t, _, err := a.store.GetReviewTrack(ctx, proposalID)
	if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
		return nil, err
	}
	all, err := a.store.ListReviews(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	pactum.LabelReviews(all)
	decided := p.State != pactum.ProposalInReview
	out := []*pactum.Review{}
	for _, r := range all {
		if f.Stage != nil && r.Stage != *f.Stage {
			continue
		}
		ok, anon := pactum.CanSeeReview(u, p.OrganizationID, decided, t, r)
		if !ok {
			continue
		}
		if anon {
			r.ReviewerID, r.ConfidentialComments = "", ""
		}
		out = append(out, r)
	}
	return out, nil
}

// SubmitReply writes (or rewrites) the applicant's reply while the reply
// stage is open. The applicant's organization only. ECONFLICT outside the
// reply stage.
func (a *App) SubmitReply(ctx context.Context, proposalID, text string) (*pactum.Reply, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.CheckNote("The reply is not valid.", "text", text, true, 20000, true); err != nil {
		return nil, err
	}
	var out *pactum.Reply
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		p, err := editable(ctx, tx, u, proposalID)
		if err != nil {
			return err
		}
		t, _, err := tx.GetReviewTrack(ctx, p.ID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		if p.State != pactum.ProposalInReview || t == nil || t.Stage != pactum.StageReply {
			return pactum.Errorf(pactum.ECONFLICT, "Replies are written while the reply stage is open; this proposal is not there.")
		}
		old, err := tx.GetReply(ctx, p.ID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		now := tx.Now()
		out = &pactum.Reply{ProposalID: p.ID, AuthorID: u.ID, Text: text, SubmittedAt: now, UpdatedAt: now, Version: 1}
		if old == nil {
			if err := tx.InsertReply(ctx, out); err != nil {
				return err
			}
			return tx.Record("review.reply", "proposal", p.ID, nil, out)
		}
		out.SubmittedAt, out.Version = old.SubmittedAt, old.Version+1
		if err := tx.UpdateReply(ctx, out, old.Version); err != nil {
			return err
		}
		return tx.Record("review.reply", "proposal", p.ID, old, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindReply returns the reply to a proposal the caller may see, or
// ENOTFOUND.
func (a *App) FindReply(ctx context.Context, proposalID string) (*pactum.Reply, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := visibleProposal(ctx, a.store, u, proposalID); err != nil {
		return nil, err
	}
	return a.store.GetReply(ctx, proposalID)
}
