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

// ReviewService implements pactum.ReviewService and pactum.ReviewerService:
// review stages, rubrics, reviews, replies and the panel; reviewer profiles,
// assignment and conflicts of interest. Every read of a proposal's review
// material goes through visibleProposal, so a reviewer who is not assigned,
// or is conflicted, gets ENOTFOUND from every path.
type ReviewService struct {
	db *DB
	// rubric is the default published with a call that has none of its
	// own (catalog.Rubric in production). Shared: never modified.
	rubric *pactum.Rubric
}

var (
	_ pactum.ReviewService   = (*ReviewService)(nil)
	_ pactum.ReviewerService = (*ReviewService)(nil)
)

// NewReviewService returns the review service; defaultRubric is the rubric
// of calls without their own.
func NewReviewService(db *DB, defaultRubric *pactum.Rubric) *ReviewService {
	return &ReviewService{db: db, rubric: defaultRubric}
}

// --- rubric ---

// callRubric returns the call's own rubric or a copy of def.
func callRubric(ctx context.Context, q querier, callID string, def *pactum.Rubric) (*pactum.Rubric, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT rubric FROM call_rubrics WHERE call_id = $1`, callID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		if def == nil {
			return nil, fmt.Errorf("call %s: no rubric and no default", callID)
		}
		c := *def
		c.Criteria = slices.Clone(def.Criteria)
		return &c, nil
	} else if err != nil {
		return nil, fmt.Errorf("rubric of call %s: %w", callID, err)
	}
	var r pactum.Rubric
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("rubric of call %s: %w", callID, err)
	}
	return &r, nil
}

// FindRubric returns the call's published rubric.
func (s *ReviewService) FindRubric(ctx context.Context, callID string) (*pactum.Rubric, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	if _, err := findCallByID(ctx, s.db.r, callID); err != nil {
		return nil, err
	}
	return callRubric(ctx, s.db.r, callID, s.rubric)
}

// SetRubric publishes a call's rubric until its first peer review.
func (s *ReviewService) SetRubric(ctx context.Context, callID string, r *pactum.Rubric) error {
	if _, err := manager(ctx, "publish a rubric"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rubric: %w", err)
	}
	return s.db.write(ctx, func(tx *Tx) error {
		if _, err := findCallByID(ctx, tx, callID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews r JOIN proposals p ON p.id = r.proposal_id
			WHERE p.call_id = $1 AND r.stage = 'peer'`, callID).Scan(&n); err != nil {
			return fmt.Errorf("count peer reviews: %w", err)
		}
		if n > 0 {
			return pactum.Errorf(pactum.ECONFLICT, "The call's rubric cannot change: %d peer review(s) were written under it.", n)
		}
		old, err := callRubric(ctx, tx, callID, s.rubric)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_rubrics (call_id, rubric, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (call_id) DO UPDATE SET rubric = excluded.rubric, updated_at = excluded.updated_at`,
			callID, string(body), tx.now); err != nil {
			return fmt.Errorf("save rubric: %w", mapError(err))
		}
		return tx.record("call.rubric", "call", callID, old, r)
	})
}

// manager returns the caller if they are an access manager, else
// EFORBIDDEN naming what they tried.
func manager(ctx context.Context, what string) (*pactum.User, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may %s.", what)
	}
	return u, nil
}

// --- tracks ---

// panelRecord is the panel's verdict on a proposal, stored with its track.
type panelRecord struct {
	Score       float64              `json:"score"`
	Rank        int                  `json:"rank"`
	Passes      bool                 `json:"passes"`
	Note        string               `json:"note,omitempty"`
	ReviewScore float64              `json:"review_score"`
	Reviews     int                  `json:"reviews"`
	Verdict     pactum.RubricVerdict `json:"verdict"`
}

const trackColumns = `proposal_id, call_id, stage, stages, stage_started_at, panel, updated_at, version`

func scanTrack(row scanner) (*pactum.ReviewTrack, *panelRecord, error) {
	var t pactum.ReviewTrack
	var stages string
	var panel sql.NullString
	if err := row.Scan(&t.ProposalID, &t.CallID, &t.Stage, &stages, &t.StageStartedAt, &panel, &t.UpdatedAt, &t.Version); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal([]byte(stages), &t.Stages); err != nil {
		return nil, nil, fmt.Errorf("review track %s: stages: %w", t.ProposalID, err)
	}
	t.StageStartedAt, t.UpdatedAt = t.StageStartedAt.UTC(), t.UpdatedAt.UTC()
	var pr *panelRecord
	if panel.Valid {
		pr = new(panelRecord)
		if err := json.Unmarshal([]byte(panel.String), pr); err != nil {
			return nil, nil, fmt.Errorf("review track %s: panel: %w", t.ProposalID, err)
		}
		t.PanelScore, t.PanelRank, t.Passes, t.PanelNote = &pr.Score, &pr.Rank, &pr.Passes, pr.Note
	}
	return &t, pr, nil
}

func findTrack(ctx context.Context, q querier, proposalID string) (*pactum.ReviewTrack, *panelRecord, error) {
	t, pr, err := scanTrack(q.QueryRowContext(ctx, `SELECT `+trackColumns+` FROM review_tracks WHERE proposal_id = $1`, proposalID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q has no review.", proposalID)
	} else if err != nil {
		return nil, nil, fmt.Errorf("find review track %s: %w", proposalID, err)
	}
	return t, pr, nil
}

// openReview starts the review track of a proposal just routed to review,
// once its row exists.
func openReview(ctx context.Context, tx *Tx, p *pactum.Proposal, call *pactum.Call) error {
	if p.State != pactum.ProposalInReview {
		return nil
	}
	t := pactum.NewReviewTrack(p, call.Mode(p.Mode), tx.now)
	stages, err := json.Marshal(t.Stages)
	if err != nil {
		return fmt.Errorf("encode stages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO review_tracks (`+trackColumns+`) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)`,
		t.ProposalID, t.CallID, t.Stage, string(stages), t.StageStartedAt, t.UpdatedAt, t.Version); err != nil {
		return fmt.Errorf("open review: %w", mapError(err))
	}
	return tx.record("review.open", "proposal", p.ID, nil, map[string]any{"stage": t.Stage, "stages": t.Stages})
}

