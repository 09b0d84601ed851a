// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// Outcome is the overall result of screening a proposal.
type Outcome string

// The screening outcomes.
const (
	OutcomeApprove Outcome = "approve" // no deny, no refer: eligible for automatic approval
	OutcomeRefer   Outcome = "refer"   // needs human review (ethics, technical or legal)
	OutcomeDeny    Outcome = "deny"    // refused outright
)

// Outcomes lists the screening outcomes.
var Outcomes = []Outcome{OutcomeApprove, OutcomeRefer, OutcomeDeny}

// Valid reports whether o is a known screening outcome.
func (o Outcome) Valid() bool { return o == OutcomeApprove || o == OutcomeRefer || o == OutcomeDeny }

// Effect is what one rule's finding does to the outcome.
type Effect string

// The rule effects, strongest first.
const (
	EffectDeny      Effect = "deny"
	EffectRefer     Effect = "refer"
	EffectCondition Effect = "condition" // an obligation attached to the award
	EffectInfo      Effect = "info"
)

// Finding is one rule that fired, with its legal basis and a message for the
// applicant.
type Finding struct {
	RuleID  string `json:"rule_id"`
	Basis   string `json:"basis"`
	Effect  Effect `json:"effect"`
	Message string `json:"message"`
	// Referral names the review a refer finding asks for: "ethics",
	// "technical" or "legal".
	Referral string `json:"referral,omitempty"`
	// DueDays is an ethics review's own deadline for a condition: the
	// holder reports how it is met within this many days of the
	// allocation's start. 0 leaves it to the mode's obligation terms.
	DueDays int `json:"due_days,omitempty"`
}

// ComputeEstimate is one estimate of a proposal's training compute.
type ComputeEstimate struct {
	// Method is "6PD" (parameters × tokens), "hardware" (GPUs × seconds ×
	// peak × utilisation) or "declared".
	Method string  `json:"method"`
	FLOP   float64 `json:"flop"`
	// Assumptions states what the estimate rests on (for example the
	// utilisation used), as the GPAI guidelines require.
	Assumptions string `json:"assumptions,omitempty"`
}

// ScreeningDecision is the screener's verdict on a proposal: the outcome, every
// finding, and the ruleset that produced it, so the decision can be explained
// and reproduced.
type ScreeningDecision struct {
	Outcome        Outcome           `json:"outcome"`
	Findings       []Finding         `json:"findings"`
	Estimates      []ComputeEstimate `json:"estimates,omitempty"`
	RulesetVersion string            `json:"ruleset_version"`
	RulesetHash    string            `json:"ruleset_hash"`
	ScreenedAt     time.Time         `json:"screened_at"`
}

// Conditions returns the messages of the condition findings: the obligations
// an award carries.
func (d *ScreeningDecision) Conditions() []Finding {
	var out []Finding
	for _, f := range d.Findings {
		if f.Effect == EffectCondition {
			out = append(out, f)
		}
	}
	return out
}

// OutcomeOf derives the outcome from findings: any deny denies, else any
// refer refers, else approve.
func OutcomeOf(findings []Finding) Outcome {
	out := OutcomeApprove
	for _, f := range findings {
		switch f.Effect {
		case EffectDeny:
			return OutcomeDeny
		case EffectRefer:
			out = OutcomeRefer
		}
	}
	return out
}

// ScreeningInput is everything a screener may look at.
type ScreeningInput struct {
	Proposal     *Proposal
	Organization *Organization
	Call         *Call
	// Systems is the catalogue by ID.
	Systems map[string]*System
	// At is the date of the decision: rules apply by it.
	At time.Time
}

// Screener screens proposals. Implementations must be safe for concurrent
// use and deterministic: the same input gives the same decision.
type Screener interface {
	Screen(ctx context.Context, in *ScreeningInput) (*ScreeningDecision, error)
}

// Route decides where a screened proposal goes: a deny is rejected; a clean
// screening in a mode with automatic approval is approved; everything else
// goes to review.
func Route(mode *CallMode, d *ScreeningDecision) ProposalState {
	switch {
	case d.Outcome == OutcomeDeny:
		return ProposalRejected
	case d.Outcome == OutcomeApprove && mode != nil && mode.AutoApprove:
		return ProposalApproved
	default:
		return ProposalInReview
	}
}
