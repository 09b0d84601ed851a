// SPDX-License-Identifier: EUPL-1.2

package solver_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/pactum/pactum/solver"
)

// benchSolve solves a generated instance b.N times and reports the last
// run's objective, proven bound and gap beside the time per solve.
func benchSolve(b *testing.B, seed uint64, n, systems int) {
	in := solver.Generate(seed, n, systems)
	var res *solver.Result
	var err error
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err = solver.Solve(context.Background(), in, solver.Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := solver.Check(in, res); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Objective, "objective")
	b.ReportMetric(res.Bound, "bound")
	b.ReportMetric(100*res.Gap, "gap_%")
}

func BenchmarkSolve500(b *testing.B) { benchSolve(b, 1, 500, 12) }

// BenchmarkSolve10k is the benchmark: 10,000 proposals × 12 systems.
func BenchmarkSolve10k(b *testing.B) { benchSolve(b, 1, 10000, 12) }

// benchCompare runs Solve and cbc on the same instance and reports both
// objectives and times, Go's distance below cbc and Go's proven gap. cbc
// on 10k proposals takes minutes: run with -benchtime=1x. Skipped when cbc
// is missing.
func benchCompare(b *testing.B, seed uint64, n, systems int, limit time.Duration) {
	path, err := exec.LookPath("cbc")
	if err != nil {
		b.Skip("cbc not installed (apt-get install coinor-cbc)")
	}
	in := solver.Generate(seed, n, systems)
	var c *solver.Comparison
	for i := 0; i < b.N; i++ {
		c, err = solver.CompareWithCBC(context.Background(), in, solver.Options{}, solver.CBCOptions{Path: path, TimeLimit: limit})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := solver.Check(in, c.Go); err != nil {
		b.Fatal(err)
	}
	if c.CBCFeasible != nil {
		b.Fatalf("cbc's solution fails Check: %v", c.CBCFeasible)
	}
	if !c.BoundHolds {
		b.Fatalf("Go bound %f below cbc objective %f", c.Go.Bound, c.CBC.Objective)
	}
	b.ReportMetric(c.Go.Elapsed.Seconds(), "go_s")
	b.ReportMetric(c.Go.Objective, "go_obj")
	b.ReportMetric(100*c.Go.Gap, "go_gap_%")
	b.ReportMetric(c.CBC.Elapsed.Seconds(), "cbc_s")
	b.ReportMetric(c.CBC.Objective, "cbc_obj")
	b.ReportMetric(100*(c.CBC.Bound-c.CBC.Objective)/c.CBC.Bound, "cbc_gap_%")
	b.ReportMetric(100*c.RelDiff, "go_below_cbc_%")
	if !c.CBC.Optimal {
		b.Logf("cbc stopped before proving optimality: %s", c.CBC.Status)
	}
}

func BenchmarkCompare500(b *testing.B) { benchCompare(b, 1, 500, 12, 10*time.Minute) }

func BenchmarkCompare10k(b *testing.B) { benchCompare(b, 1, 10000, 12, 20*time.Minute) }

// BenchmarkWhatIf2000 is the what-if figure: 2,000 proposals × 12 systems,
// one system's capacity cut by 10 % after a solve, solved cold and warm
// from the previous result.
//
//	go test -run '^$' -bench WhatIf2000 -benchtime 3x ./solver/
func BenchmarkWhatIf2000(b *testing.B) {
	in := solver.Generate(1, 2000, 12)
	base, err := solver.Solve(context.Background(), in, solver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	next := *in
	next.Systems = append([]solver.System(nil), in.Systems...)
	next.Systems[5].Capacity *= 0.9
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			var opts solver.Options
			if mode == "warm" {
				opts.Warm = solver.WarmFrom(base)
			}
			var res *solver.Result
			for b.Loop() {
				if res, err = solver.Solve(context.Background(), &next, opts); err != nil {
					b.Fatal(err)
				}
			}
			if err := solver.Check(&next, res); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Iterations), "iterations")
			b.ReportMetric(100*res.Gap, "gap_%")
		})
	}
}
