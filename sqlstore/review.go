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

// --- tracks ---

const trackColumns = `proposal_id, call_id, stage, stages, stage_started_at, panel, updated_at, version`

func scanTrack(row scanner) (*pactum.ReviewTrack, *pactum.PanelRecord, error) {
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
	pr, err := scanPanel(t.ProposalID, panel)
	if err != nil {
		return nil, nil, err
	}
	t.SetPanel(pr)
	return &t, pr, nil
}

// scanPanel decodes a track's panel column (nil when NULL).
func scanPanel(proposalID string, panel sql.NullString) (*pactum.PanelRecord, error) {
	if !panel.Valid {
		return nil, nil
	}
	pr := new(pactum.PanelRecord)
	if err := json.Unmarshal([]byte(panel.String), pr); err != nil {
		return nil, fmt.Errorf("panel verdict of %s: %w", proposalID, err)
	}
	return pr, nil
}

// GetReviewTrack returns a proposal's review track and panel verdict.
func (q *queries) GetReviewTrack(ctx context.Context, proposalID string) (*pactum.ReviewTrack, *pactum.PanelRecord, error) {
	t, pr, err := scanTrack(q.q.QueryRowContext(ctx, `SELECT `+trackColumns+` FROM review_tracks WHERE proposal_id = $1`, proposalID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q has no review.", proposalID)
	} else if err != nil {
		return nil, nil, fmt.Errorf("find review track %s: %w", proposalID, err)
	}
	return t, pr, nil
}

// InsertReviewTrack starts a proposal's review track.
func (tx *Tx) InsertReviewTrack(ctx context.Context, t *pactum.ReviewTrack) error {
	stages, err := json.Marshal(t.Stages)
	if err != nil {
		return fmt.Errorf("encode stages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO review_tracks (`+trackColumns+`) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)`,
		t.ProposalID, t.CallID, t.Stage, string(stages), t.StageStartedAt, t.UpdatedAt, t.Version); err != nil {
		return fmt.Errorf("open review: %w", mapError(err))
	}
	return nil
}

// UpdateReviewTrack writes a track's stage and panel verdict, refusing a
// lost update.
func (tx *Tx) UpdateReviewTrack(ctx context.Context, t *pactum.ReviewTrack, pr *pactum.PanelRecord, oldVersion int) error {
	var panel any
	if pr != nil {
		b, err := json.Marshal(pr)
		if err != nil {
			return fmt.Errorf("encode panel verdict: %w", err)
		}
		panel = string(b)
	}
	res, err := tx.ExecContext(ctx, `UPDATE review_tracks SET stage = $1, stage_started_at = $2, panel = $3, updated_at = $4, version = $5
		WHERE proposal_id = $6 AND version = $7`, t.Stage, t.StageStartedAt, panel, t.UpdatedAt, t.Version, t.ProposalID, oldVersion)
	return checkOneRow(res, err, "review of proposal", t.ProposalID)
}

// GetStageProgress counts what the track's current stage has.
func (q *queries) GetStageProgress(ctx context.Context, t *pactum.ReviewTrack) (pactum.StageProgress, error) {
	pr := pactum.StageProgress{}
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'submitted' THEN 1 ELSE 0 END), 0)
		FROM review_assignments WHERE proposal_id = $1 AND stage = $2 AND state <> 'recused'`, t.ProposalID, t.Stage).Scan(&pr.Assigned, &pr.Submitted); err != nil {
		return pr, fmt.Errorf("count assignments: %w", err)
	}
	var err error
	if pr.Waiting, err = q.strings(ctx, `SELECT u.name FROM review_assignments a JOIN users u ON u.id = a.reviewer_id
		WHERE a.proposal_id = $1 AND a.stage = $2 AND a.state = 'assigned' ORDER BY u.name`, t.ProposalID, t.Stage); err != nil {
		return pr, err
	}
	if pr.SitesRequired, err = q.strings(ctx, `SELECT DISTINCT s.site FROM proposal_requests r JOIN systems s ON s.id = r.system_id
		WHERE r.proposal_id = $1 ORDER BY s.site`, t.ProposalID); err != nil {
		return pr, err
	}
	if pr.SitesReviewed, err = q.strings(ctx, `SELECT site FROM reviews WHERE proposal_id = $1 AND stage = 'technical' ORDER BY site`, t.ProposalID); err != nil {
		return pr, err
	}
	if err := q.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM review_replies WHERE proposal_id = $1)`, t.ProposalID).Scan(&pr.Replied); err != nil {
		return pr, fmt.Errorf("find reply: %w", err)
	}
	return pr, nil
}

// strings runs a query of one text column.
func (q *queries) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	return listAll(ctx, q.q, "query", query, args, func(row scanner, _ ...any) (string, error) {
		var s string
		return s, row.Scan(&s)
	})
}

