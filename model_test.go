// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"math"
	"testing"
	"time"
)

func TestJobLabel(t *testing.T) {
	for _, tc := range []struct {
		comment, model string
		phase          Phase
	}{
		{JobLabel("aleph-7b@1", PhasePreTraining), "aleph-7b@1", PhasePreTraining},
		{"run 3 pactum:model=m@2;phase=evaluation nightly", "m@2", PhaseEvaluation},
		{"pactum:model=m@2", "m@2", PhaseNone},
		{"pactum:model=m;phase=fine-tuning", "", PhaseFineTuning}, // no version: no model
		{"pactum:model=a b@1", "", PhaseNone},
		{"pactum:model=m@1;phase=training", "m@1", PhaseNone}, // unknown phase
		{"pactum:model=m@1|phase=inference", "m@1", PhaseNone},
		{"no claim here", "", PhaseNone},
		{"", "", PhaseNone},
	} {
		m, p := ParseJobLabel(tc.comment)
		if m != tc.model || p != tc.phase {
			t.Errorf("ParseJobLabel(%q) = %q, %q; want %q, %q", tc.comment, m, p, tc.model, tc.phase)
		}
		// Whatever the comment, the record it goes into stays valid.
		r := UsageRecordInput{JobID: "1", Account: "a", Username: "u", State: "RUNNING", Model: m, Phase: p}
		if reason := r.Validate(); reason != "" {
			t.Errorf("a record with the claim of %q is invalid: %s", tc.comment, reason)
		}
	}
}

func FuzzParseJobLabel(f *testing.F) {
	f.Add(JobLabel("aleph-7b@1", PhaseFineTuning))
	f.Add("pactum:model=;phase=")
	f.Fuzz(func(t *testing.T, comment string) {
		m, p := ParseJobLabel(comment)
		r := UsageRecordInput{JobID: "1", Account: "a", Username: "u", State: "RUNNING", Model: m, Phase: p}
		if reason := r.Validate(); reason != "" {
			t.Fatalf("claim %q, %q from %q makes the record invalid: %s", m, p, comment, reason)
		}
		if m != "" {
			if m2, p2 := ParseJobLabel(JobLabel(m, p)); m2 != m || p2 != p {
				t.Fatalf("round trip of %q, %q gave %q, %q", m, p, m2, p2)
			}
		}
	})
}

func TestComputeJob(t *testing.T) {
	sys := &System{PeakTFLOPSPerGPU: 989, TDPWattsPerGPU: 700, NodeOverhead: 1.3, PUE: 1.1, MFULow: 0.35, MFUHigh: 0.45}
	// Declared MFU when Slurm measured nothing; the planning middle
	// when nothing was declared.
	if c := ComputeJob(sys, 3600, 900, -1, 0, 0.5); c.FLOPDeclared != 3600*989e12*0.5 || c.FLOPMeasured != 0 {
		t.Errorf("declared: %+v", c)
	}
	if c := ComputeJob(sys, 3600, 900, -1, 0, 0); math.Abs(c.FLOPDeclared-3600*989e12*0.40) > 1e6 {
		t.Errorf("planning: %+v", c)
	}
	// Measured utilisation wins, capped at 1.
	if c := ComputeJob(sys, 3600, 900, 1.7, 0, 0.5); c.FLOPMeasured != 3600*989e12 || c.GPUSecondsMeasured != 3600 || c.FLOPDeclared != 0 {
		t.Errorf("measured: %+v", c)
	}
	// Energy: a plausible reading is kept; 0 is "not measured"; an
	// absurd one is counted and replaced by the estimate.
	if c := ComputeJob(sys, 3600, 900, -1, 2_000_000, 0); c.EnergyMeasuredJ != 2e6 || c.EnergyEstimatedJ != 0 || c.EnergyGPUSeconds != 3600 {
		t.Errorf("measured energy: %+v", c)
	}
	est := 3600 * 700 * 1.3
	if c := ComputeJob(sys, 3600, 900, -1, 0, 0); c.EnergyEstimatedJ != est || c.EnergyImplausible != 0 {
		t.Errorf("estimated energy: %+v", c)
	}
	if c := ComputeJob(sys, 3600, 900, -1, 1e17, 0); c.EnergyEstimatedJ != est || c.EnergyImplausible != 1 || c.EnergyMeasuredJ != 0 {
		t.Errorf("absurd energy: %+v", c)
	}
	// RecordCompute splits a stored record the same way.
	util := 0.6
	r := &UsageRecord{UsageRecordInput: UsageRecordInput{GPUSeconds: 3600, NodeSeconds: 900, GPUUtil: &util, EnergyJoules: 1e17}}
	FillCompute(r, sys, 0)
	c := RecordCompute(r)
	if c.FLOPMeasured != r.FLOP || c.EnergyEstimatedJ != est || c.EnergyImplausible != 1 {
		t.Errorf("record compute: %+v from %+v", c, r)
	}
}

