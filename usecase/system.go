// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
)

// FindSystems returns the catalogue ordered by ID. Any authenticated caller.
func (a *App) FindSystems(ctx context.Context) ([]*pactum.System, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return a.store.ListSystems(ctx)
}

// FindSystemByID returns one system, or ENOTFOUND. Any authenticated caller.
func (a *App) FindSystemByID(ctx context.Context, id string) (*pactum.System, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return a.store.GetSystem(ctx, id)
}

// UpsertSystems adds or replaces catalogue entries, all or none; an entry
// that is unchanged is not written (no audit noise on every start). Access
// managers only; EINVALID for a bad entry.
func (a *App) UpsertSystems(ctx context.Context, systems []*pactum.System) error {
	u, err := manager(ctx, "change the systems catalogue")
	if err != nil {
		return err
	}
	var v pactum.Validator
	for i, sys := range systems {
		v.Merge(fmt.Sprintf("systems[%d]", i), sys.Validate())
	}
	if err := v.Err("The systems catalogue is not valid."); err != nil {
		return err
	}
	defer a.cache.dropSystems()
	return a.update(ctx, u, func(tx pactum.Tx) error {
		for _, sys := range systems {
			old, err := tx.GetSystem(ctx, sys.ID)
			if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
				return err
			}
			if old != nil && *old == *sys {
				continue
			}
			if err := tx.UpsertSystem(ctx, sys); err != nil {
				return err
			}
			var before any
			if old != nil {
				before = old
			}
			if err := tx.Record("system.upsert", "system", sys.ID, before, sys); err != nil {
				return err
			}
		}
		return nil
	})
}
