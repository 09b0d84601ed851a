// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReviewStage is where a proposal in review stands. It is a sub-state of
// ProposalInReview: the proposal's own state machine is unchanged, and the
// stages run inside it, each change with its own audit event.
type ReviewStage string

// The review stages, in EuroHPC's order: the hosting site's technical
// assessment, the ethics review of referred proposals, peer review against
// the call's rubric, the applicant's right to reply, the panel's ranking,
// and finally the decision (by an allocation run or an access manager).
const (
	StageTechnical ReviewStage = "technical"
	StageEthics    ReviewStage = "ethics"
	StagePeer      ReviewStage = "peer"
	StageReply     ReviewStage = "reply"
	StagePanel     ReviewStage = "panel"
	StageDecision  ReviewStage = "decision"
)

// ReviewStages lists every stage in order.
var ReviewStages = []ReviewStage{StageTechnical, StageEthics, StagePeer, StageReply, StagePanel, StageDecision}

// Valid reports whether s is a defined stage.
func (s ReviewStage) Valid() bool { return slices.Contains(ReviewStages, s) }

// Reviewed reports whether reviews are written in stage s.
func (s ReviewStage) Reviewed() bool {
	return s == StageTechnical || s == StageEthics || s == StagePeer
}

// Assignable reports whether reviewers are assigned for stage s. Technical
// assessments are written by the hosting sites' operators, who need no
// assignment: the requested systems name their sites.
func (s ReviewStage) Assignable() bool { return s == StageEthics || s == StagePeer }

// PlanReview returns the stages a proposal routed to review goes through,
// ending with StageDecision. Modes decided by peer review (those without
// automatic approval) take the full path: technical assessment, ethics
// review when screening referred the proposal to ethics or legal review,
// peer review, the right to reply and the panel. Modes with automatic
// approval reach review only through a referral (or a capacity shortfall);
// they take just the reviews their referrals ask for, and an access manager
// decides them.
func PlanReview(mode *CallMode, d *ScreeningDecision) []ReviewStage {
	var technical, ethics bool
	if d != nil {
		for _, f := range d.Findings {
			if f.Effect != EffectRefer {
				continue
			}
			switch f.Referral {
			case "technical":
				technical = true
			case "ethics", "legal":
				ethics = true
			}
		}
	}
	var out []ReviewStage
	peerReviewed := mode == nil || !mode.AutoApprove
	if peerReviewed || technical {
		out = append(out, StageTechnical)
	}
	if ethics {
		out = append(out, StageEthics)
	}
	if peerReviewed {
		out = append(out, StagePeer, StageReply, StagePanel)
	}
	return append(out, StageDecision)
}

