// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum"
)

func TestWorkingDaysBetween(t *testing.T) {
	mon := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	for _, c := range []struct {
		to   time.Time
		want int
	}{
		{mon, 0},
		{mon.Add(-time.Hour), 0},
		{mon.Add(23 * time.Hour), 0},
		{mon.AddDate(0, 0, 1), 1},
		{mon.AddDate(0, 0, 4), 4}, // Friday
		{mon.AddDate(0, 0, 5), 4}, // Saturday
		{mon.AddDate(0, 0, 6), 4}, // Sunday
		{mon.AddDate(0, 0, 7), 5}, // next Monday
		{mon.AddDate(0, 0, 14), 10},
		{mon.AddDate(0, 0, 7).Add(-time.Minute), 4},
	} {
		if got := pactum.WorkingDaysBetween(mon, c.to); got != c.want {
			t.Errorf("WorkingDaysBetween(Mon, %s) = %d, want %d", c.to.Format("Mon 2006-01-02 15:04"), got, c.want)
		}
	}
	// The inverse of AddWorkingDays from every weekday, for many n.
	for d := 0; d < 7; d++ {
		from := mon.AddDate(0, 0, d)
		for n := 0; n < 40; n++ {
			if got := pactum.WorkingDaysBetween(from, pactum.AddWorkingDays(from, n)); got != n {
				t.Fatalf("from %s: WorkingDaysBetween(AddWorkingDays(%d)) = %d", from.Weekday(), n, got)
			}
		}
	}
}

func TestMeasureTimeToAccess(t *testing.T) {
	sub := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // Monday
	due := pactum.AddWorkingDays(sub, 4)               // Friday
	late := sub.AddDate(0, 0, 8)                       // Tuesday after: 6 working days
	m := pactum.MeasureTimeToAccess(pactum.ProposalTiming{Mode: pactum.ModeFastLane, State: pactum.ProposalApproved,
		SubmittedAt: sub, DecisionDueAt: due, DecidedAt: &late}, 4, sub.AddDate(0, 1, 0))
	if !m.Decided || m.WorkingDays != 6 || m.WithinTarget || m.WorkingDaysOver != 2 || m.TargetWorkingDays != 4 {
		t.Errorf("late decision: %+v", m)
	}
	early := sub.Add(2 * time.Hour)
	m = pactum.MeasureTimeToAccess(pactum.ProposalTiming{State: pactum.ProposalApproved, SubmittedAt: sub, DecisionDueAt: due, DecidedAt: &early}, 4, late)
	if m.WorkingDays != 0 || !m.WithinTarget || m.WorkingDaysOver != 0 {
		t.Errorf("same-day decision: %+v", m)
	}
	// Undecided, measured at now.
	m = pactum.MeasureTimeToAccess(pactum.ProposalTiming{State: pactum.ProposalInReview, SubmittedAt: sub, DecisionDueAt: due}, 4, late)
	if m.Decided || !m.Open() || m.WorkingDays != 6 || m.WorkingDaysOver != 2 {
		t.Errorf("open proposal: %+v", m)
	}
}

func TestDistribute(t *testing.T) {
	sub := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ms []pactum.TimeToAccess
	for _, d := range []int{1, 2, 3, 4, 10} { // fast lane, target 4
		at := pactum.AddWorkingDays(sub, d)
		ms = append(ms, pactum.MeasureTimeToAccess(pactum.ProposalTiming{CallID: "c1", Mode: pactum.ModeFastLane,
			State: pactum.ProposalApproved, SubmittedAt: sub, DecisionDueAt: pactum.AddWorkingDays(sub, 4), DecidedAt: &at}, 4, at))
	}
	now := pactum.AddWorkingDays(sub, 5)
	ms = append(ms, pactum.MeasureTimeToAccess(pactum.ProposalTiming{CallID: "c2", Mode: pactum.ModeFastLane, State: pactum.ProposalInReview,
		SubmittedAt: sub, DecisionDueAt: pactum.AddWorkingDays(sub, 4)}, 4, now))
	ms = append(ms, pactum.MeasureTimeToAccess(pactum.ProposalTiming{CallID: "c2", Mode: pactum.ModeFastLane, State: pactum.ProposalWithdrawn,
		SubmittedAt: sub, DecisionDueAt: pactum.AddWorkingDays(sub, 4)}, 4, now))
	r := pactum.BuildTimeToAccessReport("", ms, now)
	if len(r.ByMode) != 1 {
		t.Fatalf("by mode: %+v", r.ByMode)
	}
	d := r.ByMode[0]
	if d.Group != "fast_lane" || d.Decided != 5 || d.Median != 3 || d.P90 != 10 || d.Max != 10 || d.WithinTarget != 0.8 ||
		d.Undecided != 1 || d.Overdue != 1 {
		t.Errorf("fast lane: %+v", d)
	}
	if len(r.ByCall) != 2 || r.ByCall[0].Group != "c1" || r.ByCall[1].Decided != 0 || r.ByCall[1].Undecided != 1 {
		t.Errorf("by call: %+v", r.ByCall)
	}
	if pactum.Median([]int{1, 2, 3, 4}) != 2.5 || pactum.Percentile([]int{5}, 90) != 5 || pactum.Percentile(nil, 50) != 0 {
		t.Error("median or percentile of small sets")
	}
}