func TestAlertsCrossed(t *testing.T) {
	f := DefaultAlertFractions
	got := AlertsCrossed(0.4e23, 1.2e23, 0, f)
	if len(got) != 5 || got[0] != [2]float64{1e23, 0.5} || got[4] != [2]float64{1e23, 1} {
		t.Errorf("0.4→1.2e23: %v", got)
	}
	if got := AlertsCrossed(1e23, 1e23, 0, f); len(got) != 0 {
		t.Errorf("no change: %v", got)
	}
	if got := AlertsCrossed(2e23, 1e23, 0, f); len(got) != 0 {
		t.Errorf("going down: %v", got)
	}
	// The offset (declared base and prior compute) counts.
	if got := AlertsCrossed(0, 1.6e24, 8.5e24, f); len(got) != 2 || got[0] != [2]float64{1e25, 0.9} || got[1] != [2]float64{1e25, 1} {
		t.Errorf("with offset: %v", got)
	}
}

func TestBuildModelComputeProjection(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	day := now.Unix() / 86400
	sys := &System{ID: "s", PeakTFLOPSPerGPU: 1000, MFULow: 0.4, MFUHigh: 0.4}
	m := &Model{ID: "m", Name: "m", Version: "1"}
	rows := []ModelUsageRow{{SystemID: "s", ModelUsageDelta: ModelUsageDelta{ModelUsageKey: ModelUsageKey{Phase: PhasePreTraining},
		GPUSeconds: 7, JobCompute: JobCompute{FLOPDeclared: 7e23}}}}
	var days []ModelDay
	for d := int64(0); d < 9; d++ { // 1e23 a day for a week, and before it
		days = append(days, ModelDay{Day: day - d, GPUSeconds: 1, FLOP: 1e23})
	}
	al := &Allocation{SystemID: "s"}
	mc := BuildModelCompute(m, rows, rows, days, map[string]*System{"s": sys}, []ModelAllocation{{Allocation: al, RemainingGPUSeconds: 1e10}}, now)
	if math.Abs(mc.Training.FLOP-7e23) > 1e9 || math.Abs(mc.BurnRate-1e23) > 1e9 {
		t.Fatalf("training %g, burn %g", mc.Training.FLOP, mc.BurnRate)
	}
	gpai, sr := mc.Crossings[0], mc.Crossings[1]
	if !gpai.Reached || gpai.ReachedBy != "estimate" {
		t.Errorf("10^23: %+v", gpai)
	}
	// 9.3e24 to go at 1e23 a day: 93 days.
	if sr.Reached || sr.ProjectedAt == nil || !sr.ProjectedAt.Equal(now.Add(93*24*time.Hour)) {
		t.Errorf("10^25: %+v", sr)
	}
	// The remaining grant: 1e10 GPU-seconds × 1e15 × 0.4 = 4e24, short of it.
	if math.Abs(mc.RemainingGrantFLOP-4e24) > 1e9 || sr.WithinGrant || Art52Draft(mc, "Org", nil) != nil {
		t.Errorf("remaining %g, within grant %v", mc.RemainingGrantFLOP, sr.WithinGrant)
	}
	mc = BuildModelCompute(m, rows, rows, days, map[string]*System{"s": sys}, []ModelAllocation{{Allocation: al, RemainingGPUSeconds: 3e10}}, now)
	n := Art52Draft(mc, "Org", nil)
	if !mc.Crossings[1].WithinGrant || n == nil || n.Trigger != "projected" || n.DueBy != nil {
		t.Errorf("projected within the grant: %+v, draft %+v", mc.Crossings[1], n)
	}
}
