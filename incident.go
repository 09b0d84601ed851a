// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Incidents. Once compute is awarded, something may go wrong on it: a
// security breach, misuse of the machine, or a serious incident of an AI
// system trained on it. The allocation's holder (a member of the holding
// organization) or an operator of the hosting site reports it on the
// allocation, optionally naming one of the organization's models; an
// access manager triages it and closes it with its outcome. Each incident
// carries the deadlines that apply to it (IncidentDeadlines), with their
// legal basis, and is overdue once the earliest passes before it is
// closed.
//
// Who sees an incident: whoever may see its allocation
// (CanSeeAllocation): the holding organization's members, the hosting
// site's operators, access managers and auditors. Reviewers never; other
// organizations never.

// IncidentKind is what kind of incident was reported.
type IncidentKind string

// The kinds of incident.
const (
	IncidentSecurity IncidentKind = "security" // a breach of the allocation's accounts, data or weights
	IncidentMisuse   IncidentKind = "misuse"   // compute used against the award's terms
	// IncidentSerious is a serious incident of an AI system (AI Act
	// Art. 3(49)); its Harm says which.
	IncidentSerious IncidentKind = "serious_incident"
	IncidentOther   IncidentKind = "other"
)

// IncidentKinds lists the kinds in order.
var IncidentKinds = []IncidentKind{IncidentSecurity, IncidentMisuse, IncidentSerious, IncidentOther}

// Valid reports whether k is a known kind.
func (k IncidentKind) Valid() bool {
	for _, x := range IncidentKinds {
		if k == x {
			return true
		}
	}
	return false
}

// IncidentSeverity grades an incident.
type IncidentSeverity string

// The severities, least first.
const (
	SeverityLow      IncidentSeverity = "low"
	SeverityModerate IncidentSeverity = "moderate"
	SeverityHigh     IncidentSeverity = "high"
	SeverityCritical IncidentSeverity = "critical"
)

// IncidentSeverities lists the severities, least first.
var IncidentSeverities = []IncidentSeverity{SeverityLow, SeverityModerate, SeverityHigh, SeverityCritical}

// Valid reports whether s is a known severity.
func (s IncidentSeverity) Valid() bool { return s.closeDays() > 0 }

// closeDays is the time pactum's terms of access give an incident of
// severity s to be closed, from its report; 0 for an unknown severity.
func (s IncidentSeverity) closeDays() int {
	switch s {
	case SeverityLow:
		return 30
	case SeverityModerate:
		return 15
	case SeverityHigh:
		return 5
	case SeverityCritical:
		return 2
	}
	return 0
}

// IncidentHarm is what a serious incident of an AI system led to: the
// cases of AI Act Art. 3(49), and the widespread infringement of
// Art. 3(61) that Art. 73(3) names beside them.
type IncidentHarm string

// The harms of a serious incident.
const (
	HarmDeath                  IncidentHarm = "death"                   // Art. 3(49)(a), death of a person: Art. 73(4)
	HarmHealth                 IncidentHarm = "health"                  // Art. 3(49)(a), serious harm to a person's health
	HarmCriticalInfrastructure IncidentHarm = "critical_infrastructure" // Art. 3(49)(b): Art. 73(3)
	HarmFundamentalRights      IncidentHarm = "fundamental_rights"      // Art. 3(49)(c)
	HarmPropertyEnvironment    IncidentHarm = "property_environment"    // Art. 3(49)(d)
	HarmWidespread             IncidentHarm = "widespread_infringement" // Art. 3(61): Art. 73(3)
)

// IncidentHarms lists the harms.
var IncidentHarms = []IncidentHarm{HarmDeath, HarmHealth, HarmCriticalInfrastructure, HarmFundamentalRights,
	HarmPropertyEnvironment, HarmWidespread}

// Valid reports whether h is a known harm.
func (h IncidentHarm) Valid() bool {
	for _, x := range IncidentHarms {
		if h == x {
			return true
		}
	}
	return false
}

// IncidentState is where an incident is in its handling.
type IncidentState string

// The states: reported → triaged → closed.
const (
	IncidentReported IncidentState = "reported"
	IncidentTriaged  IncidentState = "triaged"
	IncidentClosed   IncidentState = "closed"
)

// Valid reports whether s is a known state.
func (s IncidentState) Valid() bool {
	return s == IncidentReported || s == IncidentTriaged || s == IncidentClosed
}

// IncidentDeadline is one duty an incident triggers and when it is due.
type IncidentDeadline struct {
	// Duty says what must be done, and by whom.
	Duty string `json:"duty"`
	// Basis is the legal (or contractual) basis, e.g. "AI Act Art. 73(2)".
	Basis string `json:"basis"`
	// Days is the period, counted from From.
	Days int `json:"days"`
	// From is what the period runs from: "occurred_at" or "reported_at".
	From  string    `json:"from"`
	DueAt time.Time `json:"due_at"`
}

