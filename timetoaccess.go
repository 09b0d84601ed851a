// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"math"
	"slices"
	"time"
)

// Time to access: how long each proposal waited for its decision, in the
// unit of the modes' targets, working days (Monday to Friday). Public
// holidays are not counted: they differ by country and by site, and the
// targets as published (reference/eurohpc-access.md §1.1) do not say whose
// holidays apply, so a day is a working day when it is a weekday, here as
// in AddWorkingDays, which sets each proposal's DecisionDueAt.

// WorkingDaysBetween is the number of whole working days from from to to:
// the largest n with AddWorkingDays(from, n) not after to, so that
// WorkingDaysBetween(t, AddWorkingDays(t, n)) is n. Zero when to is not
// after from.
func WorkingDaysBetween(from, to time.Time) int {
	if !to.After(from) {
		return 0
	}
	// Whole weeks first: each holds five working days whatever the
	// weekday it starts on.
	days := int(to.Sub(from) / (24 * time.Hour))
	n := days / 7 * 5
	t := from.AddDate(0, 0, days/7*7)
	for {
		next := t.AddDate(0, 0, 1)
		if next.After(to) {
			return n
		}
		t = next
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
}

// ProposalTiming is what the store holds of a proposal's way to its
// decision: enough to measure its time to access.
type ProposalTiming struct {
	ProposalID     string        `json:"proposal_id"`
	CallID         string        `json:"call_id"`
	OrganizationID string        `json:"-"`
	Mode           AccessMode    `json:"mode"`
	State          ProposalState `json:"state"`
	SubmittedAt    time.Time     `json:"submitted_at"`
	DecisionDueAt  time.Time     `json:"decision_due_at"`
	// DecidedAt is nil while no decision was taken (or the proposal was
	// withdrawn first).
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// TimeToAccess is one proposal measured against its mode's target.
type TimeToAccess struct {
	ProposalTiming
	// TargetWorkingDays is the mode's target as the call sets it
	// (CallMode.DecisionWorkingDays), counted from submission in rolling
	// modes with automatic approval and from the cut-off otherwise
	// (DecisionDue): DecisionDueAt is its end.
	TargetWorkingDays int `json:"target_working_days"`
	// WorkingDays is the time from submission to the decision, or to now
	// while undecided.
	WorkingDays int  `json:"working_days"`
	Decided     bool `json:"decided"`
	// WithinTarget: decided no later than DecisionDueAt (undecided:
	// DecisionDueAt has not passed).
	WithinTarget bool `json:"within_target"`
	// WorkingDaysOver is how many working days the decision came (or is,
	// undecided) after DecisionDueAt; 0 within target.
	WorkingDaysOver int `json:"working_days_over"`
}

// MeasureTimeToAccess measures t against its target at now: target is the
// mode's DecisionWorkingDays (0 when the call no longer offers the mode).
func MeasureTimeToAccess(t ProposalTiming, target int, now time.Time) TimeToAccess {
	m := TimeToAccess{ProposalTiming: t, TargetWorkingDays: target, Decided: t.DecidedAt != nil}
	end := now
	if m.Decided {
		end = *t.DecidedAt
	}
	m.WorkingDays = WorkingDaysBetween(t.SubmittedAt, end)
	m.WithinTarget = !end.After(t.DecisionDueAt)
	if !m.WithinTarget {
		m.WorkingDaysOver = WorkingDaysBetween(t.DecisionDueAt, end)
	}
	return m
}

// Open reports whether the proposal still waits for a decision: submitted
// and neither decided nor withdrawn.
func (t *ProposalTiming) Open() bool {
	return t.DecidedAt == nil && (t.State == ProposalSubmitted || t.State == ProposalScreening || t.State == ProposalInReview)
}

// Distribution summarises the decided proposals of one group: how many,
// the median, 90th percentile and maximum of their working days, and the
// share decided within target. Undecided counts the group's open
// proposals and Overdue those of them past their target.
type Distribution struct {
	Group        string  `json:"group"` // a mode or a call ID
	Decided      int     `json:"decided"`
	Median       float64 `json:"median_working_days"`
	P90          float64 `json:"p90_working_days"`
	Max          int     `json:"max_working_days"`
	WithinTarget float64 `json:"share_within_target"`
	Undecided    int     `json:"undecided"`
	Overdue      int     `json:"overdue"`
}

// Percentile is the p-th percentile (0–100) of sorted by nearest rank:
// the smallest value with at least p % of the values at or below it. Zero
// for no values.
func Percentile(sorted []int, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	if p <= 0 {
		return float64(sorted[0])
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return float64(sorted[min(max(i, 0), len(sorted)-1)])
}

// Median is the middle value of sorted, the mean of the two middle ones
// for an even count. Zero for no values.
func Median(sorted []int) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return float64(sorted[n/2])
	default:
		return float64(sorted[n/2-1]+sorted[n/2]) / 2
	}
}

// Distribute groups ms by key and summarises each group, in key order.
// Withdrawn proposals that were never decided count nowhere.
func Distribute(ms []TimeToAccess, key func(*TimeToAccess) string) []Distribution {
	days := map[string][]int{}
	within := map[string]int{}
	groups := map[string]*Distribution{}
	for i := range ms {
		m := &ms[i]
		k := key(m)
		d := groups[k]
		if d == nil {
			d = &Distribution{Group: k}
			groups[k] = d
		}
		switch {
		case m.Decided:
			d.Decided++
			days[k] = append(days[k], m.WorkingDays)
			if m.WithinTarget {
				within[k]++
			}
		case m.Open():
			d.Undecided++
			if !m.WithinTarget {
				d.Overdue++
			}
		}
	}
	out := make([]Distribution, 0, len(groups))
	for _, k := range slices.Sorted(mapKeys(groups)) {
		d := groups[k]
		s := days[k]
		slices.Sort(s)
		if len(s) > 0 {
			d.Median, d.P90, d.Max = Median(s), Percentile(s, 90), s[len(s)-1]
			d.WithinTarget = float64(within[k]) / float64(len(s))
		}
		out = append(out, *d)
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TimeToAccessReport is the time to access of a call's proposals (or every
// call's), per mode and per call.
type TimeToAccessReport struct {
	CallID string         `json:"call_id,omitempty"`
	At     time.Time      `json:"at"`
	ByMode []Distribution `json:"by_mode"`
	ByCall []Distribution `json:"by_call"`
}

// BuildTimeToAccessReport summarises ms at now.
func BuildTimeToAccessReport(callID string, ms []TimeToAccess, now time.Time) *TimeToAccessReport {
	return &TimeToAccessReport{CallID: callID, At: now,
		ByMode: Distribute(ms, func(m *TimeToAccess) string { return string(m.Mode) }),
		ByCall: Distribute(ms, func(m *TimeToAccess) string { return m.CallID })}
}

// TimeToAccessService measures the time to access.
type TimeToAccessService interface {
	// OverdueProposals lists the open proposals past their decision
	// target at the time of asking, most overdue first, with how many
	// working days over. Access managers and auditors only (EFORBIDDEN).
	OverdueProposals(ctx context.Context) ([]TimeToAccess, error)
	// TimeToAccess summarises the time to access per mode and per call,
	// of one call's proposals (callID non-empty; ENOTFOUND for an
	// unknown call) or of every call's. Access managers and auditors
	// only (EFORBIDDEN).
	TimeToAccess(ctx context.Context, callID string) (*TimeToAccessReport, error)
	// ScanTimeToAccess measures every submitted proposal (of callID, or
	// every call's) and calls fn with each, by proposal ID, until fn
	// returns false, holding one at a time: exports stream from it. Same
	// callers and errors as TimeToAccess.
	ScanTimeToAccess(ctx context.Context, callID string, fn func(*TimeToAccess) bool) error
}