// saveTrack writes a track's stage and panel verdict, refusing a lost
// update.
func saveTrack(ctx context.Context, tx *Tx, t *pactum.ReviewTrack, pr *panelRecord) error {
	var panel any
	if pr != nil {
		b, err := json.Marshal(pr)
		if err != nil {
			return fmt.Errorf("encode panel verdict: %w", err)
		}
		panel = string(b)
		t.PanelScore, t.PanelRank, t.Passes, t.PanelNote = &pr.Score, &pr.Rank, &pr.Passes, pr.Note
	}
	old := t.Version
	t.UpdatedAt, t.Version = tx.now, old+1
	res, err := tx.ExecContext(ctx, `UPDATE review_tracks SET stage = $1, stage_started_at = $2, panel = $3, updated_at = $4, version = $5
		WHERE proposal_id = $6 AND version = $7`, t.Stage, t.StageStartedAt, panel, t.UpdatedAt, t.Version, t.ProposalID, old)
	return checkOneRow(res, err, "review of proposal", t.ProposalID)
}

// FindReviewTrack returns the review progress of a visible proposal.
func (s *ReviewService) FindReviewTrack(ctx context.Context, proposalID string) (*pactum.ReviewTrack, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := visibleProposal(ctx, s.db.r, u, proposalID); err != nil {
		return nil, err
	}
	t, _, err := findTrack(ctx, s.db.r, proposalID)
	return t, err
}

// stageProgress counts what the track's current stage has.
func (s *ReviewService) stageProgress(ctx context.Context, q querier, t *pactum.ReviewTrack) (pactum.StageProgress, error) {
	pr := pactum.StageProgress{}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'submitted' THEN 1 ELSE 0 END), 0)
		FROM review_assignments WHERE proposal_id = $1 AND stage = $2 AND state <> 'recused'`, t.ProposalID, t.Stage).Scan(&pr.Assigned, &pr.Submitted); err != nil {
		return pr, fmt.Errorf("count assignments: %w", err)
	}
	var err error
	if pr.SitesRequired, err = strings1(ctx, q, `SELECT DISTINCT s.site FROM proposal_requests r JOIN systems s ON s.id = r.system_id
		WHERE r.proposal_id = $1 ORDER BY s.site`, t.ProposalID); err != nil {
		return pr, err
	}
	if pr.SitesReviewed, err = strings1(ctx, q, `SELECT site FROM reviews WHERE proposal_id = $1 AND stage = 'technical' ORDER BY site`, t.ProposalID); err != nil {
		return pr, err
	}
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM review_replies WHERE proposal_id = $1)`, t.ProposalID).Scan(&pr.Replied); err != nil {
		return pr, fmt.Errorf("find reply: %w", err)
	}
	if pr.Rubric, err = callRubric(ctx, q, t.CallID, s.rubric); err != nil {
		return pr, err
	}
	return pr, nil
}

