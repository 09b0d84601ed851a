// SPDX-License-Identifier: EUPL-1.2

package solver_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/solver"
)

// requireCBC returns cbc's path, or skips the test when cbc is missing
// unless PACTUM_REQUIRE_CBC=1 (set by .ci/run), in which case it fails.
func requireCBC(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("cbc")
	if err != nil {
		if os.Getenv("PACTUM_REQUIRE_CBC") == "1" {
			tb.Fatalf("PACTUM_REQUIRE_CBC=1 but cbc is not installed: %v", err)
		}
		tb.Skip("cbc not installed (apt-get install coinor-cbc)")
	}
	return p
}

func TestWriteLP(t *testing.T) {
	in := &solver.Instance{
		Systems: []solver.System{{ID: "amd", Capacity: 100, Software: solver.SoftwareROCm}, {ID: "nv", Capacity: 80, Software: solver.SoftwareCUDA}},
		Proposals: []solver.Proposal{
			{ID: "P", OrgID: "o", Score: 3, MinFraction: 0.5, Software: solver.SoftwareAny, Classes: []string{"startup"},
				Requests: []solver.Request{{SystemID: "nv", Amount: 40}, {SystemID: "amd", Amount: 60}}},
			{ID: "Q", OrgID: "o", Score: 2.5, MinFraction: 0.25, Software: solver.SoftwareCUDA,
				Requests: []solver.Request{{SystemID: "amd", Amount: 10}, {SystemID: "nv", Amount: 20}}},
		},
		OrgCaps:      []solver.OrgCap{{OrgID: "o", Cap: 70}},
		Reservations: []solver.Reservation{{Class: "startup", Share: 0.25}},
	}
	var buf bytes.Buffer
	if err := solver.WriteLP(&buf, in); err != nil {
		t.Fatal(err)
	}
	// Q's request on amd is incompatible and absent; its minimum is 0.25
	// of its 20 compatible hours. Only Q is outside the startup class, so
	// only it appears in the reserve row of nv (0.75 × 80).
	want := `\ pactum allocation model
Maximize
 obj: 3 g0_1 + 3 g0_0 + 2.5 g1_1
Subject To
 cap0: g0_0 <= 100
 cap1: g0_1 + g1_1 <= 80
 res0_1: g1_1 <= 60
 org0: g0_1 + g0_0 + g1_1 <= 70
 ub0_1: g0_1 - 40 y0 <= 0
 ub0_0: g0_0 - 60 y0 <= 0
 min0: g0_1 + g0_0 - 50 y0 >= 0
 ub1_1: g1_1 - 20 y1 <= 0
 min1: g1_1 - 5 y1 >= 0
Binaries
 y0 y1
End
`
	if got := buf.String(); got != want {
		t.Errorf("LP file:\n%s\nwant:\n%s", got, want)
	}
}

