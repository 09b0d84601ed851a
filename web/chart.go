// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// usageChart is an allocation's usage drawn as a bar against its grant,
// with lines at 75, 90 and 100 % (the thresholds at which pactum warns and
// then stops the allocation). Coordinates are in the SVG's user units:
// the bar spans 0..Width for 0..Scale of the grant.
type usageChart struct {
	Has bool
	// Used and Granted in the grant's unit; Percent of the grant.
	Used, Granted float64
	Percent       float64
	Unit          string
	Width         float64
	BarWidth      float64
	Lines         []chartLine
	// Over: more than the grant is used.
	Over bool
	// Alt describes the chart in words, for screen readers and as its
	// caption.
	Alt string
}

// chartLine is a threshold line.
type chartLine struct {
	X     float64
	Label string
}

// chartWidth is the bar's length in user units.
const chartWidth = 600

func newUsageChart(u *pactum.UsageSummary) usageChart {
	if u == nil || u.Amount <= 0 {
		return usageChart{}
	}
	c := usageChart{Has: true, Used: u.Used, Granted: u.Amount, Percent: u.Percent, Unit: unitLabel(u.Unit), Width: chartWidth}
	// The scale reaches past the grant when more is used, so the bar
	// never leaves the chart.
	scale := math.Max(1.1, u.Used/u.Amount*1.05)
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		scale = 1.1
	}
	x := func(frac float64) float64 { return math.Round(frac/scale*chartWidth*10) / 10 }
	c.BarWidth = math.Min(x(u.Used/u.Amount), chartWidth)
	for _, pct := range []int{75, 90, 100} {
		c.Lines = append(c.Lines, chartLine{X: x(float64(pct) / 100), Label: strconv.Itoa(pct) + " %"})
	}
	c.Over = u.Used > u.Amount
	c.Alt = fmt.Sprintf("%s of %s %s used (%s %%); pactum warns at 75 and 90 %% and stops new jobs at 100 %%.",
		number(u.Used), number(u.Amount), c.Unit, strconv.FormatFloat(math.Round(u.Percent*10)/10, 'f', -1, 64))
	return c
}

// unitLabel names a unit as people write it.
func unitLabel(u pactum.Unit) string {
	switch u {
	case pactum.UnitGPUHours:
		return "GPU-hours"
	case pactum.UnitNodeHours:
		return "node-hours"
	}
	return strings.ReplaceAll(string(u), "_", " ")
}

// number formats x with thousands separators and at most one decimal.
func number(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	neg := x < 0
	x = math.Abs(x)
	whole := math.Floor(x)
	frac := math.Round((x - whole) * 10)
	if frac == 10 {
		whole, frac = whole+1, 0
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if frac > 0 {
		b.WriteString("." + strconv.Itoa(int(frac)))
	}
	return b.String()
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"number": number,
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.UTC().Format("2 Jan 2006")
		case *time.Time:
			if t == nil {
				return ""
			}
			return t.UTC().Format("2 Jan 2006")
		}
		return ""
	},
	"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"label":    func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	"unit":     unitLabel,
	"scores":   func() []int { return []int{0, 1, 2, 3, 4, 5} },
	// count says "1 proposal", "2 proposals".
	"count": func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return number(float64(n)) + " " + word + "s"
	},
	"overdue": func(o *pactum.Obligation, now time.Time) bool { return o.IsOverdue(now) },
	"short":   short,
}