// strings1 runs a query of one text column.
func strings1(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return out, nil
}

// AdvanceReview closes the current stage of a proposal's review.
func (s *ReviewService) AdvanceReview(ctx context.Context, proposalID string) (*pactum.ReviewTrack, error) {
	if _, err := manager(ctx, "advance reviews"); err != nil {
		return nil, err
	}
	var t *pactum.ReviewTrack
	err := s.db.write(ctx, func(tx *Tx) error {
		p, err := findProposalByID(ctx, tx, proposalID)
		if err != nil {
			return err
		}
		if p.State != pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s, no longer in review.", p.State)
		}
		var pr *panelRecord
		if t, pr, err = findTrack(ctx, tx, proposalID); err != nil {
			return err
		}
		progress, err := s.stageProgress(ctx, tx, t)
		if err != nil {
			return err
		}
		progress.Now = tx.now
		if err := t.CanClose(progress); err != nil {
			return err
		}
		from := t.Stage
		if err := t.Advance(tx.now); err != nil {
			return err
		}
		if err := saveTrack(ctx, tx, t, pr); err != nil {
			return err
		}
		after := map[string]any{"stage": t.Stage}
		if t.Stage == pactum.StageReply {
			end := t.StageStartedAt.AddDate(0, 0, progress.Rubric.ReplyDays)
			n := &pactum.Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: pactum.NotifyReplyOpen,
				Subject: "Reviews of “" + p.Title + "” are available",
				Body: fmt.Sprintf("The technical assessment and peer reviews of your proposal are available (pactum reviews list %s). "+
					"You may reply until %s; the panel reads your reply with the reviews.", p.ID, end.Format("2006-01-02 15:04 MST"))}
			if err := notify(ctx, tx, n); err != nil {
				return err
			}
			after["notified"] = p.ApplicantID
		}
		return tx.record("review.advance", "proposal", p.ID, map[string]any{"stage": from}, after)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// --- reviews ---

// reviewBody is the part of a review stored as JSON.
type reviewBody struct {
	Scores               []pactum.CriterionScore   `json:"scores,omitempty"`
	Systems              []pactum.SystemAssessment `json:"systems,omitempty"`
	Conditions           []string                  `json:"conditions,omitempty"`
	CommentsForApplicant string                    `json:"comments_for_applicant"`
	ConfidentialComments string                    `json:"confidential_comments,omitempty"`
}

const reviewColumns = `id, proposal_id, stage, author_key, reviewer_id, site, recommendation, score, body, submitted_at, updated_at, version`

func scanReview(row scanner) (*pactum.Review, string, error) {
	var r pactum.Review
	var key, body string
	var score sql.NullFloat64
	if err := row.Scan(&r.ID, &r.ProposalID, &r.Stage, &key, &r.ReviewerID, &r.Site, &r.Recommendation, &score, &body,
		&r.SubmittedAt, &r.UpdatedAt, &r.Version); err != nil {
		return nil, "", err
	}
	var b reviewBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return nil, "", fmt.Errorf("review %s: body: %w", r.ID, err)
	}
	r.Scores, r.Systems, r.Conditions = b.Scores, b.Systems, b.Conditions
	r.CommentsForApplicant, r.ConfidentialComments = b.CommentsForApplicant, b.ConfidentialComments
	if score.Valid {
		r.Score = &score.Float64
	}
	r.SubmittedAt, r.UpdatedAt = r.SubmittedAt.UTC(), r.UpdatedAt.UTC()
	return &r, key, nil
}