// ListProposalsAtStage returns the call's proposals in review whose track
// is at stage, oldest first.
func (q *queries) ListProposalsAtStage(ctx context.Context, callID string, stage pactum.ReviewStage) ([]*pactum.Proposal, error) {
	return listAll(ctx, q.q, "proposals at "+string(stage), `SELECT `+proposalColumnsP+` FROM proposals p JOIN review_tracks t ON t.proposal_id = p.id
		WHERE t.call_id = $1 AND t.stage = $2 AND p.state = 'in_review' ORDER BY p.id`, []any{callID, stage}, scanProposal)
}

// --- rubric ---

// GetCallRubric returns the call's own rubric, or ENOTFOUND.
func (q *queries) GetCallRubric(ctx context.Context, callID string) (*pactum.Rubric, error) {
	var body string
	err := q.q.QueryRowContext(ctx, `SELECT rubric FROM call_rubrics WHERE call_id = $1`, callID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Call %q has no rubric of its own.", callID)
	} else if err != nil {
		return nil, fmt.Errorf("rubric of call %s: %w", callID, err)
	}
	var r pactum.Rubric
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("rubric of call %s: %w", callID, err)
	}
	return &r, nil
}

// SaveCallRubric publishes a call's rubric.
func (tx *Tx) SaveCallRubric(ctx context.Context, callID string, r *pactum.Rubric, at time.Time) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rubric: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO call_rubrics (call_id, rubric, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (call_id) DO UPDATE SET rubric = excluded.rubric, updated_at = excluded.updated_at`,
		callID, string(body), at); err != nil {
		return fmt.Errorf("save rubric: %w", mapError(err))
	}
	return nil
}

// CountReviews counts the reviews of stage across a call.
func (q *queries) CountReviews(ctx context.Context, callID string, stage pactum.ReviewStage) (int, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews r JOIN proposals p ON p.id = r.proposal_id
		WHERE p.call_id = $1 AND r.stage = $2`, callID, stage).Scan(&n); err != nil {
		return 0, fmt.Errorf("count reviews: %w", err)
	}
	return n, nil
}

// --- reviews ---

// reviewBody is the part of a review stored as JSON.
type reviewBody struct {
	Scores               []pactum.CriterionScore   `json:"scores,omitempty"`
	Systems              []pactum.SystemAssessment `json:"systems,omitempty"`
	Conditions           []string                  `json:"conditions,omitempty"`
	ConditionDueDays     []int                     `json:"condition_due_days,omitempty"`
	CommentsForApplicant string                    `json:"comments_for_applicant"`
	ConfidentialComments string                    `json:"confidential_comments,omitempty"`
}

const reviewColumns = `id, proposal_id, stage, author_key, reviewer_id, site, recommendation, score, body, submitted_at, updated_at, version`

func scanReview(row scanner, _ ...any) (*pactum.Review, error) {
	var r pactum.Review
	var key, body string
	var score sql.NullFloat64
	if err := row.Scan(&r.ID, &r.ProposalID, &r.Stage, &key, &r.ReviewerID, &r.Site, &r.Recommendation, &score, &body,
		&r.SubmittedAt, &r.UpdatedAt, &r.Version); err != nil {
		return nil, err
	}
	var b reviewBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return nil, fmt.Errorf("review %s: body: %w", r.ID, err)
	}
	r.Scores, r.Systems, r.Conditions, r.ConditionDueDays = b.Scores, b.Systems, b.Conditions, b.ConditionDueDays
	r.CommentsForApplicant, r.ConfidentialComments = b.CommentsForApplicant, b.ConfidentialComments
	if score.Valid {
		r.Score = &score.Float64
	}
	r.SubmittedAt, r.UpdatedAt = r.SubmittedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

func reviewJSON(r *pactum.Review) (score any, body string, err error) {
	if r.Score != nil {
		score = *r.Score
	}
	b, err := json.Marshal(reviewBody{Scores: r.Scores, Systems: r.Systems, Conditions: r.Conditions, ConditionDueDays: r.ConditionDueDays,
		CommentsForApplicant: r.CommentsForApplicant, ConfidentialComments: r.ConfidentialComments})
	if err != nil {
		return nil, "", fmt.Errorf("encode review: %w", err)
	}
	return score, string(b), nil
}

// ListReviews returns a proposal's reviews in submission order.
func (q *queries) ListReviews(ctx context.Context, proposalID string) ([]*pactum.Review, error) {
	return listAll(ctx, q.q, "find reviews", `SELECT `+reviewColumns+` FROM reviews WHERE proposal_id = $1 ORDER BY submitted_at, id`,
		[]any{proposalID}, scanReview)
}

// ListCountedReviews returns a proposal's reviews of stage by reviewers
// without an active conflict, in submission order.
func (q *queries) ListCountedReviews(ctx context.Context, proposalID string, stage pactum.ReviewStage) ([]*pactum.Review, error) {
	return listAll(ctx, q.q, string(stage)+" reviews", `SELECT `+reviewColumns+` FROM reviews r WHERE proposal_id = $1 AND stage = $2
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.proposal_id = r.proposal_id AND c.reviewer_id = r.reviewer_id AND c.status = 'active')
		ORDER BY submitted_at, id`, []any{proposalID, stage}, scanReview)
}

