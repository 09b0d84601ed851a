// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"strconv"
	"strings"
)

// Time to train: how long, and how many GPU-hours, a training run of a
// given compute takes on a system, and whether a request's GPU-hours fit the
// training compute it declares. Both solve the hardware form of the compute
// estimate, C = GPUs × seconds × peak × MFU (GPAI guidelines, Annex A), for
// time, at each end of the system's MFU planning band (System.MFULow,
// System.MFUHigh): the band, not one figure, because utilisation is the
// least certain factor and the one an applicant controls least.

// TrainingPoint is the time a run takes at one model FLOP utilisation.
type TrainingPoint struct {
	MFU  float64 `json:"mfu"`
	Days float64 `json:"days"` // wall-clock days on the run's GPUs
	// GPUHours is the run's cost in scheduler GPU-hours; it does not
	// depend on how many GPUs share the work.
	GPUHours float64 `json:"gpu_hours"`
}

// TrainingTime is the time a training run of FLOP takes on GPUs of a system,
// at the fast end of the system's MFU band (its high MFU), the typical (the
// band's mean) and the slow end (its low MFU).
type TrainingTime struct {
	SystemID         string        `json:"system_id"`
	FLOP             float64       `json:"flop"`
	GPUs             int           `json:"gpus"`
	PeakTFLOPSPerGPU float64       `json:"peak_tflops_per_gpu"`
	Fast             TrainingPoint `json:"fast"`
	Typical          TrainingPoint `json:"typical"`
	Slow             TrainingPoint `json:"slow"`
	// Source is where the MFU band comes from: the system's EnergySource.
	Source string `json:"source"`
	// Method states the formula and what it assumes, in words.
	Method string `json:"method"`
}

// TimeToTrain estimates how long a training run of flop FLOP takes on gpus
// GPUs of sys: days = C ÷ (GPUs × peak × MFU × 86,400 s) and GPU-hours =
// C ÷ (peak × MFU × 3,600 s), at MFU sys.MFUHigh (fast), the mean of the band
// (typical) and sys.MFULow (slow). It assumes the run scales perfectly and
// never stops; published runs' utilisation over their whole wall clock,
// downtime included, lies at or somewhat below the band's low end (see the
// back-test in estimate_test.go). EINVALID naming the field when flop is not
// in (0, MaxTrainingFLOP], gpus not in [1, the system's GPUs], or the system
// has no MFU band.
func TimeToTrain(flop float64, sys *System, gpus int) (TrainingTime, error) {
	var v Validator
	checkFLOP(&v, flop)
	if checkSystem(&v, sys) {
		total := sys.Nodes * sys.GPUsPerNode
		v.Check(gpus >= 1 && gpus <= total, "gpus", "must be between 1 and %d, the GPUs of %s (%d nodes × %d)",
			total, sys.ID, sys.Nodes, sys.GPUsPerNode)
	}
	if err := v.Err("The training-time estimate cannot be made."); err != nil {
		return TrainingTime{}, err
	}
	mid := (sys.MFULow + sys.MFUHigh) / 2
	t := TrainingTime{SystemID: sys.ID, FLOP: flop, GPUs: gpus, PeakTFLOPSPerGPU: sys.PeakTFLOPSPerGPU,
		Fast: trainingPoint(flop, sys, gpus, sys.MFUHigh), Typical: trainingPoint(flop, sys, gpus, mid),
		Slow: trainingPoint(flop, sys, gpus, sys.MFULow), Source: sys.EnergySource}
	t.Method = "days = C ÷ (GPUs × peak × MFU × 86,400 s), GPU-hours = C ÷ (peak × MFU × 3,600 s), with " +
		fmtPlain(sys.PeakTFLOPSPerGPU) + " TFLOP/s dense BF16 peak per GPU and MFU " + fmtPlain(sys.MFUHigh) +
		" (fast), " + fmtPlain(mid) + " (typical, the band's mean) and " + fmtPlain(sys.MFULow) + " (slow), the planning band of " +
		sys.ID + ". It assumes the run scales perfectly to " + fmtHours(float64(gpus)) + " GPUs and never stops: restarts, failures " +
		"and queueing add wall-clock time, so a run's MFU over its whole wall clock is often below the band."
	return t, nil
}

