// SPDX-License-Identifier: EUPL-1.2

package solver_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pactum/pactum"
	"github.com/pactum/pactum/solver"
)

// MustSolve solves in with default options, checks the result with
// solver.Check and fails the test on any error.
func MustSolve(tb testing.TB, in *solver.Instance) *solver.Result {
	tb.Helper()
	res, err := solver.Solve(context.Background(), in, solver.Options{})
	if err != nil {
		tb.Fatalf("Solve: %v", err)
	}
	if err := solver.Check(in, res); err != nil {
		tb.Fatalf("Check: %v", err)
	}
	return res
}

func grantOf(tb testing.TB, res *solver.Result, id string) solver.Grant {
	tb.Helper()
	for _, g := range res.Grants {
		if g.ProposalID == id {
			return g
		}
	}
	tb.Fatalf("no grant for %s", id)
	return solver.Grant{}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func oneSystem(capacity float64, ps ...solver.Proposal) *solver.Instance {
	return &solver.Instance{
		Systems:   []solver.System{{ID: "s", Capacity: capacity, Software: solver.SoftwareCUDA}},
		Proposals: ps,
	}
}

func req(sys string, amt float64) []solver.Request {
	return []solver.Request{{SystemID: sys, Amount: amt}}
}

// handChecked is a small instance with the grants, objective and
// explanations it must get.
type handChecked struct {
	name  string
	in    *solver.Instance
	want  map[string]float64 // granted hours per proposal
	obj   float64
	exact bool     // the bound must equal the optimum
	why   []string // id: substring expected in its explanation
}

// handCheckedCapacity are instances where one system's capacity decides
// between cutting and refusing.
func handCheckedCapacity() []handChecked {
	cuda := solver.SoftwareCUDA
	return []handChecked{
		{
			// Capacity 100. A (score 5) needs 40–80, B (score 4) needs
			// 63–90: both do not fit (40+63 > 100). A alone is worth
			// 400, B alone 360. The LP would add 20 h of B, below its
			// minimum: B must be refused, not cut.
			name: "RefusedNotCut",
			in: oneSystem(100,
				solver.Proposal{ID: "A", OrgID: "o1", Score: 5, Requests: req("s", 80), MinFraction: 0.5, Software: cuda},
				solver.Proposal{ID: "B", OrgID: "o2", Score: 4, Requests: req("s", 90), MinFraction: 0.7, Software: cuda},
			),
			want: map[string]float64{"A": 80, "B": 0},
			obj:  400,
			why:  []string{"B:Refused, not cut", "A:Granted in full"},
		},
		{
			// Capacity 100. A (5) needs 40–80, B (4) needs 30–60: A 70
			// and B 30 use everything (470); A 80 leaves 20 < 30 for B.
			name: "CutToMakeRoom",
			in: oneSystem(100,
				solver.Proposal{ID: "A", OrgID: "o1", Score: 5, Requests: req("s", 80), MinFraction: 0.5, Software: cuda},
				solver.Proposal{ID: "B", OrgID: "o2", Score: 4, Requests: req("s", 60), MinFraction: 0.5, Software: cuda},
			),
			want: map[string]float64{"A": 70, "B": 30},
			obj:  470,
			why:  []string{"A:Cut to 87.5 %"},
		},
	}
}

// handCheckedSideConstraints are instances bound by an organization's cap
// or a reserved share.
func handCheckedSideConstraints() []handChecked {
	cuda := solver.SoftwareCUDA
	return []handChecked{
		{
			// One organization capped at 50 on a roomy system: A (5)
			// 20–40 and B (4) 20–40. A 30 + B 20 = 230 beats A 40 alone
			// (200). The org cap is inside the Lagrangian subproblem, so
			// the bound is exact.
			name: "OrgCap",
			in: &solver.Instance{
				Systems: []solver.System{{ID: "s", Capacity: 1000, Software: cuda}},
				Proposals: []solver.Proposal{
					{ID: "A", OrgID: "o", Score: 5, Requests: req("s", 40), MinFraction: 0.5, Software: cuda},
					{ID: "B", OrgID: "o", Score: 4, Requests: req("s", 40), MinFraction: 0.5, Software: cuda},
				},
				OrgCaps: []solver.OrgCap{{OrgID: "o", Cap: 50}},
			},
			want:  map[string]float64{"A": 30, "B": 20},
			obj:   230,
			exact: true,
			why:   []string{"A:organization's cap of 50 GPU-h"},
		},
		{
			// 30 % of the system is reserved for startups: the big
			// non-startup proposal gets at most 70 even though the
			// startup one only uses 20; 10 h stay unused. 5·70+1·20.
			name: "ReservedShare",
			in: &solver.Instance{
				Systems: []solver.System{{ID: "s", Capacity: 100, Software: cuda}},
				Proposals: []solver.Proposal{
					{ID: "big", OrgID: "o1", Score: 5, Requests: req("s", 100), MinFraction: 0.1, Software: cuda},
					{ID: "startup", OrgID: "o2", Score: 1, Requests: req("s", 20), MinFraction: 0.5, Software: cuda, Classes: []string{"startup"}},
				},
				Reservations: []solver.Reservation{{Class: "startup", Share: 0.3}},
			},
			want:  map[string]float64{"big": 70, "startup": 20},
			obj:   370,
			exact: true,
			why:   []string{"big:30 % of s is reserved for startup"},
		},
	}
}

// handCheckedSoftware are instances where requests name systems that do not
// run the proposal's software.
func handCheckedSoftware() []handChecked {
	cuda, rocm := solver.SoftwareCUDA, solver.SoftwareROCm
	return []handChecked{
		{
			// P needs CUDA and asks for 50 on a ROCm system and 50 on a
			// CUDA one: the ROCm part is dropped, its minimum (0.6) is of
			// the 50 compatible hours. Q asks only for ROCm hours it
			// cannot use and is refused.
			name: "Incompatible",
			in: &solver.Instance{
				Systems: []solver.System{{ID: "amd", Capacity: 100, Software: rocm}, {ID: "nv", Capacity: 100, Software: cuda}},
				Proposals: []solver.Proposal{
					{ID: "P", OrgID: "o1", Score: 3, MinFraction: 0.6, Software: cuda,
						Requests: []solver.Request{{SystemID: "amd", Amount: 50}, {SystemID: "nv", Amount: 50}}},
					{ID: "Q", OrgID: "o2", Score: 5, Requests: req("amd", 30), MinFraction: 0.5, Software: cuda},
				},
			},
			want:  map[string]float64{"P": 50, "Q": 0},
			obj:   150,
			exact: true,
			why:   []string{"P:request of 50 GPU-h on amd is dropped", "Q:none of the requested systems runs its software"},
		},
		{
			// Two systems. F runs anywhere (score 3, 50–100 over both),
			// C only on the CUDA system (score 4, 40–80). Capacity 80
			// each. The best is C 80 on nv and F 50 on amd: 320+150;
			// F on nv first would leave C only 30, below its minimum.
			name: "FlexibleMovesAside",
			in: &solver.Instance{
				Systems: []solver.System{{ID: "amd", Capacity: 80, Software: rocm}, {ID: "nv", Capacity: 80, Software: cuda}},
				Proposals: []solver.Proposal{
					{ID: "F", OrgID: "o1", Score: 3, MinFraction: 0.5, Software: solver.SoftwareAny,
						Requests: []solver.Request{{SystemID: "nv", Amount: 50}, {SystemID: "amd", Amount: 50}}},
					{ID: "C", OrgID: "o2", Score: 4, Requests: req("nv", 80), MinFraction: 0.5, Software: cuda},
				},
			},
			want: map[string]float64{"F": 50, "C": 80},
			obj:  470,
			why:  []string{"C:Granted in full"},
		},
	}
}

// Hand-checked instances: the expected grants and objective are worked out
// in the comments, not taken from the solver.
func TestSolveHandChecked(t *testing.T) {
	var tests []handChecked
	tests = append(tests, handCheckedCapacity()...)
	tests = append(tests, handCheckedSideConstraints()...)
	tests = append(tests, handCheckedSoftware()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkHandChecked(t, tt) })
	}
}

