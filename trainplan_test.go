// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"math"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// catalogue returns the embedded catalogue by ID.
func catalogue(t *testing.T) map[string]*pactum.System {
	t.Helper()
	systems, err := catalog.Systems()
	if err != nil {
		t.Fatal(err)
	}
	return pactum.SystemsByID(systems)
}

// planProposal is a proposal to train declared flop with requests, over
// months.
func planProposal(flop float64, months int, reqs ...pactum.ResourceRequest) *pactum.Proposal {
	return &pactum.Proposal{ProposalInput: pactum.ProposalInput{ProposalContent: pactum.ProposalContent{
		Requests: reqs, DurationMonths: months, AIWork: pactum.AIWork{PlannedTrainingFLOP: flop},
	}}}
}

// TestDefaultJobGPUs: the GPUs that use a request up evenly over its
// months, in whole nodes, at least one node and at most the system.
func TestDefaultJobGPUs(t *testing.T) {
	sys := catalogue(t)
	mn5, karolina := sys["mn5-acc"], sys["karolina-gpu"]
	cases := []struct {
		sys    *pactum.System
		hours  float64
		months int
		want   int
	}{
		{mn5, 100_000, 6, 24},                      // 22.8 GPUs → 6 nodes of 4
		{mn5, 4 * 730 * 12, 12, 4},                 // exactly one node for the year
		{mn5, 10, 12, 4},                           // a tiny request still gets a node
		{mn5, 1e12, 1, 4480},                       // never beyond the system
		{karolina, karolina.GPUHours(7500), 3, 32}, // 60,000 GPU-h over 3 months: 27.4 → 4 nodes of 8
		{nil, 1000, 3, 0},
	}
	for _, c := range cases {
		if got := pactum.DefaultJobGPUs(c.sys, c.hours, c.months); got != c.want {
			t.Errorf("DefaultJobGPUs(%v, %g, %d) = %d, want %d", c.sys != nil, c.hours, c.months, got, c.want)
		}
	}
}

// TestPlanTrainingOneSystem: the target is timed on the stated GPUs or the
// default, with TimeToTrain's and CheckTrainingHours's figures, and the
// verdict follows the hours: 1e23 FLOP on MareNostrum 5 needs 62,390
// GPU-hours at MFU 0.45 and 80,215 at 0.35.
func TestPlanTrainingOneSystem(t *testing.T) {
	systems := catalogue(t)
	mn5 := systems["mn5-acc"]
	p := planProposal(1e23, 6, pactum.ResourceRequest{SystemID: "mn5-acc", Amount: 100_000, GPUs: 512})
	plan := pactum.PlanTraining(p, systems)
	if plan == nil || len(plan.Systems) != 1 || plan.FLOP != 1e23 || plan.FLOPMethod != "declared" {
		t.Fatalf("plan: %+v", plan)
	}
	sp := plan.Systems[0]
	want, _ := pactum.TimeToTrain(1e23, mn5, 512)
	check, _ := pactum.CheckTrainingHours(1e23, mn5, 100_000, nil)
	if sp.SystemID != "mn5-acc" || sp.Share != 1 || sp.GPUsSource != pactum.GPUsRequested || sp.Time != want || sp.Check != check {
		t.Errorf("system plan: %+v, want time %+v check %+v", sp, want, check)
	}
	if plan.DaysFast != want.Fast.Days || plan.DaysSlow != want.Slow.Days || math.Abs(want.Typical.Days-5.7) > 0.05 {
		t.Errorf("days %g–%g, typical %g", plan.DaysFast, plan.DaysSlow, want.Typical.Days)
	}
	if plan.Verdict != pactum.HoursPlausible || !strings.Contains(plan.Message, "5.1 to 6.5 days") ||
		!strings.Contains(plan.Message, "6 months (182 days)") || !strings.Contains(plan.Message, "fit it") {
		t.Errorf("verdict %s: %s", plan.Verdict, plan.Message)
	}

	for _, c := range []struct {
		hours float64
		want  pactum.HoursVerdict
	}{{62_000, pactum.HoursInsufficient}, {62_400, pactum.HoursPlausible}, {240_600, pactum.HoursPlausible},
		{240_700, pactum.HoursExcessive}} {
		p.Requests[0].Amount = c.hours
		if got := pactum.PlanTraining(p, systems); got.Verdict != c.want || got.Systems[0].Check.Verdict != c.want {
			t.Errorf("%g GPU-hours: %s (system %s), want %s", c.hours, got.Verdict, got.Systems[0].Check.Verdict, c.want)
		}
	}

	// No GPUs stated: the default, 240,700 GPU-hours over 6 months.
	p.Requests[0].GPUs = 0
	plan = pactum.PlanTraining(p, systems)
	if sp := plan.Systems[0]; sp.GPUsSource != pactum.GPUsDefault || sp.Time.GPUs != pactum.DefaultJobGPUs(mn5, 240_700, 6) || sp.Time.GPUs != 56 {
		t.Errorf("default GPUs: %+v", sp)
	}
	// More GPUs than the system has (refused by validation) are capped.
	p.Requests[0].GPUs = 10_000
	if got := pactum.PlanTraining(p, systems).Systems[0].Time.GPUs; got != 4480 {
		t.Errorf("capped GPUs: %d", got)
	}
}

