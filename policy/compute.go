// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"math"
	"sort"
	"strconv"

	"github.com/pactum/pactum"
)

// The estimation methods, as named in pactum.ComputeEstimate.Method.
const (
	Method6PD      = "6PD"
	MethodHardware = "hardware"
	MethodDeclared = "declared"
	MethodPrior    = "prior" // compute already spent, added to the others
)

// estimates holds the training-compute figures of one proposal. Computing
// them is arithmetic, not policy, so it is Go; the thresholds that give the
// figures legal meaning are ruleset parameters.
type estimates struct {
	flop6PD, flopHW, flopDeclared float64
	max, min                      float64
	maxMethod                     string
	disagreement                  float64
	// declaredDisagreement is how far the declared figure lies from the
	// nearest independent estimate (6·P·D or hardware), as a ratio above
	// one minus one; 0 without a declared figure or an independent one.
	declaredDisagreement float64
	utilisation          float64
	trainingShare, prior float64
	totalGPUHours        float64
	// target is the training compute the request is checked against (the
	// declared figure, else 6·P·D), deliverLow and deliverHigh what the
	// requested hours' training share delivers at the low and high ends of
	// each system's planning MFU band; all 0 when there is no target or a
	// requested system has no band in the catalogue.
	target, deliverLow, deliverHigh float64
	systems                         []string
	list                            []pactum.ComputeEstimate
}

