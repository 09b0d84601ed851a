// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"math"
	"time"
)

// The defaults of an allocation run's parameters.
const (
	// DefaultOrgCapShare caps each organization at a quarter of what the
	// call can still grant (GPU-hours summed over its systems), so that
	// one applicant cannot take a cut-off.
	DefaultOrgCapShare = 0.25
	// DefaultReservedShare keeps a fifth of every system for startups
	// and SMEs: LUMI reserves up to 20 % of the JU's share for industry
	// and SMEs, and the scheme exists for them.
	DefaultReservedShare = 0.2
	// ReservedClassSME is the reservation class of organizations that
	// are SMEs (startups included) under Recommendation 2003/361/EC.
	ReservedClassSME = "startup_sme"
)

// AllocationRunState is whether a run's awards were published.
type AllocationRunState string

// The run states.
const (
	RunDraft     AllocationRunState = "draft"
	RunPublished AllocationRunState = "published"
)

// AllocationRunInput is what an access manager sets for a run. Nil fields
// take the defaults.
type AllocationRunInput struct {
	// OrgCapGPUHours caps what one organization may receive, in GPU-hours
	// over all systems; it overrides OrgCapShare.
	OrgCapGPUHours *float64 `json:"org_cap_gpu_hours,omitempty"`
	// OrgCapShare caps one organization at this share (0–1] of the
	// call's remaining capacity (default DefaultOrgCapShare).
	OrgCapShare *float64 `json:"org_cap_share,omitempty"`
	// ReservedShare [0–1) of every system is kept for startups and SMEs
	// (default DefaultReservedShare).
	ReservedShare *float64 `json:"reserved_share,omitempty"`
}

// Validate checks the input's ranges.
func (in *AllocationRunInput) Validate() error {
	var v Validator
	if in.OrgCapGPUHours != nil {
		v.Check(inRange(*in.OrgCapGPUHours, 0, MaxAmount), "org_cap_gpu_hours", "must be between 0 and %g", float64(MaxAmount))
	}
	if in.OrgCapShare != nil {
		v.Check(*in.OrgCapShare > 0 && inRange(*in.OrgCapShare, 0, 1), "org_cap_share", "must be above 0 and at most 1")
	}
	if in.ReservedShare != nil {
		v.Check(inRange(*in.ReservedShare, 0, 1) && *in.ReservedShare < 1, "reserved_share", "must be at least 0 and below 1")
	}
	return v.Err("The allocation run is not valid.")
}

// AllocationRunParams are a run's resolved parameters.
type AllocationRunParams struct {
	OrgCapGPUHours float64 `json:"org_cap_gpu_hours"`
	ReservedShare  float64 `json:"reserved_share"`
	ReservedClass  string  `json:"reserved_class"`
}

// RunSystem is one system in a run: what was left of it for the call, what
// the run grants, and the marginal value of one more GPU-hour there (the
// score a proposal needed to deserve it).
type RunSystem struct {
	SystemID         string  `json:"system_id"`
	Unit             Unit    `json:"unit"`
	CapacityGPUHours float64 `json:"capacity_gpu_hours"`
	GrantedGPUHours  float64 `json:"granted_gpu_hours"`
	Price            float64 `json:"price"`
}

// The outcomes of a proposal in a run.
const (
	RunOutcomeFull    = "full"
	RunOutcomeCut     = "cut"
	RunOutcomeRefused = "refused"
)

// RunOutcome is what one proposal gets from a run, and why.
type RunOutcome struct {
	ProposalID     string   `json:"proposal_id"`
	OrganizationID string   `json:"organization_id"`
	Title          string   `json:"title"`
	Score          float64  `json:"score"`
	Rank           int      `json:"rank"`
	Classes        []string `json:"classes"`
	// Outcome is full, cut or refused.
	Outcome           string  `json:"outcome"`
	RequestedGPUHours float64 `json:"requested_gpu_hours"`
	GrantedGPUHours   float64 `json:"granted_gpu_hours"`
	MinFraction       float64 `json:"min_fraction"`
	// Grants are the awards in each system's unit, as publishing makes
	// them allocations.
	Grants []Grant `json:"grants"`
	// Explanation says, one sentence each, why the proposal got what it
	// got.
	Explanation []string `json:"explanation"`
}

// AllocationRun is one solve of a call's allocation problem: the proposals
// that passed review, weighted by their panel scores, sharing what is left
// of each system's capacity under organization caps and the startup/SME
// reserve. It is stored so that every award can be explained later: its
// parameters, the hash of its inputs, the solver's proven bound and gap, and
// each proposal's explanation. Publishing it is the committee's decision.
type AllocationRun struct {
	ID     string              `json:"id"`
	CallID string              `json:"call_id"`
	State  AllocationRunState  `json:"state"`
	Params AllocationRunParams `json:"params"`
	// InputHash is the SHA-256 of the solver's instance and the refused
	// proposals: publishing recomputes it and refuses a stale run.
	InputHash string `json:"input_hash"`
	// NotReady counts the call's proposals still in review short of the
	// decision stage, which the run leaves out.
	NotReady int `json:"not_ready"`
	// Objective is Σ score × granted GPU-hours; Bound a proven upper bound
	// on any feasible objective; Gap = (Bound − Objective)/Bound.
	Objective    float64      `json:"objective"`
	Bound        float64      `json:"bound"`
	Gap          float64      `json:"gap"`
	BoundExact   bool         `json:"bound_exact"`
	Iterations   int          `json:"iterations"`
	SolveSeconds float64      `json:"solve_seconds"`
	Systems      []RunSystem  `json:"systems"`
	Outcomes     []RunOutcome `json:"outcomes,omitempty"` // omitted in lists
	CreatedBy    string       `json:"created_by"`
	CreatedAt    time.Time    `json:"created_at"`
	PublishedBy  string       `json:"published_by,omitempty"`
	PublishedAt  *time.Time   `json:"published_at,omitempty"`
	Version      int          `json:"version"`
}

