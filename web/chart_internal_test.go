// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// TestUsageChart: the bar is the used share of the scale, the lines sit
// at 75, 90 and 100 % of the grant, and usage past the grant stretches the
// scale so the bar stays inside the chart, marked over.
func TestUsageChart(t *testing.T) {
	sum := func(used, amount float64) *pactum.UsageSummary {
		return &pactum.UsageSummary{Unit: pactum.UnitGPUHours, Amount: amount, Used: used, Percent: used / amount * 100}
	}
	c := newUsageChart(sum(95, 100))
	if !c.Has || c.Over || c.Lines[2].X >= chartWidth || c.BarWidth <= c.Lines[1].X || c.BarWidth >= c.Lines[2].X {
		t.Errorf("95 %%: bar %v, lines %+v", c.BarWidth, c.Lines)
	}
	if !strings.HasPrefix(c.Alt, "95 of 100 GPU-hours used (95 %)") {
		t.Errorf("alt %q", c.Alt)
	}
	c = newUsageChart(sum(130, 100))
	if !c.Over || c.BarWidth > chartWidth || c.BarWidth <= c.Lines[2].X {
		t.Errorf("130 %%: bar %v, lines %+v", c.BarWidth, c.Lines)
	}
	if c := newUsageChart(sum(0, 0)); c.Has {
		t.Error("a chart for a grant of nothing")
	}
	if c := newUsageChart(nil); c.Has {
		t.Error("a chart without usage")
	}
}

func TestNumber(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.89: "1,234,567.9", -20000: "-20,000", 0.96: "1", 12.04: "12"} {
		if got := number(x); got != want {
			t.Errorf("number(%v) = %q, want %q", x, got, want)
		}
	}
}