// ReviewTrack is a proposal's progress through its review stages, and the
// panel's verdict on it once ranked.
type ReviewTrack struct {
	ProposalID string      `json:"proposal_id"`
	CallID     string      `json:"call_id"`
	Stage      ReviewStage `json:"stage"`
	// Stages is the plan (PlanReview), fixed when the proposal enters
	// review.
	Stages         []ReviewStage `json:"stages"`
	StageStartedAt time.Time     `json:"stage_started_at"`
	// The panel's verdict: the score an allocation run weights the
	// proposal's hours by, its rank in the call, whether it passes the
	// rubric's thresholds, and the panel's note.
	PanelScore *float64  `json:"panel_score,omitempty"`
	PanelRank  *int      `json:"panel_rank,omitempty"`
	Passes     *bool     `json:"passes,omitempty"`
	PanelNote  string    `json:"panel_note,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int       `json:"version"`
}

// NewReviewTrack starts the review of p, routed to review at at, on the
// first stage of its plan.
func NewReviewTrack(p *Proposal, mode *CallMode, at time.Time) *ReviewTrack {
	stages := PlanReview(mode, p.Screening)
	return &ReviewTrack{ProposalID: p.ID, CallID: p.CallID, Stage: stages[0], Stages: stages, StageStartedAt: at, UpdatedAt: at, Version: 1}
}

// Next returns the stage after the current one, or false at the end.
func (t *ReviewTrack) Next() (ReviewStage, bool) {
	i := slices.Index(t.Stages, t.Stage)
	if i < 0 || i+1 >= len(t.Stages) {
		return "", false
	}
	return t.Stages[i+1], true
}

// Has reports whether the plan includes stage s.
func (t *ReviewTrack) Has(s ReviewStage) bool { return slices.Contains(t.Stages, s) }

// Reached reports whether the track is at stage s or beyond it. A stage not
// in the plan is reached once a later one is.
func (t *ReviewTrack) Reached(s ReviewStage) bool {
	return slices.Index(ReviewStages, t.Stage) >= slices.Index(ReviewStages, s)
}

// Advance moves the track to the next stage of its plan, or returns ECONFLICT
// at the end. Whether the current stage may close is CanClose's question;
// the caller asks it first and records the audit event.
func (t *ReviewTrack) Advance(at time.Time) error {
	next, ok := t.Next()
	if !ok {
		return Errorf(ECONFLICT, "The review is complete (stage %s); the proposal awaits its decision.", t.Stage)
	}
	t.Stage = next
	t.StageStartedAt = at
	return nil
}

// StageProgress is what a store counts about a track's current stage, for
// CanClose.
type StageProgress struct {
	// Assigned and Submitted count the stage's active assignments and the
	// reviews their reviewers submitted; Waiting names the assigned
	// reviewers whose review is not in (for access managers' eyes).
	Assigned, Submitted int
	Waiting             []string
	// SitesRequired lists the hosting sites of the requested systems;
	// SitesReviewed those that submitted a technical assessment.
	SitesRequired, SitesReviewed []string
	// Replied: the applicant has replied.
	Replied bool
	Rubric  *Rubric
	Now     time.Time
}

// CanClose returns nil when the track's current stage has what it needs to
// close, or ECONFLICT saying what is missing:
//   - technical: an assessment from every site hosting a requested system;
//   - ethics: at least one review, and one from every assigned reviewer;
//   - peer: at least the rubric's minimum of reviewers, and one from every
//     assigned reviewer;
//   - reply: the applicant's reply, or the end of the rubric's reply window
//     (the right to reply is a right, not a duty);
//   - panel: never one proposal alone: the panel ranks the call's
//     proposals together (ReviewService.RankPanel);
//   - decision: never; a decision ends the review.
func (t *ReviewTrack) CanClose(pr StageProgress) error {
	switch t.Stage {
	case StageTechnical:
		var missing []string
		for _, s := range pr.SitesRequired {
			if !slices.Contains(pr.SitesReviewed, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return Errorf(ECONFLICT, "The technical assessment is incomplete: waiting for %s.", strings.Join(missing, ", "))
		}
	case StageEthics, StagePeer:
		need := 1
		if t.Stage == StagePeer && pr.Rubric != nil {
			need = pr.Rubric.MinReviewers
		}
		if pr.Submitted < need {
			waiting := ""
			if len(pr.Waiting) > 0 {
				waiting = " (waiting for " + strings.Join(pr.Waiting, ", ") + ")"
			}
			return Errorf(ECONFLICT, "The %s review needs at least %d review(s); %d submitted%s.", t.Stage, need, pr.Submitted, waiting)
		}
		if pr.Submitted < pr.Assigned {
			waiting := ""
			if len(pr.Waiting) > 0 {
				waiting = "; waiting for " + strings.Join(pr.Waiting, ", ")
			}
			return Errorf(ECONFLICT, "The %s review is incomplete: %d of %d assigned reviewers have submitted%s.", t.Stage, pr.Submitted, pr.Assigned, waiting)
		}
	case StageReply:
		days := 0
		if pr.Rubric != nil {
			days = pr.Rubric.ReplyDays
		}
		if end := t.StageStartedAt.AddDate(0, 0, days); !pr.Replied && pr.Now.Before(end) {
			return Errorf(ECONFLICT, "The applicant may reply until %s and has not yet replied.", end.UTC().Format(time.RFC3339))
		}
	case StagePanel:
		return Errorf(ECONFLICT, "The panel ranks the call's proposals together; rank the call instead of advancing one proposal.")
	case StageDecision:
		return Errorf(ECONFLICT, "The review is complete; the proposal awaits its decision.")
	}
	return nil
}

// Recommendation is a reviewer's advice.
type Recommendation string

// The recommendations. Conditions go only with an ethics review's
// accept_with_conditions.
const (
	RecommendAccept               Recommendation = "accept"
	RecommendAcceptWithConditions Recommendation = "accept_with_conditions"
	RecommendReject               Recommendation = "reject"
)

// SystemAssessment is a hosting site's technical verdict on one requested
// system.
type SystemAssessment struct {
	SystemID string `json:"system_id"`
	// Feasible: the work can run on the system as planned.
	Feasible bool `json:"feasible"`
	// SoftwareFits: the proposal's software stack runs on the system
	// (CUDA on the NVIDIA systems, ROCm on LUMI's AMD GPUs). A site may
	// deny a fit the catalogue allows, never claim one it rules out.
	SoftwareFits bool `json:"software_fits"`
	// ScalabilityEvidence: the proposal shows the code scales to the
	// requested size.
	ScalabilityEvidence bool   `json:"scalability_evidence"`
	Comment             string `json:"comment"`
}

// Usable reports whether an allocation may use the system: feasible and the
// software fits.
func (a *SystemAssessment) Usable() bool { return a.Feasible && a.SoftwareFits }

// Review is one reviewer's review of a proposal in one stage: a technical
// assessment (by the hosting site), an ethics review or a peer review.
type Review struct {
	ID         string      `json:"id"`
	ProposalID string      `json:"proposal_id"`
	Stage      ReviewStage `json:"stage"`
	// ReviewerID is withheld from applicants, who see Reviewer, a label
	// such as "Reviewer 2" or "Technical assessment (CSC)".
	ReviewerID string `json:"reviewer_id,omitempty"`
	Reviewer   string `json:"reviewer"`
	// Site is the hosting site of a technical assessment.
	Site string `json:"site,omitempty"`
	// Scores and Score (their weighted sum) are a peer review's.
	Scores []CriterionScore `json:"scores,omitempty"`
	Score  *float64         `json:"score,omitempty"`
	// Systems are a technical assessment's verdicts per system.
	Systems []SystemAssessment `json:"systems,omitempty"`
	// Conditions are an ethics review's obligations; they join the
	// screening's conditions on the award.
	Conditions []string `json:"conditions,omitempty"`
	// ConditionDueDays, when given, pairs with Conditions: the days after
	// the allocation starts by which the holder reports how each is met
	// (0: when the mode's obligation terms say).
	ConditionDueDays     []int          `json:"condition_due_days,omitempty"`
	Recommendation       Recommendation `json:"recommendation"`
	CommentsForApplicant string         `json:"comments_for_applicant"`
	// ConfidentialComments are for the panel and access managers only.
	ConfidentialComments string    `json:"confidential_comments,omitempty"`
	SubmittedAt          time.Time `json:"submitted_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	Version              int       `json:"version"`
}

