// SPDX-License-Identifier: EUPL-1.2

package allocate_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/solver"
)

// snapshot is a call on two systems, one of them half granted, with four
// ranked proposals and one not yet ranked:
//   - "good" asks for both systems;
//   - "cut" asks for more than a system has left, from an SME;
//   - "failed" is below the rubric;
//   - "unusable" asks only for the system its technical assessment ruled
//     out.
func snapshot() *pactum.RunSnapshot {
	systems := map[string]*pactum.System{
		"gpu-a":  {ID: "gpu-a", Site: "A", Unit: pactum.UnitGPUHours, GPUsPerNode: 4, CapacityPerPeriod: 1000, Software: "cuda"},
		"node-b": {ID: "node-b", Site: "B", Unit: pactum.UnitNodeHours, GPUsPerNode: 8, CapacityPerPeriod: 100, Software: "cuda"},
	}
	prop := func(id, org string, reqs ...pactum.ResourceRequest) *pactum.Proposal {
		return &pactum.Proposal{ID: id, OrganizationID: org, ProposalInput: pactum.ProposalInput{Title: id, ProposalContent: pactum.ProposalContent{
			Requests: reqs, MinViableFraction: 0.1}}}
	}
	panel := func(score float64, rank int, passes bool) *pactum.PanelRecord {
		return &pactum.PanelRecord{Score: score, Rank: rank, Passes: passes, Verdict: pactum.RubricVerdict{Failing: []string{"Impact: mean 1 is below the threshold 3."}}}
	}
	return &pactum.RunSnapshot{
		Call:    &pactum.Call{ID: "call", SystemIDs: []string{"gpu-a", "node-b"}},
		Systems: systems,
		Granted: map[string]float64{"node-b": 50},
		Candidates: []pactum.RunCandidate{
			{Proposal: prop("good", "o1", pactum.ResourceRequest{SystemID: "gpu-a", Amount: 300}, pactum.ResourceRequest{SystemID: "node-b", Amount: 10}),
				Panel: panel(4.5, 1, true)},
			{Proposal: prop("cut", "o2", pactum.ResourceRequest{SystemID: "gpu-a", Amount: 900}), Panel: panel(4, 2, true), SME: true},
			{Proposal: prop("failed", "o3", pactum.ResourceRequest{SystemID: "gpu-a", Amount: 100}), Panel: panel(2, 3, false)},
			{Proposal: prop("unusable", "o4", pactum.ResourceRequest{SystemID: "node-b", Amount: 5}), Panel: panel(4, 4, true),
				Technical: []*pactum.Review{{Site: "B", Systems: []pactum.SystemAssessment{{SystemID: "node-b", Feasible: false}}}}},
			{Proposal: prop("waiting", "o5", pactum.ResourceRequest{SystemID: "gpu-a", Amount: 10})},
		},
	}
}

func params(s *pactum.RunSnapshot) pactum.AllocationRunParams {
	left, _, _ := s.Remaining()
	return (&pactum.AllocationRunInput{}).Resolve(left)
}

func TestSolveExplainsEveryOutcome(t *testing.T) {
	snap := snapshot()
	run, instance, err := allocate.New(solver.Options{}).Solve(context.Background(), snap, params(snap), nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]pactum.RunOutcome{}
	var order []string
	for _, o := range run.Outcomes {
		byID[o.ProposalID] = o
		order = append(order, o.ProposalID)
	}
	if !slices.Equal(order, []string{"good", "cut", "failed", "unusable"}) {
		t.Fatalf("outcomes %v: want the ranked proposals in rank order, the unranked one left out", order)
	}
	if o := byID["failed"]; o.Outcome != pactum.RunOutcomeRefused || !strings.Contains(strings.Join(o.Explanation, " "), "below the threshold") {
		t.Errorf("a proposal below the rubric: %+v", o)
	}
	if o := byID["unusable"]; o.Outcome != pactum.RunOutcomeRefused || !strings.Contains(o.Explanation[0], "B's technical assessment found it not feasible") {
		t.Errorf("a proposal with no usable system: %+v", o)
	}
	if o := byID["cut"]; !slices.Equal(o.Classes, []string{pactum.ReservedClassSME}) || len(o.Grants) == 0 {
		t.Errorf("the SME's outcome: %+v", o)
	}
	// Node-hours are granted in the system's unit, never above the
	// request; nothing exceeds what the call has left of a system.
	used := map[string]float64{}
	for _, o := range run.Outcomes {
		for _, g := range o.Grants {
			req := snap.Candidates[slices.IndexFunc(snap.Candidates, func(c pactum.RunCandidate) bool { return c.Proposal.ID == o.ProposalID })].Proposal.Request(g.SystemID)
			if req == nil || g.Amount > req.Amount+1e-9 {
				t.Errorf("%s: grant %+v beyond its request %+v", o.ProposalID, g, req)
			}
			used[g.SystemID] += g.Amount
		}
	}
	if used["gpu-a"] > 1000+1e-6 || used["node-b"] > 50+1e-6 {
		t.Errorf("grants %v exceed what the call has left (gpu-a 1000, node-b 50)", used)
	}
	var in solver.Instance
	if err := json.Unmarshal(instance, &in); err != nil || len(in.Proposals) != 2 {
		t.Fatalf("instance: %d proposals (%v), want the two that reach the solver", len(in.Proposals), err)
	}
	if run.InputHash == "" || run.Bound < run.Objective-1e-6 || run.Gap < 0 {
		t.Errorf("run figures: hash %q, objective %g, bound %g, gap %g", run.InputHash, run.Objective, run.Bound, run.Gap)
	}
}

