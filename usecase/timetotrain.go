// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// withTimeToTrain sets each proposal's TimeToTrain (pactum.PlanTraining)
// from the cached catalogue and returns them, so that every use case that
// returns a proposal shows its time to train. It is set after the
// transaction: derived from the content and the catalogue, it is neither
// stored nor part of the audit snapshots.
func (a *App) withTimeToTrain(ctx context.Context, ps ...*pactum.Proposal) error {
	if len(ps) == 0 {
		return nil
	}
	systems, err := a.systems(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p != nil {
			p.TimeToTrain = pactum.PlanTraining(p, systems)
		}
	}
	return nil
}

// timed returns p with its time to train, or the error of the use case
// that returned it.
func (a *App) timed(ctx context.Context, p *pactum.Proposal, err error) (*pactum.Proposal, error) {
	if err != nil {
		return nil, err
	}
	if err := a.withTimeToTrain(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}
