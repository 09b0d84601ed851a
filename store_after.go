// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// The store's interfaces for what follows an award: incidents, outcomes,
// obligations and breaches, and the transparency report (store.go has
// the rest, and Queries and Tx, which embed these).

// IncidentQueries read incidents (incident.go).
type IncidentQueries interface {
	// GetIncident returns one incident (Overdue unset); ENOTFOUND when
	// missing.
	GetIncident(ctx context.Context, id string) (*Incident, error)
	// ListIncidents lists incidents within s (scoped like allocations:
	// organization, site), newest first; with f.OverdueAt, earliest due
	// first.
	ListIncidents(ctx context.Context, s Scope, f IncidentFilter) ([]*Incident, int, error)
	// CountOpenIncidents counts an allocation's incidents that are not
	// closed.
	CountOpenIncidents(ctx context.Context, allocationID string) (int, error)
	// GetAllocationCall returns the call an allocation was awarded in;
	// ENOTFOUND for an unknown allocation.
	GetAllocationCall(ctx context.Context, allocationID string) (string, error)
}

// IncidentWrites store incidents.
type IncidentWrites interface {
	InsertIncident(ctx context.Context, i *Incident) error
	// UpdateIncident writes i's severity, state, deadlines, triage and
	// closing; ECONFLICT when the stored version is not oldVersion.
	UpdateIncident(ctx context.Context, i *Incident, oldVersion int) error
}

// OutcomeQueries read outcomes (outcome.go).
type OutcomeQueries interface {
	// GetOutcome returns one outcome; ENOTFOUND when missing.
	GetOutcome(ctx context.Context, id string) (*AllocationOutcome, error)
	// ListOutcomes lists outcomes within s (scoped like allocations),
	// newest first.
	ListOutcomes(ctx context.Context, s Scope, f OutcomeFilter) ([]*AllocationOutcome, int, error)
}

// OutcomeWrites store outcomes.
type OutcomeWrites interface {
	InsertOutcome(ctx context.Context, o *AllocationOutcome) error
	// UpdateOutcome writes o's fields; ECONFLICT when the stored version
	// is not oldVersion.
	UpdateOutcome(ctx context.Context, o *AllocationOutcome, oldVersion int) error
	// DeleteOutcome deletes an outcome; ENOTFOUND when missing.
	DeleteOutcome(ctx context.Context, id string) error
}

// ObligationQueries read obligations and breaches.
type ObligationQueries interface {
	// GetObligation returns an obligation and the site hosting its
	// allocation's system, or ENOTFOUND.
	GetObligation(ctx context.Context, id string) (*Obligation, string, error)
	// ListObligations lists obligations within s (the scope of their
	// allocations) by due date, then ID, and the total matching.
	ListObligations(ctx context.Context, s Scope, f ObligationFilter) ([]*Obligation, int, error)
	// ListObligationsToSweep returns the IDs of pending obligations due
	// at or before until, by due date, at most limit, leaving out those
	// whose last notice (NoticeBreach when BreachAfterDays is set,
	// NoticeOverdue otherwise) was sent.
	ListObligationsToSweep(ctx context.Context, until time.Time, limit int) ([]string, error)
	// FirstOverdueObligation returns the organization's pending
	// obligation with the earliest due date before now, nil when none.
	FirstOverdueObligation(ctx context.Context, orgID string, now time.Time) (*Obligation, error)
	// GetBreach returns an allocation's current or last breach, nil when
	// none was ever declared.
	GetBreach(ctx context.Context, allocationID string) (*Breach, error)
}

// ObligationWrites change obligations and breaches.
type ObligationWrites interface {
	InsertObligation(ctx context.Context, o *Obligation) error
	// UpdateObligation writes o's state and submission fields, refusing
	// a lost update (ECONFLICT when its version is no longer oldVersion).
	UpdateObligation(ctx context.Context, o *Obligation, oldVersion int) error
	// InsertObligationNotice records that notice was sent for an
	// obligation, and reports whether it was new: false when it was
	// recorded before, by this or any other instance.
	InsertObligationNotice(ctx context.Context, obligationID, notice string, at time.Time) (bool, error)
	// PutBreach records b as the allocation's breach unless one is in
	// force, and reports whether it did.
	PutBreach(ctx context.Context, b *Breach) (bool, error)
	// ClearBreach writes b's clearance; ECONFLICT when no breach is in
	// force.
	ClearBreach(ctx context.Context, b *Breach) error
}

// TransparencyQueries read what the time to access and the transparency
// report count, and the stored reports.
type TransparencyQueries interface {
	// ScanProposalTimings calls fn with the timing of every submitted
	// proposal (of call callID, or every call for ""), by ID, until fn
	// returns false; openOnly keeps those neither decided nor withdrawn.
	ScanProposalTimings(ctx context.Context, callID string, openOnly bool, fn func(*ProposalTiming) bool) error
	// ScanReportFacts calls fn with the facts of every proposal submitted
	// in [from, until), by ID, until fn returns false; fn must not keep
	// them.
	ScanReportFacts(ctx context.Context, from, until time.Time, fn func(*ProposalFacts) bool) error
	// ListUnfilledProposalFacts returns up to limit IDs of proposals whose
	// facts are not derived yet (submitted before the facts were kept).
	ListUnfilledProposalFacts(ctx context.Context, limit int) ([]string, error)
	// ScanReportUsage calls fn with every running total of model usage
	// (model_usage) of the allocations of the proposals in cohort (of
	// every allocation when cohort is nil): the
	// proposal, the model's declared MFU (0 for none or unattributed) and
	// the total with its system (its organization, jobs and implausible
	// readings are left zero: the report does not count them).
	ScanReportUsage(ctx context.Context, cohort map[string]bool, fn func(proposalID string, mfu float64, r *ModelUsageRow) bool) error
	// GetTransparencyReport returns a stored report or ENOTFOUND.
	GetTransparencyReport(ctx context.Context, id string) (*TransparencyReport, error)
	// ListTransparencyReports lists stored reports, newest first; only
	// the published ones when publishedOnly.
	ListTransparencyReports(ctx context.Context, publishedOnly bool) ([]*TransparencyReport, error)
}

// TransparencyWrites store transparency reports.
type TransparencyWrites interface {
	// PutProposalFacts writes a submitted proposal's facts (FactsOf),
	// replacing any. The store writes them itself with every proposal row
	// it writes; this fills those of older rows.
	PutProposalFacts(ctx context.Context, f *ProposalFacts) error
	// InsertTransparencyReport stores a report as generated.
	InsertTransparencyReport(ctx context.Context, r *TransparencyReport) error
	// PublishTransparencyReport marks a report published at at by by;
	// ECONFLICT when it already is, ENOTFOUND when it does not exist.
	PublishTransparencyReport(ctx context.Context, id string, at time.Time, by string) error
}
