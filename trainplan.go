// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"math"
	"strconv"
	"strings"
)

// Time to train at proposal creation: a proposal's training target (the
// compute it declares, else 6·P·D) timed on the systems it requests with
// TimeToTrain, and its requested hours checked against the target with
// CheckTrainingHours, so that an applicant sees the days a plan takes
// before submitting it. Arithmetic on the proposal and the catalogue, not
// policy: the screening rules compute.hours_insufficient and
// compute.hours_excessive read the same figures and decide what they mean.

// HoursPerMonth is the hours of an average month (8,760 ÷ 12): the rate at
// which a grant spread over its months is used.
const HoursPerMonth = 730.0

// DefaultJobGPUs is the GPU count a request that states none is timed on:
// the GPUs that use the request's gpuHours up evenly over the proposal's
// months, rounded up to whole nodes of the system (jobs on these
// partitions get whole nodes) and at most the system's GPUs. A grant is
// given for a period and lapses at its end, so this is the rate the
// applicant must use it at; a run on more GPUs finishes sooner, and the
// request may say so (ResourceRequest.GPUs). It depends on the request,
// not on a catalogue figure, because a typical job size differs more
// between applicants than between systems. 0 for a system without size.
func DefaultJobGPUs(sys *System, gpuHours float64, months int) int {
	if sys == nil || sys.Nodes < 1 || sys.GPUsPerNode < 1 {
		return 0
	}
	total := sys.Nodes * sys.GPUsPerNode
	months = max(months, 1)
	gpus := gpuHours / (float64(months) * HoursPerMonth)
	if !(gpus < float64(total)) { // also a NaN or an infinity
		return total
	}
	nodes := max(int(math.Ceil(gpus/float64(sys.GPUsPerNode))), 1)
	return min(nodes*sys.GPUsPerNode, total)
}

// The sources of SystemPlan.GPUsSource.
const (
	GPUsRequested = "requested" // ResourceRequest.GPUs
	GPUsDefault   = "default"   // DefaultJobGPUs
)

// SystemPlan is a proposal's training part on one requested system: how
// long it takes there at the ends of the system's MFU band and whether
// the hours requested there fit it.
type SystemPlan struct {
	SystemID string `json:"system_id"`
	// Share is the part of the training target timed here: each system's
	// in proportion to what its requested hours deliver at the middle of
	// its band, as a plan that uses every requested hour divides it.
	Share float64 `json:"share"`
	// GPUsSource says where Time.GPUs comes from: requested or default
	// (DefaultJobGPUs).
	GPUsSource string       `json:"gpus_source"`
	Time       TrainingTime `json:"time"`
	Check      HoursCheck   `json:"check"`
}

// TrainingPlan is a proposal's time to train.
type TrainingPlan struct {
	// FLOP is the training target: the declared planned training
	// compute, else 6·P·D; FLOPMethod says which ("declared" or "6PD").
	FLOP       float64      `json:"flop"`
	FLOPMethod string       `json:"flop_method"`
	Systems    []SystemPlan `json:"systems"`
	// DaysFast and DaysSlow are the wall-clock days of the whole target
	// at the fast and the slow end of the bands: the longest of the
	// systems', which run side by side.
	DaysFast float64 `json:"days_fast"`
	DaysSlow float64 `json:"days_slow"`
	// Verdict is whether the requested hours together fit the target,
	// as the screening rules read them: insufficient when all their
	// training shares deliver less than the target even at the bands'
	// high MFU, excessive when more than ExcessiveHoursFactor times it at
	// the low, plausible otherwise. Empty when a system cannot be timed.
	Verdict HoursVerdict `json:"verdict,omitempty"`
	Message string       `json:"message"`
}