// MaxConditionDueDays bounds an ethics condition's own due date: about
// three years, the longest allocation period.
const MaxConditionDueDays = 1100

// ReviewInput is what a reviewer writes.
type ReviewInput struct {
	Scores               []CriterionScore   `json:"scores,omitempty"`
	Systems              []SystemAssessment `json:"systems,omitempty"`
	Conditions           []string           `json:"conditions,omitempty"`
	ConditionDueDays     []int              `json:"condition_due_days,omitempty"`
	Recommendation       Recommendation     `json:"recommendation"`
	CommentsForApplicant string             `json:"comments_for_applicant"`
	ConfidentialComments string             `json:"confidential_comments,omitempty"`
}

// ReviewContext is what ReviewInput.Validate checks a review against.
type ReviewContext struct {
	Stage    ReviewStage
	Rubric   *Rubric
	Proposal *Proposal
	// SiteSystems are the requested systems hosted by the technical
	// reviewer's site; a technical assessment covers exactly these.
	SiteSystems []*System
}

// Validate checks a review for its stage: a peer review scores every rubric
// criterion once, 0–5; a technical assessment covers every requested system
// of the reviewer's site and claims no software fit the catalogue rules out;
// an ethics review's conditions go with accept_with_conditions and only
// there. Every review explains itself to the applicant.
func (in *ReviewInput) Validate(rc ReviewContext) error {
	var v Validator
	v.Check(strings.TrimSpace(in.CommentsForApplicant) != "", "comments_for_applicant", "is required: applicants are owed an explanation")
	v.Check(len(in.CommentsForApplicant) <= 10000, "comments_for_applicant", "must be at most 10000 characters")
	v.Check(len(in.ConfidentialComments) <= 10000, "confidential_comments", "must be at most 10000 characters")
	v.Text("comments_for_applicant", in.CommentsForApplicant, true)
	v.Text("confidential_comments", in.ConfidentialComments, true)
	switch in.Recommendation {
	case RecommendAccept, RecommendReject:
	case RecommendAcceptWithConditions:
		v.Check(rc.Stage == StageEthics, "recommendation", "accept_with_conditions is for ethics reviews; peer and technical reviews accept or reject")
	default:
		v.Add("recommendation", "must be accept, accept_with_conditions or reject")
	}
	if rc.Stage == StageEthics {
		v.Check(in.Recommendation != RecommendAcceptWithConditions || len(in.Conditions) > 0, "conditions", "must list the conditions of an acceptance with conditions")
		v.Check(in.Recommendation == RecommendAcceptWithConditions || len(in.Conditions) == 0, "conditions", "are only for accept_with_conditions")
		v.Check(len(in.Conditions) <= 20, "conditions", "must be at most 20")
		for i, c := range in.Conditions {
			v.Check(strings.TrimSpace(c) != "" && len(c) <= 1000, "conditions["+itoa(i)+"]", "must be a sentence of at most 1000 characters")
			v.Text("conditions["+itoa(i)+"]", c, true)
		}
		v.Check(len(in.ConditionDueDays) == 0 || len(in.ConditionDueDays) == len(in.Conditions), "condition_due_days",
			"must give one number of days per condition (0 for the mode's default), or be left out")
		for i, d := range in.ConditionDueDays {
			v.Check(d >= 0 && d <= MaxConditionDueDays, "condition_due_days["+itoa(i)+"]",
				"must be between 0 (the mode's default) and %d days after the allocation starts", MaxConditionDueDays)
		}
	} else {
		v.Check(len(in.Conditions) == 0, "conditions", "are only for ethics reviews")
		v.Check(len(in.ConditionDueDays) == 0, "condition_due_days", "are only for ethics reviews")
	}
	if rc.Stage == StagePeer {
		scored := map[string]bool{}
		for i, s := range in.Scores {
			f := "scores[" + itoa(i) + "]"
			known := rc.Rubric != nil && slices.ContainsFunc(rc.Rubric.Criteria, func(c RubricCriterion) bool { return c.ID == s.Criterion })
			v.Check(known, f+".criterion", "names no criterion of the call's rubric: %q", s.Criterion)
			v.Check(!scored[s.Criterion], f+".criterion", "is scored twice")
			scored[s.Criterion] = true
			v.Check(s.Score >= 0 && s.Score <= 5, f+".score", "must be between 0 and 5")
		}
		if rc.Rubric != nil {
			for _, c := range rc.Rubric.Criteria {
				v.Check(scored[c.ID], "scores", "must score criterion %q", c.ID)
			}
		}
	} else {
		v.Check(len(in.Scores) == 0, "scores", "are only for peer reviews")
	}
	if rc.Stage == StageTechnical {
		want := map[string]*System{}
		for _, s := range rc.SiteSystems {
			want[s.ID] = s
		}
		seen := map[string]bool{}
		for i, a := range in.Systems {
			f := "systems[" + itoa(i) + "]"
			sys := want[a.SystemID]
			v.Check(sys != nil, f+".system_id", "names no requested system of your site: %q", a.SystemID)
			v.Check(!seen[a.SystemID], f+".system_id", "is assessed twice")
			seen[a.SystemID] = true
			if sys != nil && rc.Proposal != nil && a.SoftwareFits {
				need := rc.Proposal.Software
				v.Check(need == "" || need == SoftwareAny || need == sys.Software, f+".software_fits",
					"cannot be true: %s runs %s and the proposal needs %s", sys.ID, sys.Software, need)
			}
			v.Check(len(a.Comment) <= 5000, f+".comment", "must be at most 5000 characters")
			v.Text(f+".comment", a.Comment, true)
		}
		for _, s := range rc.SiteSystems {
			v.Check(seen[s.ID], "systems", "must assess requested system %q", s.ID)
		}
	} else {
		v.Check(len(in.Systems) == 0, "systems", "are only for technical assessments")
	}
	return v.Err("The review is not valid.")
}

