// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"strings"
	"time"
)

// EU SME thresholds, Commission Recommendation 2003/361/EC, Annex Art. 2(1):
// fewer than 250 persons, and an annual turnover not exceeding €50 million or
// an annual balance-sheet total not exceeding €43 million.
const (
	SMEMaxStaff        = 250
	SMEMaxTurnoverEUR  = 50_000_000
	SMEMaxBalanceSheet = 43_000_000
)

// StartupMaxAgeYears is the age below which an SME counts as a startup. The
// EU has no single legal definition; 10 years follows the EU Startup Nations
// Standard and the Commission's Scale-up Europe work, and is deliberately a
// named constant so a ruleset can state it.
const StartupMaxAgeYears = 10

// Organization is a legal entity that applies for compute. Its SME and
// startup status are derived from the facts it declares, never typed in, so
// that one rule (Recommendation 2003/361/EC) decides them everywhere.
type Organization struct {
	ID                 string    `json:"id"`
	LegalName          string    `json:"legal_name"`
	Country            string    `json:"country"` // ISO 3166-1 alpha-2 of establishment
	RegistrationNumber string    `json:"registration_number"`
	FoundedOn          Date      `json:"founded_on"`
	Staff              int       `json:"staff"` // headcount in annual work units
	TurnoverEUR        int64     `json:"turnover_eur"`
	BalanceSheetEUR    int64     `json:"balance_sheet_eur"`
	CreatedAt          time.Time `json:"created_at"`
}

// IsSME applies the EU SME definition to the declared facts.
func (o *Organization) IsSME() bool {
	return o.Staff < SMEMaxStaff && (o.TurnoverEUR <= SMEMaxTurnoverEUR || o.BalanceSheetEUR <= SMEMaxBalanceSheet)
}

// IsStartup reports whether o is an SME younger than StartupMaxAgeYears at t.
func (o *Organization) IsStartup(t time.Time) bool {
	return o.IsSME() && o.AgeYears(t) < StartupMaxAgeYears
}

// AgeYears returns the organization's age in whole years at t.
func (o *Organization) AgeYears(t time.Time) int {
	f := o.FoundedOn.Time()
	years := t.Year() - f.Year()
	// Compare month and day, not day of year: leap years shift YearDay.
	if t.Month() < f.Month() || (t.Month() == f.Month() && t.Day() < f.Day()) {
		years--
	}
	if years < 0 {
		return 0
	}
	return years
}

// OrganizationStatus is the derived view of an organization that the API
// returns beside its facts.
type OrganizationStatus struct {
	SME     bool `json:"sme"`
	Startup bool `json:"startup"`
}

// Status derives the organization's status at t.
func (o *Organization) Status(t time.Time) OrganizationStatus {
	return OrganizationStatus{SME: o.IsSME(), Startup: o.IsStartup(t)}
}

// Validate checks the declared facts; now bounds the founding date.
func (o *Organization) Validate(now time.Time) error {
	var v Validator
	name := strings.TrimSpace(o.LegalName)
	v.Check(name != "", "legal_name", "is required")
	v.Check(len(name) <= 300, "legal_name", "must be at most 300 characters")
	v.Text("legal_name", o.LegalName, false)
	v.Check(ValidCountry(o.Country), "country", "must be an ISO 3166-1 alpha-2 code such as DE or FR")
	v.Check(strings.TrimSpace(o.RegistrationNumber) != "", "registration_number", "is required")
	v.Check(len(o.RegistrationNumber) <= 64, "registration_number", "must be at most 64 characters")
	v.Text("registration_number", o.RegistrationNumber, false)
	v.Check(!o.FoundedOn.IsZero(), "founded_on", "is required (YYYY-MM-DD)")
	v.Check(o.FoundedOn.IsZero() || !o.FoundedOn.Time().After(now), "founded_on", "must not be in the future")
	v.Check(o.FoundedOn.IsZero() || !o.FoundedOn.Time().Before(EarliestDate.Time()), "founded_on", "must not be before %s", EarliestDate)
	v.Check(o.Staff >= 0 && o.Staff <= MaxStaff, "staff", "must be between 0 and %d", MaxStaff)
	v.Check(o.TurnoverEUR >= 0 && o.TurnoverEUR <= MaxEUR, "turnover_eur", "must be between 0 and %d", int64(MaxEUR))
	v.Check(o.BalanceSheetEUR >= 0 && o.BalanceSheetEUR <= MaxEUR, "balance_sheet_eur", "must be between 0 and %d", int64(MaxEUR))
	return v.Err("The organization is not valid.")
}

// OrganizationFilter selects organizations. Nil fields match everything.
type OrganizationFilter struct {
	Country       *string
	Limit, Offset int
}

// OrganizationService registers and reads organizations.
type OrganizationService interface {
	// CreateOrganization registers an organization after the access manager
	// has checked its identity. Access managers only. EINVALID for bad
	// facts, ECONFLICT when the country and registration number are taken.
	CreateOrganization(ctx context.Context, o *Organization) error
	// FindOrganizationByID returns an organization. Applicants see only
	// their own; others see all. ENOTFOUND otherwise.
	FindOrganizationByID(ctx context.Context, id string) (*Organization, error)
	// FindOrganizations lists organizations visible to the caller and the
	// total matching.
	FindOrganizations(ctx context.Context, f OrganizationFilter) ([]*Organization, int, error)
}