// PlanTraining times p's training target on its requested systems
// (systems maps IDs to the catalogue). Each request's GPUs are its own or
// DefaultJobGPUs; a request naming more GPUs than its system has is timed
// on the system's (ValidateAgainst refuses it). Nil when p declares no
// training target (no planned compute, no parameters and tokens) or
// requests nothing; a requested system unknown to the catalogue or
// without an MFU band is left out, named in the message, and leaves the
// verdict empty. Any caller; it reads only its arguments.
func PlanTraining(p *Proposal, systems map[string]*System) *TrainingPlan {
	if p == nil || len(p.Requests) == 0 {
		return nil
	}
	w := &p.AIWork
	plan := &TrainingPlan{FLOP: w.PlannedTrainingFLOP, FLOPMethod: "declared"}
	if plan.FLOP <= 0 {
		plan.FLOP, plan.FLOPMethod = 6*w.ParameterCount*w.TrainingTokens, "6PD"
	}
	if !(plan.FLOP > 0 && plan.FLOP <= MaxTrainingFLOP) {
		return nil
	}
	// Each system's weight is what its requested hours deliver at the
	// middle of its band; the training share is common to all.
	var skipped []string
	weights := make([]float64, len(p.Requests))
	var sum float64
	for i, r := range p.Requests {
		s := systems[r.SystemID]
		var v Validator
		if s == nil || !checkSystem(&v, s) {
			skipped = append(skipped, r.SystemID)
			continue
		}
		weights[i] = s.GPUHours(r.Amount) * s.PeakTFLOPSPerGPU * (s.MFULow + s.MFUHigh) / 2
		sum += weights[i]
	}
	var deliverLow, deliverHigh float64
	for i, r := range p.Requests {
		if weights[i] == 0 || !(sum > 0) {
			continue
		}
		s := systems[r.SystemID]
		sp := SystemPlan{SystemID: s.ID, Share: weights[i] / sum, GPUsSource: GPUsRequested}
		gpus := r.GPUs
		if gpus <= 0 {
			gpus, sp.GPUsSource = DefaultJobGPUs(s, s.GPUHours(r.Amount), p.DurationMonths), GPUsDefault
		}
		gpus = min(gpus, s.Nodes*s.GPUsPerNode)
		var err error
		if sp.Time, err = TimeToTrain(plan.FLOP*sp.Share, s, gpus); err != nil {
			skipped = append(skipped, r.SystemID)
			continue
		}
		if sp.Check, err = CheckTrainingHours(plan.FLOP*sp.Share, s, s.GPUHours(r.Amount), w.ComputeSplit); err != nil {
			skipped = append(skipped, r.SystemID)
			continue
		}
		deliverLow += sp.Check.DeliverableFLOPLow
		deliverHigh += sp.Check.DeliverableFLOPHigh
		plan.DaysFast = max(plan.DaysFast, sp.Time.Fast.Days)
		plan.DaysSlow = max(plan.DaysSlow, sp.Time.Slow.Days)
		plan.Systems = append(plan.Systems, sp)
	}
	plan.Message = plan.message(p, deliverLow, deliverHigh, skipped)
	return plan
}

// message sets the verdict and says it in words.
func (plan *TrainingPlan) message(p *Proposal, deliverLow, deliverHigh float64, skipped []string) string {
	var b strings.Builder
	target := fmtSci(plan.FLOP) + " FLOP"
	if plan.FLOPMethod == "6PD" {
		target += " (6 × parameters × tokens)"
	} else {
		target += " (declared)"
	}
	if len(plan.Systems) > 0 {
		b.WriteString("Training " + target + " takes " + fmtDaysPlain(plan.DaysFast) + " to " + fmtDaysPlain(plan.DaysSlow) +
			" days at the fast and slow ends of the systems' MFU bands, against a duration of " +
			itoa(p.DurationMonths) + " months (" + fmtDaysPlain(float64(p.DurationMonths)*HoursPerMonth/24) + " days).")
	}
	if len(skipped) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("Not timed: " + strings.Join(skipped, ", ") + " (not in the catalogue or no MFU planning band there); " +
			"the requested hours are not checked against the target.")
		return b.String()
	}
	switch {
	case deliverHigh < plan.FLOP:
		plan.Verdict = HoursInsufficient
		b.WriteString(" The requested hours cannot deliver it: their training share gives " + fmtSci(deliverLow) + " to " +
			fmtSci(deliverHigh) + " FLOP at the bands' low and high MFU.")
	case deliverLow > ExcessiveHoursFactor*plan.FLOP:
		plan.Verdict = HoursExcessive
		b.WriteString(" The requested hours give " + fmtSci(deliverLow) + " to " + fmtSci(deliverHigh) +
			" FLOP of training, more than " + fmtPlain(ExcessiveHoursFactor) + " times the target.")
	default:
		plan.Verdict = HoursPlausible
		b.WriteString(" The requested hours fit it: their training share gives " + fmtSci(deliverLow) + " to " +
			fmtSci(deliverHigh) + " FLOP at the bands' low and high MFU.")
	}
	return b.String()
}

// fmtDaysPlain formats days to two significant figures below ten and as a
// whole number above: 0.43, 5.7, 71, 984.
func fmtDaysPlain(d float64) string {
	if d < 10 {
		return strconv.FormatFloat(d, 'g', 2, 64)
	}
	return fmtHours(d)
}
