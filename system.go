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

	// The energy and utilisation figures below let pactum plan a run
	// (TimeToTrain) and, where no meter reading exists, estimate its
	// energy from the resources used, as the AI Act allows (Annex XI
	// §1(2)(e)): GPU-hours × TDP × node overhead × PUE, the method of
	// BLOOM's and the Llama model cards' figures. Each is zero when the
	// catalogue does not know it (entries stored before these fields
	// existed); EnergySource says where the figures come from.

	// TDPWattsPerGPU is the accelerator's rated power per scheduler GPU,
	// in watts: LUMI's 500 W MI250X module shows as two GCDs, so 250. An
	// upper bound on what the GPU draws: measured H100 training runs
	// averaged 0.85–0.93 of it (Olmo 3).
	TDPWattsPerGPU float64 `json:"tdp_watts_per_gpu"`
	// NodeOverhead is the factor (at least 1) by which a node's power
	// exceeds its GPUs': CPUs, memory and network beside them.
	NodeOverhead float64 `json:"node_overhead"`
	// PUE is the data centre's power usage effectiveness (at least 1):
	// facility power over IT power.
	PUE float64 `json:"pue"`
	// GridGCO2PerKWh is the carbon intensity of the electricity the
	// system runs on, in grams of CO₂-equivalent per kWh: the hosting
	// country's grid, or the site's own supply where it has a dedicated
	// one (LUMI's hydropower).
	GridGCO2PerKWh float64 `json:"grid_gco2_per_kwh"`
	// MFULow and MFUHigh bound the model FLOP utilisation a training run
	// is planned at on this accelerator (0 < low ≤ high ≤ 1), calibrated
	// on published runs: the slow and the fast end of TimeToTrain.
	MFULow  float64 `json:"mfu_low"`
	MFUHigh float64 `json:"mfu_high"`
	// EnergySource says where the TDP, overhead, PUE, grid and MFU figures
	// come from, with years, and which of them are assumptions. Required
	// when any of them is given.
	EnergySource string `json:"energy_source"`
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
	s.validateEnergy(&v)
	return v.Err("The system is not valid.")
}

// validateEnergy checks the energy and utilisation figures. Zero stands
// for "not catalogued" in each, so that an entry from before they existed
// stays valid; a figure that is given must lie within its bounds.
func (s *System) validateEnergy(v *Validator) {
	v.Check(s.TDPWattsPerGPU == 0 || s.TDPWattsPerGPU > 0 && inRange(s.TDPWattsPerGPU, 0, MaxTDPWatts), "tdp_watts_per_gpu",
		"must be 0 (not catalogued) or positive and at most %g", float64(MaxTDPWatts))
	v.Check(s.NodeOverhead == 0 || inRange(s.NodeOverhead, 1, MaxNodeOverhead), "node_overhead",
		"must be 0 (not catalogued) or between 1 and %g", float64(MaxNodeOverhead))
	v.Check(s.PUE == 0 || inRange(s.PUE, 1, MaxPUE), "pue", "must be 0 (not catalogued) or between 1 and %g", float64(MaxPUE))
	v.Check(inRange(s.GridGCO2PerKWh, 0, MaxGridGCO2PerKWh), "grid_gco2_per_kwh", "must be between 0 and %g", float64(MaxGridGCO2PerKWh))
	if s.MFULow != 0 || s.MFUHigh != 0 {
		v.Check(s.MFULow > 0 && inRange(s.MFULow, 0, 1), "mfu_low", "must be above 0 and at most 1")
		v.Check(s.MFUHigh > 0 && inRange(s.MFUHigh, 0, 1), "mfu_high", "must be above 0 and at most 1")
		v.Check(!(s.MFULow > s.MFUHigh), "mfu_high", "must not be below mfu_low")
	}
	v.Check(len(s.EnergySource) <= 2000, "energy_source", "must be at most 2000 characters")
	v.Text("energy_source", s.EnergySource, false)
	given := s.TDPWattsPerGPU != 0 || s.NodeOverhead != 0 || s.PUE != 0 || s.GridGCO2PerKWh != 0 || s.MFULow != 0 || s.MFUHigh != 0
	v.Check(!given || strings.TrimSpace(s.EnergySource) != "", "energy_source",
		"is required when an energy or utilisation figure is given: say where the figures come from")
}

// HasMFUBand reports whether the catalogue gives the system a planning band
// of model FLOP utilisation.
func (s *System) HasMFUBand() bool { return s.MFULow > 0 && s.MFUHigh >= s.MFULow }

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
