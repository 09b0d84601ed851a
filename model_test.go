// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"math"
	"strings"
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

func TestModelFLOPAndEnergy(t *testing.T) {
	sys := &System{PeakTFLOPSPerGPU: 989, TDPWattsPerGPU: 700, NodeOverhead: 1.3, PUE: 1.1, MFULow: 0.35, MFUHigh: 0.45}
	rec := func(util *float64, energy int64) UsageRecordInput {
		return UsageRecordInput{GPUSeconds: 3600, NodeSeconds: 900, GPUUtil: util, EnergyJoules: energy}
	}
	none := rec(nil, 0)
	// The declared MFU when Slurm measured nothing; the planning middle
	// when nothing was declared.
	if got := ModelFLOP(sys, 0.5, 3600, RecordBasis(&none)); got != 3600*989e12*0.5 {
		t.Errorf("declared: %g", got)
	}
	if got := ModelFLOP(sys, 0, 3600, RecordBasis(&none)); math.Abs(got-3600*989e12*0.40) > 1e6 {
		t.Errorf("planning: %g", got)
	}
	// Measured utilisation wins, capped at 1.
	u := 1.7
	over := rec(&u, 0)
	if b := RecordBasis(&over); b.UtilGPUSeconds != 3600 || ModelFLOP(sys, 0.5, 3600, b) != 3600*989e12 {
		t.Errorf("measured: %+v", b)
	}
	// Energy: a plausible reading is kept; 0 is "not measured"; an absurd
	// one is counted and replaced by the estimate.
	est := 3600 * 700 * 1.3
	measured := rec(nil, 2_000_000)
	if b := RecordBasis(&measured); b.EnergyGPUSeconds != 3600 || ModelEnergyJ(sys, 3600, b) != 2e6 {
		t.Errorf("measured energy: %+v", b)
	}
	if b := RecordBasis(&none); ModelEnergyJ(sys, 3600, b) != est || b.EnergyImplausible != 0 {
		t.Errorf("estimated energy: %+v", b)
	}
	absurd := rec(nil, 1e17)
	if b := RecordBasis(&absurd); ModelEnergyJ(sys, 3600, b) != est || b.EnergyImplausible != 1 || b.EnergyMeasuredJ != 0 {
		t.Errorf("absurd energy: %+v", b)
	}
	// Bases add and subtract exactly.
	var sum UsageBasis
	sum.Add(RecordBasis(&measured), 1)
	sum.Add(RecordBasis(&over), 1)
	sum.Add(RecordBasis(&measured), -1)
	if sum != RecordBasis(&over) {
		t.Errorf("sum %+v, want %+v", sum, RecordBasis(&over))
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
	// 7e23 FLOP at 1e15 FLOP/s × 0.4: 1.75e9 GPU-seconds.
	rows := []ModelUsageRow{{SystemID: "s", ModelUsageDelta: ModelUsageDelta{ModelUsageKey: ModelUsageKey{Phase: PhasePreTraining},
		GPUSeconds: 1.75e9}}}
	var days []ModelDay
	for d := int64(0); d < 9; d++ { // 1e23 a day for a week, and before it
		days = append(days, ModelDay{Day: day - d, GPUSeconds: 1, FLOP: 1e23})
	}
	al := &Allocation{SystemID: "s"}
	mc := BuildModelCompute(m, rows, rows, nil, days, map[string]*System{"s": sys}, []ModelAllocation{{SystemID: al.SystemID, RemainingGPUSeconds: 1e10}}, now)
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
	mc = BuildModelCompute(m, rows, rows, nil, days, map[string]*System{"s": sys}, []ModelAllocation{{SystemID: al.SystemID, RemainingGPUSeconds: 3e10}}, now)
	n := Art52Draft(mc, "Org", nil)
	if !mc.Crossings[1].WithinGrant || n == nil || n.Trigger != "projected" || n.DueBy != nil {
		t.Errorf("projected within the grant: %+v, draft %+v", mc.Crossings[1], n)
	}
}

func TestTwoSF(t *testing.T) {
	for x, want := range map[float64]string{3.8e25: "3.8e+25", 0: "0", 1.04e23: "1.0e+23"} {
		if got := TwoSF(x); got != want {
			t.Errorf("TwoSF(%g) = %s, want %s", x, got, want)
		}
	}
	for x, want := range map[float64]string{221.7: "220", 0.01349: "0.013", 0: "0", 7: "7", 1049: "1000", 96.6: "97"} {
		if got := TwoSFPlain(x); got != want {
			t.Errorf("TwoSFPlain(%g) = %s, want %s", x, got, want)
		}
	}
}

func TestUsageFlags(t *testing.T) {
	shares := []ModelShare{{Phase: PhasePreTraining, GPUHours: 10}, {Phase: PhaseEvaluation, GPUHours: 8}, {Phase: PhaseInference, GPUHours: 3}, {GPUHours: 100}}
	p := &Proposal{}
	if f := UsageFlags(p, shares); len(f) != 1 {
		t.Errorf("11 labelled non-training hours against 10 training: %v", f)
	}
	// Unattributed hours are not labels: they do not count either way.
	if f := UsageFlags(p, shares[:2]); len(f) != 0 {
		t.Errorf("8 against 10: %v", f)
	}
	p.AIWork.ComputeSplit = &ComputeSplit{PreTraining: 0.2, EvaluationInference: 0.8}
	if f := UsageFlags(p, shares); len(f) != 0 {
		t.Errorf("an allocation granted mostly for evaluation: %v", f)
	}
}

func TestModifierThreshold(t *testing.T) {
	for _, tc := range []struct {
		m    Model
		want float64
	}{
		{Model{}, 0},
		{Model{BaseModel: "llama-3@8b", BaseModelFLOP: 1.2e24}, 4e23},
		{Model{BaseModel: "frontier", BaseModelSystemicRisk: true}, 1e25 / 3},
		{Model{BaseModel: "small"}, 1e23 / 3},
	} {
		if got := tc.m.ModifierThreshold(); math.Abs(got-tc.want) > 1e9 {
			t.Errorf("%+v: %g, want %g", tc.m, got, tc.want)
		}
	}
	// A fine-tune past a third of its base model's compute is flagged.
	sys := &System{ID: "s", PeakTFLOPSPerGPU: 1000, MFULow: 0.4, MFUHigh: 0.4}
	rows := []ModelUsageRow{{SystemID: "s", ModelUsageDelta: ModelUsageDelta{ModelUsageKey: ModelUsageKey{Phase: PhaseFineTuning}, GPUSeconds: 1e8}}}
	for base, flagged := range map[float64]bool{1e23: true, 2e23: false} { // 4e22 FLOP of fine-tuning
		m := &Model{Name: "m", Version: "1", BaseModel: "b", BaseModelFLOP: base}
		mc := BuildModelCompute(m, rows, rows, nil, nil, map[string]*System{"s": sys}, nil, time.Now())
		got := false
		for _, f := range mc.Flags {
			got = got || strings.Contains(f, "more than a third")
		}
		if got != flagged {
			t.Errorf("base %g: flagged %v, want %v (%v)", base, got, flagged, mc.Flags)
		}
	}
}