// TestInputHash: the hash is what Solve reports, the same for the same
// snapshot, blind to what the run leaves out, and changes with what the
// solver would see.
func TestInputHash(t *testing.T) {
	a := allocate.New(solver.Options{})
	snap := snapshot()
	h, err := a.InputHash(snap, params(snap))
	if err != nil {
		t.Fatal(err)
	}
	run, _, err := a.Solve(context.Background(), snap, params(snap), nil)
	if err != nil || run.InputHash != h {
		t.Fatalf("Solve's hash %q, InputHash %q (%v)", run.InputHash, h, err)
	}
	same := snapshot()
	same.Candidates[4].Proposal.Title = "renamed while waiting for the panel"
	if got, _ := a.InputHash(same, params(same)); got != h {
		t.Error("a change to a proposal the run leaves out changed the hash")
	}
	changes := map[string]func(*pactum.RunSnapshot){
		"capacity granted elsewhere": func(s *pactum.RunSnapshot) { s.Granted["gpu-a"] = 10 },
		"panel score":                func(s *pactum.RunSnapshot) { s.Candidates[0].Panel.Score = 4.4 },
		"a proposal ranked": func(s *pactum.RunSnapshot) {
			s.Candidates[4].Panel = &pactum.PanelRecord{Score: 3, Rank: 5, Passes: true}
		},
		"technical assessment": func(s *pactum.RunSnapshot) { s.Candidates[0].Technical = s.Candidates[3].Technical },
	}
	for name, change := range changes {
		s := snapshot()
		change(s)
		if got, _ := a.InputHash(s, params(s)); got == h {
			t.Errorf("%s: the hash did not change", name)
		}
	}
}

// TestWhatIf: a capacity override is the capacity the solver sees (and is
// in the hash), and a run warm from a base run reports it and stays within
// the overridden capacity.
func TestWhatIf(t *testing.T) {
	a := allocate.New(solver.Options{})
	snap := snapshot()
	base, _, err := a.Solve(context.Background(), snap, params(snap), nil)
	if err != nil {
		t.Fatal(err)
	}
	if base.Warm || base.BaseRunID != "" {
		t.Fatalf("a cold run says warm %v, base %q", base.Warm, base.BaseRunID)
	}
	base.ID = "base"
	left, _, _ := snap.Remaining()
	in := pactum.AllocationRunInput{Capacities: map[string]float64{"gpu-a": 300}}
	p := in.Resolve(left)
	if p.Capacities["gpu-a"] != 300 {
		t.Fatalf("params %+v lost the override", p)
	}
	h0, _ := a.InputHash(snap, params(snap))
	h1, _ := a.InputHash(snap, p)
	if h0 == h1 {
		t.Error("the capacity override did not change the input hash")
	}
	run, instance, err := a.Solve(context.Background(), snap, p, base)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Warm || run.BaseRunID != "base" || run.InputHash != h1 {
		t.Errorf("what-if run: warm %v, base %q, hash %q want %q", run.Warm, run.BaseRunID, run.InputHash, h1)
	}
	var si solver.Instance
	if err := json.Unmarshal(instance, &si); err != nil || si.Systems[0].ID != "gpu-a" || si.Systems[0].Capacity > 300 || si.Systems[0].Capacity < 299.99 {
		t.Fatalf("instance systems %+v (%v): want gpu-a at 300 GPU-h", si.Systems, err)
	}
	for _, s := range run.Systems {
		if s.SystemID == "gpu-a" && (s.CapacityGPUHours != 300 || s.GrantedGPUHours > 300+1e-6) {
			t.Errorf("gpu-a in the what-if: %+v", s)
		}
	}
	if run.Bound < run.Objective-1e-6 {
		t.Errorf("bound %g below objective %g", run.Bound, run.Objective)
	}
}
