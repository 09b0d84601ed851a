// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"strings"
	"time"
)

// AccessMode is one of EuroHPC's routes to compute.
type AccessMode string

// The access modes. Their default caps and targets are data
// (catalog/modes.json); a call may tighten them.
const (
	ModePlayground   AccessMode = "playground"
	ModeFastLane     AccessMode = "fast_lane"
	ModeLargeScale   AccessMode = "large_scale"
	ModeBenchmark    AccessMode = "benchmark"
	ModeDevelopment  AccessMode = "development"
	ModeRegular      AccessMode = "regular"
	ModeExtremeScale AccessMode = "extreme_scale"
)

// AccessModes lists every mode in a stable order.
var AccessModes = []AccessMode{ModePlayground, ModeFastLane, ModeLargeScale, ModeBenchmark, ModeDevelopment, ModeRegular, ModeExtremeScale}

// Valid reports whether m is a defined access mode.
func (m AccessMode) Valid() bool {
	for _, x := range AccessModes {
		if m == x {
			return true
		}
	}
	return false
}

// CallMode is an access mode as offered by one call, with its caps.
type CallMode struct {
	Mode AccessMode `json:"mode"`
	// MinGPUHours and MaxGPUHours bound a proposal's total request, summed
	// over systems in GPU-hours (node-hours converted by GPUs per node).
	// Zero MaxGPUHours means no cap.
	MinGPUHours float64 `json:"min_gpu_hours"`
	MaxGPUHours float64 `json:"max_gpu_hours"`
	// MaxDurationMonths caps the allocation's length.
	MaxDurationMonths int `json:"max_duration_months"`
	// DecisionWorkingDays is the time-to-decision target from submission
	// (fast lane 4, playground 2) or from the cut-off for peer-reviewed
	// modes.
	DecisionWorkingDays int `json:"decision_working_days"`
	// AutoApprove lets a clean screening approve at submission (fast lane
	// and playground); otherwise every proposal goes to review.
	AutoApprove bool `json:"auto_approve"`
	// RequiresSME restricts the mode to SMEs and startups.
	RequiresSME bool `json:"requires_sme"`
	// RequiresAIPact requires the three AI Pact core pledges.
	RequiresAIPact bool `json:"requires_ai_pact"`
	// Rolling modes are evaluated as proposals arrive; the others are
	// ranked against each other after the call's cut-off, so no panel
	// ranking or allocation run of the call happens before it
	// (Call.CheckRankable).
	Rolling bool `json:"rolling"`
}

// Validate checks one mode's caps.
func (m *CallMode) Validate() error {
	var v Validator
	v.Check(m.Mode.Valid(), "mode", "must be one of %s", joinModes())
	v.Check(inRange(m.MinGPUHours, 0, MaxAmount), "min_gpu_hours", "must be between 0 and %g", float64(MaxAmount))
	v.Check(inRange(m.MaxGPUHours, 0, MaxAmount), "max_gpu_hours", "must be between 0 and %g", float64(MaxAmount))
	v.Check(m.MaxGPUHours == 0 || m.MaxGPUHours >= m.MinGPUHours, "max_gpu_hours", "must not be below min_gpu_hours")
	v.Check(m.MaxDurationMonths >= 1 && m.MaxDurationMonths <= 36, "max_duration_months", "must be between 1 and 36")
	v.Check(m.DecisionWorkingDays >= 0 && m.DecisionWorkingDays <= 365, "decision_working_days", "must be between 0 and 365")
	return v.Err("The access mode is not valid.")
}

