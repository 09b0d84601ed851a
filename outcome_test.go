// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseDOI(t *testing.T) {
	for in, want := range map[string]string{
		"10.1000/182":                              "10.1000/182",
		"  10.5281/zenodo.1234567 ":                "10.5281/zenodo.1234567",
		"doi:10.48550/arXiv.2401.00001":            "10.48550/arXiv.2401.00001",
		"DOI:10.48550/arXiv.2401.00001":            "10.48550/arXiv.2401.00001",
		"https://doi.org/10.1038/s41586-021-03819": "10.1038/s41586-021-03819",
		"http://dx.doi.org/10.1000.10/abc(1)":      "10.1000.10/abc(1)",
	} {
		got, err := ParseDOI(in)
		if err != nil || got != want {
			t.Errorf("ParseDOI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10.1000", "10.1000/", "10.123/abc", "11.1000/abc", "10.10a0/abc", "10..1000/x",
		"10.1000/a b", "10.1000/a\x1bb", "10.1000/a\u202eb", "https://example.org/10.1000/x", "10.1000./x",
		"10.1000/" + strings.Repeat("x", MaxDOI)} {
		if _, err := ParseDOI(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseDOI(%q): %v, want EINVALID", in, err)
		}
	}
}

// FuzzParseDOI: whatever ParseDOI accepts is a normalised DOI it accepts
// again unchanged, within bounds, with no spaces or control characters.
func FuzzParseDOI(f *testing.F) {
	for _, s := range []string{"10.1000/182", "doi:10.5281/zenodo.1", "https://doi.org/10.1038/x", "10.1/x", "10.1000/a\x00", "\u202e10.1000/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDOI(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if !strings.HasPrefix(d, "10.") || !strings.Contains(d, "/") || len(d) > MaxDOI || !utf8.ValidString(d) {
			t.Fatalf("ParseDOI(%q) = %q", s, d)
		}
		if textProblem(d, false) != "" || strings.ContainsAny(d, " \t\n") {
			t.Fatalf("ParseDOI(%q) = %q has control characters or spaces", s, d)
		}
		if again, err := ParseDOI(d); err != nil || again != d {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, d, again, err)
		}
	})
}

func TestValidateOutcome(t *testing.T) {
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	yes := true
	good := map[OutcomeKind]OutcomeFields{
		OutcomePublication: {Title: "Legal LMs", DOI: "https://doi.org/10.1000/182", Venue: "ACL", Year: 2026},
		OutcomeModel:       {Title: "lex-7b", URL: "https://huggingface.co/aleph/lex-7b", Licence: "Apache-2.0", OpenWeights: &yes},
		OutcomeDataset:     {Title: "EU case law", URL: "https://zenodo.org/records/1", Licence: "CC-BY-4.0", DOI: "10.5281/zenodo.1"},
		OutcomeProduct:     {Title: "Drafting assistant"},
		OutcomeFunding:     {Title: "Series A", Funder: "EIC Accelerator", AmountEUR: 2.5e6},
	}
	for k, f := range good {
		if err := ValidateOutcome(k, &f, now); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	pub := good[OutcomePublication]
	if err := ValidateOutcome(OutcomePublication, &pub, now); err != nil || pub.DOI != "10.1000/182" {
		t.Errorf("DOI not normalised: %q %v", pub.DOI, err)
	}
	bad := func(name string, k OutcomeKind, mut func(*OutcomeFields), field string) {
		t.Helper()
		f := good[k]
		mut(&f)
		err := ValidateOutcome(k, &f, now)
		if ErrorCode(err) != EINVALID || !slices.ContainsFunc(ErrorFields(err), func(e FieldError) bool { return e.Field == field }) {
			t.Errorf("%s: got %v, want EINVALID on %s", name, err, field)
		}
	}
	bad("bad DOI", OutcomePublication, func(f *OutcomeFields) { f.DOI = "10.12/x" }, "doi")
	bad("no DOI", OutcomePublication, func(f *OutcomeFields) { f.DOI = "" }, "doi")
	bad("future year", OutcomePublication, func(f *OutcomeFields) { f.Year = 2028 }, "year")
	bad("no venue", OutcomePublication, func(f *OutcomeFields) { f.Venue = "" }, "venue")
	bad("funder on a publication", OutcomePublication, func(f *OutcomeFields) { f.Funder = "x" }, "funder")
	bad("javascript URL", OutcomeModel, func(f *OutcomeFields) { f.URL = "javascript:alert(1)" }, "url")
	bad("URL without host", OutcomeModel, func(f *OutcomeFields) { f.URL = "https://" }, "url")
	bad("URL with escape", OutcomeModel, func(f *OutcomeFields) { f.URL = "https://x.example/\x1b[2J" }, "url")
	bad("huge URL", OutcomeModel, func(f *OutcomeFields) { f.URL = "https://x.example/" + strings.Repeat("a", MaxURL) }, "url")
	bad("open weights unsaid", OutcomeModel, func(f *OutcomeFields) { f.OpenWeights = nil }, "open_weights")
	bad("no licence", OutcomeDataset, func(f *OutcomeFields) { f.Licence = "" }, "licence")
	bad("title with escape", OutcomeProduct, func(f *OutcomeFields) { f.Title = "x\x07" }, "title")
	bad("huge title", OutcomeProduct, func(f *OutcomeFields) { f.Title = strings.Repeat("x", MaxOutcomeText+1) }, "title")
	bad("absurd amount", OutcomeFunding, func(f *OutcomeFields) { f.AmountEUR = 1e15 }, "amount_eur")
	bad("negative amount", OutcomeFunding, func(f *OutcomeFields) { f.AmountEUR = -1 }, "amount_eur")
	bad("no funder", OutcomeFunding, func(f *OutcomeFields) { f.Funder = "" }, "funder")
	f := OutcomeFields{Title: "x"}
	if err := ValidateOutcome("poem", &f, now); ErrorCode(err) != EINVALID {
		t.Errorf("unknown kind: %v", err)
	}
}
