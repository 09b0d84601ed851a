// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Outcomes: what came out of an allocation's compute. The holder (a
// member of the holding organization) enters them on the allocation and
// may edit or remove them; every change is in the audit log. They are
// listed per allocation, per organization and, for access managers and
// auditors, per call, and seen by whoever may see the allocation
// (CanSeeAllocation): never by reviewers or other organizations.

// OutcomeKind is what kind of outcome an entry records.
type OutcomeKind string

// The kinds of outcome.
const (
	OutcomePublication OutcomeKind = "publication"
	OutcomeModel       OutcomeKind = "model" // a model released
	OutcomeDataset     OutcomeKind = "dataset"
	OutcomeProduct     OutcomeKind = "product"
	OutcomeFunding     OutcomeKind = "funding" // follow-on funding
)

// OutcomeKinds lists the kinds in order.
var OutcomeKinds = []OutcomeKind{OutcomePublication, OutcomeModel, OutcomeDataset, OutcomeProduct, OutcomeFunding}

// Valid reports whether k is a known kind.
func (k OutcomeKind) Valid() bool {
	for _, x := range OutcomeKinds {
		if k == x {
			return true
		}
	}
	return false
}

// AllocationOutcome is one result of an allocation. Which fields apply depends on
// Kind (ValidateOutcome):
//   - publication: Title, DOI (10.NNNN/…), Venue, Year;
//   - model: Title (the model's name), URL, Licence, OpenWeights, and
//     optionally ModelID, a pactum model of the organization;
//   - dataset: Title, URL, Licence, optionally DOI;
//   - product: Title, optionally URL;
//   - funding: Funder, AmountEUR, Title (the programme or grant).
type AllocationOutcome struct {
	ID             string      `json:"id"`
	AllocationID   string      `json:"allocation_id"`
	OrganizationID string      `json:"organization_id"`
	CallID         string      `json:"call_id"`
	Kind           OutcomeKind `json:"kind"`
	OutcomeFields
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// OutcomeFields are an outcome's editable fields.
type OutcomeFields struct {
	Title       string  `json:"title"`
	DOI         string  `json:"doi,omitempty"`
	Venue       string  `json:"venue,omitempty"`
	Year        int     `json:"year,omitempty"`
	URL         string  `json:"url,omitempty"`
	Licence     string  `json:"licence,omitempty"`
	OpenWeights *bool   `json:"open_weights,omitempty"`
	ModelID     string  `json:"model_id,omitempty"`
	Funder      string  `json:"funder,omitempty"`
	AmountEUR   float64 `json:"amount_eur,omitempty"`
	Description string  `json:"description,omitempty"`
}

// OutcomeInput is what the holder enters.
type OutcomeInput struct {
	AllocationID string      `json:"allocation_id"`
	Kind         OutcomeKind `json:"kind"`
	OutcomeFields
}

// Bounds of an outcome's fields.
const (
	MaxOutcomeText        = 500
	MaxOutcomeDescription = 5000
	MaxURL                = 2000
	MaxDOI                = 300
	MaxFundingEUR         = 1e12
)

// ParseDOI returns the DOI s names, normalised to "10.PREFIX/SUFFIX" (the
// "10." directory indicator, a registrant code of digits with optional
// dot-separated subdivisions, at least four digits first, a slash, and a
// suffix of printable characters without spaces), accepting the forms
// people paste: "doi:10.…", "https://doi.org/10.…",
// "https://dx.doi.org/10.…". The suffix is kept as given (DOIs compare
// case-insensitively, but are shown as registered). EINVALID otherwise.
func ParseDOI(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", &Error{Code: EINVALID, Message: "The DOI is not valid.", Fields: []FieldError{{Field: "doi", Message: why}}}
	}
	if len(s) > MaxDOI+30 {
		return bad("is too long")
	}
	if !utf8.ValidString(s) {
		return bad("must be UTF-8 text")
	}
	d := strings.TrimSpace(s)
	lower := strings.ToLower(d)
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"} {
		if strings.HasPrefix(lower, p) {
			d = strings.TrimSpace(d[len(p):])
			break
		}
	}
	if len(d) > MaxDOI {
		return bad("is too long")
	}
	prefix, suffix, ok := strings.Cut(d, "/")
	if !ok || !strings.HasPrefix(prefix, "10.") {
		return bad("must look like 10.NNNN/SUFFIX")
	}
	parts := strings.Split(prefix[3:], ".")
	for i, p := range parts {
		if p == "" || (i == 0 && len(p) < 4) {
			return bad("must have a registrant code of at least four digits after 10.")
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return bad("must have a registrant code of digits after 10.")
			}
		}
	}
	if suffix == "" {
		return bad("must have a suffix after the slash")
	}
	for _, r := range suffix {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || forbiddenRune(r) {
			return bad("must not contain spaces or control characters")
		}
	}
	return d, nil
}

// checkURL records a problem with field unless s is an absolute http(s)
// URL with a host.
func checkURL(v *Validator, field, s string) {
	if len(s) > MaxURL {
		v.Add(field, "must be at most %d characters", MaxURL)
		return
	}
	if textProblem(s, false) != "" || strings.ContainsAny(s, " \t") {
		v.Add(field, "must not contain spaces or control characters")
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add(field, "must be an http or https URL")
	}
}

