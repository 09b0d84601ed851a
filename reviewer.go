// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RecentAffiliationYears is how long after leaving an organization a
// reviewer still counts as close to it: an apparent conflict, as in Horizon
// Europe's expert rules ("employed … in the last three years").
const RecentAffiliationYears = 3

// EthicsExpertise is the expertise keyword that qualifies a reviewer for
// ethics reviews.
const EthicsExpertise = "ethics"

// Affiliation is an organization a reviewer works or worked for.
type Affiliation struct {
	// OrganizationID names a registered organization; Organization is
	// the name as written. Either matches a proposal's organizations.
	OrganizationID string `json:"organization_id,omitempty"`
	Organization   string `json:"organization"`
	From           Date   `json:"from,omitzero"`
	// Until is empty while the affiliation lasts.
	Until Date `json:"until,omitzero"`
}

// DeclaredConflict is a conflict of interest a reviewer declares in advance
// with an organization (a competitor, a client, a family member's
// employer).
type DeclaredConflict struct {
	OrganizationID string `json:"organization_id,omitempty"`
	Organization   string `json:"organization,omitempty"`
	Reason         string `json:"reason"`
}

// ReviewerProfile is what assignment and conflict detection know about a
// reviewer: expertise keywords, affiliations and declared conflicts.
type ReviewerProfile struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	// Expertise lists lower-case keywords such as "language_model",
	// "speech", "medical" or "ethics"; assignment matches them against
	// proposals (Affinity).
	Expertise         []string           `json:"expertise"`
	Affiliations      []Affiliation      `json:"affiliations"`
	DeclaredConflicts []DeclaredConflict `json:"declared_conflicts"`
	UpdatedAt         time.Time          `json:"updated_at"`
	Version           int                `json:"version"`
}

