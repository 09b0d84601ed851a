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
// exercises eligibility, GPAI, Art. 50, Annex III, the ethics rules and the
// text checks, and fires about a dozen findings whose messages are
// rendered.
func typicalInput() *pactum.ScreeningInput {
	in := llmInput()
	in.Organization.Country = "NO"
	in.Proposal.AIAct.AnnexIII = []string{"4a"}
	in.Proposal.AIAct.InteractsWithPersons = true
	in.Proposal.AIWork.DataProvenance.PersonalData = true
	in.Proposal.Ethics.PersonalData = pactum.EthicsAnswer{Yes: true, Details: "CVs, pseudonymised."}
	// Texts of a realistic length (about 150 words), which the text checks
	// read: the recruitment use is declared (4a), so the words agree.
	in.Proposal.Title = "Multilingual 7B model for European HR software"
	in.Proposal.Summary = "We pre-train a 7B decoder-only language model on 2.4 trillion tokens of European " +
		"languages, with a focus on the smaller ones such as Estonian, Slovene and Maltese. The model will be " +
		"fine-tuned to draft job descriptions and to match CVs against open positions for our customers, " +
		"mid-sized employers across the EU. Recruiters always review the ranking and decide. We evaluate on " +
		"public multilingual benchmarks and publish the results, and we measure bias across languages and genders."
	in.Proposal.AIWork.IntendedUse = "Drafting job advertisements and ranking job applicants for recruiters, who make " +
		"every decision; a chat interface explains each ranking."
	in.Proposal.AIWork.DataProvenance.Description = "Filtered Common Crawl in 24 languages honouring opt-outs, " +
		"public-domain books, and pseudonymised CVs licensed from two job boards with the candidates' consent."
	return in
}

// typicalShortInput is typicalInput with the short texts of llmInput (a
// title and one-line summary, use and data description): the input the
// benchmark used before the text checks, to compare like with like.
func typicalShortInput() *pactum.ScreeningInput {
	in, short := typicalInput(), llmInput()
	in.Proposal.Title, in.Proposal.Summary = short.Proposal.Title, short.Proposal.Summary
	in.Proposal.AIWork.IntendedUse = short.Proposal.AIWork.IntendedUse
	in.Proposal.AIWork.DataProvenance.Description = short.Proposal.AIWork.DataProvenance.Description
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
	}{{"typical", typicalInput()}, {"clean", cleanInput()}, {"typical-short-text", typicalShortInput()}} {
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