// ValidateOutcome checks an outcome's fields for its kind against now (a
// year no later than next year) and normalises the DOI. Every wrong field
// at once.
func ValidateOutcome(kind OutcomeKind, f *OutcomeFields, now time.Time) error {
	var v Validator
	if !kind.Valid() {
		v.Add("kind", "must be one of publication, model, dataset, product, funding")
		return v.Err("The outcome is not valid.")
	}
	short := func(field, s string, required bool) {
		if required {
			v.Check(strings.TrimSpace(s) != "", field, "is required for a %s", kind)
		}
		v.Check(len(s) <= MaxOutcomeText, field, "must be at most %d characters", MaxOutcomeText)
		v.Text(field, s, false)
	}
	none := func(field string, empty bool) {
		v.Check(empty, field, "does not apply to a %s", kind)
	}
	short("title", f.Title, true)
	v.Check(len(f.Description) <= MaxOutcomeDescription, "description", "must be at most %d characters", MaxOutcomeDescription)
	v.Text("description", f.Description, true)
	v.Check(len(f.ModelID) <= 100, "model_id", "must be at most 100 characters")
	v.Text("model_id", f.ModelID, false)
	doi := func(required bool) {
		if f.DOI == "" {
			v.Check(!required, "doi", "is required for a %s", kind)
			return
		}
		d, err := ParseDOI(f.DOI)
		if err != nil {
			v.Merge("", err)
			return
		}
		f.DOI = d
	}
	url := func(required bool) {
		if f.URL == "" {
			v.Check(!required, "url", "is required for a %s", kind)
			return
		}
		checkURL(&v, "url", f.URL)
	}
	switch kind {
	case OutcomePublication:
		doi(true)
		short("venue", f.Venue, true)
		v.Check(f.Year >= 1900 && f.Year <= now.Year()+1, "year", "must be between 1900 and %d", now.Year()+1)
		short("licence", f.Licence, false)
		url(false)
		none("open_weights", f.OpenWeights == nil)
		none("model_id", f.ModelID == "")
		none("funder", f.Funder == "")
		none("amount_eur", f.AmountEUR == 0)
	case OutcomeModel:
		url(true)
		short("licence", f.Licence, true)
		v.Check(f.OpenWeights != nil, "open_weights", "is required for a model: say whether its weights are open")
		none("doi", f.DOI == "")
		none("venue", f.Venue == "")
		none("year", f.Year == 0)
		none("funder", f.Funder == "")
		none("amount_eur", f.AmountEUR == 0)
	case OutcomeDataset:
		url(true)
		short("licence", f.Licence, true)
		doi(false)
		none("venue", f.Venue == "")
		none("year", f.Year == 0)
		none("open_weights", f.OpenWeights == nil)
		none("model_id", f.ModelID == "")
		none("funder", f.Funder == "")
		none("amount_eur", f.AmountEUR == 0)
	case OutcomeProduct:
		url(false)
		none("doi", f.DOI == "")
		none("venue", f.Venue == "")
		none("year", f.Year == 0)
		none("licence", f.Licence == "")
		none("open_weights", f.OpenWeights == nil)
		none("model_id", f.ModelID == "")
		none("funder", f.Funder == "")
		none("amount_eur", f.AmountEUR == 0)
	case OutcomeFunding:
		short("funder", f.Funder, true)
		v.Check(f.AmountEUR > 0 && f.AmountEUR <= MaxFundingEUR, "amount_eur", "must be more than 0 and at most 10^12 EUR")
		none("doi", f.DOI == "")
		none("venue", f.Venue == "")
		none("year", f.Year == 0)
		none("url", f.URL == "")
		none("licence", f.Licence == "")
		none("open_weights", f.OpenWeights == nil)
		none("model_id", f.ModelID == "")
	}
	return v.Err("The outcome is not valid.")
}

// OutcomeFilter selects outcomes. Nil fields match everything.
type OutcomeFilter struct {
	AllocationID   *string
	OrganizationID *string
	CallID         *string
	Kind           *OutcomeKind
	Limit, Offset  int
}

// OutcomeService records and lists what came of allocations.
type OutcomeService interface {
	// AddOutcome records an outcome on an allocation: members of the
	// holding organization only (EFORBIDDEN for others who may see the
	// allocation, ENOTFOUND for those who may not, and for a model_id not
	// of the organization); EINVALID naming each wrong field.
	AddOutcome(ctx context.Context, in OutcomeInput) (*AllocationOutcome, error)
	// UpdateOutcome replaces an outcome's fields (its kind stays): the
	// holder's members; ECONFLICT when version is not the current one.
	UpdateOutcome(ctx context.Context, id string, version int, f OutcomeFields) (*AllocationOutcome, error)
	// RemoveOutcome deletes an outcome: the holder's members.
	RemoveOutcome(ctx context.Context, id string) error
	// FindOutcome returns an outcome the caller may see, or ENOTFOUND.
	FindOutcome(ctx context.Context, id string) (*AllocationOutcome, error)
	// FindOutcomes lists the outcomes the caller may see, newest first.
	// Filtering by call is for access managers and auditors
	// (EFORBIDDEN otherwise).
	FindOutcomes(ctx context.Context, f OutcomeFilter) ([]*AllocationOutcome, int, error)
}