// findReviews lists a proposal's reviews in stage order, then submission
// order, with their labels.
func findReviews(ctx context.Context, q querier, proposalID string) ([]*pactum.Review, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE proposal_id = $1 ORDER BY submitted_at, id`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("find reviews: %w", err)
	}
	defer rows.Close()
	var out []*pactum.Review
	for rows.Next() {
		r, _, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("scan review: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find reviews: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *pactum.Review) int {
		return slices.Index(pactum.ReviewStages, a.Stage) - slices.Index(pactum.ReviewStages, b.Stage)
	})
	n := map[pactum.ReviewStage]int{}
	for _, r := range out {
		switch r.Stage {
		case pactum.StageTechnical:
			r.Reviewer = "Technical assessment (" + r.Site + ")"
		case pactum.StageEthics:
			n[r.Stage]++
			r.Reviewer = fmt.Sprintf("Ethics reviewer %d", n[r.Stage])
		default:
			n[r.Stage]++
			r.Reviewer = fmt.Sprintf("Reviewer %d", n[r.Stage])
		}
	}
	return out, nil
}

// SubmitReview writes the caller's review of a proposal's current stage.
func (s *ReviewService) SubmitReview(ctx context.Context, proposalID string, in pactum.ReviewInput) (*pactum.Review, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *pactum.Review
	err = s.db.write(ctx, func(tx *Tx) error {
		p, err := visibleProposal(ctx, tx, u, proposalID)
		if err != nil {
			return err
		}
		if p.State != pactum.ProposalInReview {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal is %s; reviews are written while it is in review.", p.State)
		}
		t, _, err := findTrack(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if !t.Stage.Reviewed() {
			return pactum.Errorf(pactum.ECONFLICT, "The proposal's review is at the %s stage, where no reviews are written.", t.Stage)
		}
		rc := pactum.ReviewContext{Stage: t.Stage, Proposal: p}
		key, site := u.ID, ""
		switch t.Stage {
		case pactum.StageTechnical:
			if u.Role != pactum.RoleSiteOperator {
				return pactum.Errorf(pactum.EFORBIDDEN, "Technical assessments are written by the operators of the sites hosting the requested systems.")
			}
			systems, err := systemMap(ctx, tx)
			if err != nil {
				return err
			}
			for _, r := range p.Requests {
				if sys := systems[r.SystemID]; sys != nil && sys.Site == u.Site {
					rc.SiteSystems = append(rc.SiteSystems, sys)
				}
			}
			key, site = "site:"+u.Site, u.Site
		default:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_assignments WHERE proposal_id = $1 AND stage = $2
				AND reviewer_id = $3 AND state <> 'recused'`, p.ID, t.Stage, u.ID).Scan(&n); err != nil {
				return fmt.Errorf("find assignment: %w", err)
			}
			if n == 0 {
				return pactum.Errorf(pactum.EFORBIDDEN, "You are not assigned to the %s review of this proposal.", t.Stage)
			}
			if t.Stage == pactum.StagePeer {
				if rc.Rubric, err = callRubric(ctx, tx, p.CallID, s.rubric); err != nil {
					return err
				}
			}
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