// IncidentDeadlines returns the deadlines an incident of kind, severity
// and harm triggers, earliest first. Pure: it reads no clock and no store.
//
//   - Every incident is to be closed (triaged, handled, its outcome
//     recorded) within the days pactum's terms of access give its severity,
//     from its report: critical 2, high 5, moderate 15, low 30. No statute
//     sets these; they are the scheme's.
//   - A serious incident of a high-risk AI system is reported to the
//     market surveillance authority under AI Act Art. 73 (pactum does not
//     know whether the system is high-risk, so it names the duty for every
//     serious incident): within 2 days for a
//     widespread infringement or a serious and irreversible disruption of
//     critical infrastructure (Art. 73(3)), 10 days in the event of death
//     (Art. 73(4)), 15 days otherwise (Art. 73(2)). The Act counts from
//     when the provider becomes aware; pactum counts from when the incident
//     occurred, the earliest awareness can be, so the date is never later
//     than the Act's.
//   - When the incident involves a general-purpose model with systemic
//     risk (systemicRisk) and is a security incident or a serious
//     incident, its provider must report it to the AI Office without undue
//     delay (Art. 55(1)(c); the Commission's guidelines count weight
//     exfiltration and cyberattacks among serious incidents). The Act sets
//     no number of days; the date given is that of the GPAI Code of
//     Practice's Safety and Security chapter as the reference notes list it
//     (2 days for critical infrastructure, 5 for a cybersecurity breach,
//     10 for death, 15 otherwise; not confirmed against the Code's text),
//     counted from the occurrence.
//
// Unknown kinds, severities or harms contribute nothing; callers validate
// first (ValidateIncident).
func IncidentDeadlines(kind IncidentKind, severity IncidentSeverity, harm IncidentHarm, systemicRisk bool,
	occurredAt, reportedAt time.Time) []IncidentDeadline {
	var out []IncidentDeadline
	add := func(duty, basis string, days int, from string, at time.Time) {
		out = append(out, IncidentDeadline{Duty: duty, Basis: basis, Days: days, From: from,
			DueAt: at.UTC().Add(time.Duration(days) * 24 * time.Hour)})
	}
	if kind == IncidentSerious && harm.Valid() {
		days, basis := 15, "AI Act Art. 73(2)"
		switch harm {
		case HarmCriticalInfrastructure, HarmWidespread:
			days, basis = 2, "AI Act Art. 73(3)"
		case HarmDeath:
			days, basis = 10, "AI Act Art. 73(4)"
		}
		add("The provider of a high-risk AI system (or its deployer) reports the serious incident to the market surveillance authority of the Member State where it occurred; pactum cannot tell whether the system is high-risk, so the duty is named for every serious incident.",
			basis, days, "occurred_at", occurredAt)
	}
	if systemicRisk && (kind == IncidentSecurity || kind == IncidentSerious && harm.Valid()) {
		days := 15
		switch {
		case kind == IncidentSecurity:
			days = 5
		case harm == HarmCriticalInfrastructure:
			days = 2
		case harm == HarmDeath:
			days = 10
		}
		add("The provider of the general-purpose AI model with systemic risk reports the serious incident, and possible corrective measures, to the AI Office without undue delay.",
			"AI Act Art. 55(1)(c); days per the GPAI Code of Practice, Safety and Security chapter", days, "occurred_at", occurredAt)
	}
	if d := severity.closeDays(); d > 0 {
		add("An access manager triages the incident and closes it with its outcome.",
			"pactum terms of access (not statutory): by severity", d, "reported_at", reportedAt)
	}
	// Earliest first; stable for equal dates (few entries: insertion sort).
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].DueAt.Before(out[j-1].DueAt); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// HasSystemicRisk reports whether a model is to be treated as a
// general-purpose model with systemic risk, as the supervision of compute
// knows it: its cumulative training compute reached 10^25 FLOP (an alert
// of the systemic-risk threshold at fraction 1 on the model's own
// estimate, subject), or a call's terms held it (ModelHold, acknowledged
// or not), which they do once the estimate's margin reaches the threshold.
func HasSystemicRisk(subject string, alerts []ComputeAlert, held bool) bool {
	if held {
		return true
	}
	for _, a := range alerts {
		if a.Subject == subject && a.Threshold >= SystemicRiskThresholdFLOP && a.Fraction >= 1 {
			return true
		}
	}
	return false
}

