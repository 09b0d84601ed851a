// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"regexp"
	"strings"
)

// Unit is the unit in which a system's allocations are granted and charged.
type Unit string

// The allocation units. Compute is stored in these at the edges only; inside,
// GPU-seconds are the common measure (see System.GPUSeconds).
const (
	UnitGPUHours  Unit = "gpu_hours"
	UnitNodeHours Unit = "node_hours"
)

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool { return u == UnitGPUHours || u == UnitNodeHours }

// System is one AI-capable partition of a EuroHPC supercomputer, as offered to
// the scheme. The catalogue is data (catalog/systems.json), not code.
type System struct {
	ID          string `json:"id"` // stable slug, e.g. "lumi-g"
	Name        string `json:"name"`
	Site        string `json:"site"`    // hosting entity, e.g. "CSC"
	Country     string `json:"country"` // ISO 3166-1 alpha-2
	Partition   string `json:"partition"`
	Accelerator string `json:"accelerator"`
	Nodes       int    `json:"nodes"`
	// GPUsPerNode counts GPUs as the scheduler sees them: LUMI's MI250X
	// shows two GCDs per module, so LUMI-G has 8.
	GPUsPerNode int `json:"gpus_per_node"`
	// PeakTFLOPSPerGPU is the vendor's dense BF16 peak per scheduler GPU,
	// the H in the AI Act's hardware-based compute estimate C = N·L·H·U.
	PeakTFLOPSPerGPU float64 `json:"peak_tflops_per_gpu"`
	Unit             Unit    `json:"unit"`
	// CapacityPerPeriod is what the scheme may grant on this system in one
	// allocation period (one call), in Unit.
	CapacityPerPeriod float64 `json:"capacity_per_period"`
	Software          string  `json:"software"`  // accelerator stack: "cuda" or "rocm"
	Scheduler         string  `json:"scheduler"` // "slurm" or "pbs"
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate checks a catalogue entry.
func (s *System) Validate() error {
	var v Validator
	v.Check(slugRE.MatchString(s.ID), "id", "must be a lower-case slug (letters, digits, hyphens)")
	v.Check(strings.TrimSpace(s.Name) != "" && len(s.Name) <= 200, "name", "is required (at most 200 characters)")
	v.Check(strings.TrimSpace(s.Site) != "" && len(s.Site) <= 100, "site", "is required (at most 100 characters)")
	v.Text("name", s.Name, false)
	v.Text("site", s.Site, false)
	v.Text("partition", s.Partition, false)
	v.Text("accelerator", s.Accelerator, false)
	v.Check(ValidCountry(s.Country), "country", "must be an ISO 3166-1 alpha-2 code")
	v.Check(s.Nodes > 0 && s.Nodes <= MaxNodes, "nodes", "must be between 1 and %d", MaxNodes)
	v.Check(s.GPUsPerNode > 0 && s.GPUsPerNode <= MaxGPUsPerNode, "gpus_per_node", "must be between 1 and %d", MaxGPUsPerNode)
	v.Check(s.PeakTFLOPSPerGPU > 0 && inRange(s.PeakTFLOPSPerGPU, 0, MaxPeakTFLOPS), "peak_tflops_per_gpu",
		"must be positive and at most %g", float64(MaxPeakTFLOPS))
	v.Check(s.Unit.Valid(), "unit", "must be gpu_hours or node_hours")
	v.Check(inRange(s.CapacityPerPeriod, 0, MaxAmount), "capacity_per_period", "must be between 0 and %g", float64(MaxAmount))
	v.Check(s.Software == "cuda" || s.Software == "rocm", "software", "must be cuda or rocm")
	v.Check(s.Scheduler == "slurm" || s.Scheduler == "pbs", "scheduler", "must be slurm or pbs")
	return v.Err("The system is not valid.")
}

// GPUHours converts an amount in the system's unit to GPU-hours.
func (s *System) GPUHours(amount float64) float64 {
	if s.Unit == UnitNodeHours {
		return amount * float64(s.GPUsPerNode)
	}
	return amount
}

// FromGPUHours converts GPU-hours to the system's unit.
func (s *System) FromGPUHours(gpuHours float64) float64 {
	if s.Unit == UnitNodeHours {
		return gpuHours / float64(s.GPUsPerNode)
	}
	return gpuHours
}

// PeakFLOP returns the FLOP that amount (in the system's unit) would deliver
// at utilisation u: GPUs × seconds × peak × u, the AI Act's hardware-based
// estimate.
func (s *System) PeakFLOP(amount, u float64) float64 {
	return s.GPUHours(amount) * 3600 * s.PeakTFLOPSPerGPU * 1e12 * u
}

// SystemsByID indexes a catalogue by system ID.
func SystemsByID(list []*System) map[string]*System {
	m := make(map[string]*System, len(list))
	for _, s := range list {
		m[s.ID] = s
	}
	return m
}

// SystemService reads and maintains the systems catalogue.
type SystemService interface {
	// FindSystems returns every system, ordered by ID. Any authenticated
	// caller may read the catalogue.
	FindSystems(ctx context.Context) ([]*System, error)
	// FindSystemByID returns one system, or ENOTFOUND.
	FindSystemByID(ctx context.Context, id string) (*System, error)
	// UpsertSystems adds or replaces catalogue entries, all or none.
	// Access managers only; EINVALID for a bad entry.
	UpsertSystems(ctx context.Context, systems []*System) error
}