// TestPlanTrainingTarget: 6·P·D without a declared figure; nothing
// without either; the compute split's training share checked.
func TestPlanTrainingTarget(t *testing.T) {
	systems := catalogue(t)
	p := planProposal(0, 3, pactum.ResourceRequest{SystemID: "leonardo-booster", Amount: 20_000})
	if plan := pactum.PlanTraining(p, systems); plan != nil {
		t.Errorf("a plan without a target: %+v", plan)
	}
	p.AIWork.ParameterCount, p.AIWork.TrainingTokens = 7e9, 1.5e11
	plan := pactum.PlanTraining(p, systems)
	if plan == nil || plan.FLOPMethod != "6PD" || plan.FLOP != 6*7e9*1.5e11 || !strings.Contains(plan.Message, "6 × parameters × tokens") {
		t.Fatalf("6PD plan: %+v", plan)
	}
	p.AIWork.ComputeSplit = &pactum.ComputeSplit{PreTraining: 0.1, EvaluationInference: 0.9}
	plan = pactum.PlanTraining(p, systems)
	if c := plan.Systems[0].Check; c.TrainingShare != 0.1 || c.TrainingGPUHours != 2000 || plan.Verdict != pactum.HoursInsufficient {
		t.Errorf("split: %+v, verdict %s", c, plan.Verdict)
	}
	if pactum.PlanTraining(nil, systems) != nil || pactum.PlanTraining(planProposal(1e23, 3), systems) != nil {
		t.Error("a plan of nothing")
	}
}

// TestPlanTrainingSystems: two systems share the target by what their
// hours deliver at the middle of their bands, run side by side (the plan's
// days are the longer), and the verdict reads their sum, as screening
// does; a system without a band is named and leaves the verdict empty.
func TestPlanTrainingSystems(t *testing.T) {
	systems := catalogue(t)
	lumi, leo := systems["lumi-g"], systems["leonardo-booster"]
	p := planProposal(2e23, 12, pactum.ResourceRequest{SystemID: "lumi-g", Amount: 300_000, GPUs: 1024},
		pactum.ResourceRequest{SystemID: "leonardo-booster", Amount: 200_000, GPUs: 256})
	plan := pactum.PlanTraining(p, systems)
	if plan == nil || len(plan.Systems) != 2 {
		t.Fatalf("plan: %+v", plan)
	}
	wl := 300_000 * lumi.PeakTFLOPSPerGPU * (lumi.MFULow + lumi.MFUHigh) / 2
	wb := 200_000 * leo.PeakTFLOPSPerGPU * (leo.MFULow + leo.MFUHigh) / 2
	a, b := plan.Systems[0], plan.Systems[1]
	if math.Abs(a.Share-wl/(wl+wb)) > 1e-12 || math.Abs(a.Share+b.Share-1) > 1e-12 || math.Abs(a.Time.FLOP-2e23*a.Share) > 1e9 {
		t.Errorf("shares %g + %g, FLOP %g", a.Share, b.Share, a.Time.FLOP)
	}
	if plan.DaysSlow != math.Max(a.Time.Slow.Days, b.Time.Slow.Days) || plan.DaysFast != math.Max(a.Time.Fast.Days, b.Time.Fast.Days) {
		t.Errorf("days %g–%g from %+v %+v", plan.DaysFast, plan.DaysSlow, a.Time, b.Time)
	}
	high := a.Check.DeliverableFLOPHigh + b.Check.DeliverableFLOPHigh
	low := a.Check.DeliverableFLOPLow + b.Check.DeliverableFLOPLow
	want := pactum.HoursPlausible
	if high < 2e23 {
		want = pactum.HoursInsufficient
	} else if low > 3*2e23 {
		want = pactum.HoursExcessive
	}
	if plan.Verdict != want {
		t.Errorf("verdict %s, want %s (deliverable %g–%g)", plan.Verdict, want, low, high)
	}

	noBand := *leo
	noBand.MFULow, noBand.MFUHigh = 0, 0
	systems["leonardo-booster"] = &noBand
	plan = pactum.PlanTraining(p, systems)
	if len(plan.Systems) != 1 || plan.Systems[0].Share != 1 || plan.Verdict != "" ||
		!strings.Contains(plan.Message, "Not timed: leonardo-booster") {
		t.Errorf("a system without a band: %+v", plan)
	}
}

// TestRequestGPUsValidation: a request's GPUs are positive and at most
// its system's, each refusal naming its request.
func TestRequestGPUsValidation(t *testing.T) {
	systems := catalogue(t)
	p := planProposal(1e23, 6, pactum.ResourceRequest{SystemID: "mn5-acc", Amount: 1000, GPUs: -1},
		pactum.ResourceRequest{SystemID: "vega-gpu", Amount: 1000, GPUs: 241}, pactum.ResourceRequest{SystemID: "lumi-g", Amount: 1000, GPUs: 64})
	got := map[string]string{}
	for _, f := range pactum.ErrorFields(p.ValidateAgainst(nil, systems)) {
		got[f.Field] = f.Message
	}
	if !strings.Contains(got["requests[0].gpus"], "positive") || !strings.Contains(got["requests[1].gpus"], "at most 240") {
		t.Errorf("field errors: %v", got)
	}
	if _, ok := got["requests[2].gpus"]; ok {
		t.Errorf("64 GPUs on LUMI-G refused: %v", got)
	}
}
