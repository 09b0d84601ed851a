// SPDX-License-Identifier: EUPL-1.2

package catalog_test

import (
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

func TestSystems(t *testing.T) {
	systems, err := catalog.Systems()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lumi-g", "leonardo-booster", "mn5-acc", "jupiter-booster", "meluxina-gpu", "vega-gpu", "karolina-gpu", "deucalion-gpu"}
	if len(systems) != len(want) {
		t.Fatalf("got %d systems, want %d", len(systems), len(want))
	}
	for i, id := range want {
		if systems[i].ID != id {
			t.Errorf("system %d: got %q, want %q", i, systems[i].ID, id)
		}
	}
	// LUMI-G exposes two GCDs per MI250X: 8 scheduler GPUs a node, half the
	// module's 383 TFLOP/s each.
	if s := systems[0]; s.GPUsPerNode != 8 || s.PeakTFLOPSPerGPU != 191.5 || s.Software != "rocm" {
		t.Errorf("lumi-g: got %+v", s)
	}
}

// TestSystemsEnergy: every system carries the energy and utilisation
// figures with their source (zero is "not catalogued", which the embedded
// catalogue must never be), and the figures the reference gives are those
// in the file.
func TestSystemsEnergy(t *testing.T) {
	systems, err := catalog.Systems()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range systems {
		if s.TDPWattsPerGPU == 0 || s.NodeOverhead < 1 || s.PUE < 1 || s.GridGCO2PerKWh == 0 || !s.HasMFUBand() || s.EnergySource == "" {
			t.Errorf("%s: energy figures missing: %+v", s.ID, s)
		}
	}
	byID := pactum.SystemsByID(systems)
	lumi, mn5 := byID["lumi-g"], byID["mn5-acc"]
	// 500 W per MI250X module, two GCDs per module; Poro 34B's measured
	// 18 % MFU inside LUMI's band.
	if lumi.TDPWattsPerGPU != 250 || lumi.PUE != 1.04 || lumi.MFULow > 0.18 {
		t.Errorf("lumi-g: %+v", lumi)
	}
	// LUMI's operator average, 1.24 kW per GPU node (rack input, running
	// or idle), must stay below the catalogue's upper bound of GPUs × TDP ×
	// node overhead.
	if bound := float64(lumi.GPUsPerNode) * lumi.TDPWattsPerGPU * lumi.NodeOverhead; bound < 1240 {
		t.Errorf("lumi-g: node bound %g W is below the measured 1,240 W", bound)
	}
	if mn5.TDPWattsPerGPU != 700 || mn5.PUE != 1.08 {
		t.Errorf("mn5-acc: %+v", mn5)
	}
}

func TestModes(t *testing.T) {
	modes, err := catalog.Modes()
	if err != nil {
		t.Fatal(err)
	}
	if len(modes) != len(pactum.AccessModes) {
		t.Fatalf("got %d modes", len(modes))
	}
	fl, err := catalog.Mode(pactum.ModeFastLane)
	if err != nil {
		t.Fatal(err)
	}
	if fl.MaxGPUHours != 50000 || fl.DecisionWorkingDays != 4 || !fl.AutoApprove {
		t.Errorf("fast lane: got %+v", fl)
	}
	pg, _ := catalog.Mode(pactum.ModePlayground)
	if pg.DecisionWorkingDays != 2 {
		t.Errorf("playground decision target: got %d, want 2", pg.DecisionWorkingDays)
	}
	if _, err := catalog.Mode("nonsense"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("unknown mode: got %v", err)
	}
}

func TestRubric(t *testing.T) {
	r, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Criteria) != 4 || r.MinReviewers != 2 || r.PassScore != 3.5 || r.ReplyDays != 7 {
		t.Errorf("default rubric: %+v", r)
	}
	// All fours pass; a 2 on responsible AI fails its threshold although
	// the weighted score (3.7) is above the pass score.
	fours := []pactum.CriterionScore{{Criterion: "excellence", Score: 4}, {Criterion: "impact", Score: 4}, {Criterion: "implementation", Score: 4}, {Criterion: "responsibility", Score: 4}}
	if v := r.Assess([][]pactum.CriterionScore{fours}); !v.Passes || v.Score != 4 {
		t.Errorf("all fours: %+v", v)
	}
	weak := []pactum.CriterionScore{{Criterion: "excellence", Score: 4}, {Criterion: "impact", Score: 4}, {Criterion: "implementation", Score: 4}, {Criterion: "responsibility", Score: 2}}
	if v := r.Assess([][]pactum.CriterionScore{weak}); v.Passes || len(v.Failing) != 1 {
		t.Errorf("weak responsibility: %+v", v)
	}
}
