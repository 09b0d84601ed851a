// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"maps"
	"math"
	"slices"
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
	// BaseRunID makes the run a what-if of an earlier run of the same
	// call: the optimiser starts from that run's solution (a warm start),
	// and every parameter left unset here is the base run's.
	BaseRunID string `json:"base_run_id,omitempty"`
	// Capacities overrides, per system of the call, the GPU-hours the run
	// may grant (default: what the call's decisions leave of the system).
	// Publishing refuses a run that assumes more than is left.
	Capacities map[string]float64 `json:"capacities,omitempty"`
}

// maxCapacityOverrides bounds AllocationRunInput.Capacities: no call
// offers more systems.
const maxCapacityOverrides = 64

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
	if in.BaseRunID != "" {
		v.Check(len(in.BaseRunID) <= 64 && textProblem(in.BaseRunID, false) == "", "base_run_id", "must be a run ID")
	}
	v.Check(len(in.Capacities) <= maxCapacityOverrides, "capacities", "must name at most %d systems", maxCapacityOverrides)
	for _, id := range slices.Sorted(maps.Keys(in.Capacities)) {
		f := "capacities." + id
		if id == "" || len(id) > 64 || textProblem(id, false) != "" {
			v.Add("capacities", "names a malformed system ID")
			continue
		}
		v.Check(inRange(in.Capacities[id], 0, MaxAmount), f, "must be between 0 and %g GPU-hours", float64(MaxAmount))
	}
	return v.Err("The allocation run is not valid.")
}

// CheckSystems refuses capacity overrides of systems the call does not
// offer (EINVALID naming the field).
func (in *AllocationRunInput) CheckSystems(call *Call) error {
	var v Validator
	for _, id := range slices.Sorted(maps.Keys(in.Capacities)) {
		v.Check(slices.Contains(call.SystemIDs, id), "capacities."+id, "is not a system of call %s", call.ID)
	}
	return v.Err("The allocation run is not valid.")
}

// Over returns the input of a what-if of a run created with base: what in
// sets, and base's value of everything in leaves unset. Setting either
// organization cap replaces both of base's; capacities merge per system.
func (in AllocationRunInput) Over(base AllocationRunInput) AllocationRunInput {
	out := in
	if in.OrgCapGPUHours == nil && in.OrgCapShare == nil {
		out.OrgCapGPUHours, out.OrgCapShare = base.OrgCapGPUHours, base.OrgCapShare
	}
	if in.ReservedShare == nil {
		out.ReservedShare = base.ReservedShare
	}
	if len(base.Capacities) > 0 {
		out.Capacities = make(map[string]float64, len(base.Capacities)+len(in.Capacities))
		maps.Copy(out.Capacities, base.Capacities)
		maps.Copy(out.Capacities, in.Capacities)
	}
	return out
}

// AllocationRunParams are a run's resolved parameters.
type AllocationRunParams struct {
	OrgCapGPUHours float64 `json:"org_cap_gpu_hours"`
	ReservedShare  float64 `json:"reserved_share"`
	ReservedClass  string  `json:"reserved_class"`
	// Capacities are the GPU-hours the run assumed per system where the
	// access manager overrode what the call's decisions leave.
	Capacities map[string]float64 `json:"capacities,omitempty"`
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
	// ReservePrice is the part of Price that proposals outside the
	// reserved class pay because the reserve binds.
	ReservePrice float64 `json:"reserve_price"`
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
	// BaseRunID is the run this one is a what-if of, if any; Warm says the
	// optimiser started from that run's solution.
	BaseRunID string `json:"base_run_id,omitempty"`
	Warm      bool   `json:"warm"`
	// Changes is what changed from the base run (DiffRuns), computed when
	// the what-if was solved; nil for a run without a base.
	Changes *RunDiff `json:"changes,omitempty"`
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
	// DiffAllocationRuns returns what changed from run beforeID to run
	// afterID of the same call (DiffRuns); an empty beforeID is the run
	// afterID is a what-if of. Access managers and auditors only;
	// ENOTFOUND for an unknown run, EINVALID for runs of different calls
	// or an empty beforeID with a run that is no what-if.
	DiffAllocationRuns(ctx context.Context, beforeID, afterID string) (*RunDiff, error)
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
//
// Capacity overrides replace, in remaining, what the call leaves of their
// systems before the share is taken.
func (in *AllocationRunInput) Resolve(left map[string]float64) AllocationRunParams {
	var remaining float64
	for id, x := range left {
		if c, ok := in.Capacities[id]; ok {
			x = c
		}
		remaining += x
	}
	p := AllocationRunParams{OrgCapGPUHours: DefaultOrgCapShare * remaining, ReservedShare: DefaultReservedShare, ReservedClass: ReservedClassSME}
	if len(in.Capacities) > 0 {
		p.Capacities = maps.Clone(in.Capacities)
	}
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
	// solver. A non-nil base is an earlier run of the same call whose
	// solution the optimiser starts from (a warm start); the result does
	// not otherwise depend on it beyond the optimiser's tolerance.
	Solve(ctx context.Context, snap *RunSnapshot, params AllocationRunParams, base *AllocationRun) (*AllocationRun, []byte, error)
}

// Clone returns a deep copy of r: the copy's slices, maps and pointers
// share nothing with r, so a caller may change either. The store keeps
// runs it has decoded (they never change once stored) and hands out
// clones.
func (r *AllocationRun) Clone() *AllocationRun {
	if r == nil {
		return nil
	}
	c := *r
	c.Params = r.Params.clone()
	c.Changes = r.Changes.Clone()
	c.Systems = slices.Clone(r.Systems)
	if r.Outcomes != nil {
		c.Outcomes = make([]RunOutcome, len(r.Outcomes))
		for i, o := range r.Outcomes {
			o.Classes, o.Grants, o.Explanation = slices.Clone(o.Classes), slices.Clone(o.Grants), slices.Clone(o.Explanation)
			c.Outcomes[i] = o
		}
	}
	c.PublishedAt = clonePtr(r.PublishedAt)
	return &c
}

// Clone returns a deep copy of in.
func (in *AllocationRunInput) Clone() *AllocationRunInput {
	if in == nil {
		return nil
	}
	c := *in
	c.OrgCapGPUHours, c.OrgCapShare, c.ReservedShare = clonePtr(in.OrgCapGPUHours), clonePtr(in.OrgCapShare), clonePtr(in.ReservedShare)
	c.Capacities = maps.Clone(in.Capacities)
	return &c
}

func (p AllocationRunParams) clone() AllocationRunParams {
	p.Capacities = maps.Clone(p.Capacities)
	return p
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
