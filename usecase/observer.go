// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"time"

	"github.com/pactum/pactum"
)

// Observer learns what the use cases did, once it is committed: what the
// operator's metrics count. It is called on the use case's goroutine, must
// return quickly and cannot fail the use case. Package metrics implements
// it; the use cases know nothing of how it counts.
type Observer interface {
	// ProposalSubmitted: p was submitted, screened and routed
	// (p.Screening holds the outcome and findings, p.State the route).
	ProposalSubmitted(p *pactum.Proposal)
	// ProposalDecided: p was decided (p.Decision, p.State). by says how:
	// DecidedByScreening, DecidedByManager, DecidedByOverride or
	// DecidedByAllocationRun.
	ProposalDecided(p *pactum.Proposal, by string)
	// UsageIngested: a batch of a cluster's usage was committed. lags
	// holds, for each accepted record of an ended job, the time from its
	// end to the ingest.
	UsageIngested(cluster string, res *pactum.UsageIngest, lags []time.Duration)
}

// How a proposal was decided (Observer.ProposalDecided).
const (
	DecidedByScreening     = "screening"
	DecidedByManager       = "manager"
	DecidedByOverride      = "override"
	DecidedByAllocationRun = "allocation_run"
)

type noObserver struct{}

func (noObserver) ProposalSubmitted(*pactum.Proposal)                         {}
func (noObserver) ProposalDecided(*pactum.Proposal, string)                   {}
func (noObserver) UsageIngested(string, *pactum.UsageIngest, []time.Duration) {}

// observeSubmission tells the observer of a committed submission, and of
// its decision when screening decided it.
func (a *App) observeSubmission(p *pactum.Proposal) {
	a.observer.ProposalSubmitted(p)
	if p.Decision != nil && (p.State == pactum.ProposalApproved || p.State == pactum.ProposalRejected) {
		a.observer.ProposalDecided(p, DecidedByScreening)
	}
}
