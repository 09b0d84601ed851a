// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/pactum/pactum"
)

// computeChart is a model's cumulative training compute on a logarithmic
// axis from 10^18 to 10^26 FLOP, with the estimate's ±30 % band and lines
// at 10^23 (the guidelines' indicative general-purpose threshold) and
// 10^25 (the AI Act's presumption of systemic risk, Art. 51(2)). Every
// coordinate is in the SVG's user units, 0..chartWidth.
type computeChart struct {
	Width, Pad        float64
	Track             float64
	BarWidth          float64
	BandX, BandWidth  float64
	Lines             []chartLine
	Ticks             []chartLine
	Has               bool
	Alt               string
	Of23, Of25        string
	Display, Low, Hi  string
	MeasuredShareText string
}

// The chart's axis: decades 10^18 to 10^26.
const (
	computeAxisFrom = 18.0
	computeAxisTo   = 26.0
)

// superscript writes a decade's exponent as people read it: 10²³.
func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	d := []rune(digits)
	out := "10"
	for _, c := range strconv.Itoa(n) {
		out += string(d[c-'0'])
	}
	return out
}

// computePad keeps the axis's end labels inside the chart.
const computePad = 30.0

// computeX places flop on the axis, clamped to its ends.
func computeX(flop float64) float64 {
	if flop <= 0 || math.IsNaN(flop) {
		return computePad
	}
	span := chartWidth - 2*computePad
	x := (math.Log10(flop) - computeAxisFrom) / (computeAxisTo - computeAxisFrom) * span
	return computePad + math.Round(math.Max(0, math.Min(span, x))*10)/10
}

// percentOf says what share of threshold flop is, in words.
func percentOf(flop, threshold float64) string {
	pct := flop / threshold * 100
	switch {
	case pct == 0:
		return "0 %"
	case pct < 0.01:
		return "less than 0.01 %"
	case pct < 1:
		return strconv.FormatFloat(pct, 'g', 2, 64) + " %"
	}
	return number(pct) + " %"
}

func newComputeChart(name string, mc *pactum.ModelCompute) computeChart {
	f := mc.Cumulative
	c := computeChart{Width: chartWidth, Pad: computePad, Track: chartWidth - 2*computePad, Has: true, Display: f.Display, Low: pactum.TwoSF(f.Low), Hi: pactum.TwoSF(f.High),
		Of23: percentOf(f.FLOP, pactum.GPAIThresholdFLOP), Of25: percentOf(f.FLOP, pactum.SystemicRiskThresholdFLOP)}
	c.BarWidth = computeX(f.FLOP) - computePad
	c.BandX = computeX(f.Low)
	c.BandWidth = math.Max(0, computeX(f.High)-c.BandX)
	for e := int(computeAxisFrom); e <= int(computeAxisTo); e += 2 {
		c.Ticks = append(c.Ticks, chartLine{X: computeX(math.Pow(10, float64(e))), Label: superscript(e)})
	}
	c.Lines = []chartLine{{X: computeX(pactum.GPAIThresholdFLOP), Label: superscript(23) + " general-purpose"},
		{X: computeX(pactum.SystemicRiskThresholdFLOP), Label: superscript(25) + " systemic risk"}}
	c.Alt = fmt.Sprintf("%s: cumulative training compute %s FLOP (between %s and %s with the ±30 %% margin), %s of 10^23 FLOP and %s of 10^25 FLOP.",
		name, f.Display, c.Low, c.Hi, c.Of23, c.Of25)
	return c
}

// modelsPage lists the organization's models with their compute.
type modelsPage struct {
	Models []modelRow
	Total  int
}

// modelRow is a model, its compute and the chart.
type modelRow struct {
	M     *pactum.Model
	C     *pactum.ModelCompute
	Chart computeChart
}

func (p *Portal) models(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	ms, total, err := s.FindModels(ctx, pactum.ModelFilter{Limit: listLimit})
	if err != nil {
		return "", err
	}
	d := &modelsPage{Total: total}
	for _, m := range ms {
		mc, err := s.ModelCompute(ctx, m.ID)
		if err != nil {
			return "", err
		}
		d.Models = append(d.Models, modelRow{M: m, C: mc, Chart: newComputeChart(m.Label(), mc)})
	}
	v.Title, v.Nav, v.Data = "Models and their training compute", "models", d
	return "wizard_models", nil
}
