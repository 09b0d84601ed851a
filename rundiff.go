// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// Change is a figure before and after.
type Change struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// SystemDiff is one system's capacity and granted GPU-hours in two runs.
type SystemDiff struct {
	SystemID string `json:"system_id"`
	Capacity Change `json:"capacity_gpu_hours"`
	Granted  Change `json:"granted_gpu_hours"`
}

// ProposalDiff is one proposal whose outcome or grant differs between two
// runs. An outcome is empty in a run that did not include the proposal.
type ProposalDiff struct {
	ProposalID    string `json:"proposal_id"`
	Title         string `json:"title"`
	Rank          int    `json:"rank"`
	OutcomeBefore string `json:"outcome_before"`
	OutcomeAfter  string `json:"outcome_after"`
	Granted       Change `json:"granted_gpu_hours"`
}

// RunDiff is what changed from one allocation run of a call to another:
// the figures, each system's totals, and every proposal whose outcome or
// grant moved (by more than half a GPU-hour).
type RunDiff struct {
	BeforeID     string              `json:"before_id"`
	AfterID      string              `json:"after_id"`
	ParamsBefore AllocationRunParams `json:"params_before"`
	ParamsAfter  AllocationRunParams `json:"params_after"`
	Objective    Change              `json:"objective"`
	Bound        Change              `json:"bound"`
	Gap          Change              `json:"gap"`
	Systems      []SystemDiff        `json:"systems"`
	// Proposals changed, best ranked first.
	Proposals []ProposalDiff `json:"proposals"`
	// Unchanged counts the proposals with the same outcome and grant.
	Unchanged int `json:"unchanged"`
	// Outcomes counts, per outcome, the proposals before and after.
	Outcomes map[string]Change `json:"outcomes"`
}

// diffTolerance is the grant change, in GPU-hours, below which a proposal
// counts as unchanged: runs explain grants in whole GPU-hours.
const diffTolerance = 0.5

// DiffRuns compares two runs of the same call, with their outcomes.
// EINVALID when they are runs of different calls.
func DiffRuns(before, after *AllocationRun) (*RunDiff, error) {
	if before.CallID != after.CallID {
		return nil, Errorf(EINVALID, "Allocation runs %s and %s are runs of different calls (%s, %s).", before.ID, after.ID, before.CallID, after.CallID)
	}
	d := &RunDiff{BeforeID: before.ID, AfterID: after.ID, ParamsBefore: before.Params, ParamsAfter: after.Params,
		Objective: Change{before.Objective, after.Objective}, Bound: Change{before.Bound, after.Bound}, Gap: Change{before.Gap, after.Gap},
		Systems: []SystemDiff{}, Proposals: []ProposalDiff{}, Outcomes: map[string]Change{}}
	sys := map[string]*SystemDiff{}
	var order []string
	get := func(id string) *SystemDiff {
		if s, ok := sys[id]; ok {
			return s
		}
		order = append(order, id)
		sys[id] = &SystemDiff{SystemID: id}
		return sys[id]
	}
	for _, s := range before.Systems {
		x := get(s.SystemID)
		x.Capacity.Before, x.Granted.Before = s.CapacityGPUHours, s.GrantedGPUHours
	}
	for _, s := range after.Systems {
		x := get(s.SystemID)
		x.Capacity.After, x.Granted.After = s.CapacityGPUHours, s.GrantedGPUHours
	}
	for _, id := range order {
		d.Systems = append(d.Systems, *sys[id])
	}
	prev := make(map[string]*RunOutcome, len(before.Outcomes))
	for i := range before.Outcomes {
		o := &before.Outcomes[i]
		prev[o.ProposalID] = o
		c := d.Outcomes[o.Outcome]
		c.Before++
		d.Outcomes[o.Outcome] = c
	}
	seen := make(map[string]bool, len(after.Outcomes))
	for i := range after.Outcomes {
		o := &after.Outcomes[i]
		seen[o.ProposalID] = true
		c := d.Outcomes[o.Outcome]
		c.After++
		d.Outcomes[o.Outcome] = c
		pd := ProposalDiff{ProposalID: o.ProposalID, Title: o.Title, Rank: o.Rank, OutcomeAfter: o.Outcome, Granted: Change{After: o.GrantedGPUHours}}
		if b := prev[o.ProposalID]; b != nil {
			pd.OutcomeBefore, pd.Granted.Before = b.Outcome, b.GrantedGPUHours
		}
		if pd.OutcomeBefore == pd.OutcomeAfter && math.Abs(pd.Granted.After-pd.Granted.Before) < diffTolerance {
			d.Unchanged++
			continue
		}
		d.Proposals = append(d.Proposals, pd)
	}
	for i := range before.Outcomes {
		o := &before.Outcomes[i]
		if !seen[o.ProposalID] {
			d.Proposals = append(d.Proposals, ProposalDiff{ProposalID: o.ProposalID, Title: o.Title, Rank: o.Rank,
				OutcomeBefore: o.Outcome, Granted: Change{Before: o.GrantedGPUHours}})
		}
	}
	slices.SortStableFunc(d.Proposals, func(a, b ProposalDiff) int {
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.ProposalID, b.ProposalID))
	})
	return d, nil
}

// Clone returns a deep copy of d (nil for nil).
func (d *RunDiff) Clone() *RunDiff {
	if d == nil {
		return nil
	}
	c := *d
	c.ParamsBefore, c.ParamsAfter = d.ParamsBefore.clone(), d.ParamsAfter.clone()
	c.Systems, c.Proposals = slices.Clone(d.Systems), slices.Clone(d.Proposals)
	c.Outcomes = maps.Clone(d.Outcomes)
	return &c
}
