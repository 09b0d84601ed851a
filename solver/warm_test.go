// SPDX-License-Identifier: EUPL-1.2

package solver_test

import (
	"context"
	"testing"

	"github.com/pactum/pactum/solver"
)

// whatIf returns a copy of in with system s's capacity scaled by f.
func whatIf(in *solver.Instance, s int, f float64) *solver.Instance {
	out := *in
	out.Systems = append([]solver.System(nil), in.Systems...)
	out.Systems[s].Capacity *= f
	return &out
}

// A warm start from the same instance keeps at least the previous
// objective (the previous solution is still feasible and is the first
// incumbent), and its bound is still a valid one.
func TestWarmSameInstanceKeepsObjective(t *testing.T) {
	in := solver.Generate(3, 300, 6)
	cold := MustSolve(t, in)
	if len(cold.Duals) != len(in.Systems)*(1+len(in.Reservations)) {
		t.Fatalf("%d duals for %d systems and %d reservations", len(cold.Duals), len(in.Systems), len(in.Reservations))
	}
	warm, err := solver.Solve(context.Background(), in, solver.Options{Warm: solver.WarmFrom(cold)})
	if err != nil {
		t.Fatal(err)
	}
	if err := solver.Check(in, warm); err != nil {
		t.Fatal(err)
	}
	if !warm.Warm || cold.Warm {
		t.Errorf("Warm flags: cold %v, warm %v", cold.Warm, warm.Warm)
	}
	if warm.Objective < cold.Objective*(1-1e-9) {
		t.Errorf("warm objective %f below the previous solution's %f", warm.Objective, cold.Objective)
	}
	// Both bounds are upper bounds on both objectives.
	for _, b := range []float64{cold.Bound, warm.Bound} {
		for _, z := range []float64{cold.Objective, warm.Objective} {
			if b < z*(1-1e-9) {
				t.Errorf("bound %f below objective %f", b, z)
			}
		}
	}
	if warm.Iterations >= cold.Iterations {
		t.Errorf("warm took %d iterations, cold %d", warm.Iterations, cold.Iterations)
	}
}

// After a capacity change the previous grants no longer fit: the repaired
// warm solution must be feasible for the new instance, its bound valid
// against the cold solve of it, and its gap within a few hundredths of a
// percent of the cold one's.
func TestWarmAfterCapacityChange(t *testing.T) {
	in := solver.Generate(1, 600, 12)
	base := MustSolve(t, in)
	for _, f := range []float64{0.5, 0.9, 1.1} {
		next := whatIf(in, 2, f)
		cold := MustSolve(t, next)
		warm, err := solver.Solve(context.Background(), next, solver.Options{Warm: solver.WarmFrom(base)})
		if err != nil {
			t.Fatal(err)
		}
		if err := solver.Check(next, warm); err != nil {
			t.Fatalf("×%g: warm solution infeasible: %v", f, err)
		}
		if warm.Bound < cold.Objective*(1-1e-9) || cold.Bound < warm.Objective*(1-1e-9) {
			t.Errorf("×%g: bounds cross: cold %f/%f, warm %f/%f", f, cold.Objective, cold.Bound, warm.Objective, warm.Bound)
		}
		if warm.Gap > cold.Gap+0.001 {
			t.Errorf("×%g: warm gap %.4f %% against cold %.4f %%", f, 100*warm.Gap, 100*cold.Gap)
		}
		t.Logf("×%g: cold %d it gap %.4f %%, warm %d it gap %.4f %%", f, cold.Iterations, 100*cold.Gap, warm.Iterations, 100*warm.Gap)
	}
}

// Warm data naming proposals, systems or classes the instance does not
// have is ignored, and absurd grants are clipped to the requests.
func TestWarmIgnoresUnknownAndAbsurd(t *testing.T) {
	in := solver.Generate(2, 100, 4)
	w := &solver.WarmStart{
		Grants: map[string]map[string]float64{"nope": {"x": 5}},
		Duals:  []solver.Dual{{SystemID: "nope", Value: 3}, {SystemID: in.Systems[0].ID, Value: -1}},
	}
	for _, p := range in.Proposals[:20] {
		w.Grants[p.ID] = map[string]float64{in.Systems[0].ID: 1e300, "ghost": 7}
	}
	res, err := solver.Solve(context.Background(), in, solver.Options{Warm: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := solver.Check(in, res); err != nil {
		t.Fatal(err)
	}
}