// A fake cbc that writes a fixed solution file checks the adapter's
// command line and parsing without cbc installed.
func TestRunCBCFake(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "cbc")
	script := `#!/bin/sh
# args: model.lp -sec 5 -solve -solu FILE
[ "$2" = "-sec" ] && [ "$3" = "5" ] && [ "$4" = "-solve" ] && [ "$5" = "-solu" ] || { echo "bad args: $*"; exit 2; }
grep -q "^ min1: g1_0 - 45 y1 >= 0$" "$1" || { echo "model lacks min1"; exit 3; }
cat > "$6" <<SOL
Optimal - objective value 400.00000000
      0 g0_0                    80                       0
      1 g1_0                     0                      -1
      2 y0                       1                       0
      3 y1                       0                       0
SOL
echo "Result - Optimal solution found"
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	in := oneSystem(100,
		solver.Proposal{ID: "A", OrgID: "o1", Score: 5, Requests: req("s", 80), MinFraction: 0.5, Software: solver.SoftwareCUDA},
		solver.Proposal{ID: "B", OrgID: "o2", Score: 4, Requests: req("s", 90), MinFraction: 0.5, Software: solver.SoftwareCUDA},
	)
	res, err := solver.RunCBC(context.Background(), in, solver.CBCOptions{Path: fake, TimeLimit: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Optimal || res.Status != "Optimal" || res.Objective != 400 || res.Bound != 400 {
		t.Errorf("got %+v", res)
	}
	if res.Grants[0][0] != 80 || res.Grants[1][0] != 0 {
		t.Errorf("grants %v", res.Grants)
	}
	if err := solver.CheckGrants(in, res.Grants); err != nil {
		t.Error(err)
	}
}

func TestRunCBCMissing(t *testing.T) {
	_, err := solver.RunCBC(context.Background(), solver.Generate(1, 5, 2), solver.CBCOptions{Path: filepath.Join(t.TempDir(), "no-cbc")})
	if !errors.Is(err, solver.ErrCBCNotFound) {
		t.Fatalf("err %v, want ErrCBCNotFound", err)
	}
}

// Check must catch every kind of violation; each case breaks one rule of a
// valid solution.
func TestCheckCatches(t *testing.T) {
	in := &solver.Instance{
		Systems: []solver.System{{ID: "s", Capacity: 100, Software: solver.SoftwareCUDA}},
		Proposals: []solver.Proposal{
			{ID: "A", OrgID: "o", Score: 2, Requests: req("s", 60), MinFraction: 0.5, Software: solver.SoftwareCUDA},
			{ID: "B", OrgID: "o", Score: 1, Requests: req("s", 60), MinFraction: 0.5, Software: solver.SoftwareCUDA, Classes: []string{"startup"}},
		},
		OrgCaps:      []solver.OrgCap{{OrgID: "o", Cap: 95}},
		Reservations: []solver.Reservation{{Class: "startup", Share: 0.5}},
	}
	// A valid solution: A 50 (≤ 50 outside the startup class), B 45.
	valid := [][]float64{{50}, {45}}
	if err := solver.CheckGrants(in, valid); err != nil {
		t.Fatalf("valid solution rejected: %v", err)
	}
	for _, tt := range []struct {
		name   string
		grants [][]float64
		want   string
	}{
		{"AboveRequest", [][]float64{{61}, {0}}, "allowed [0, 60]"},
		{"BelowMinimum", [][]float64{{50}, {20}}, "below its minimum share"},
		{"Capacity", [][]float64{{50}, {60}}, "capacity 100"},
		{"Reserve", [][]float64{{55}, {40}}, "outside class \"startup\""},
		{"OrgCap", [][]float64{{50}, {46}}, "cap 95"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := solver.CheckGrants(in, tt.grants)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	res := MustSolve(t, in)
	bad := *res
	bad.Objective++
	if err := solver.Check(in, &bad); err == nil || !strings.Contains(err.Error(), "objective") {
		t.Errorf("wrong objective not caught: %v", err)
	}
	bad = *res
	bad.Bound = res.Objective / 2
	if err := solver.Check(in, &bad); err == nil || !strings.Contains(err.Error(), "bound") {
		t.Errorf("bound below objective not caught: %v", err)
	}
}

// On small seeded instances cbc proves the optimum: Go's objective can
// never exceed it and Go's bound can never fall below it.
func TestAgainstCBCSmall(t *testing.T) {
	path := requireCBC(t)
	for seed := uint64(1); seed <= 6; seed++ {
		in := solver.Generate(seed, 40, 4)
		res := MustSolve(t, in)
		cr, err := solver.RunCBC(context.Background(), in, solver.CBCOptions{Path: path, TimeLimit: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !cr.Optimal {
			t.Fatalf("seed %d: cbc status %s", seed, cr.Status)
		}
		if err := solver.CheckGrants(in, cr.Grants); err != nil {
			t.Errorf("seed %d: cbc's solution infeasible for Check: %v", seed, err)
		}
		tol := 1e-6 * cr.Objective
		if res.Objective > cr.Objective+tol {
			t.Errorf("seed %d: Go objective %.3f above cbc's optimum %.3f", seed, res.Objective, cr.Objective)
		}
		if res.Bound < cr.Objective-tol {
			t.Errorf("seed %d: Go bound %.3f below cbc's optimum %.3f", seed, res.Bound, cr.Objective)
		}
		t.Logf("seed %d: cbc %.1f, Go %.1f (%.3f %% below), Go bound %.3f %% above", seed, cr.Objective, res.Objective,
			100*(cr.Objective-res.Objective)/cr.Objective, 100*(res.Bound-cr.Objective)/cr.Objective)
	}
}

// The CI comparison: on 500 proposals × 12 systems the pure-Go objective is
// within 0.5 % of cbc's proven optimum, and Go's bound is not below it.
func TestCompareWithCBC500(t *testing.T) {
	path := requireCBC(t)
	for _, seed := range []uint64{1, 2} {
		in := solver.Generate(seed, 500, 12)
		c, err := solver.CompareWithCBC(context.Background(), in, solver.Options{}, solver.CBCOptions{Path: path, TimeLimit: 120 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := solver.Check(in, c.Go); err != nil {
			t.Fatal(err)
		}
		if c.CBCFeasible != nil {
			t.Errorf("cbc's solution fails Check: %v", c.CBCFeasible)
		}
		if !c.CBC.Optimal {
			t.Fatalf("cbc did not prove optimality: %s", c.CBC.Status)
		}
		if c.RelDiff > 0.005 {
			t.Errorf("seed %d: Go objective %.1f is %.3f %% below cbc's %.1f, want ≤ 0.5 %%", seed, c.Go.Objective, 100*c.RelDiff, c.CBC.Objective)
		}
		if !c.BoundHolds || c.Go.Bound < c.CBC.Objective*(1-1e-6) {
			t.Errorf("seed %d: Go bound %.1f below cbc's optimum %.1f", seed, c.Go.Bound, c.CBC.Objective)
		}
		t.Logf("seed %d: Go %.1f in %v (bound %.1f, gap %.3f %%); cbc %.1f in %v; Go %.3f %% below cbc",
			seed, c.Go.Objective, c.Go.Elapsed, c.Go.Bound, 100*c.Go.Gap, c.CBC.Objective, c.CBC.Elapsed, 100*c.RelDiff)
	}
}
