// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

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

// InsertOrganization registers an organization.
func (tx *Tx) InsertOrganization(ctx context.Context, o *pactum.Organization) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.LegalName, o.Country, o.RegistrationNumber, o.FoundedOn.String(), o.Staff, o.TurnoverEUR, o.BalanceSheetEUR, o.CreatedAt); err != nil {
		return fmt.Errorf("insert organization: %w", mapError(err))
	}
	return nil
}

// GetOrganization returns an organization or ENOTFOUND.
func (q *queries) GetOrganization(ctx context.Context, id string) (*pactum.Organization, error) {
	o, err := scanOrg(q.q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Organization %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find organization %s: %w", id, err)
	}
	return o, nil
}

// ListOrganizations lists organizations within s, by legal name.
func (q *queries) ListOrganizations(ctx context.Context, s pactum.Scope, f pactum.OrganizationFilter) ([]*pactum.Organization, int, error) {
	var w where
	if !w.scope(s, scopeConds{organization: "id = ?"}) {
		return []*pactum.Organization{}, 0, nil
	}
	if f.Country != nil {
		w.add("country = ?", *f.Country)
	}
	return listCounted(ctx, q.q, "find organizations", `SELECT `+orgColumns+` FROM organizations`, &w, "legal_name, id",
		f.Limit, f.Offset, scanOrg)
}