func trainingPoint(flop float64, sys *System, gpus int, mfu float64) TrainingPoint {
	perGPU := sys.PeakTFLOPSPerGPU * 1e12 * mfu // model FLOP/s one GPU delivers
	return TrainingPoint{MFU: mfu, Days: flop / (float64(gpus) * perGPU * 86400), GPUHours: flop / (perGPU * 3600)}
}

// HoursVerdict says whether a request's training GPU-hours fit its declared
// training compute.
type HoursVerdict string

// The verdicts of CheckTrainingHours.
const (
	// HoursInsufficient: the hours cannot deliver the compute even at the
	// band's high MFU.
	HoursInsufficient HoursVerdict = "insufficient"
	// HoursPlausible: the hours lie between what the compute needs at the
	// high MFU and ExcessiveHoursFactor times what it needs at the low.
	HoursPlausible HoursVerdict = "plausible"
	// HoursExcessive: the hours exceed ExcessiveHoursFactor times what the
	// compute needs at the band's low MFU.
	HoursExcessive HoursVerdict = "excessive"
)

// ExcessiveHoursFactor is how many times what the declared training compute
// needs at the slow end of the MFU band a request's training hours may be
// before the two are called inconsistent. The slow end already allows for a
// poorly tuned run; beyond it a run loses time to restarts and failures
// (published runs' utilisation over their wall clock lies some 10–20 %
// below their utilisation while running: Llama 3.1, BLOOM) and to the
// searches and ablations an applicant may count as training. Three times
// covers that with room. More means the hours would train three times the
// compute declared, and the declared compute is what the AI Act's thresholds
// are read against (the GPAI guidelines ask for estimates within ±30 %):
// either the compute is understated or the request is larger than the work.
const ExcessiveHoursFactor = 3.0

// HoursCheck is the verdict of CheckTrainingHours with the figures behind it.
type HoursCheck struct {
	Verdict  HoursVerdict `json:"verdict"`
	SystemID string       `json:"system_id"`
	FLOP     float64      `json:"flop"`
	// RequestedGPUHours is the request on the system; TrainingGPUHours its
	// TrainingShare, the part that trains the model.
	RequestedGPUHours float64 `json:"requested_gpu_hours"`
	TrainingShare     float64 `json:"training_share"`
	TrainingGPUHours  float64 `json:"training_gpu_hours"`
	// NeededGPUHoursFast and NeededGPUHoursSlow are what FLOP needs at the
	// band's high and low MFU.
	NeededGPUHoursFast float64 `json:"needed_gpu_hours_fast"`
	NeededGPUHoursSlow float64 `json:"needed_gpu_hours_slow"`
	// DeliverableFLOPLow and DeliverableFLOPHigh are what the training
	// hours deliver at the band's low and high MFU.
	DeliverableFLOPLow  float64 `json:"deliverable_flop_low"`
	DeliverableFLOPHigh float64 `json:"deliverable_flop_high"`
	MFULow              float64 `json:"mfu_low"`
	MFUHigh             float64 `json:"mfu_high"`
	// Message explains the verdict in plain language, with both figures.
	Message string `json:"message"`
}

