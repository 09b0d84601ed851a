// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Obligations of an award. Each access mode's terms (catalog
// obligations.json, ObligationTerms) list what the holder of one of its
// allocations owes and when: a progress report at a fraction of the
// allocation's period, a final report some days after its end, an
// acknowledgement of the machine in publications, and, for each condition
// of an ethics review, a report on how it is met by a due date of its own.
// When an allocation is created its obligations are instantiated with
// concrete due dates (NewObligations), in the same transaction.
//
// The holder submits (a report, or the acknowledgement's reference); an
// access manager accepts it or returns it with a reason, after which the
// holder submits again. A sweep (ObligationNotices) reminds the holder at
// the configured days before the due date, marks an obligation not
// submitted by its due date overdue and escalates to the access managers,
// and, when the mode's terms say so (BreachAfterDays), declares a breach
// of the allocation once it stays overdue that long. Each notice is sent
// once. A breach (Breach) suspends the allocation at its site (Desire)
// until an access manager clears it.

// ObligationKind says what an obligation asks for.
type ObligationKind string

// The obligation kinds.
const (
	ObligationProgressReport  ObligationKind = "progress_report"
	ObligationFinalReport     ObligationKind = "final_report"
	ObligationAcknowledgement ObligationKind = "acknowledgement" // of the machine in publications
	ObligationEthicsCondition ObligationKind = "ethics_condition"
)

// ObligationKinds lists every kind.
var ObligationKinds = []ObligationKind{ObligationProgressReport, ObligationFinalReport, ObligationAcknowledgement, ObligationEthicsCondition}

// Valid reports whether k is a defined kind.
func (k ObligationKind) Valid() bool { return slices.Contains(ObligationKinds, k) }

// ObligationTemplate is one obligation as a mode's terms define it. Its due
// date is given by exactly one of Fraction (of the allocation's period,
// from its start), DaysAfterStart and DaysAfterEnd.
type ObligationTemplate struct {
	Kind  ObligationKind `json:"kind"`
	Title string         `json:"title"`
	// Fraction: due at start + Fraction·(end − start), 0 < Fraction ≤ 1.
	Fraction float64 `json:"fraction,omitempty"`
	// DaysAfterStart: due this many days after the allocation starts.
	DaysAfterStart int `json:"days_after_start,omitempty"`
	// DaysAfterEnd: due this many days after the allocation ends.
	DaysAfterEnd int `json:"days_after_end,omitempty"`
}

// Validate checks a template.
func (t *ObligationTemplate) Validate() error {
	var v Validator
	v.Check(t.Kind.Valid(), "kind", "must be one of %s", joinKinds())
	v.Check(strings.TrimSpace(t.Title) != "" && len(t.Title) <= 200, "title", "is required (at most 200 characters)")
	v.Text("title", t.Title, false)
	set := 0
	if t.Fraction != 0 {
		set++
		v.Check(t.Fraction > 0 && t.Fraction <= 1 && !math.IsNaN(t.Fraction), "fraction", "must be above 0 and at most 1 (of the allocation's period)")
	}
	if t.DaysAfterStart != 0 {
		set++
		v.Check(t.DaysAfterStart > 0 && t.DaysAfterStart <= 1100, "days_after_start", "must be between 1 and 1100")
	}
	if t.DaysAfterEnd != 0 {
		set++
		v.Check(t.DaysAfterEnd > 0 && t.DaysAfterEnd <= 365, "days_after_end", "must be between 1 and 365")
	}
	v.Check(set == 1, "due", "give exactly one of fraction, days_after_start, days_after_end")
	return v.Err("The obligation template is not valid.")
}