// GetReviewByAuthor returns the review of stage written under authorKey, or
// ENOTFOUND.
func (q *queries) GetReviewByAuthor(ctx context.Context, proposalID string, stage pactum.ReviewStage, authorKey string) (*pactum.Review, error) {
	r, err := scanReview(q.q.QueryRowContext(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE proposal_id = $1 AND stage = $2 AND author_key = $3`,
		proposalID, stage, authorKey))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "No %s review of proposal %q by %s.", stage, proposalID, authorKey)
	} else if err != nil {
		return nil, fmt.Errorf("find review: %w", err)
	}
	return r, nil
}

// IsAssigned reports whether reviewerID holds an unrecused assignment on
// the proposal for stage.
func (q *queries) IsAssigned(ctx context.Context, proposalID string, stage pactum.ReviewStage, reviewerID string) (bool, error) {
	var ok bool
	if err := q.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM review_assignments WHERE proposal_id = $1 AND stage = $2
		AND reviewer_id = $3 AND state <> 'recused')`, proposalID, stage, reviewerID).Scan(&ok); err != nil {
		return false, fmt.Errorf("find assignment: %w", err)
	}
	return ok, nil
}

// InsertReview stores a new review under its author's key.
func (tx *Tx) InsertReview(ctx context.Context, r *pactum.Review, authorKey string) error {
	score, body, err := reviewJSON(r)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.ProposalID, r.Stage, authorKey, r.ReviewerID, r.Site, r.Recommendation, score, body, r.SubmittedAt, r.UpdatedAt, r.Version); err != nil {
		return fmt.Errorf("insert review: %w", mapError(err))
	}
	return nil
}

// UpdateReview rewrites a review, refusing a lost update.
func (tx *Tx) UpdateReview(ctx context.Context, r *pactum.Review, oldVersion int) error {
	score, body, err := reviewJSON(r)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE reviews SET reviewer_id = $1, recommendation = $2, score = $3, body = $4, updated_at = $5, version = $6
		WHERE id = $7 AND version = $8`, r.ReviewerID, r.Recommendation, score, body, r.UpdatedAt, r.Version, r.ID, oldVersion)
	return checkOneRow(res, err, "review", r.ID)
}

// --- replies ---

// GetReply returns the reply to a proposal, or ENOTFOUND.
func (q *queries) GetReply(ctx context.Context, proposalID string) (*pactum.Reply, error) {
	var r pactum.Reply
	err := q.q.QueryRowContext(ctx, `SELECT proposal_id, author_id, text, submitted_at, updated_at, version FROM review_replies WHERE proposal_id = $1`,
		proposalID).Scan(&r.ProposalID, &r.AuthorID, &r.Text, &r.SubmittedAt, &r.UpdatedAt, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q has no reply.", proposalID)
	} else if err != nil {
		return nil, fmt.Errorf("find reply: %w", err)
	}
	r.SubmittedAt, r.UpdatedAt = r.SubmittedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

// InsertReply stores the applicant's reply.
func (tx *Tx) InsertReply(ctx context.Context, r *pactum.Reply) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO review_replies (proposal_id, author_id, text, submitted_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ProposalID, r.AuthorID, r.Text, r.SubmittedAt, r.UpdatedAt, r.Version); err != nil {
		return fmt.Errorf("insert reply: %w", mapError(err))
	}
	return nil
}

// UpdateReply rewrites the reply, refusing a lost update.
func (tx *Tx) UpdateReply(ctx context.Context, r *pactum.Reply, oldVersion int) error {
	res, err := tx.ExecContext(ctx, `UPDATE review_replies SET author_id = $1, text = $2, updated_at = $3, version = $4
		WHERE proposal_id = $5 AND version = $6`, r.AuthorID, r.Text, r.UpdatedAt, r.Version, r.ProposalID, oldVersion)
	return checkOneRow(res, err, "reply to proposal", r.ProposalID)
}

// --- panel ---

// ListRanking returns the panel's verdicts on a call's proposals.
func (q *queries) ListRanking(ctx context.Context, callID string) ([]*pactum.PanelEntry, error) {
	return listAll(ctx, q.q, "find ranking", `SELECT p.id, p.organization_id, p.title, t.panel FROM review_tracks t JOIN proposals p ON p.id = t.proposal_id
		WHERE t.call_id = $1 AND t.panel IS NOT NULL ORDER BY p.id`, []any{callID}, func(row scanner, _ ...any) (*pactum.PanelEntry, error) {
		var e pactum.PanelEntry
		var panel sql.NullString
		if err := row.Scan(&e.ProposalID, &e.OrganizationID, &e.Title, &panel); err != nil {
			return nil, err
		}
		pr, err := scanPanel(e.ProposalID, panel)
		if err != nil {
			return nil, err
		}
		e.Score, e.Rank, e.Passes, e.Note, e.ReviewScore, e.Reviews, e.Verdict = pr.Score, pr.Rank, pr.Passes, pr.Note, pr.ReviewScore, pr.Reviews, pr.Verdict
		return &e, nil
	})
}