// saveReview inserts the author's review of the stage or replaces theirs,
// marks the assignment submitted and records the change.
func saveReview(ctx context.Context, tx *Tx, u *pactum.User, p *pactum.Proposal, stage pactum.ReviewStage, key, site string,
	rubric *pactum.Rubric, in pactum.ReviewInput) (*pactum.Review, error) {
	r := &pactum.Review{ProposalID: p.ID, Stage: stage, ReviewerID: u.ID, Site: site, Scores: in.Scores, Systems: in.Systems,
		Conditions: in.Conditions, Recommendation: in.Recommendation, CommentsForApplicant: in.CommentsForApplicant,
		ConfidentialComments: in.ConfidentialComments, SubmittedAt: tx.now, UpdatedAt: tx.now, Version: 1}
	var score any
	if rubric != nil {
		w := rubric.Weighted(in.Scores)
		r.Score, score = &w, w
	}
	body, err := json.Marshal(reviewBody{Scores: r.Scores, Systems: r.Systems, Conditions: r.Conditions,
		CommentsForApplicant: r.CommentsForApplicant, ConfidentialComments: r.ConfidentialComments})
	if err != nil {
		return nil, fmt.Errorf("encode review: %w", err)
	}
	old, _, err := scanReview(tx.QueryRowContext(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE proposal_id = $1 AND stage = $2 AND author_key = $3`,
		p.ID, stage, key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r.ID = newID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.ID, r.ProposalID, r.Stage, key, r.ReviewerID, r.Site, r.Recommendation, score, string(body), r.SubmittedAt, r.UpdatedAt, r.Version); err != nil {
			return nil, fmt.Errorf("insert review: %w", mapError(err))
		}
		if err := tx.record("review.submit", "review", r.ID, nil, r); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("find review: %w", err)
	default:
		r.ID, r.SubmittedAt, r.Version = old.ID, old.SubmittedAt, old.Version+1
		res, err := tx.ExecContext(ctx, `UPDATE reviews SET reviewer_id = $1, recommendation = $2, score = $3, body = $4, updated_at = $5, version = $6
			WHERE id = $7 AND version = $8`, r.ReviewerID, r.Recommendation, score, string(body), r.UpdatedAt, r.Version, r.ID, old.Version)
		if err := checkOneRow(res, err, "review", r.ID); err != nil {
			return nil, err
		}
		if err := tx.record("review.update", "review", r.ID, old, r); err != nil {
			return nil, err
		}
	}
	if stage.Assignable() {
		if _, err := tx.ExecContext(ctx, `UPDATE review_assignments SET state = 'submitted', updated_at = $1, version = version + 1
			WHERE proposal_id = $2 AND stage = $3 AND reviewer_id = $4 AND state = 'assigned'`, tx.now, p.ID, stage, u.ID); err != nil {
			return nil, fmt.Errorf("mark assignment submitted: %w", err)
		}
	}
	return r, nil
}

// FindReviews lists the reviews of a visible proposal that the caller may
// read, anonymised for applicants.
func (s *ReviewService) FindReviews(ctx context.Context, proposalID string, f pactum.ReviewFilter) ([]*pactum.Review, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := visibleProposal(ctx, s.db.r, u, proposalID)
	if err != nil {
		return nil, err
	}
	t, _, err := findTrack(ctx, s.db.r, proposalID)
	if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
		return nil, err
	}
	all, err := findReviews(ctx, s.db.r, proposalID)
	if err != nil {
		return nil, err
	}
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

// ethicsConditions returns the conditions of a proposal's ethics reviews
// (from unconflicted reviewers), as findings to attach to its awards.
func ethicsConditions(ctx context.Context, q querier, proposalID string) ([]pactum.Finding, error) {
	rows, err := q.QueryContext(ctx, `SELECT body FROM reviews r WHERE proposal_id = $1 AND stage = 'ethics' AND recommendation = 'accept_with_conditions'
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.proposal_id = r.proposal_id AND c.reviewer_id = r.reviewer_id AND c.status = 'active')
		ORDER BY submitted_at, id`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("ethics conditions: %w", err)
	}
	defer rows.Close()
	var out []pactum.Finding
	seen := map[string]bool{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("scan ethics review: %w", err)
		}
		var b reviewBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return nil, fmt.Errorf("ethics review: %w", err)
		}
		for _, c := range b.Conditions {
			if !seen[c] {
				seen[c] = true
				out = append(out, pactum.Finding{RuleID: "ethics.review", Basis: "Ethics review of the proposal",
					Effect: pactum.EffectCondition, Message: c})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ethics conditions: %w", err)
	}
	return out, nil
}

// --- reply ---

// SubmitReply writes the applicant's reply during the reply stage.
func (s *ReviewService) SubmitReply(ctx context.Context, proposalID, text string) (*pactum.Reply, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" || len(text) > 20000 {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The reply is not valid.",
			Fields: []pactum.FieldError{{Field: "text", Message: "is required (at most 20000 characters)"}}}
	}
	var out *pactum.Reply
	err = s.db.write(ctx, func(tx *Tx) error {
		p, err := editable(ctx, tx, u, proposalID)
		if err != nil {
			return err
		}
		t, _, err := findTrack(ctx, tx, p.ID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		if p.State != pactum.ProposalInReview || t == nil || t.Stage != pactum.StageReply {
			return pactum.Errorf(pactum.ECONFLICT, "Replies are written while the reply stage is open; this proposal is not there.")
		}
		old, err := findReply(ctx, tx, p.ID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		out = &pactum.Reply{ProposalID: p.ID, AuthorID: u.ID, Text: text, SubmittedAt: tx.now, UpdatedAt: tx.now, Version: 1}
		if old == nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_replies (proposal_id, author_id, text, submitted_at, updated_at, version)
				VALUES ($1, $2, $3, $4, $5, $6)`, out.ProposalID, out.AuthorID, out.Text, out.SubmittedAt, out.UpdatedAt, out.Version); err != nil {
				return fmt.Errorf("insert reply: %w", mapError(err))
			}
			return tx.record("review.reply", "proposal", p.ID, nil, out)
		}
		out.SubmittedAt, out.Version = old.SubmittedAt, old.Version+1
		res, err := tx.ExecContext(ctx, `UPDATE review_replies SET author_id = $1, text = $2, updated_at = $3, version = $4
			WHERE proposal_id = $5 AND version = $6`, out.AuthorID, out.Text, out.UpdatedAt, out.Version, out.ProposalID, old.Version)
		if err := checkOneRow(res, err, "reply to proposal", p.ID); err != nil {
			return err
		}
		return tx.record("review.reply", "proposal", p.ID, old, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findReply(ctx context.Context, q querier, proposalID string) (*pactum.Reply, error) {
	var r pactum.Reply
	err := q.QueryRowContext(ctx, `SELECT proposal_id, author_id, text, submitted_at, updated_at, version FROM review_replies WHERE proposal_id = $1`,
		proposalID).Scan(&r.ProposalID, &r.AuthorID, &r.Text, &r.SubmittedAt, &r.UpdatedAt, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q has no reply.", proposalID)
	} else if err != nil {
		return nil, fmt.Errorf("find reply: %w", err)
	}
	r.SubmittedAt, r.UpdatedAt = r.SubmittedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

// FindReply returns the reply to a visible proposal.
func (s *ReviewService) FindReply(ctx context.Context, proposalID string) (*pactum.Reply, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := visibleProposal(ctx, s.db.r, u, proposalID); err != nil {
		return nil, err
	}
	return findReply(ctx, s.db.r, proposalID)
}

// --- panel ---

// peerScores returns the score sheets of a proposal's peer reviews by
// reviewers without an active conflict.
func peerScores(ctx context.Context, q querier, proposalID string) ([][]pactum.CriterionScore, error) {
	rows, err := q.QueryContext(ctx, `SELECT body FROM reviews r WHERE proposal_id = $1 AND stage = 'peer'
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.proposal_id = r.proposal_id AND c.reviewer_id = r.reviewer_id AND c.status = 'active')
		ORDER BY submitted_at, id`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("peer reviews: %w", err)
	}
	defer rows.Close()
	var out [][]pactum.CriterionScore
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("scan peer review: %w", err)
		}
		var b reviewBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return nil, fmt.Errorf("peer review: %w", err)
		}
		out = append(out, b.Scores)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("peer reviews: %w", err)
	}
	return out, nil
}

