// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"testing"

	"github.com/pactum/pactum"
)

// BenchmarkTextChecks runs the text checks alone over a proposal of about
// 150 words, for the share of the text checks in BenchmarkScreen.
func BenchmarkTextChecks(b *testing.B) {
	rs, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	p := &pactum.Proposal{}
	p.Title = "Multilingual 7B model for European HR software"
	p.Summary = "We pre-train a 7B decoder-only language model on 2.4 trillion tokens of European " +
		"languages, with a focus on the smaller ones such as Estonian, Slovene and Maltese. The model will be " +
		"fine-tuned to draft job descriptions and to match CVs against open positions for our customers, " +
		"mid-sized employers across the EU. Recruiters always review the ranking and decide. We evaluate on " +
		"public multilingual benchmarks and publish the results, and we measure bias across languages and genders."
	p.AIWork.IntendedUse = "Drafting job advertisements and ranking job applicants for recruiters, who make " +
		"every decision; a chat interface explains each ranking."
	p.AIWork.DataProvenance.Description = "Filtered Common Crawl in 24 languages honouring opt-outs, " +
		"public-domain books, and pseudonymised CVs licensed from two job boards with the candidates' consent."
	p.AIAct.AnnexIII = []string{"4a"}
	b.ReportAllocs()
	for b.Loop() {
		if f := rs.text.check(p, &p.AIAct); len(f) != 0 {
			b.Fatal(f)
		}
	}
}
