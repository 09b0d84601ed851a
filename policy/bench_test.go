// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"testing"

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
			b.ReportMetric(float64(len(d.Findings)), "findings")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Screen(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "screenings/s")
		})
	}
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