// Normalize lower-cases and trims the expertise keywords, drops empty ones
// and duplicates, keeping the first occurrence's position.
func (r *ReviewerProfile) Normalize() {
	out := []string{}
	for _, k := range r.Expertise {
		k = strings.ToLower(strings.TrimSpace(k))
		if k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	r.Expertise = out
	if r.Affiliations == nil {
		r.Affiliations = []Affiliation{}
	}
	if r.DeclaredConflicts == nil {
		r.DeclaredConflicts = []DeclaredConflict{}
	}
}

// Validate checks the profile; now bounds the dates.
func (r *ReviewerProfile) Validate(now time.Time) error {
	var v Validator
	v.Check(len(r.Expertise) <= 50, "expertise", "must list at most 50 keywords")
	for i, k := range r.Expertise {
		v.Check(len(k) <= 60, "expertise["+itoa(i)+"]", "must be at most 60 characters")
		v.Text("expertise["+itoa(i)+"]", k, false)
	}
	v.Check(len(r.Affiliations) <= 50, "affiliations", "must list at most 50")
	for i, a := range r.Affiliations {
		f := "affiliations[" + itoa(i) + "]"
		v.Check(strings.TrimSpace(a.Organization) != "" && len(a.Organization) <= 300, f+".organization", "is required (at most 300 characters)")
		v.Text(f+".organization", a.Organization, false)
		v.Text(f+".organization_id", a.OrganizationID, false)
		v.Check(a.From.IsZero() || !a.From.Time().After(now), f+".from", "must not be in the future")
		v.Check(a.From.IsZero() || !a.From.Time().Before(EarliestDate.Time()), f+".from", "must not be before %s", EarliestDate)
		v.Check(a.Until.IsZero() || a.From.IsZero() || !a.Until.Time().Before(a.From.Time()), f+".until", "must not be before from")
		v.Check(a.Until.IsZero() || !a.Until.Time().Before(EarliestDate.Time()), f+".until", "must not be before %s", EarliestDate)
		v.Check(a.Until.IsZero() || !a.Until.Time().After(now.AddDate(AffiliationMaxYearsAhead, 0, 0)), f+".until",
			"must not be more than %d years ahead", AffiliationMaxYearsAhead)
	}
	v.Check(len(r.DeclaredConflicts) <= 50, "declared_conflicts", "must list at most 50")
	for i, d := range r.DeclaredConflicts {
		f := "declared_conflicts[" + itoa(i) + "]"
		v.Check(d.OrganizationID != "" || strings.TrimSpace(d.Organization) != "", f, "must name an organization (organization_id or organization)")
		v.Check(len(d.Organization) <= 300, f+".organization", "must be at most 300 characters")
		v.Text(f+".organization", d.Organization, false)
		v.Text(f+".organization_id", d.OrganizationID, false)
		v.Check(strings.TrimSpace(d.Reason) != "" && len(d.Reason) <= 2000, f+".reason", "is required (at most 2000 characters)")
		v.Text(f+".reason", d.Reason, true)
	}
	return v.Err("The reviewer profile is not valid.")
}

// ConflictReason is why a reviewer is conflicted on a proposal.
type ConflictReason string

// The conflict reasons.
const (
	ConflictSameOrganization   ConflictReason = "same_organization"   // works for the applicant or a team member's organization
	ConflictRecentOrganization ConflictReason = "recent_organization" // left one within RecentAffiliationYears
	ConflictNamed              ConflictReason = "named_on_proposal"   // is the applicant or on the team
	ConflictDeclared           ConflictReason = "declared"            // said so
)

// ConflictSeverity grades a conflict, after Waldur's scale.
type ConflictSeverity string

// The severities: a real conflict can never be waived; an apparent one (a
// past affiliation) an access manager may waive with a reason.
const (
	SeverityReal     ConflictSeverity = "real"
	SeverityApparent ConflictSeverity = "apparent"
)

// ConflictStatus is whether a conflict excludes the reviewer.
type ConflictStatus string

// The statuses.
const (
	ConflictActive ConflictStatus = "active" // the reviewer is excluded from the proposal
	ConflictWaived ConflictStatus = "waived" // an access manager waived an apparent conflict
)

// Conflict is a recorded conflict of interest between a reviewer and a
// proposal. While active, the reviewer is never assigned the proposal and
// can read nothing of it.
type Conflict struct {
	ID          string           `json:"id"`
	ProposalID  string           `json:"proposal_id"`
	ReviewerID  string           `json:"reviewer_id"`
	Reason      ConflictReason   `json:"reason"`
	Severity    ConflictSeverity `json:"severity"`
	Status      ConflictStatus   `json:"status"`
	Detail      string           `json:"detail"`
	DetectedAt  time.Time        `json:"detected_at"`
	WaivedBy    string           `json:"waived_by,omitempty"`
	WaiveReason string           `json:"waive_reason,omitempty"`
	WaivedAt    *time.Time       `json:"waived_at,omitempty"`
	// Disclosed is true when the reviewer already knew the proposal when
	// the conflict was recorded (they recused themselves, or held an
	// assignment on it when a profile change revealed the conflict). A
	// conflict found before any assignment is not disclosed: the reviewer
	// must not learn that the proposal exists, so they never see it.
	Disclosed bool `json:"disclosed"`
}

// ConflictSubject is what conflict detection compares a reviewer with: the
// proposal, its organization and its applicant.
type ConflictSubject struct {
	Proposal     *Proposal
	Organization *Organization
	Applicant    *User
}

// sameOrgName compares organization names as people write them: case,
// surrounding and repeated spaces and a trailing full stop do not matter.
func sameOrgName(a, b string) bool {
	norm := func(s string) string {
		return strings.TrimSuffix(strings.Join(strings.Fields(strings.ToLower(s)), " "), ".")
	}
	return a != "" && b != "" && norm(a) == norm(b)
}

// orgRef is an organization named by ID and/or name.
type orgRef struct{ id, name string }

func (o orgRef) matches(id, name string) bool {
	if o.id != "" && id != "" {
		return o.id == id
	}
	return sameOrgName(o.name, name)
}

// DetectConflicts returns the conflicts between reviewer u (with profile r)
// and the subject at time at, without IDs: the reviewer is named on the
// proposal (the applicant's or a team member's e-mail is theirs); works for
// the applicant organization or a team member's organization; left one of
// them less than RecentAffiliationYears ago; or declared a conflict with
// one of them. Matching is by organization ID where both sides have one,
// else by name. The result is deterministic: one conflict per reason, in
// the order above.
func DetectConflicts(s ConflictSubject, u *User, r *ReviewerProfile, at time.Time) []Conflict {
	p := s.Proposal
	email := strings.ToLower(strings.TrimSpace(u.Email))
	var out []Conflict
	add := func(reason ConflictReason, sev ConflictSeverity, detail string) {
		if slices.ContainsFunc(out, func(c Conflict) bool { return c.Reason == reason }) {
			return
		}
		out = append(out, Conflict{ProposalID: p.ID, ReviewerID: u.ID, Reason: reason, Severity: sev, Status: ConflictActive,
			Detail: detail, DetectedAt: at})
	}
	if s.Applicant != nil && strings.EqualFold(strings.TrimSpace(s.Applicant.Email), email) {
		add(ConflictNamed, SeverityReal, "The reviewer's e-mail "+email+" is the applicant's.")
	}
	for _, m := range p.Team {
		if strings.EqualFold(strings.TrimSpace(m.Email), email) {
			add(ConflictNamed, SeverityReal, fmt.Sprintf("The reviewer (%s) is named on the proposal's team as %s.", email, m.Name))
		}
	}
	var orgs []orgRef
	if s.Organization != nil {
		orgs = append(orgs, orgRef{s.Organization.ID, s.Organization.LegalName})
	} else {
		orgs = append(orgs, orgRef{id: p.OrganizationID})
	}
	for _, m := range p.Team {
		orgs = append(orgs, orgRef{m.OrganizationID, m.Organization})
	}
	if r != nil {
		cutoff := at.AddDate(-RecentAffiliationYears, 0, 0)
		for _, a := range r.Affiliations {
			for _, o := range orgs {
				if !o.matches(a.OrganizationID, a.Organization) {
					continue
				}
				switch {
				case a.Until.IsZero() || !a.Until.Time().Before(DateOf(at).Time()):
					add(ConflictSameOrganization, SeverityReal, fmt.Sprintf("The reviewer is affiliated with %s, an organization of the proposal.", a.Organization))
				case !a.Until.Time().Before(cutoff):
					add(ConflictRecentOrganization, SeverityApparent, fmt.Sprintf("The reviewer left %s on %s, less than %d years before %s.",
						a.Organization, a.Until, RecentAffiliationYears, DateOf(at)))
				}
			}
		}
		for _, d := range r.DeclaredConflicts {
			for _, o := range orgs {
				if o.matches(d.OrganizationID, d.Organization) {
					name := d.Organization
					if name == "" {
						name = o.name
					}
					if name == "" {
						name = d.OrganizationID
					}
					add(ConflictDeclared, SeverityReal, fmt.Sprintf("The reviewer declared a conflict with %s: %s", name, d.Reason))
				}
			}
		}
	}
	order := map[ConflictReason]int{ConflictNamed: 0, ConflictSameOrganization: 1, ConflictRecentOrganization: 2, ConflictDeclared: 3}
	slices.SortStableFunc(out, func(a, b Conflict) int { return order[a.Reason] - order[b.Reason] })
	return out
}

// AssignmentState is where a reviewer's assignment stands.
type AssignmentState string

// The assignment states.
const (
	AssignmentAssigned  AssignmentState = "assigned"  // the review is due
	AssignmentSubmitted AssignmentState = "submitted" // the review is in
	AssignmentRecused   AssignmentState = "recused"   // a conflict came to light; the reviewer is out
)

// Assignment asks a reviewer to review a proposal in one stage. Affinity and
// Matched explain why this reviewer was chosen.
type Assignment struct {
	ID         string          `json:"id"`
	ProposalID string          `json:"proposal_id"`
	CallID     string          `json:"call_id"`
	Stage      ReviewStage     `json:"stage"`
	ReviewerID string          `json:"reviewer_id"`
	State      AssignmentState `json:"state"`
	Affinity   int             `json:"affinity"`
	Matched    []string        `json:"matched"`
	AssignedBy string          `json:"assigned_by"`
	AssignedAt time.Time       `json:"assigned_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	Version    int             `json:"version"`
}

// AssignmentFilter selects assignments. Nil fields match everything.
type AssignmentFilter struct {
	ProposalID    *string
	CallID        *string
	ReviewerID    *string
	Stage         *ReviewStage
	State         *AssignmentState
	Limit, Offset int
}

// AssignmentShortfall is a proposal that did not get enough reviewers, and
// why.
type AssignmentShortfall struct {
	ProposalID string `json:"proposal_id"`
	Needed     int    `json:"needed"`
	Found      int    `json:"found"`
	Reason     string `json:"reason"`
}

// AssignmentReport is the outcome of assigning reviewers for a call: the new
// assignments, the conflicts found on the way, and the proposals still short
// of reviewers.
type AssignmentReport struct {
	Stage       ReviewStage           `json:"stage"`
	Assignments []*Assignment         `json:"assignments"`
	Conflicts   []*Conflict           `json:"conflicts"`
	Shortfalls  []AssignmentShortfall `json:"shortfalls"`
}

// ReviewerFilter selects reviewer profiles.
type ReviewerFilter struct {
	Expertise *string
	// UserIDs: only these reviewers (a page's, to name them); empty
	// matches every reviewer.
	UserIDs       []string
	Limit, Offset int
}

// ConflictFilter selects conflicts. Nil fields match everything.
type ConflictFilter struct {
	ProposalID *string
	// CallID: conflicts on the call's proposals.
	CallID        *string
	ReviewerID    *string
	Status        *ConflictStatus
	Limit, Offset int
}

// ReviewerService keeps reviewer profiles, assigns reviewers and records
// conflicts of interest.
type ReviewerService interface {
	// FindReviewerProfile returns a reviewer's profile (empty if never
	// written). Reviewers see their own, access managers and auditors
	// anyone's. ENOTFOUND otherwise or for a user who is not a reviewer.
	FindReviewerProfile(ctx context.Context, userID string) (*ReviewerProfile, error)
	// FindReviewerProfiles lists reviewers with their profiles: all to
	// access managers and auditors, themselves to reviewers, nobody to
	// others.
	FindReviewerProfiles(ctx context.Context, f ReviewerFilter) ([]*ReviewerProfile, int, error)
	// UpdateReviewerProfile replaces a reviewer's expertise,
	// affiliations and declared conflicts. The reviewer themself or an
	// access manager. Assignments the new profile conflicts with are
	// recused at once, with the conflict recorded. EINVALID for a bad
	// profile, ENOTFOUND for an unknown reviewer.
	UpdateReviewerProfile(ctx context.Context, r *ReviewerProfile) error

	// AssignReviewers assigns reviewers to every proposal of the call at
	// stage (ethics or peer) until each has the rubric's minimum (one
	// for ethics), by expertise with balanced load (PlanAssignments).
	// Conflicts found between the call's proposals and the candidates
	// are recorded first; conflicted reviewers are never assigned.
	// Re-running it only fills gaps. Access managers only.
	AssignReviewers(ctx context.Context, callID string, stage ReviewStage) (*AssignmentReport, error)
	// FindAssignments lists assignments: reviewers their own; access
	// managers and auditors all.
	FindAssignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, int, error)
	// Recuse withdraws the caller from an assignment because of a
	// conflict of interest, which is recorded as declared; from then on
	// the reviewer cannot read the proposal, and a review they already
	// wrote no longer counts. The assigned reviewer only; ENOTFOUND for
	// anyone else. ECONFLICT when already recused.
	Recuse(ctx context.Context, assignmentID, reason string) (*Assignment, error)

	// FindConflicts lists recorded conflicts: access managers and
	// auditors all; reviewers their own.
	FindConflicts(ctx context.Context, f ConflictFilter) ([]*Conflict, int, error)
	// WaiveConflict waives an apparent conflict, so the reviewer may be
	// assigned. Access managers only, with a reason. ECONFLICT for a real
	// conflict, which can never be waived.
	WaiveConflict(ctx context.Context, id, reason string) (*Conflict, error)
}