// proposalsAtStage returns the call's proposals in review whose track is at
// stage, oldest first.
func proposalsAtStage(ctx context.Context, q querier, callID string, stage pactum.ReviewStage) ([]*pactum.Proposal, error) {
	cols := "p." + strings.ReplaceAll(proposalColumns, ", ", ", p.")
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM proposals p JOIN review_tracks t ON t.proposal_id = p.id
		WHERE t.call_id = $1 AND t.stage = $2 AND p.state = 'in_review' ORDER BY p.id`, callID, stage)
	if err != nil {
		return nil, fmt.Errorf("proposals at %s: %w", stage, err)
	}
	defer rows.Close()
	var out []*pactum.Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("scan proposal: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("proposals at %s: %w", stage, err)
	}
	return out, nil
}

// RankPanel ranks the call's proposals at the panel stage.
func (s *ReviewService) RankPanel(ctx context.Context, callID string, in pactum.PanelInput) ([]*pactum.PanelEntry, error) {
	if _, err := manager(ctx, "rank proposals"); err != nil {
		return nil, err
	}
	var out []*pactum.PanelEntry
	err := s.db.write(ctx, func(tx *Tx) error {
		if _, err := findCallByID(ctx, tx, callID); err != nil {
			return err
		}
		rubric, err := callRubric(ctx, tx, callID, s.rubric)
		if err != nil {
			return err
		}
		props, err := proposalsAtStage(ctx, tx, callID, pactum.StagePanel)
		if err != nil {
			return err
		}
		byID := map[string]*pactum.PanelEntry{}
		out = make([]*pactum.PanelEntry, 0, len(props))
		for _, p := range props {
			sheets, err := peerScores(ctx, tx, p.ID)
			if err != nil {
				return err
			}
			v := rubric.Assess(sheets)
			e := &pactum.PanelEntry{ProposalID: p.ID, OrganizationID: p.OrganizationID, Title: p.Title, Reviews: len(sheets),
				ReviewScore: v.Score, Score: v.Score, Passes: v.Passes, Verdict: v}
			byID[p.ID] = e
			out = append(out, e)
		}
		var val pactum.Validator
		for i, a := range in.Adjustments {
			f := fmt.Sprintf("adjustments[%d]", i)
			e := byID[a.ProposalID]
			val.Check(e != nil, f+".proposal_id", "names no proposal of the call at the panel stage: %q", a.ProposalID)
			val.Check(a.Score >= 0 && a.Score <= 5, f+".score", "must be between 0 and 5")
			val.Check(strings.TrimSpace(a.Justification) != "" && len(a.Justification) <= 5000, f+".justification",
				"is required: a panel that departs from the reviews says why (at most 5000 characters)")
			if e != nil && a.Score >= 0 && a.Score <= 5 {
				e.Score, e.Note = a.Score, a.Justification
			}
		}
		for _, e := range out {
			// A panel may move a score, never a criterion's threshold: a
			// proposal that failed one still fails.
			criteria := e.Reviews > 0
			for _, m := range e.Verdict.Means {
				criteria = criteria && m.Passes
			}
			e.Passes = criteria && e.Score >= rubric.PassScore-1e-9
		}
		if err := val.Err("The panel's ranking is not valid."); err != nil {
			return err
		}
		pactum.RankPanel(out)
		for _, e := range out {
			t, _, err := findTrack(ctx, tx, e.ProposalID)
			if err != nil {
				return err
			}
			pr := &panelRecord{Score: e.Score, Rank: e.Rank, Passes: e.Passes, Note: e.Note, ReviewScore: e.ReviewScore, Reviews: e.Reviews, Verdict: e.Verdict}
			if err := t.Advance(tx.now); err != nil {
				return err
			}
			if err := saveTrack(ctx, tx, t, pr); err != nil {
				return err
			}
			if err := tx.record("review.rank", "proposal", e.ProposalID, map[string]any{"stage": pactum.StagePanel},
				map[string]any{"stage": t.Stage, "score": e.Score, "review_score": e.ReviewScore, "rank": e.Rank, "passes": e.Passes, "note": e.Note}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindRanking returns the call's ranked proposals, best first.
func (s *ReviewService) FindRanking(ctx context.Context, callID string) ([]*pactum.PanelEntry, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanReadAll(u) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers and auditors may read the panel's ranking.")
	}
	if _, err := findCallByID(ctx, s.db.r, callID); err != nil {
		return nil, err
	}
	rows, err := s.db.r.QueryContext(ctx, `SELECT p.id, p.organization_id, p.title, t.panel FROM review_tracks t JOIN proposals p ON p.id = t.proposal_id
		WHERE t.call_id = $1 AND t.panel IS NOT NULL ORDER BY p.id`, callID)
	if err != nil {
		return nil, fmt.Errorf("find ranking: %w", err)
	}
	defer rows.Close()
	out := []*pactum.PanelEntry{}
	for rows.Next() {
		var e pactum.PanelEntry
		var panel string
		if err := rows.Scan(&e.ProposalID, &e.OrganizationID, &e.Title, &panel); err != nil {
			return nil, fmt.Errorf("scan ranking: %w", err)
		}
		var pr panelRecord
		if err := json.Unmarshal([]byte(panel), &pr); err != nil {
			return nil, fmt.Errorf("panel verdict of %s: %w", e.ProposalID, err)
		}
		e.Score, e.Rank, e.Passes, e.Note, e.ReviewScore, e.Reviews, e.Verdict = pr.Score, pr.Rank, pr.Passes, pr.Note, pr.ReviewScore, pr.Reviews, pr.Verdict
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find ranking: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *pactum.PanelEntry) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.ProposalID, b.ProposalID)
	})
	return out, nil
}
