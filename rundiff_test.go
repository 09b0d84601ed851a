// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"testing"

	"github.com/pactum/pactum"
)

func TestDiffRuns(t *testing.T) {
	before := &pactum.AllocationRun{ID: "r1", CallID: "c", Objective: 100, Bound: 110, Gap: 10.0 / 110,
		Systems: []pactum.RunSystem{{SystemID: "a", CapacityGPUHours: 50, GrantedGPUHours: 50}},
		Outcomes: []pactum.RunOutcome{
			{ProposalID: "p1", Rank: 1, Outcome: "full", GrantedGPUHours: 30},
			{ProposalID: "p2", Rank: 2, Outcome: "cut", GrantedGPUHours: 20},
			{ProposalID: "p3", Rank: 3, Outcome: "refused"},
			{ProposalID: "gone", Rank: 4, Outcome: "refused"},
		}}
	after := &pactum.AllocationRun{ID: "r2", CallID: "c", Objective: 90, Bound: 95, Gap: 5.0 / 95,
		Systems: []pactum.RunSystem{{SystemID: "a", CapacityGPUHours: 40, GrantedGPUHours: 40}, {SystemID: "b", CapacityGPUHours: 5}},
		Outcomes: []pactum.RunOutcome{
			{ProposalID: "p1", Rank: 1, Outcome: "full", GrantedGPUHours: 30.2}, // rounding: unchanged
			{ProposalID: "p2", Rank: 2, Outcome: "refused"},
			{ProposalID: "p3", Rank: 3, Outcome: "cut", GrantedGPUHours: 10},
			{ProposalID: "new", Rank: 0, Outcome: "full", GrantedGPUHours: 1},
		}}
	d, err := pactum.DiffRuns(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if d.Unchanged != 1 || len(d.Proposals) != 4 {
		t.Fatalf("unchanged %d, changed %+v", d.Unchanged, d.Proposals)
	}
	want := []struct {
		id, before, after string
		gb, ga            float64
	}{{"new", "", "full", 0, 1}, {"p2", "cut", "refused", 20, 0}, {"p3", "refused", "cut", 0, 10}, {"gone", "refused", "", 0, 0}}
	for i, w := range want {
		p := d.Proposals[i]
		if p.ProposalID != w.id || p.OutcomeBefore != w.before || p.OutcomeAfter != w.after || p.Granted.Before != w.gb || p.Granted.After != w.ga {
			t.Errorf("proposal %d: %+v, want %+v", i, p, w)
		}
	}
	if len(d.Systems) != 2 || d.Systems[0].Granted != (pactum.Change{Before: 50, After: 40}) || d.Systems[1].Capacity != (pactum.Change{Before: 0, After: 5}) {
		t.Errorf("systems %+v", d.Systems)
	}
	if d.Objective != (pactum.Change{Before: 100, After: 90}) || d.Bound.After != 95 || d.Outcomes["refused"] != (pactum.Change{Before: 2, After: 1}) {
		t.Errorf("figures %+v %+v %+v", d.Objective, d.Bound, d.Outcomes)
	}
	after.CallID = "other"
	if _, err := pactum.DiffRuns(before, after); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("runs of different calls: %v", err)
	}
}

func TestAllocationRunInputOverAndValidate(t *testing.T) {
	capGPU, share, res := 1000.0, 0.5, 0.1
	base := pactum.AllocationRunInput{OrgCapGPUHours: &capGPU, ReservedShare: &res, Capacities: map[string]float64{"a": 1, "b": 2}}
	got := pactum.AllocationRunInput{OrgCapShare: &share, Capacities: map[string]float64{"b": 3}, BaseRunID: "r"}.Over(base)
	if got.OrgCapGPUHours != nil || *got.OrgCapShare != share || *got.ReservedShare != res || got.Capacities["a"] != 1 || got.Capacities["b"] != 3 || got.BaseRunID != "r" {
		t.Errorf("Over: %+v", got)
	}
	if base.Capacities["b"] != 2 {
		t.Error("Over changed the base's capacities")
	}
	p := got.Resolve(map[string]float64{"a": 100, "b": 100, "c": 96})
	if p.OrgCapGPUHours != share*(1+3+96) || p.Capacities["b"] != 3 {
		t.Errorf("Resolve: %+v (the share applies to the capacities with their overrides)", p)
	}
	bad := pactum.AllocationRunInput{Capacities: map[string]float64{"a": -1, "b\x00": 1}}
	err := bad.Validate()
	fields := map[string]bool{}
	for _, f := range pactum.ErrorFields(err) {
		fields[f.Field] = true
	}
	if !fields["capacities.a"] || !fields["capacities"] {
		t.Errorf("Validate: %v", err)
	}
	call := &pactum.Call{ID: "c", SystemIDs: []string{"a"}}
	in := pactum.AllocationRunInput{Capacities: map[string]float64{"a": 1, "z": 2}}
	if fs := pactum.ErrorFields(in.CheckSystems(call)); len(fs) != 1 || fs[0].Field != "capacities.z" {
		t.Errorf("CheckSystems: %+v", fs)
	}
}
