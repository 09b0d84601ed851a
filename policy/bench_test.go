// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// typicalInput is a fast-lane 7B language model by a Norwegian startup with
// personal data in its training set and an Annex III recruitment use: it
// exercises eligibility, GPAI, Art. 50, Annex III and the ethics rules, and
// fires about a dozen findings whose messages are rendered.
func typicalInput() *pactum.ScreeningInput {
	in := llmInput()
	in.Organization.Country = "NO"
	in.Proposal.AIAct.AnnexIII = []string{"4a"}
	in.Proposal.AIAct.InteractsWithPersons = true
	in.Proposal.AIWork.DataProvenance.PersonalData = true
	in.Proposal.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "CVs, pseudonymised."}
	return in
}

// BenchmarkScreen screens one typical proposal against the full embedded
// ruleset. Run with -cpu 1: ns/op is the latency of one screening and
// screenings/s the throughput of one core.
func BenchmarkScreen(b *testing.B) {
	s := policy.NewScreener(mustDefault(b))
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		in   *pactum.ScreeningInput
	}{{"typical", typicalInput()}, {"clean", cleanInput()}} {
		b.Run(bc.name, func(b *testing.B) {
			d := mustScreen(b, s, bc.in)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				if _, err := s.Screen(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime(b) - cpu0
			b.ReportMetric(float64(len(d.Findings)), "findings")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "screenings/s")
			// CPU time (user + system, GC included) per screening: on a
			// shared machine wall time also counts time spent waiting for
			// a core, which this does not.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the process's CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoad parses and compiles the full embedded ruleset.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.Default(); err != nil {
			b.Fatal(err)
		}
	}
}
