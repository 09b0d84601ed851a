// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

// OrganizationService implements pactum.OrganizationService.
type OrganizationService struct{ db *DB }

var _ pactum.OrganizationService = (*OrganizationService)(nil)

// NewOrganizationService returns the organization service.
func NewOrganizationService(db *DB) *OrganizationService { return &OrganizationService{db: db} }

const orgColumns = `id, legal_name, country, registration_number, founded_on, staff, turnover_eur, balance_sheet_eur, created_at`

func scanOrg(row scanner, extra ...any) (*pactum.Organization, error) {
	var o pactum.Organization
	var founded string
	dest := append([]any{&o.ID, &o.LegalName, &o.Country, &o.RegistrationNumber, &founded, &o.Staff, &o.TurnoverEUR,
		&o.BalanceSheetEUR, &o.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	d, err := pactum.ParseDate(founded)
	if err != nil {
		return nil, fmt.Errorf("organization %s: founded_on: %w", o.ID, err)
	}
	o.FoundedOn = d
	o.CreatedAt = o.CreatedAt.UTC()
	return &o, nil
}

// CreateOrganization registers an organization. Access managers only.
func (s *OrganizationService) CreateOrganization(ctx context.Context, o *pactum.Organization) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may register organizations.")
	}
	if err := o.Validate(s.db.now()); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error {
		o.ID = newID()
		o.CreatedAt = tx.now
		return createOrg(ctx, tx, o)
	})
}

func createOrg(ctx context.Context, tx *Tx, o *pactum.Organization) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.LegalName, o.Country, o.RegistrationNumber, o.FoundedOn.String(), o.Staff, o.TurnoverEUR, o.BalanceSheetEUR, o.CreatedAt); err != nil {
		if isConflict(err) {
			return pactum.Errorf(pactum.ECONFLICT, "An organization with registration number %q in %s is already registered.", o.RegistrationNumber, o.Country)
		}
		return fmt.Errorf("insert organization: %w", mapError(err))
	}
	return tx.record("organization.create", "organization", o.ID, nil, o)
}

// FindOrganizationByID returns an organization visible to the caller.
func (s *OrganizationService) FindOrganizationByID(ctx context.Context, id string) (*pactum.Organization, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeOrganization(u, id) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Organization %q not found.", id)
	}
	return findOrgByID(ctx, s.db.r, id)
}

func findOrgByID(ctx context.Context, q querier, id string) (*pactum.Organization, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Organization %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find organization %s: %w", id, err)
	}
	return o, nil
}

// FindOrganizations lists organizations visible to the caller.
func (s *OrganizationService) FindOrganizations(ctx context.Context, f pactum.OrganizationFilter) ([]*pactum.Organization, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	if u.Role == pactum.RoleApplicant {
		w.add("id = ?", u.OrganizationID)
	}
	if f.Country != nil {
		w.add("country = ?", *f.Country)
	}
	q := `SELECT ` + orgColumns + `, COUNT(*) OVER () FROM organizations` + w.String() + ` ORDER BY legal_name, id` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find organizations", q, w.args, scanOrg)
}
