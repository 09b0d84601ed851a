// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// When a proposal may be decided, and the override for emergencies. A
// decision follows the proposal's review plan (PlanReview): the fast lane's
// referrals once the reviews screening asked for are in, peer-reviewed
// modes only by an allocation run after the panel, and those only after
// the call's cut-off unless the mode is rolling. An override decides
// earlier, visibly: a written justification by one access manager,
// confirmed by another.

// MinJustification is the shortest justification an override accepts: an
// emergency is explained in a sentence, not a word.
const MinJustification = 20

// OverrideInput asks for a decision the review plan does not yet allow.
type OverrideInput struct {
	// Justification says why the review cannot be waited for; it is
	// shown on the proposal and kept in the audit log.
	Justification string `json:"justification"`
}

// Validate checks the justification.
func (o *OverrideInput) Validate() error {
	var v Validator
	j := strings.TrimSpace(o.Justification)
	v.Check(utf8.RuneCountInString(j) >= MinJustification, "override.justification",
		"is required: an override says in at least %d characters why the review cannot be waited for", MinJustification)
	v.Check(len(o.Justification) <= 5000, "override.justification", "must be at most 5000 characters")
	v.Text("override.justification", o.Justification, true)
	return v.Err("The override is not valid.")
}

// DecisionOverride is an override on a proposal: requested by one access
// manager with a justification and the decision asked for, applied only
// when a second access manager confirms it.
type DecisionOverride struct {
	RequestedBy   string    `json:"requested_by"`
	RequestedAt   time.Time `json:"requested_at"`
	Justification string    `json:"justification"`
	// Decision is the decision asked for, applied as it is on
	// confirmation.
	Decision OverrideDecision `json:"decision"`
	// Stage is the review stage the proposal was at when the override was
	// requested; Missing is what the review plan still lacked (MayDecide's
	// refusal), so that the record says what was skipped.
	Stage   ReviewStage `json:"stage,omitempty"`
	Missing string      `json:"missing"`
	// ConfirmedBy and ConfirmedAt are set once a second access manager
	// confirmed the override and the decision was applied.
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
}

// OverrideDecision is the decision an override asks for.
type OverrideDecision struct {
	Accept bool    `json:"accept"`
	Grants []Grant `json:"grants,omitempty"`
	Reason string  `json:"reason"`
}

// Pending reports whether the override awaits its confirmation.
func (o *DecisionOverride) Pending() bool { return o != nil && o.ConfirmedBy == "" }

// Input returns the decision the override asks for, as a DecisionInput.
func (o *DecisionOverride) Input() DecisionInput {
	return DecisionInput{Accept: o.Decision.Accept, Grants: o.Decision.Grants, Reason: o.Decision.Reason}
}

// CheckConfirmer returns EFORBIDDEN when userID may not confirm the
// override (it is the requester's own), ECONFLICT when none is pending.
func (o *DecisionOverride) CheckConfirmer(userID string) error {
	if !o.Pending() {
		return Errorf(ECONFLICT, "No override of this proposal awaits confirmation.")
	}
	if o.RequestedBy == userID {
		return Errorf(EFORBIDDEN, "You requested this override; a second access manager must confirm it.")
	}
	return nil
}

// MayDecide returns nil when an access manager may decide p now under its
// review plan, or ECONFLICT saying why not and what is missing:
//   - p must be in review;
//   - modes without automatic approval are peer-reviewed and decided by an
//     allocation run after the panel's ranking, never one by one;
//   - the fast lane's referrals (modes with automatic approval) once the
//     reviews screening asked for are in: the track is at the decision
//     stage, or at the plan's last review stage with that stage complete
//     (ReviewTrack.CanClose).
//
// t is p's review track (nil when it has none) and pr the progress of its
// current stage (ReviewQueries.GetStageProgress). The refusal says what the
// review lacks; OverrideHint says how to decide anyway.
func MayDecide(p *Proposal, mode *CallMode, t *ReviewTrack, pr StageProgress) error {
	if p.State != ProposalInReview {
		return Errorf(ECONFLICT, "The proposal is %s; only a proposal in review is decided.", p.State)
	}
	if mode == nil || !mode.AutoApprove {
		stage := "not started"
		if t != nil {
			stage = string(t.Stage)
		}
		return Errorf(ECONFLICT, "%s proposals are decided by an allocation run after the panel's ranking, not one by one; stage is %s.", p.Mode, stage)
	}
	if t == nil {
		if len(PlanReview(mode, p.Screening)) == 1 {
			return nil // no review asked for: a capacity shortfall
		}
		return Errorf(ECONFLICT, "The proposal has no review track, so the reviews screening asked for cannot be checked.")
	}
	if t.Stage == StageDecision {
		return nil
	}
	var missing []string
	if err := t.CanClose(pr); err != nil {
		missing = append(missing, ErrorMessage(err))
	}
	after := false
	for _, s := range t.Stages {
		if after && s.Reviewed() {
			missing = append(missing, fmt.Sprintf("The %s not yet submitted (the review is at stage %s).", stageWork(s), t.Stage))
		}
		after = after || s == t.Stage
	}
	if len(missing) == 0 {
		return nil
	}
	return Errorf(ECONFLICT, "The proposal cannot be decided yet: screening asked for %s. %s", planWork(t.Stages), strings.Join(missing, " "))
}

// OverrideHint follows MayDecide's refusal when an access manager tried to
// decide: the way out in an emergency.
const OverrideHint = "In an emergency, request an override with a written justification for a second access manager to confirm."

// stageWork names what a review stage produces.
func stageWork(s ReviewStage) string {
	switch s {
	case StageTechnical:
		return "technical assessment is"
	case StageEthics:
		return "ethics review is"
	}
	return string(s) + " reviews are"
}

// planWork lists the reviews of a plan, for MayDecide's refusal.
func planWork(stages []ReviewStage) string {
	var out []string
	for _, s := range stages {
		switch s {
		case StageTechnical:
			out = append(out, "a technical assessment")
		case StageEthics:
			out = append(out, "an ethics review")
		case StagePeer:
			out = append(out, "peer review")
		}
	}
	if len(out) == 0 {
		return "no review"
	}
	return strings.Join(out, " and ")
}

// CheckRankable returns nil when the call's proposals may be ranked by the
// panel or allocated by a run at now, or ECONFLICT naming the cut-off:
// proposals of a peer-reviewed mode that is not rolling compete with each
// other, so none is ranked before every one could be submitted. what names
// the refused step ("rank the panel", "run an allocation").
func (c *Call) CheckRankable(now time.Time, what string) error {
	if !now.Before(c.CutoffAt) {
		return nil
	}
	var fixed []string
	for _, m := range c.Modes {
		if !m.AutoApprove && !m.Rolling {
			fixed = append(fixed, string(m.Mode))
		}
	}
	if len(fixed) == 0 {
		return nil
	}
	return Errorf(ECONFLICT, "Cannot %s of call %q before its cut-off at %s: its %s proposals are ranked together after the cut-off, not as they arrive.",
		what, c.Title, c.CutoffAt.UTC().Format(time.RFC3339), strings.Join(fixed, ", "))
}