// Incident is a reported incident on an allocation, with its handling.
type Incident struct {
	ID             string `json:"id"`
	AllocationID   string `json:"allocation_id"`
	OrganizationID string `json:"organization_id"`
	// CallID is the call the allocation was awarded in.
	CallID string `json:"call_id"`
	// ModelID and Model (NAME@VERSION) name the organization's model the
	// incident involves, if any.
	ModelID string `json:"model_id,omitempty"`
	Model   string `json:"model,omitempty"`
	// SystemicRisk: the model was, at the report, a general-purpose model
	// with systemic risk (HasSystemicRisk), so Art. 55(1)(c) applies.
	SystemicRisk bool             `json:"systemic_risk"`
	Kind         IncidentKind     `json:"kind"`
	Severity     IncidentSeverity `json:"severity"`
	// Harm is what a serious incident led to; "" for other kinds.
	Harm        IncidentHarm `json:"harm,omitempty"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	OccurredAt  time.Time    `json:"occurred_at"`
	ReportedAt  time.Time    `json:"reported_at"`
	ReportedBy  string       `json:"reported_by"`
	// ReporterRole is the reporter's role: applicant (the holder) or
	// site_operator (the hosting site).
	ReporterRole Role          `json:"reporter_role"`
	State        IncidentState `json:"state"`
	// Deadlines are the duties the incident triggers, earliest first
	// (IncidentDeadlines); DueAt is the earliest.
	Deadlines []IncidentDeadline `json:"deadlines"`
	DueAt     time.Time          `json:"due_at"`
	// Overdue: at the time it was read, the incident was past DueAt and
	// not closed. Computed, not stored.
	Overdue    bool       `json:"overdue"`
	TriagedAt  *time.Time `json:"triaged_at,omitempty"`
	TriagedBy  string     `json:"triaged_by,omitempty"`
	TriageNote string     `json:"triage_note,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	ClosedBy   string     `json:"closed_by,omitempty"`
	// Outcome is what came of the incident, as the access manager closing
	// it records it.
	Outcome   string    `json:"outcome,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// IsOverdue reports whether the incident is past its earliest deadline at
// now and not closed.
func (i *Incident) IsOverdue(now time.Time) bool {
	return i.State != IncidentClosed && now.After(i.DueAt)
}

// SetDeadlines computes the incident's deadlines from its kind, severity,
// harm, systemic risk and dates.
func (i *Incident) SetDeadlines() {
	i.Deadlines = IncidentDeadlines(i.Kind, i.Severity, i.Harm, i.SystemicRisk, i.OccurredAt, i.ReportedAt)
	if len(i.Deadlines) > 0 {
		i.DueAt = i.Deadlines[0].DueAt
	}
}

// IncidentInput is what a reporter says about an incident.
type IncidentInput struct {
	AllocationID string `json:"allocation_id"`
	// ModelID optionally names a model of the allocation's organization.
	ModelID     string           `json:"model_id,omitempty"`
	Kind        IncidentKind     `json:"kind"`
	Severity    IncidentSeverity `json:"severity"`
	Harm        IncidentHarm     `json:"harm,omitempty"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	// OccurredAt is when it happened; zero, when it is reported.
	OccurredAt time.Time `json:"occurred_at"`
}

// Bounds of an incident's text.
const (
	MaxIncidentTitle       = 200
	MaxIncidentDescription = 20000
	MaxIncidentNote        = 5000
	// IncidentFutureSlack is how far in the future an occurrence may be
	// dated (clocks differ, time zones confuse): a day.
	IncidentFutureSlack = 24 * time.Hour
	// IncidentPastLimit is how far back an occurrence may be dated.
	IncidentPastLimit = 10 * 365 * 24 * time.Hour
)

