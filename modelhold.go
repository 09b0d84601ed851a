// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"strings"
	"time"
)

// Holding a model's jobs. A call may make it a term of its awards
// (Call.HoldModelsAtSystemicRisk) that once a model of an organization
// holding one of the call's allocations reaches the systemic-risk
// threshold's margin (the alert that starts Art. 52(1)'s two weeks,
// ComputeAlert.Notifiable), the model is held: the site agents hold its
// pending jobs under the call's allocations, and pactum job submit refuses
// new ones there, until an access manager acknowledges the hold, having
// checked with the provider that the notification is under way. The other
// calls' allocations, whose terms did not say so, are not held.
//
// A model is held at most once: the acknowledgement covers the Art. 52
// event, so later alerts of the same threshold (90 %, met) do not hold it
// again; they are notified as before.

// ModelHold is a model's hold, and its acknowledgement once given.
type ModelHold struct {
	ModelID        string `json:"model_id"`
	Model          string `json:"model"` // NAME@VERSION, as jobs name it
	OrganizationID string `json:"organization_id"`
	// CallID is the call whose terms held the model (one of them, when
	// the organization holds allocations of several such calls).
	CallID string    `json:"call_id"`
	Reason string    `json:"reason"`
	HeldAt time.Time `json:"held_at"`
	// AcknowledgedAt, AcknowledgedBy and Note are the access manager's
	// acknowledgement, which released the hold; nil while held.
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	Note           string     `json:"note,omitempty"`
}

// Held reports whether the hold is in force (not acknowledged).
func (h *ModelHold) Held() bool { return h != nil && h.AcknowledgedAt == nil }

// HoldReason says why a model is held, for the hold and its notices.
func HoldReason(label string, al ComputeAlert) string {
	where := "within the ±30 % margin of 10^25 FLOP"
	if al.Fraction >= 1 {
		where = "at or above 10^25 FLOP"
	}
	return "The cumulative training compute of " + label + " reached " + TwoSF(al.FLOP) + " FLOP, " + where +
		" (AI Act Art. 51(2)); the call's terms hold the model's further jobs until an access manager acknowledges."
}

// ModelHoldService releases held models.
type ModelHoldService interface {
	// AcknowledgeModelHold releases a held model with the access
	// manager's note, recorded in the audit log. Access managers only
	// (EFORBIDDEN for other roles that may see the model; ENOTFOUND for a
	// model the caller may not see); EINVALID for an empty note;
	// ECONFLICT for a model that was never held. Acknowledging again
	// returns the first acknowledgement unchanged.
	AcknowledgeModelHold(ctx context.Context, ref, note string) (*ModelHold, error)
}

// ValidateHoldNote checks an acknowledgement's note: what the access
// manager checked before releasing the model.
func ValidateHoldNote(s string) error {
	var v Validator
	v.Check(len(strings.TrimSpace(s)) >= 3, "note", "is required: say what was checked (e.g. the provider's notification to the AI Office)")
	v.Check(len(s) <= 5000, "note", "must be at most 5000 characters")
	v.Text("note", s, true)
	return v.Err("The acknowledgement is not valid.")
}