// checkHandChecked solves tt's instance and compares the grants, objective,
// bound and explanations with tt's.
func checkHandChecked(t *testing.T, tt handChecked) {
	res := MustSolve(t, tt.in)
	got := map[string]float64{}
	for _, g := range res.Grants {
		got[g.ProposalID] = g.Granted
	}
	if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	if !near(res.Objective, tt.obj) {
		t.Errorf("objective %g, want %g", res.Objective, tt.obj)
	}
	if res.Bound < tt.obj*(1-1e-9) {
		t.Errorf("bound %g below the optimum %g", res.Bound, tt.obj)
	}
	// "Exact" up to the subgradient's stopping rule (TargetGap 1e-5).
	if tt.exact && res.Bound > tt.obj*(1+2e-5) {
		t.Errorf("bound %g, want exactly %g", res.Bound, tt.obj)
	}
	for _, w := range tt.why {
		id, text, _ := strings.Cut(w, ":")
		g := grantOf(t, res, id)
		if !strings.Contains(strings.Join(g.Explanation, " "), text) {
			t.Errorf("%s: explanation %q lacks %q", id, g.Explanation, text)
		}
	}
}

// On generated instances of several sizes the answer is always feasible,
// minimum shares hold, and the bound is at least the objective.
func TestSolveGeneratedFeasible(t *testing.T) {
	for _, tt := range []struct {
		seed       uint64
		n, systems int
	}{{1, 30, 3}, {2, 200, 6}, {3, 1000, 12}, {4, 2000, 12}} {
		in := solver.Generate(tt.seed, tt.n, tt.systems)
		res := MustSolve(t, in)
		if res.Bound < res.Objective || res.Gap < 0 {
			t.Errorf("seed %d n %d: objective %g bound %g gap %g", tt.seed, tt.n, res.Objective, res.Bound, res.Gap)
		}
		// Large instances have a small duality gap; tiny ones need not.
		if tt.n >= 1000 && res.Gap > 0.005 {
			t.Errorf("seed %d n %d: gap %.4f %%, want < 0.5 %%", tt.seed, tt.n, 100*res.Gap)
		}
		var refused, cut int
		for i, g := range res.Grants {
			switch g.Outcome {
			case solver.OutcomeRefused:
				refused++
			case solver.OutcomeCut:
				cut++
				if g.Granted < in.Proposals[i].MinFraction*g.Compatible*(1-1e-9) {
					t.Errorf("%s cut below its minimum", g.ProposalID)
				}
			}
			if len(g.Explanation) == 0 {
				t.Errorf("%s has no explanation", g.ProposalID)
			}
		}
		// Demand is 2–3× capacity: some must be refused.
		if refused == 0 {
			t.Errorf("seed %d n %d: nobody refused on an oversubscribed instance", tt.seed, tt.n)
		}
	}
}