func TestParsePeriod(t *testing.T) {
	for s, want := range map[string]string{
		"2026":                   "2026-01-01..2026-12-31",
		"2026-Q2":                "2026-04-01..2026-06-30",
		"2026-q4":                "2026-10-01..2026-12-31",
		"2026-02":                "2026-02-01..2026-02-28",
		"2026-01-15..2026-03-01": "2026-01-15..2026-03-01",
		"2026-05-05..2026-05-05": "2026-05-05..2026-05-05",
	} {
		p, err := pactum.ParsePeriod(s)
		if err != nil || p.String() != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s", s, p, err, want)
		}
	}
	for _, s := range []string{"", "26", "1999", "3000", "2026-Q5", "2026-13", "2026-00", "2026-+1", "+026", "2026-03-01..2026-02-01",
		"2010-01-01..2026-01-01", "2026-01-01..", "2026\x00", "2026-02-30..2026-03-01", "2026-Q", "x2026-01-01..2026-02-01"} {
		if _, err := pactum.ParsePeriod(s); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("ParsePeriod(%q): %v, want EINVALID", s, err)
		}
	}
	p, _ := pactum.ParsePeriod("2026-03")
	if !p.Contains(time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)) || p.Contains(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) ||
		p.Contains(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)) {
		t.Error("Contains is not [from, until)")
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026", "2026-Q1", "2026-03", "2026-01-01..2026-02-01", "9999-99", "..", "2026-Q9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pactum.ParsePeriod(s)
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Fatalf("%q: %v is not EINVALID", s, err)
			}
			return
		}
		if !p.Until.Time().After(p.From.Time()) {
			t.Fatalf("%q: empty period %v", s, p)
		}
		q, err := pactum.ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("%q: %v does not read back: %v, %v", s, p, q, err)
		}
	})
}

func TestRiskClassAndBands(t *testing.T) {
	d := func(ids ...string) *pactum.ScreeningDecision {
		s := &pactum.ScreeningDecision{}
		for _, id := range ids {
			s.Findings = append(s.Findings, pactum.Finding{RuleID: id, Effect: pactum.EffectCondition})
		}
		return s
	}
	for want, dec := range map[pactum.RiskClass]*pactum.ScreeningDecision{
		pactum.RiskMinimal:      nil,
		pactum.RiskTransparency: d("eligibility.sme", "art50.1"),
		pactum.RiskGPAI:         d("art50.1", "gpai.art53_documentation"),
		pactum.RiskHigh:         d("gpai.art53_documentation", "annex3.4a"),
		pactum.RiskSystemicGPAI: d("annex3.4a", "gpai.systemic_obligations"),
		pactum.RiskProhibited:   d("gpai.systemic_obligations", "art5.1c"),
	} {
		if got := pactum.RiskClassOf(dec); got != want {
			t.Errorf("RiskClassOf(%v) = %s, want %s", dec, got, want)
		}
	}
	// An info finding about GPAI (open source) is not a GPAI duty.
	if got := pactum.RiskClassOf(&pactum.ScreeningDecision{Findings: []pactum.Finding{{RuleID: "gpai.open_source", Effect: pactum.EffectInfo}}}); got != pactum.RiskMinimal {
		t.Errorf("info finding: %s", got)
	}
	if pactum.SizeBand(0) != "undeclared" || pactum.SizeBand(7e9) != "1B-10B" || pactum.SizeBand(1e11) != ">=100B" || pactum.SizeBand(5e8) != "<1B" {
		t.Error("SizeBand")
	}
	if pactum.ComputeBand(0) != "none" || pactum.ComputeBand(9.9e22) != "<1e23" || pactum.ComputeBand(1e23) != "1e23-1e25" ||
		pactum.ComputeBand(1e25) != ">=1e25" {
		t.Error("ComputeBand")
	}
}