func joinModes() string {
	s := make([]string, len(AccessModes))
	for i, m := range AccessModes {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// Call is an invitation to apply for compute in given modes and systems
// between its opening and its cut-off.
type Call struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	OpensAt     time.Time  `json:"opens_at"`
	CutoffAt    time.Time  `json:"cutoff_at"`
	Modes       []CallMode `json:"modes"`
	SystemIDs   []string   `json:"system_ids"`
	// HoldModelsAtSystemicRisk makes it a term of the call's awards that
	// a model of the allocation's organization is held when it reaches
	// the systemic-risk threshold's margin, until an access manager
	// acknowledges (modelhold.go). Off by default.
	HoldModelsAtSystemicRisk bool `json:"hold_models_at_systemic_risk"`
	// BlockOverdueOrganizations makes the call refuse new proposals of an
	// organization with an overdue obligation (obligation.go). Off by
	// default.
	BlockOverdueOrganizations bool      `json:"block_overdue_organizations"`
	CreatedAt                 time.Time `json:"created_at"`
}

// IsOpen reports whether proposals may be submitted at t.
func (c *Call) IsOpen(t time.Time) bool {
	return !t.Before(c.OpensAt) && t.Before(c.CutoffAt)
}

// Mode returns the call's terms for mode m, or nil when the call does not
// offer it.
func (c *Call) Mode(m AccessMode) *CallMode {
	for i := range c.Modes {
		if c.Modes[i].Mode == m {
			return &c.Modes[i]
		}
	}
	return nil
}

// OffersSystem reports whether the call offers system id.
func (c *Call) OffersSystem(id string) bool {
	for _, s := range c.SystemIDs {
		if s == id {
			return true
		}
	}
	return false
}

// Validate checks the call's own fields; whether its systems exist is the
// store's concern. now bounds the dates: the opening and the cut-off lie
// within CallWindowYears of it, either way (a cut-off in year 9999 is a
// typing slip, not a call).
func (c *Call) Validate(now time.Time) error {
	var v Validator
	v.Check(strings.TrimSpace(c.Title) != "", "title", "is required")
	v.Check(len(c.Title) <= 200, "title", "must be at most 200 characters")
	v.Text("title", c.Title, false)
	v.Check(len(c.Description) <= 20000, "description", "must be at most 20000 characters")
	v.Text("description", c.Description, true)
	v.Check(!c.OpensAt.IsZero(), "opens_at", "is required")
	v.Check(!c.CutoffAt.IsZero(), "cutoff_at", "is required")
	lo, hi := now.AddDate(-CallWindowYears, 0, 0), now.AddDate(CallWindowYears, 0, 0)
	v.Check(c.OpensAt.IsZero() || (!c.OpensAt.Before(lo) && !c.OpensAt.After(hi)), "opens_at",
		"must lie within %d years of today (%s to %s)", CallWindowYears, DateOf(lo), DateOf(hi))
	v.Check(c.CutoffAt.IsZero() || (!c.CutoffAt.Before(lo) && !c.CutoffAt.After(hi)), "cutoff_at",
		"must lie within %d years of today (%s to %s)", CallWindowYears, DateOf(lo), DateOf(hi))
	v.Check(c.OpensAt.IsZero() || c.CutoffAt.IsZero() || c.CutoffAt.After(c.OpensAt), "cutoff_at", "must be after opens_at")
	v.Check(len(c.Modes) > 0, "modes", "must offer at least one access mode")
	seen := map[AccessMode]bool{}
	for i := range c.Modes {
		p := "modes[" + itoa(i) + "]"
		v.Merge(p, c.Modes[i].Validate())
		v.Check(!seen[c.Modes[i].Mode], p+".mode", "is offered twice")
		seen[c.Modes[i].Mode] = true
	}
	v.Check(len(c.SystemIDs) > 0, "system_ids", "must offer at least one system")
	sys := map[string]bool{}
	for i, id := range c.SystemIDs {
		v.Check(!sys[id], "system_ids["+itoa(i)+"]", "is listed twice")
		v.Text("system_ids["+itoa(i)+"]", id, false)
		sys[id] = true
	}
	return v.Err("The call is not valid.")
}

// CallFilter selects calls. Nil fields match everything.
type CallFilter struct {
	// OpenAt selects calls open at that time.
	OpenAt        *time.Time
	Limit, Offset int
}

// SystemDemand is what a call asks of one system against what it can give
// in a period: the requests of its submitted proposals, the grants of its
// decisions, and the system's capacity.
type SystemDemand struct {
	SystemID  string  `json:"system_id"`
	Capacity  float64 `json:"capacity"`
	Requested float64 `json:"requested"`
	Granted   float64 `json:"granted"`
}

// Over reports whether more is requested than the system can give.
func (d SystemDemand) Over() bool { return d.Requested > d.Capacity }

// CallService manages calls.
type CallService interface {
	// CreateCall opens a call. Access managers only. EINVALID for bad fields
	// or unknown systems.
	CreateCall(ctx context.Context, c *Call) error
	// FindCallByID returns a call; any authenticated caller may read calls.
	FindCallByID(ctx context.Context, id string) (*Call, error)
	// FindCalls lists calls, newest first, and the total matching.
	FindCalls(ctx context.Context, f CallFilter) ([]*Call, int, error)
	// UpdateCallTerms changes the call's terms given in t, from now on, in
	// one transaction: for the models held already, the sites hold or
	// release their jobs under the call's allocations accordingly; an
	// organization with an overdue obligation is refused from its next
	// submission. Access managers only (EFORBIDDEN); ENOTFOUND for an
	// unknown call; EINVALID when t changes nothing.
	UpdateCallTerms(ctx context.Context, id string, t CallTerms) (*Call, error)
}

// CallTerms is a change of a call's terms (PATCH /api/v1/calls/{id}): a
// nil term is left as it is.
type CallTerms struct {
	HoldModelsAtSystemicRisk  *bool `json:"hold_models_at_systemic_risk,omitempty"`
	BlockOverdueOrganizations *bool `json:"block_overdue_organizations,omitempty"`
}

// Empty reports whether t names no term.
func (t CallTerms) Empty() bool {
	return t.HoldModelsAtSystemicRisk == nil && t.BlockOverdueOrganizations == nil
}

// Apply sets c's terms named in t and reports whether any changed.
func (t CallTerms) Apply(c *Call) bool {
	changed := false
	set := func(term *bool, v *bool) {
		if v != nil && *term != *v {
			*term, changed = *v, true
		}
	}
	set(&c.HoldModelsAtSystemicRisk, t.HoldModelsAtSystemicRisk)
	set(&c.BlockOverdueOrganizations, t.BlockOverdueOrganizations)
	return changed
}
