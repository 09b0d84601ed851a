// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// AllocationState is where an award stands on its system.
type AllocationState string

// The allocation states.
const (
	AllocationPending   AllocationState = "pending_provisioning" // awarded, not yet in the site's scheduler
	AllocationActive    AllocationState = "active"
	AllocationSuspended AllocationState = "suspended" // no new jobs
	AllocationExhausted AllocationState = "exhausted" // usage reached the grant
	AllocationExpired   AllocationState = "expired"   // past its end date
)

// AllocationStates lists every state.
var AllocationStates = []AllocationState{AllocationPending, AllocationActive, AllocationSuspended, AllocationExhausted, AllocationExpired}

var allocationTransitions = map[AllocationState][]AllocationState{
	AllocationPending:   {AllocationActive, AllocationExpired},
	AllocationActive:    {AllocationSuspended, AllocationExhausted, AllocationExpired},
	AllocationSuspended: {AllocationActive, AllocationExpired},
	AllocationExhausted: {AllocationExpired},
}

// Valid reports whether s is a defined state.
func (s AllocationState) Valid() bool {
	for _, x := range AllocationStates {
		if s == x {
			return true
		}
	}
	return false
}

// CanTransition reports whether the state machine allows s → to.
func (s AllocationState) CanTransition(to AllocationState) bool {
	for _, x := range allocationTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// Allocation is an award of compute on one system for a period, the unit the
// site agent provisions and accounts.
type Allocation struct {
	ID             string          `json:"id"`
	ProposalID     string          `json:"proposal_id"`
	OrganizationID string          `json:"organization_id"`
	SystemID       string          `json:"system_id"`
	Amount         float64         `json:"amount"` // granted, in Unit
	Unit           Unit            `json:"unit"`
	StartsAt       time.Time       `json:"starts_at"`
	EndsAt         time.Time       `json:"ends_at"`
	State          AllocationState `json:"state"`
	// Conditions are the screening's obligations attached to the award.
	Conditions []Finding `json:"conditions,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int       `json:"version"`
}

// Transition moves the allocation to state to, or returns ECONFLICT.
func (a *Allocation) Transition(to AllocationState) error {
	if !a.State.CanTransition(to) {
		return Errorf(ECONFLICT, "An allocation in state %s cannot become %s.", a.State, to)
	}
	a.State = to
	return nil
}

// AllocationFilter selects allocations. Nil fields match everything.
type AllocationFilter struct {
	ProposalID     *string
	OrganizationID *string
	SystemID       *string
	State          *AllocationState
	Limit, Offset  int
}

// AllocationService reads allocations and moves them through their states.
type AllocationService interface {
	// FindAllocationByID returns an allocation the caller may see:
	// applicants their organization's, site operators their site's, access
	// managers and auditors all. ENOTFOUND otherwise.
	FindAllocationByID(ctx context.Context, id string) (*Allocation, error)
	// FindAllocations lists visible allocations and the total matching.
	FindAllocations(ctx context.Context, f AllocationFilter) ([]*Allocation, int, error)
	// TransitionAllocation changes an allocation's state: site operators of
	// its site activate it once provisioned; access managers suspend,
	// resume and expire it. ECONFLICT for an illegal transition, EFORBIDDEN
	// for the wrong role.
	TransitionAllocation(ctx context.Context, id string, to AllocationState, reason string) (*Allocation, error)
}