// estimate computes the estimates of the GPAI guidelines, Annex A:
// architecture-based C ≈ 6·P·D and hardware-based C = N·L·H·U, summed over
// the requested systems. defaultU is used when the applicant declared no
// utilisation. An unknown system is an EINVALID error, because the hardware
// estimate and the caps would silently count it as zero.
func estimate(p *pactum.Proposal, systems map[string]*pactum.System, defaultU float64) (estimates, error) {
	var e estimates
	w := &p.AIWork
	e.utilisation = defaultU
	uSource := "default utilisation " + fmtNum(defaultU) + " (ruleset parameter default_utilisation)"
	if w.Utilisation > 0 {
		e.utilisation = w.Utilisation
		uSource = "declared utilisation " + fmtNum(w.Utilisation)
	}

	hw := make([]byte, 0, 160)
	e.systems = make([]string, 0, len(p.Requests))
	for _, r := range p.Requests {
		s := systems[r.SystemID]
		if s == nil {
			return e, pactum.Errorf(pactum.EINVALID, "The proposal requests system %q, which is not in the catalogue.", r.SystemID)
		}
		gh := s.GPUHours(r.Amount)
		e.totalGPUHours += gh
		e.flopHW += s.PeakFLOP(r.Amount, e.utilisation)
		e.systems = append(e.systems, r.SystemID)
		if len(hw) > 0 {
			hw = append(hw, " + "...)
		}
		hw = appendNum(hw, gh)
		hw = append(append(append(hw, " GPU-h on "...), s.ID...), " at "...)
		hw = append(appendNum(hw, s.PeakTFLOPSPerGPU), " TFLOP/s"...)
	}

	if w.ParameterCount > 0 && w.TrainingTokens > 0 {
		e.flop6PD = 6 * w.ParameterCount * w.TrainingTokens
		e.list = append(e.list, pactum.ComputeEstimate{
			Method: Method6PD, FLOP: e.flop6PD,
			Assumptions: "6 × " + fmtFLOP(w.ParameterCount) + " parameters × " + fmtFLOP(w.TrainingTokens) +
				" tokens; dense-transformer approximation (GPAI guidelines C(2025) 5045, Annex A)",
		})
	}
	e.trainingShare = w.ComputeSplit.TrainingShare()
	e.flopHW *= e.trainingShare
	if e.flopHW > 0 {
		share := "; the whole request counted as training"
		if w.ComputeSplit != nil {
			share = "; its training share " + fmtPercent(e.trainingShare) + " (pre-training and fine-tuning; " +
				"evaluation, inference and experiments not counted, GPAI guidelines Annex A)"
		}
		e.list = append(e.list, pactum.ComputeEstimate{
			Method: MethodHardware, FLOP: e.flopHW,
			Assumptions: string(hw) + " (dense BF16 peak), " + uSource + share,
		})
	}
	if w.PlannedTrainingFLOP > 0 {
		e.flopDeclared = w.PlannedTrainingFLOP
		e.list = append(e.list, pactum.ComputeEstimate{Method: MethodDeclared, FLOP: e.flopDeclared,
			Assumptions: "the applicant's own estimate"})
	}

	// The largest estimate decides thresholds: the GPAI guidelines (§31)
	// ask providers to notify when they know a threshold will be met, so
	// the screener errs high. Ties keep the first method in list order.
	for _, x := range e.list {
		if x.FLOP > e.max {
			e.max, e.maxMethod = x.FLOP, x.Method
		}
		if e.min == 0 || x.FLOP < e.min {
			e.min = x.FLOP
		}
	}
	// Compute already spent on the same model counts toward the cumulative
	// thresholds: it is added to the figures thresholds read.
	if w.PriorTrainingFLOP > 0 && e.max > 0 {
		e.prior = w.PriorTrainingFLOP
		e.max += e.prior
		e.min += e.prior
		e.list = append(e.list, pactum.ComputeEstimate{Method: MethodPrior, FLOP: e.prior,
			Assumptions: "compute already spent on the same model, declared; added to every estimate for the cumulative thresholds (AI Act Art. 51(2))"})
	}
	if e.flop6PD > 0 && e.flopHW > 0 {
		e.disagreement = spread(e.flop6PD, e.flopHW)
	}
	e.target = e.flopDeclared
	if e.target == 0 {
		e.target = e.flop6PD
	}
	if e.target > 0 {
		for _, r := range p.Requests {
			s := systems[r.SystemID]
			if !s.HasMFUBand() {
				e.deliverLow, e.deliverHigh = 0, 0
				break
			}
			e.deliverLow += s.PeakFLOP(r.Amount, s.MFULow) * e.trainingShare
			e.deliverHigh += s.PeakFLOP(r.Amount, s.MFUHigh) * e.trainingShare
		}
	}
	// A declared figure is flagged only when it disagrees with both
	// independent estimates: agreeing with one of them is agreeing with a
	// method the guidelines accept (S2 Annex A). With the hardware
	// estimate alone there is no flag, since it counts the whole request
	// as training, experiments and evaluation included.
	if e.flopDeclared > 0 && e.flop6PD > 0 && e.flopHW > 0 {
		e.declaredDisagreement = math.Min(spread(e.flopDeclared, e.flop6PD), spread(e.flopDeclared, e.flopHW))
	}
	// Validation bounds every input far below overflow; a figure that is
	// still not finite (a record stored before the bounds, a catalogue
	// entry out of range) is refused here rather than screened, because
	// ±Inf compares past every threshold and JSON cannot carry it.
	for _, x := range []float64{e.flop6PD, e.flopHW, e.flopDeclared, e.totalGPUHours, e.disagreement, e.declaredDisagreement, e.utilisation,
		e.deliverLow, e.deliverHigh} {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return e, &pactum.Error{Code: pactum.EINVALID,
				Message: "The proposal's figures are too large to estimate its training compute.",
				Fields: []pactum.FieldError{{Field: "ai_work", Message: "the compute estimate is not a finite number: " +
					"parameter_count, training_tokens and every requests[].amount must be within their bounds"}}}
		}
	}
	return e, nil
}

// spread is how far the larger of a and b exceeds the smaller: 0.3 is 30 %.
func spread(a, b float64) float64 { return math.Max(a, b)/math.Min(a, b) - 1 }

// fmtNum formats a number for messages: plain digits up to a trillion,
// scientific notation beyond.
func fmtNum(f float64) string { return string(appendNum(nil, f)) }

func appendNum(b []byte, f float64) []byte {
	if math.Abs(f) < 1e12 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// fmtFLOP formats a compute figure to two significant figures, as the GPAI
// guidelines (§32) ask for notifications: 7.5e+22.
func fmtFLOP(f float64) string { return string(appendFLOP(nil, f)) }

func appendFLOP(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'e', 1, 64)
}

// fmtPercent formats a ratio as a whole percentage: 0.3 is "30 %".
func fmtPercent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 0, 64) + " %"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
