// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// CreateOrganization registers an organization after the access manager has
// checked its identity. Access managers only. EINVALID for bad facts,
// ECONFLICT when the country and registration number are taken.
func (a *App) CreateOrganization(ctx context.Context, o *pactum.Organization) error {
	u, err := manager(ctx, "register organizations")
	if err != nil {
		return err
	}
	if err := o.Validate(a.now()); err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		o.ID, o.CreatedAt = newID(), tx.Now()
		if err := tx.InsertOrganization(ctx, o); err != nil {
			if pactum.ErrorCode(err) == pactum.ECONFLICT {
				return pactum.Errorf(pactum.ECONFLICT, "An organization with registration number %q in %s is already registered.", o.RegistrationNumber, o.Country)
			}
			return err
		}
		return tx.Record("organization.create", "organization", o.ID, nil, o)
	})
}

// FindOrganizationByID returns an organization the caller may see
// (CanSeeOrganization), or ENOTFOUND.
func (a *App) FindOrganizationByID(ctx context.Context, id string) (*pactum.Organization, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeOrganization(u, id) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Organization %q not found.", id)
	}
	return a.store.GetOrganization(ctx, id)
}

// FindOrganizations lists the organizations the caller may see, by name,
// and the total matching.
func (a *App) FindOrganizations(ctx context.Context, f pactum.OrganizationFilter) ([]*pactum.Organization, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListOrganizations(ctx, pactum.OrganizationScope(u), f)
}
