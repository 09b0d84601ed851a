// SPDX-License-Identifier: EUPL-1.2

package pactum

// Verifying a transparency report: the figures recomputed from the audit
// log held to the report's, figure by figure.

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// ReportDifference is one figure that a verification found different.
type ReportDifference struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Field     string `json:"field"`
	Report    string `json:"report"`
	Log       string `json:"log"`
}

// ReportVerification is the outcome of recomputing a report's reproduced
// figures from the audit log replayed to its position.
type ReportVerification struct {
	ReportID string `json:"report_id"`
	AuditSeq int64  `json:"audit_seq"`
	// ChainOK: the chain up to the position is intact and its hash there
	// is the report's AuditHead.
	ChainOK     bool               `json:"chain_ok"`
	OK          bool               `json:"ok"`
	Compared    int                `json:"compared"`
	Differences []ReportDifference `json:"differences"`
	NotCompared []string           `json:"not_compared"`
	Reason      string             `json:"reason,omitempty"`
}

// CompareReproduced holds the reproduced figures of got (recomputed) to
// those of want (the report): the rows of each table, their suppression,
// proposals, awards and GPU-hours granted (to 1e-9 relative), and GPU-hours
// used when used is true. It returns how many figures it compared and the
// differences.
func CompareReproduced(want, got []ReportTable, used bool) (int, []ReportDifference) {
	var diffs []ReportDifference
	n := 0
	note := func(dim, val, field string, a, b string) {
		n++
		if a != b {
			diffs = append(diffs, ReportDifference{Dimension: dim, Value: val, Field: field, Report: a, Log: b})
		}
	}
	cells := func(t *ReportTable) map[string]ReportCell {
		m := map[string]ReportCell{"\x00total": t.Total}
		for _, c := range t.Rows {
			m[c.Value] = c
		}
		return m
	}
	gotBy := map[string]*ReportTable{}
	for i := range got {
		gotBy[got[i].Dimension] = &got[i]
	}
	for i := range want {
		w := &want[i]
		g := gotBy[w.Dimension]
		if g == nil {
			note(w.Dimension, "", "table", "present", "absent")
			continue
		}
		wc, gc := cells(w), cells(g)
		for _, v := range slices.Sorted(mapKeys(wc)) {
			a, ok := gc[v]
			name := strings.TrimPrefix(v, "\x00")
			if !ok {
				note(w.Dimension, name, "row", "present", "absent")
				continue
			}
			b := wc[v]
			note(w.Dimension, name, "suppressed", strconv.FormatBool(b.Suppressed), strconv.FormatBool(a.Suppressed))
			note(w.Dimension, name, "award_suppressed", strconv.FormatBool(b.AwardSuppressed), strconv.FormatBool(a.AwardSuppressed))
			note(w.Dimension, name, "proposals", fmtInt(b.Proposals), fmtInt(a.Proposals))
			note(w.Dimension, name, "awards", fmtInt(b.Awards), fmtInt(a.Awards))
			fa, fb := fmtFloat(b.GPUHoursGranted), fmtFloat(a.GPUHoursGranted)
			if b.GPUHoursGranted != nil && a.GPUHoursGranted != nil && closeTo(*b.GPUHoursGranted, *a.GPUHoursGranted) {
				fb = fa
			}
			note(w.Dimension, name, "gpu_hours_granted", fa, fb)
			if used {
				fa, fb := fmtFloat(b.GPUHoursUsed), fmtFloat(a.GPUHoursUsed)
				if b.GPUHoursUsed != nil && a.GPUHoursUsed != nil && closeTo(*b.GPUHoursUsed, *a.GPUHoursUsed) {
					fb = fa
				}
				note(w.Dimension, name, "gpu_hours_used", fa, fb)
			}
		}
		for _, v := range slices.Sorted(mapKeys(gc)) {
			if _, ok := wc[v]; !ok {
				note(w.Dimension, strings.TrimPrefix(v, "\x00"), "row", "absent", "present")
			}
		}
	}
	return n, diffs
}

func closeTo(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func fmtInt(p *int) string {
	if p == nil {
		return "suppressed"
	}
	return strconv.Itoa(*p)
}

func fmtFloat(p *float64) string {
	if p == nil {
		return "suppressed"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}