func TestSolveDeterministic(t *testing.T) {
	in := solver.Generate(7, 1500, 12)
	a := MustSolve(t, in)
	b := MustSolve(t, solver.Generate(7, 1500, 12))
	if diff := cmp.Diff(a, b, cmpopts.IgnoreFields(solver.Result{}, "Elapsed")); diff != "" {
		t.Errorf("two solves differ (-first +second):\n%s", diff)
	}
}

func TestGenerate(t *testing.T) {
	a, b := solver.Generate(42, 3000, 12), solver.Generate(42, 3000, 12)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different instances:\n%s", diff)
	}
	if cmp.Equal(a, solver.Generate(43, 3000, 12)) {
		t.Fatal("different seeds, same instance")
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	sw := map[solver.Software]int{}
	demand := map[string]float64{}
	capOf := map[string]float64{}
	for _, s := range a.Systems {
		capOf[s.ID] = s.Capacity
	}
	swOf := map[string]solver.Software{}
	for _, s := range a.Systems {
		swOf[s.ID] = s.Software
	}
	for _, p := range a.Proposals {
		sw[p.Software]++
		if p.MinFraction < 0.3 || p.MinFraction > 0.8 {
			t.Errorf("%s: min fraction %g", p.ID, p.MinFraction)
		}
		if p.Score < 1 || p.Score > 5 {
			t.Errorf("%s: score %g", p.ID, p.Score)
		}
		if len(p.Requests) < 1 || len(p.Requests) > 3 {
			t.Errorf("%s: %d requests", p.ID, len(p.Requests))
		}
		var tot float64
		for _, r := range p.Requests {
			tot += r.Amount
			if solver.Compatible(p.Software, swOf[r.SystemID]) {
				demand[r.SystemID] += r.Amount
			}
		}
		if tot < 900 || tot > 500100 {
			t.Errorf("%s: total request %g", p.ID, tot)
		}
	}
	n := float64(len(a.Proposals))
	for s, want := range map[solver.Software]float64{solver.SoftwareROCm: 0.3, solver.SoftwareCUDA: 0.5, solver.SoftwareAny: 0.2} {
		if got := float64(sw[s]) / n; math.Abs(got-want) > 0.03 {
			t.Errorf("share of %s proposals %.3f, want about %.2f", s, got, want)
		}
	}
	for id, d := range demand {
		if r := d / capOf[id]; r < 1.99 || r > 3.01 {
			t.Errorf("%s oversubscribed %.2f×, want 2–3×", id, r)
		}
	}
	if len(a.OrgCaps) == 0 || len(a.Reservations) != 1 || a.Reservations[0].Share < 0.2 || a.Reservations[0].Share > 0.3 {
		t.Errorf("org caps %d, reservations %+v", len(a.OrgCaps), a.Reservations)
	}
}