// ValidateIncident checks a report against now: every field named that
// is wrong, at once.
func ValidateIncident(in *IncidentInput, now time.Time) error {
	var v Validator
	v.Check(strings.TrimSpace(in.AllocationID) != "", "allocation_id", "is required")
	v.Check(len(in.AllocationID) <= 100, "allocation_id", "must be at most 100 characters")
	v.Text("allocation_id", in.AllocationID, false)
	v.Check(len(in.ModelID) <= 100, "model_id", "must be at most 100 characters")
	v.Text("model_id", in.ModelID, false)
	v.Check(in.Kind.Valid(), "kind", "must be one of security, misuse, serious_incident, other")
	v.Check(in.Severity.Valid(), "severity", "must be one of low, moderate, high, critical")
	switch {
	case in.Kind == IncidentSerious:
		v.Check(in.Harm.Valid(), "harm", "is required for a serious incident: one of death, health, critical_infrastructure, fundamental_rights, property_environment, widespread_infringement (AI Act Art. 3(49), 3(61))")
	case in.Harm != "":
		v.Add("harm", "applies to serious incidents only")
	}
	title := strings.TrimSpace(in.Title)
	v.Check(len(title) >= 3, "title", "is required (at least 3 characters)")
	v.Check(len(in.Title) <= MaxIncidentTitle, "title", "must be at most %d characters", MaxIncidentTitle)
	v.Text("title", in.Title, false)
	v.Check(len(strings.TrimSpace(in.Description)) >= 10, "description", "is required: say what happened (at least 10 characters)")
	v.Check(len(in.Description) <= MaxIncidentDescription, "description", "must be at most %d characters", MaxIncidentDescription)
	v.Text("description", in.Description, true)
	switch {
	case in.OccurredAt.IsZero():
		// Left out: it happened when it is reported (ReportIncident).
	case in.OccurredAt.After(now.Add(IncidentFutureSlack)):
		v.Add("occurred_at", "must not be more than a day in the future")
	case in.OccurredAt.Before(now.Add(-IncidentPastLimit)):
		v.Add("occurred_at", "must be within the last ten years")
	}
	return v.Err("The incident report is not valid.")
}

// ValidateIncidentNote checks an access manager's triage note or outcome
// (field names which).
func ValidateIncidentNote(field, s string) error {
	var v Validator
	v.Check(len(strings.TrimSpace(s)) >= 3, field, "is required (at least 3 characters)")
	v.Check(len(s) <= MaxIncidentNote, field, "must be at most %d characters", MaxIncidentNote)
	v.Text(field, s, true)
	return v.Err(fmt.Sprintf("The %s is not valid.", strings.ReplaceAll(field, "_", " ")))
}

// CanReportIncident reports whether u may report an incident on a, whose
// system site hosts: a member of the holding organization or an operator
// of the hosting site.
func CanReportIncident(u *User, a *Allocation, site string) bool {
	switch {
	case u == nil:
		return false
	case u.Role == RoleApplicant:
		return u.OrganizationID == a.OrganizationID
	case u.Role == RoleSiteOperator:
		return u.Site == site
	}
	return false
}

// IncidentFilter selects incidents. Nil fields match everything.
type IncidentFilter struct {
	AllocationID   *string
	OrganizationID *string
	CallID         *string
	State          *IncidentState
	// Overdue lists only the incidents past their deadline and not
	// closed, earliest due first (the use case sets OverdueAt to now).
	Overdue bool
	// OverdueAt lists only the incidents not closed whose DueAt is before
	// it.
	OverdueAt     *time.Time
	Limit, Offset int
}

// TriageInput is an access manager's triage: a note, and optionally a
// revised severity (which recomputes the deadlines).
type TriageInput struct {
	Note     string           `json:"note"`
	Severity IncidentSeverity `json:"severity,omitempty"`
}

// IncidentService reports, triages, closes and lists incidents.
type IncidentService interface {
	// ReportIncident records an incident on an allocation: its holder's
	// members and its hosting site's operators; ENOTFOUND for an
	// allocation (or model) the caller may not see, EFORBIDDEN for access
	// managers and auditors, EINVALID naming each wrong field. Access
	// managers are notified.
	ReportIncident(ctx context.Context, in IncidentInput) (*Incident, error)
	// FindIncident returns one incident the caller may see, or ENOTFOUND.
	FindIncident(ctx context.Context, id string) (*Incident, error)
	// FindIncidents lists the incidents the caller may see, newest first
	// (with f.Overdue, only the overdue ones, earliest due first).
	FindIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, int, error)
	// FindOverdueIncidents lists the incidents past their deadline and not
	// closed, earliest due first: access managers and auditors
	// (EFORBIDDEN otherwise).
	FindOverdueIncidents(ctx context.Context, limit, offset int) ([]*Incident, int, error)
	// TriageIncident moves a reported incident to triaged: access
	// managers. ECONFLICT when it was triaged with another note or is
	// closed; the same triage again returns the incident unchanged. The
	// reporter is notified.
	TriageIncident(ctx context.Context, id string, in TriageInput) (*Incident, error)
	// CloseIncident closes a triaged incident with its outcome: access
	// managers. ECONFLICT for an incident not yet triaged; closing again
	// returns the first closing unchanged. The reporter is notified.
	CloseIncident(ctx context.Context, id, outcome string) (*Incident, error)
	// CountOpenIncidents counts an allocation's incidents not closed
	// (reported or triaged), for its compliance status; ENOTFOUND for an
	// allocation the caller may not see.
	CountOpenIncidents(ctx context.Context, allocationID string) (int, error)
}