func orgSet(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestSuppressCells(t *testing.T) {
	big := orgSet("a", "b", "c", "d", "e", "f")
	mid := orgSet("g", "h", "i", "j", "k")
	// One small row: it and the smallest other are suppressed, so the
	// total minus the shown rows covers two rows of 6+ organizations.
	rows, total := pactum.SuppressCells([]map[string]bool{big, orgSet("x"), mid}, nil, 5)
	if total || !rows[1] || !rows[2] || rows[0] {
		t.Errorf("one small row: %v %v", rows, total)
	}
	// Two small rows summing to fewer than k: a third is suppressed.
	rows, total = pactum.SuppressCells([]map[string]bool{big, orgSet("x"), orgSet("y", "z"), mid}, nil, 5)
	if total || rows[0] || !rows[1] || !rows[2] || !rows[3] {
		t.Errorf("two small rows: %v %v", rows, total)
	}
	// Two small rows that together reach k: nothing more.
	rows, total = pactum.SuppressCells([]map[string]bool{big, orgSet("x", "y"), orgSet("p", "q", "r"), mid}, nil, 5)
	if total || rows[0] || !rows[1] || !rows[2] || rows[3] {
		t.Errorf("two small rows reaching k: %v %v", rows, total)
	}
	// Nothing small: nothing suppressed.
	rows, total = pactum.SuppressCells([]map[string]bool{big, mid}, nil, 5)
	if total || rows[0] || rows[1] {
		t.Errorf("no small rows: %v %v", rows, total)
	}
	// The whole table below k: total and rows.
	rows, total = pactum.SuppressCells([]map[string]bool{orgSet("a", "b"), orgSet("c")}, nil, 5)
	if !total || !rows[0] || !rows[1] {
		t.Errorf("small table: %v %v", rows, total)
	}
	// Already suppressed rows count, and an empty row (no awards) is not
	// small.
	rows, total = pactum.SuppressCells([]map[string]bool{big, {}, mid, orgSet("m", "n", "o", "p", "q")}, []bool{true, false, false, false}, 5)
	if total || !rows[0] || rows[1] || !rows[2] && !rows[3] {
		t.Errorf("already suppressed: %v %v", rows, total)
	}
}

// TestBuildReportTablesSuppression: a table's shown rows and total never
// let a suppressed row's figures be recovered alone.
func TestBuildReportTablesSuppression(t *testing.T) {
	var ps []pactum.ReportProposal
	add := func(org, mode, country string, accepted bool) {
		ps = append(ps, pactum.ReportProposal{ID: "p" + string(rune('A'+len(ps))), OrganizationID: org, Accepted: accepted,
			GrantedGPUHrs: map[bool]float64{true: 100}[accepted], Dims: [6]string{mode, "minimal", "undeclared", "none", country, "sme"}})
	}
	for i := range 6 {
		add("o"+string(rune('0'+i)), "fast_lane", "DE", true)
	}
	add("z1", "playground", "MT", true) // one organization in Malta
	for i := range 5 {
		add("q"+string(rune('0'+i)), "regular", "FR", i < 2) // 2 awards
	}
	for i := range 5 {
		add("i"+string(rune('0'+i)), "fast_lane", "IT", true)
	}
	ts := pactum.BuildReportTables(ps, map[string]pactum.ReportUsage{"pA": {GPUHours: 10}}, 5)
	byDim := map[string]pactum.ReportTable{}
	for _, t := range ts {
		byDim[t.Dimension] = t
	}
	country := byDim["country"]
	if len(country.Rows) != 4 || country.Total.Proposals == nil || *country.Total.Proposals != 17 {
		t.Fatalf("country table: %+v", country)
	}
	mt := country.Rows[3]
	if mt.Value != "MT" || !mt.Suppressed || mt.Proposals != nil || mt.Awards != nil {
		t.Errorf("MT row shown: %+v", mt)
	}
	// FR (5 organizations) is suppressed as the complement of MT.
	if fr := country.Rows[1]; !fr.Suppressed {
		t.Errorf("FR row not suppressed with MT: %+v", fr)
	}
	// Award figures: FR's and MT's awards (3 organizations) are hidden,
	// so IT's (5, smaller than DE's 6) are too.
	if it := country.Rows[2]; it.Suppressed || !it.AwardSuppressed || *it.Proposals != 5 {
		t.Errorf("IT row: %+v", it)
	}
	if de := country.Rows[0]; de.Suppressed || *de.Proposals != 6 || *de.Awards != 6 || *de.GPUHoursGranted != 600 || *de.GPUHoursUsed != 10 {
		t.Errorf("DE row: %+v", de)
	}
	mode := byDim["mode"]
	for _, c := range mode.Rows {
		switch c.Value {
		case "regular":
			// The complement of playground's single organization.
			if !c.Suppressed || c.Proposals != nil {
				t.Errorf("regular: %+v", c)
			}
		case "playground":
			if !c.Suppressed {
				t.Errorf("playground: %+v", c)
			}
		}
	}
	if mode.Total.Awards == nil || *mode.Total.Awards != 14 {
		t.Errorf("mode total: %+v", mode.Total)
	}
	n, diffs := pactum.CompareReproduced(ts, pactum.BuildReportTables(ps, nil, 5), false)
	if n == 0 || len(diffs) != 0 {
		t.Errorf("compare with itself (usage aside): %d, %v", n, diffs)
	}
	ps[0].GrantedGPUHrs = 50
	if _, diffs := pactum.CompareReproduced(ts, pactum.BuildReportTables(ps, nil, 5), false); len(diffs) == 0 {
		t.Error("a changed grant went unnoticed")
	}
}

func TestFactsOf(t *testing.T) {
	sub := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &pactum.Proposal{ID: "p1", OrganizationID: "o1", State: pactum.ProposalAccepted,
		ProposalInput: pactum.ProposalInput{CallID: "c1", Mode: pactum.ModeLargeScale}, SubmittedAt: &sub,
		Screening: &pactum.ScreeningDecision{Findings: []pactum.Finding{{RuleID: "annex3.4a", Effect: pactum.EffectRefer}},
			Estimates: []pactum.ComputeEstimate{{FLOP: 2e23}, {FLOP: 3e24}}},
		Decision: &pactum.ProposalDecision{Accept: true, Grants: []pactum.Grant{{SystemID: "lumi-g", Amount: 10}}, DecidedAt: sub.AddDate(0, 0, 3)}}
	p.AIWork.ParameterCount = 7e9
	if _, ok := pactum.FactsOf(&pactum.Proposal{}); ok {
		t.Error("a draft has facts")
	}
	f, ok := pactum.FactsOf(p)
	if !ok || !f.Accepted || f.RiskClass != pactum.RiskHigh || f.EstimateFLOP != 3e24 || f.DecidedAt == nil || len(f.Grants) != 1 {
		t.Fatalf("facts: %+v", f)
	}
	sys := map[string]*pactum.System{"lumi-g": {ID: "lumi-g", Unit: pactum.UnitNodeHours, GPUsPerNode: 4}}
	r := pactum.ReportProposalOf(&f, &pactum.Organization{Country: "FI", Staff: 5000}, sys)
	if r.GrantedGPUHrs != 40 || r.Dims != [6]string{"large_scale", "high_risk", "1B-10B", "1e23-1e25", "FI", "other"} {
		t.Errorf("report proposal: %+v", r)
	}
	// A rejection grants nothing, whatever its grants say.
	p.State, p.Decision.Accept = pactum.ProposalRejected, false
	if f, _ := pactum.FactsOf(p); f.Accepted || len(f.Grants) != 0 || f.DecidedAt == nil {
		t.Errorf("rejected: %+v", f)
	}
}