func joinKinds() string {
	s := make([]string, len(ObligationKinds))
	for i, k := range ObligationKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ModeObligations are the obligations of one access mode's awards.
type ModeObligations struct {
	Mode      AccessMode           `json:"mode"`
	Templates []ObligationTemplate `json:"templates"`
	// BreachAfterDays: an obligation overdue this many days makes the
	// sweep declare a breach of its allocation, which suspends it; 0
	// never does (an access manager decides, DeclareBreach).
	BreachAfterDays int `json:"breach_after_days"`
}

// ObligationTerms are every mode's obligations and when the holder is
// reminded.
type ObligationTerms struct {
	// ReminderDays are the days before a due date at which the holder is
	// reminded, each once (e.g. 14 and 3).
	ReminderDays []int             `json:"reminder_days"`
	Modes        []ModeObligations `json:"modes"`
}

// DefaultReminderDays are the reminders of terms that name none.
var DefaultReminderDays = []int{14, 3}

// Validate checks the terms, naming the field of any problem.
func (t *ObligationTerms) Validate() error {
	var v Validator
	v.Check(len(t.ReminderDays) <= 10, "reminder_days", "must list at most 10 days")
	seenDay := map[int]bool{}
	for i, d := range t.ReminderDays {
		f := "reminder_days[" + itoa(i) + "]"
		v.Check(d >= 1 && d <= 365, f, "must be between 1 and 365")
		v.Check(!seenDay[d], f, "is listed twice")
		seenDay[d] = true
	}
	seen := map[AccessMode]bool{}
	for i, m := range t.Modes {
		p := "modes[" + itoa(i) + "]"
		v.Check(m.Mode.Valid(), p+".mode", "must be one of %s", joinModes())
		v.Check(!seen[m.Mode], p+".mode", "is listed twice")
		seen[m.Mode] = true
		v.Check(m.BreachAfterDays >= 0 && m.BreachAfterDays <= 365, p+".breach_after_days", "must be between 0 (never) and 365")
		v.Check(len(m.Templates) <= 20, p+".templates", "must be at most 20")
		for j := range m.Templates {
			v.Merge(p+".templates["+itoa(j)+"]", m.Templates[j].Validate())
		}
	}
	return v.Err("The obligation terms are not valid.")
}

// For returns mode m's obligations, nil when the terms give none.
func (t *ObligationTerms) For(m AccessMode) *ModeObligations {
	if t == nil {
		return nil
	}
	for i := range t.Modes {
		if t.Modes[i].Mode == m {
			return &t.Modes[i]
		}
	}
	return nil
}

// Reminders returns the reminder days, largest first (DefaultReminderDays
// when the terms name none).
func (t *ObligationTerms) Reminders() []int {
	d := DefaultReminderDays
	if t != nil && len(t.ReminderDays) > 0 {
		d = t.ReminderDays
	}
	d = slices.Clone(d)
	slices.Sort(d)
	slices.Reverse(d)
	return d
}

// ObligationState is where an obligation stands.
type ObligationState string

// The obligation states: open until the holder submits; submitted until an
// access manager accepts (done) or returns it (open again, with a reason).
const (
	ObligationOpen      ObligationState = "open"
	ObligationSubmitted ObligationState = "submitted"
	ObligationReturned  ObligationState = "returned"
	ObligationAccepted  ObligationState = "accepted"
)

// ObligationStates lists every state.
var ObligationStates = []ObligationState{ObligationOpen, ObligationSubmitted, ObligationReturned, ObligationAccepted}

// Valid reports whether s is a defined state.
func (s ObligationState) Valid() bool { return slices.Contains(ObligationStates, s) }

// Obligation is one thing an allocation's holder owes, by a date.
type Obligation struct {
	ID             string         `json:"id"`
	AllocationID   string         `json:"allocation_id"`
	OrganizationID string         `json:"organization_id"`
	Kind           ObligationKind `json:"kind"`
	Title          string         `json:"title"`
	// Detail is the ethics condition's text, for that kind.
	Detail string    `json:"detail,omitempty"`
	DueAt  time.Time `json:"due_at"`
	// BreachAfterDays: the mode's term (ModeObligations) when the
	// obligation was created.
	BreachAfterDays int             `json:"breach_after_days"`
	State           ObligationState `json:"state"`
	// Report is the holder's submission: a report's text, or the
	// reference of a publication acknowledging the machine.
	Report string `json:"report,omitempty"`
	// OutcomeID links a final report to its recorded outcomes (issue 13
	// item 4); free for now.
	OutcomeID    string     `json:"outcome_id,omitempty"`
	SubmittedBy  string     `json:"submitted_by,omitempty"`
	SubmittedAt  *time.Time `json:"submitted_at,omitempty"`
	ReviewedBy   string     `json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	ReturnReason string     `json:"return_reason,omitempty"`
	// OverdueAt is when the sweep found it overdue, nil before.
	OverdueAt *time.Time `json:"overdue_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Version   int        `json:"version"`
}

// Pending reports whether the holder still has to submit: open or
// returned.
func (o *Obligation) Pending() bool {
	return o.State == ObligationOpen || o.State == ObligationReturned
}

// IsOverdue reports whether o is pending past its due date at now.
func (o *Obligation) IsOverdue(now time.Time) bool { return o.Pending() && !now.Before(o.DueAt) }

// DefaultEthicsConditionTitle names an ethics condition's obligation when
// the mode's terms have no template for one but the ethics review set its
// own deadline.
const DefaultEthicsConditionTitle = "Report on how the ethics condition is met"

// NewObligations instantiates mode terms m for allocation al: one
// obligation per template other than the ethics condition's, then one per
// ethics condition al carries, due when the ethics review said (its
// DueDays after the start) or else as the mode's ethics-condition template
// says (none when the mode has no such template and the review set no
// date). Due dates are whole seconds.
func NewObligations(al *Allocation, m *ModeObligations, now time.Time, newID func() string) []*Obligation {
	if m == nil {
		m = &ModeObligations{} // the ethics reviewer's own deadlines still hold
	}
	var out []*Obligation
	mk := func(t ObligationTemplate, title, detail string) {
		var due time.Time
		switch {
		case t.Fraction > 0:
			due = al.StartsAt.Add(time.Duration(t.Fraction * float64(al.EndsAt.Sub(al.StartsAt))))
		case t.DaysAfterStart > 0:
			due = al.StartsAt.AddDate(0, 0, t.DaysAfterStart)
		default:
			due = al.EndsAt.AddDate(0, 0, t.DaysAfterEnd)
		}
		out = append(out, &Obligation{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, Kind: t.Kind,
			Title: title, Detail: detail, DueAt: due.UTC().Truncate(time.Second), BreachAfterDays: m.BreachAfterDays,
			State: ObligationOpen, CreatedAt: now, Version: 1})
	}
	var ethics *ObligationTemplate
	for _, t := range m.Templates {
		if t.Kind == ObligationEthicsCondition {
			ethics = &t
			continue
		}
		mk(t, t.Title, "")
	}
	for _, c := range al.Conditions {
		if c.RuleID != "ethics.review" {
			continue
		}
		switch {
		case c.DueDays > 0:
			// The ethics reviewer's own deadline beats the mode's.
			t := ObligationTemplate{Kind: ObligationEthicsCondition, Title: DefaultEthicsConditionTitle, DaysAfterStart: c.DueDays}
			if ethics != nil {
				t.Title = ethics.Title
			}
			mk(t, t.Title, c.Message)
		case ethics != nil:
			mk(*ethics, ethics.Title, c.Message)
		}
	}
	return out
}

// SubmissionInput is the holder's submission of an obligation.
type SubmissionInput struct {
	// Report is a report's text, or for an acknowledgement the reference
	// of the publication that acknowledges the machine.
	Report string `json:"report"`
	// OutcomeID optionally links a final report to its recorded outcomes.
	OutcomeID string `json:"outcome_id,omitempty"`
}

// Validate checks a submission.
func (in *SubmissionInput) Validate() error {
	var v Validator
	v.Check(len(strings.TrimSpace(in.Report)) >= 3, "report", "is required: the report, or the publication's reference")
	v.Check(len(in.Report) <= 100000, "report", "must be at most 100000 characters")
	v.Text("report", in.Report, true)
	v.Check(len(in.OutcomeID) <= 100, "outcome_id", "must be at most 100 characters")
	v.Text("outcome_id", in.OutcomeID, false)
	return v.Err("The submission is not valid.")
}

// ValidateReason checks an access manager's reason (returning a
// submission, declaring or clearing a breach).
func ValidateReason(s string) error {
	var v Validator
	v.Check(len(strings.TrimSpace(s)) >= 3, "reason", "is required: say why")
	v.Check(len(s) <= 5000, "reason", "must be at most 5000 characters")
	v.Text("reason", s, true)
	return v.Err("The reason is not valid.")
}

// Notice names of ObligationNotices: each is sent once per obligation.
const (
	NoticeOverdue = "overdue"
	NoticeBreach  = "breach"
)

// ReminderNotice names the reminder sent days before the due date.
func ReminderNotice(days int) string { return "reminder_" + itoa(days) }

// ObligationNotices returns the notices the sweep owes for o at now, given
// the reminder days (largest first): the most urgent reminder whose day
// has come while o is pending before its due date (one, however late the
// sweep runs); once pending past it, overdue, and breach when its
// BreachAfterDays have passed since the due date. Which of them were sent
// already is the store's record, not this function's.
func ObligationNotices(o *Obligation, reminderDays []int, now time.Time) []string {
	if !o.Pending() {
		return nil
	}
	if now.Before(o.DueAt) {
		best := 0
		for _, d := range reminderDays {
			if !now.Before(o.DueAt.AddDate(0, 0, -d)) && (best == 0 || d < best) {
				best = d
			}
		}
		if best > 0 {
			return []string{ReminderNotice(best)}
		}
		return nil
	}
	out := []string{NoticeOverdue}
	if o.BreachAfterDays > 0 && !now.Before(o.DueAt.AddDate(0, 0, o.BreachAfterDays)) {
		out = append(out, NoticeBreach)
	}
	return out
}

// Breach is an access manager's declaration (or the sweep's, Automatic)
// that an allocation's holder breached its terms: it suspends the
// allocation at its site until cleared.
type Breach struct {
	AllocationID string    `json:"allocation_id"`
	Reason       string    `json:"reason"`
	DeclaredBy   string    `json:"declared_by,omitempty"`
	DeclaredAt   time.Time `json:"declared_at"`
	Automatic    bool      `json:"automatic"`
	// ClearedAt, ClearedBy, ClearReason: the clearance, nil while in force.
	ClearedAt   *time.Time `json:"cleared_at,omitempty"`
	ClearedBy   string     `json:"cleared_by,omitempty"`
	ClearReason string     `json:"clear_reason,omitempty"`
}

// Active reports whether the breach is in force.
func (b *Breach) Active() bool { return b != nil && b.ClearedAt == nil }

// BreachReason is what the site's desired state and the holder's admission
// say of an active breach.
func BreachReason(b *Breach) string { return "breach declared: " + b.Reason }

// Compliance is an allocation's standing against its terms.
type Compliance struct {
	AllocationID   string            `json:"allocation_id"`
	OrganizationID string            `json:"organization_id"`
	State          AllocationState   `json:"state"`
	Conditions     []ConditionStatus `json:"conditions"`
	ConditionsMet  bool              `json:"conditions_met"`
	Obligations    []*Obligation     `json:"obligations"`
	// Due: pending, not yet past the due date; Overdue: pending past it;
	// Submitted: awaiting an access manager; Done: accepted.
	Due       int `json:"due"`
	Overdue   int `json:"overdue"`
	Submitted int `json:"submitted"`
	Done      int `json:"done"`
	// Breach is the current or last declared breach, nil if none ever.
	Breach   *Breach `json:"breach,omitempty"`
	Breached bool    `json:"breached"`
	// IncidentsOpen counts the allocation's incidents not closed
	// (incident.go); a non-zero count makes the allocation not Compliant.
	IncidentsOpen int `json:"incidents_open"`
	// Compliant: conditions met, nothing overdue, no breach in force, no
	// incident open.
	Compliant bool     `json:"compliant"`
	Reasons   []string `json:"reasons"`
}

// AssessCompliance computes al's compliance at now.
func AssessCompliance(al *Allocation, conds []ConditionStatus, obls []*Obligation, b *Breach, incidentsOpen int, now time.Time) *Compliance {
	c := &Compliance{AllocationID: al.ID, OrganizationID: al.OrganizationID, State: al.State, Conditions: conds,
		Obligations: obls, Breach: b, Breached: b.Active(), IncidentsOpen: incidentsOpen, Reasons: []string{}}
	if c.Conditions == nil {
		c.Conditions = []ConditionStatus{}
	}
	if c.Obligations == nil {
		c.Obligations = []*Obligation{}
	}
	unmet := Unmet(conds)
	c.ConditionsMet = len(unmet) == 0
	for _, u := range unmet {
		c.Reasons = append(c.Reasons, "Condition "+u.RuleID+" is not met.")
	}
	for _, o := range obls {
		switch {
		case o.State == ObligationAccepted:
			c.Done++
		case o.State == ObligationSubmitted:
			c.Submitted++
		case o.IsOverdue(now):
			c.Overdue++
			c.Reasons = append(c.Reasons, fmt.Sprintf("Obligation %s (%s) was due %s.", o.ID, o.Title, o.DueAt.UTC().Format(time.RFC3339)))
		default:
			c.Due++
		}
	}
	if c.Breached {
		c.Reasons = append(c.Reasons, "A breach is declared: "+b.Reason)
	}
	if incidentsOpen > 0 {
		c.Reasons = append(c.Reasons, fmt.Sprintf("%d incident(s) open.", incidentsOpen))
	}
	c.Compliant = len(c.Reasons) == 0
	return c
}

// ObligationFilter selects obligations. Nil fields match everything.
type ObligationFilter struct {
	AllocationID   *string
	OrganizationID *string
	State          *ObligationState
	// OverdueAt selects obligations pending past their due date at that
	// time.
	OverdueAt     *time.Time
	Limit, Offset int
}

// SweepResult counts what one sweep did.
type SweepResult struct {
	Checked   int `json:"checked"`
	Reminders int `json:"reminders"`
	Overdue   int `json:"overdue"`
	Breaches  int `json:"breaches"`
}

// ObligationService handles an award's obligations, compliance and
// breaches. Obligations and compliance are seen by whoever may see the
// allocation (CanSeeAllocation: its organization's applicants, its site's
// operators, access managers and auditors); ENOTFOUND for anyone else.
type ObligationService interface {
	// FindObligations lists visible obligations by due date, and the
	// total matching.
	FindObligations(ctx context.Context, f ObligationFilter) ([]*Obligation, int, error)
	// FindObligationByID returns a visible obligation; ENOTFOUND otherwise.
	FindObligationByID(ctx context.Context, id string) (*Obligation, error)
	// SubmitObligation submits an open or returned obligation. Applicants
	// of the allocation's organization only (EFORBIDDEN for others who
	// may see it); EINVALID for a bad submission; ECONFLICT while a
	// submission awaits review or after acceptance, unless it is the same
	// submission again, which returns the obligation unchanged.
	SubmitObligation(ctx context.Context, id string, in SubmissionInput) (*Obligation, error)
	// ReviewObligation accepts a submitted obligation, or returns it
	// with a reason (EINVALID without one). Access managers only
	// (EFORBIDDEN); ECONFLICT when nothing is submitted; the same review
	// again returns the obligation unchanged.
	ReviewObligation(ctx context.Context, id string, accept bool, reason string) (*Obligation, error)
	// SweepObligations sends the reminders, overdue notices and automatic
	// breaches due now, each once. Access managers only (EFORBIDDEN).
	SweepObligations(ctx context.Context) (*SweepResult, error)
	// Compliance returns an allocation's compliance (AssessCompliance).
	Compliance(ctx context.Context, allocationID string) (*Compliance, error)
	// DeclareBreach declares a breach of an allocation with a reason,
	// suspending it at its site; ClearBreach clears it. Access managers
	// only (EFORBIDDEN); EINVALID without a reason; declaring while a
	// breach is in force, or clearing when none is, returns the breach
	// unchanged.
	DeclareBreach(ctx context.Context, allocationID, reason string) (*Breach, error)
	ClearBreach(ctx context.Context, allocationID, reason string) (*Breach, error)
}