// AllocationRunFilter selects runs. Nil fields match everything.
type AllocationRunFilter struct {
	CallID        *string
	Limit, Offset int
}

// AllocationRunService divides a call's capacity between its reviewed
// proposals with the optimiser and publishes the committee's decision.
type AllocationRunService interface {
	// CreateAllocationRun solves the call's allocation problem and stores
	// the result as a draft; it changes no proposal. Access managers
	// only. ENOTFOUND for an unknown call, EINVALID for bad parameters.
	CreateAllocationRun(ctx context.Context, callID string, in AllocationRunInput) (*AllocationRun, error)
	// FindAllocationRunByID returns a run. Access managers and auditors
	// only; EFORBIDDEN otherwise.
	FindAllocationRunByID(ctx context.Context, id string) (*AllocationRun, error)
	// FindAllocationRuns lists runs newest first, without their
	// outcomes. Access managers and auditors only.
	FindAllocationRuns(ctx context.Context, f AllocationRunFilter) ([]*AllocationRun, int, error)
	// AllocationRunInstance returns the solver's input of a run as JSON,
	// for cross-checking with another solver. Access managers and
	// auditors only.
	AllocationRunInstance(ctx context.Context, id string) ([]byte, error)
	// PublishAllocationRun makes a draft run the committee's decision, in
	// one transaction: accepted proposals get allocations (capacity
	// reserved as for any decision), refused ones are rejected with the
	// run's explanation, each applicant is notified, and all of it is
	// audited. Access managers only. ECONFLICT when the run was published
	// or its inputs changed since it was solved (solve again).
	PublishAllocationRun(ctx context.Context, id string) (*AllocationRun, error)
}

// RunSnapshot is everything an allocation run of a call is computed from,
// read in one consistent view. Building a run twice from an unchanged
// snapshot gives the same model and the same input hash, which is how
// publishing proves that a run still matches its inputs.
type RunSnapshot struct {
	Call *Call
	// Systems is the catalogue by ID.
	Systems map[string]*System
	// Granted is what the call's decisions so far granted per system
	// (its running totals), in the system's unit.
	Granted map[string]float64
	// Candidates are the call's proposals in review, oldest first.
	Candidates []RunCandidate
}

// RunCandidate is a proposal in review with what a run reads about it.
type RunCandidate struct {
	Proposal *Proposal
	// Panel is the panel's verdict; nil while the proposal has not yet
	// been ranked, which leaves it out of the run.
	Panel *PanelRecord
	// SME: its organization is an SME (startups included), which puts it
	// in the reserved class.
	SME bool
	// Technical are its technical assessments, one per hosting site.
	Technical []*Review
}

// Remaining returns what the call's running totals leave of each of its
// systems, in GPU-hours, and their sum.
func (s *RunSnapshot) Remaining() (map[string]float64, float64, error) {
	out := make(map[string]float64, len(s.Call.SystemIDs))
	var total float64
	for _, id := range s.Call.SystemIDs {
		sys := s.Systems[id]
		if sys == nil {
			return nil, 0, Errorf(EINTERNAL, "Call %s offers system %s, which the catalogue does not have.", s.Call.ID, id)
		}
		left := sys.GPUHours(math.Max(0, sys.CapacityPerPeriod-s.Granted[id]))
		out[id] = left
		total += left
	}
	return out, total, nil
}

// NotReady counts the candidates not yet ranked.
func (s *RunSnapshot) NotReady() int {
	n := 0
	for _, c := range s.Candidates {
		if c.Panel == nil {
			n++
		}
	}
	return n
}

// Resolve returns the run's parameters: the defaults, overridden by what
// the access manager set; the organization cap as a share applies to
// remaining, the call's capacity left in GPU-hours.
func (in *AllocationRunInput) Resolve(remaining float64) AllocationRunParams {
	p := AllocationRunParams{OrgCapGPUHours: DefaultOrgCapShare * remaining, ReservedShare: DefaultReservedShare, ReservedClass: ReservedClassSME}
	if in.OrgCapShare != nil {
		p.OrgCapGPUHours = *in.OrgCapShare * remaining
	}
	if in.OrgCapGPUHours != nil {
		p.OrgCapGPUHours = *in.OrgCapGPUHours
	}
	if in.ReservedShare != nil {
		p.ReservedShare = *in.ReservedShare
	}
	return p
}

// Allocator solves a call's allocation problem: package allocate, with the
// optimiser of package solver. Implementations are deterministic: the
// same snapshot and parameters give the same run and hash.
type Allocator interface {
	// InputHash returns the SHA-256 of what a run of snap under params
	// depends on: the optimiser's instance and the proposals refused
	// before it.
	InputHash(snap *RunSnapshot, params AllocationRunParams) (string, error)
	// Solve solves the problem and returns the run's figures, systems
	// and outcomes with their explanations (its ID, call, state, creator,
	// times and not-ready count are the caller's to set), and the
	// optimiser's instance as JSON, for cross-checking with another
	// solver.
	Solve(ctx context.Context, snap *RunSnapshot, params AllocationRunParams) (*AllocationRun, []byte, error)
}
