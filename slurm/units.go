// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"math"

	pactum "github.com/pactum/pactum"
)

// TRES names pactum sets limits on.
const (
	TRESGPU  = "gres/gpu"
	TRESNode = "node"
	TRESCPU  = "cpu"
)

// GPUHours converts GPU-seconds to GPU-hours.
func GPUHours(gpuSeconds int64) float64 { return float64(gpuSeconds) / 3600 }

// NodeHours converts node-seconds to node-hours.
func NodeHours(nodeSeconds int64) float64 { return float64(nodeSeconds) / 3600 }

// minutes converts hours to whole minutes, rounding down so that Slurm
// never lets an award run past what was granted; the small epsilon keeps
// 1000 h from becoming 59999 min through floating-point error.
func minutes(hours float64) int64 { return int64(math.Floor(hours*60 + 1e-6)) }

// LimitsFor returns the GrpTRESMins that enforce a grant of amount in unit:
// GPU-hours become gres/gpu minutes and node-hours node minutes (Slurm
// 22.05 enforces both; see the package doc). EINVALID for an unknown unit
// or a negative, infinite or NaN amount.
func LimitsFor(amount float64, unit pactum.Unit) (TRES, error) {
	if math.IsNaN(amount) || math.IsInf(amount, 0) || amount < 0 {
		return nil, pactum.Errorf(pactum.EINVALID, "The granted amount %v is not a finite, non-negative number.", amount)
	}
	if amount*60 > math.MaxInt64/2 {
		return nil, pactum.Errorf(pactum.EINVALID, "The granted amount %v is too large.", amount)
	}
	switch unit {
	case pactum.UnitGPUHours:
		return TRES{TRESGPU: minutes(amount)}, nil
	case pactum.UnitNodeHours:
		return TRES{TRESNode: minutes(amount)}, nil
	}
	return nil, pactum.Errorf(pactum.EINVALID, "Unknown unit %q.", unit)
}

// CPULimitsFor is the fallback for a cluster that does not enforce node
// minutes (or charges shared nodes by core): node-hours become cpu minutes
// at cpusPerNode CPUs per node. EINVALID as LimitsFor, or for
// cpusPerNode < 1.
func CPULimitsFor(nodeHours float64, cpusPerNode int) (TRES, error) {
	if cpusPerNode < 1 {
		return nil, pactum.Errorf(pactum.EINVALID, "CPUs per node must be positive.")
	}
	t, err := LimitsFor(nodeHours*float64(cpusPerNode), pactum.UnitNodeHours)
	if err != nil {
		return nil, err
	}
	return TRES{TRESCPU: t[TRESNode]}, nil
}

// Charge returns what a job record costs in unit: its GPU-hours or its
// node-hours. EINVALID for an unknown unit.
func Charge(r *Record, unit pactum.Unit) (float64, error) {
	switch unit {
	case pactum.UnitGPUHours:
		return GPUHours(r.GPUSeconds()), nil
	case pactum.UnitNodeHours:
		return NodeHours(r.NodeSeconds()), nil
	}
	return 0, pactum.Errorf(pactum.EINVALID, "Unknown unit %q.", unit)
}