// CheckTrainingHours checks a request of gpuHours GPU-hours on sys (convert a
// request's Amount with System.GPUHours) against flop, the training compute
// declared or derived for it. Only split's training share of the hours
// counts (nil counts them all, as ComputeSplit.TrainingShare does). The
// verdict is insufficient when the training hours deliver less than flop
// even at the band's high MFU, excessive when they exceed
// ExcessiveHoursFactor times what flop needs at its low MFU, else
// plausible. EINVALID naming the field for a flop, gpu_hours or
// compute_split out of range, or a system without an MFU band.
func CheckTrainingHours(flop float64, sys *System, gpuHours float64, split *ComputeSplit) (HoursCheck, error) {
	var v Validator
	checkFLOP(&v, flop)
	share := split.TrainingShare()
	v.Check(inRange(share, 0, 1), "compute_split", "its training share (pre-training plus fine-tuning) must be between 0 and 1")
	if checkSystem(&v, sys) {
		limit := sys.GPUHours(MaxAmount)
		v.Check(gpuHours > 0 && inRange(gpuHours, 0, limit), "gpu_hours", "must be positive and at most %g", limit)
	}
	if err := v.Err("The GPU-hours cannot be checked."); err != nil {
		return HoursCheck{}, err
	}
	fast, slow := trainingPoint(flop, sys, 1, sys.MFUHigh), trainingPoint(flop, sys, 1, sys.MFULow)
	c := HoursCheck{SystemID: sys.ID, FLOP: flop, RequestedGPUHours: gpuHours, TrainingShare: share,
		TrainingGPUHours: gpuHours * share, NeededGPUHoursFast: fast.GPUHours, NeededGPUHoursSlow: slow.GPUHours,
		MFULow: sys.MFULow, MFUHigh: sys.MFUHigh}
	perHour := sys.PeakTFLOPSPerGPU * 1e12 * 3600
	c.DeliverableFLOPLow = c.TrainingGPUHours * perHour * sys.MFULow
	c.DeliverableFLOPHigh = c.TrainingGPUHours * perHour * sys.MFUHigh

	var b strings.Builder
	b.WriteString("The " + fmtHours(c.TrainingGPUHours) + " GPU-hours for training on " + sys.ID)
	if split != nil {
		b.WriteString(" (the training share, " + fmtPlain(100*share) + " %, of the " + fmtHours(gpuHours) + " requested)")
	}
	needs := "Training " + fmtSci(flop) + " FLOP there takes " + fmtHours(c.NeededGPUHoursFast) + " GPU-hours at MFU " +
		fmtPlain(sys.MFUHigh) + " and " + fmtHours(c.NeededGPUHoursSlow) + " at MFU " + fmtPlain(sys.MFULow) + ", the ends of the system's band."
	switch {
	case c.TrainingGPUHours < c.NeededGPUHoursFast:
		c.Verdict = HoursInsufficient
		b.WriteString(" cannot deliver the " + fmtSci(flop) + " FLOP of training compute: even at MFU " + fmtPlain(sys.MFUHigh) +
			", the fast end of the system's band, they give " + fmtSci(c.DeliverableFLOPHigh) + " FLOP. " + needs)
	case c.TrainingGPUHours > ExcessiveHoursFactor*c.NeededGPUHoursSlow:
		c.Verdict = HoursExcessive
		b.WriteString(" are more than " + fmtPlain(ExcessiveHoursFactor) + " times what the " + fmtSci(flop) +
			" FLOP of training compute need: even at MFU " + fmtPlain(sys.MFULow) + ", the slow end of the system's band, they give " +
			fmtSci(c.DeliverableFLOPLow) + " FLOP. " + needs + " Either the training compute is understated (the AI Act's " +
			"thresholds are read against it) or the request is larger than the training needs.")
	default:
		c.Verdict = HoursPlausible
		b.WriteString(" fit the " + fmtSci(flop) + " FLOP of training compute. " + needs + " Up to " + fmtPlain(ExcessiveHoursFactor) +
			" times the slow end is allowed for restarts, failures and tuning.")
	}
	c.Message = b.String()
	return c, nil
}

// checkFLOP records a problem with a training compute out of range.
func checkFLOP(v *Validator, flop float64) {
	v.Check(flop > 0 && inRange(flop, 0, MaxTrainingFLOP), "flop", "must be positive and at most %g", float64(MaxTrainingFLOP))
}

// checkSystem records a problem with a system that cannot time a run: none,
// no peak, or no MFU band. It reports whether the system can.
func checkSystem(v *Validator, sys *System) bool {
	switch {
	case sys == nil:
		v.Add("system", "is required")
	case !(sys.PeakTFLOPSPerGPU > 0 && inRange(sys.PeakTFLOPSPerGPU, 0, MaxPeakTFLOPS)) || sys.Nodes < 1 || sys.GPUsPerNode < 1:
		v.Add("system", "%s has no valid peak or size in the catalogue", sys.ID)
	case !sys.HasMFUBand() || sys.MFUHigh > 1:
		v.Add("system", "%s has no MFU planning band in the catalogue (mfu_low, mfu_high)", sys.ID)
	default:
		return true
	}
	return false
}

// fmtPlain formats a small figure to six significant figures without
// needless digits: 0.4, 989.4, 60 (a mean of two MFUs is 0.4, not
// 0.39999999999999997).
func fmtPlain(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// fmtSci formats a compute figure to three significant figures (the GPAI
// guidelines, §32, ask for at least two): 2.05e+23, 1e+23.
func fmtSci(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// fmtHours formats GPU-hours as a whole number with thousands separators:
// 30,840,000.
func fmtHours(x float64) string {
	s := strconv.FormatFloat(x, 'f', 0, 64)
	if len(s) > 15 { // beyond 1e15 separators no longer help
		return strconv.FormatFloat(x, 'e', 2, 64)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