func TestValidate(t *testing.T) {
	in := &solver.Instance{
		Systems: []solver.System{{ID: "s", Capacity: -1, Software: "gpu"}},
		Proposals: []solver.Proposal{
			{ID: "p", OrgID: "o", Score: 0, MinFraction: 1.5, Software: solver.SoftwareCUDA,
				Requests: []solver.Request{{SystemID: "nope", Amount: 10}, {SystemID: "s", Amount: 0}}},
			{ID: "p", OrgID: "o", Score: 1, MinFraction: 0.5, Software: solver.SoftwareCUDA},
		},
		Reservations: []solver.Reservation{{Class: "startup", Share: 1.2}},
	}
	_, err := solver.Solve(context.Background(), in, solver.Options{})
	if pactum.ErrorCode(err) != pactum.EINVALID {
		t.Fatalf("Solve error %v, want EINVALID", err)
	}
	var fields []string
	for _, f := range pactum.ErrorFields(err) {
		fields = append(fields, f.Field)
	}
	want := []string{
		"systems[0].capacity", "systems[0].software",
		"proposals[0].score", "proposals[0].min_fraction",
		"proposals[0].requests[0].system_id", "proposals[0].requests[1].amount",
		"proposals[1].id", "reservations[0].share",
	}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestSolveEmpty(t *testing.T) {
	res := MustSolve(t, &solver.Instance{Systems: []solver.System{{ID: "s", Capacity: 10, Software: solver.SoftwareAny}}})
	if res.Objective != 0 || res.Bound != 0 || len(res.Grants) != 0 {
		t.Errorf("empty instance: %+v", res)
	}
}

func TestSolveCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := solver.Solve(ctx, solver.Generate(1, 10, 2), solver.Options{}); err == nil {
		t.Fatal("Solve on a canceled context succeeded")
	}
}
