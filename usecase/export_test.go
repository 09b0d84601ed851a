// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// NotifyForTest writes notifications (and their deliveries) in one
// transaction, as a use case would, for the delivery tests and benchmark.
func (a *App) NotifyForTest(ctx context.Context, ns ...*pactum.Notification) error {
	return a.update(ctx, pactum.SystemUser(), func(tx pactum.Tx) error {
		for _, n := range ns {
			if err := a.notify(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
}