// Reply is the applicant's answer to the reviews, read by the panel.
type Reply struct {
	ProposalID  string    `json:"proposal_id"`
	AuthorID    string    `json:"author_id"`
	Text        string    `json:"text"`
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int       `json:"version"`
}

// ReviewFilter selects a proposal's reviews. Nil fields match everything.
type ReviewFilter struct {
	Stage *ReviewStage
}

// ReviewService runs the review of proposals in review: stages, the rubric,
// reviews, the applicant's reply and the panel. Every change writes an
// audit event in its transaction. Visibility follows
// CanSeeProposalWith: a reviewer sees only proposals they are assigned to
// and not conflicted on, and every read here answers ENOTFOUND for a
// proposal the caller may not see.
type ReviewService interface {
	// FindRubric returns the call's published rubric (its own or the
	// default). Any authenticated caller. ENOTFOUND for an unknown call.
	FindRubric(ctx context.Context, callID string) (*Rubric, error)
	// SetRubric publishes a rubric for the call. Access managers only.
	// EINVALID for a bad rubric, ECONFLICT once a peer review exists in
	// the call.
	SetRubric(ctx context.Context, callID string, r *Rubric) error

	// FindReviewTrack returns the review progress of a proposal the
	// caller may see. ENOTFOUND otherwise, or when it never reached
	// review.
	FindReviewTrack(ctx context.Context, proposalID string) (*ReviewTrack, error)
	// AdvanceReview closes the current stage and opens the next when
	// ReviewTrack.CanClose allows; entering the reply stage notifies the
	// applicant. Access managers only. ECONFLICT saying what is missing,
	// or when the proposal is no longer in review.
	AdvanceReview(ctx context.Context, proposalID string) (*ReviewTrack, error)

	// SubmitReview writes (or, while the stage is open, rewrites) the
	// caller's review of a proposal in its current stage: for the
	// technical stage a site operator of a site hosting a requested
	// system; for ethics and peer review an assigned, unconflicted
	// reviewer. ENOTFOUND when the caller may not see the proposal,
	// EFORBIDDEN when they may see it but not review it now, EINVALID for
	// a bad review, ECONFLICT when the proposal is not in a reviewed
	// stage.
	SubmitReview(ctx context.Context, proposalID string, in ReviewInput) (*Review, error)
	// FindReviews lists the reviews of a proposal the caller may read:
	// access managers and auditors all of them; reviewers their own;
	// site operators their site's technical assessments; the applicant's
	// organization every review, anonymised and without confidential
	// comments, once the reply stage opens or the proposal is decided.
	FindReviews(ctx context.Context, proposalID string, f ReviewFilter) ([]*Review, error)

	// SubmitReply writes (or rewrites) the applicant's reply while the
	// reply stage is open. The applicant's organization only. ECONFLICT
	// outside the reply stage.
	SubmitReply(ctx context.Context, proposalID, text string) (*Reply, error)
	// FindReply returns the reply to a proposal the caller may see, or
	// ENOTFOUND.
	FindReply(ctx context.Context, proposalID string) (*Reply, error)

	// RankPanel ranks the call's proposals at the panel stage by their
	// peer reviews under the call's rubric, applies the panel's
	// adjustments, stores each proposal's score, rank and verdict and
	// moves it to the decision stage. Access managers only. EINVALID for
	// an adjustment of a proposal not at the panel stage or without a
	// justification.
	RankPanel(ctx context.Context, callID string, in PanelInput) ([]*PanelEntry, error)
	// FindRanking returns the call's ranked proposals, best first.
	// Access managers and auditors only.
	FindRanking(ctx context.Context, callID string) ([]*PanelEntry, error)
}

// LabelReviews orders a proposal's reviews by stage, keeping submission
// order within a stage, and labels each as applicants see them: the
// technical assessment by its site, the others numbered within their
// stage ("Reviewer 2", "Ethics reviewer 1").
func LabelReviews(reviews []*Review) {
	slices.SortStableFunc(reviews, func(a, b *Review) int {
		return slices.Index(ReviewStages, a.Stage) - slices.Index(ReviewStages, b.Stage)
	})
	n := map[ReviewStage]int{}
	for _, r := range reviews {
		switch r.Stage {
		case StageTechnical:
			r.Reviewer = "Technical assessment (" + r.Site + ")"
		case StageEthics:
			n[r.Stage]++
			r.Reviewer = fmt.Sprintf("Ethics reviewer %d", n[r.Stage])
		default:
			n[r.Stage]++
			r.Reviewer = fmt.Sprintf("Reviewer %d", n[r.Stage])
		}
	}
}
