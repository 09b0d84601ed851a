// SPDX-License-Identifier: EUPL-1.2

package catalog_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// TestObligations: the embedded terms are valid, give every mode a final
// report, and remind at 14 and 3 days.
func TestObligations(t *testing.T) {
	terms, err := catalog.Obligations()
	if err != nil {
		t.Fatal(err)
	}
	if got := terms.Reminders(); len(got) != 2 || got[0] != 14 || got[1] != 3 {
		t.Errorf("reminders %v, want [14 3]", got)
	}
	for _, m := range pactum.AccessModes {
		mo := terms.For(m)
		if mo == nil {
			t.Errorf("mode %s has no obligations", m)
			continue
		}
		final := false
		for _, tp := range mo.Templates {
			final = final || tp.Kind == pactum.ObligationFinalReport
		}
		if !final {
			t.Errorf("mode %s has no final report", m)
		}
	}
	if terms.For(pactum.ModeLargeScale).BreachAfterDays != 30 || terms.For(pactum.ModeFastLane).BreachAfterDays != 0 {
		t.Errorf("grace: large scale %d, fast lane %d", terms.For(pactum.ModeLargeScale).BreachAfterDays, terms.For(pactum.ModeFastLane).BreachAfterDays)
	}
}

// TestParseObligationsErrors: an operator's file with a mistake is refused
// naming the field.
func TestParseObligationsErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "F"}]}]}`, "modes[0].templates[0].due"},
		{`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "F", "fraction": 0.5, "days_after_end": 3}]}]}`, "modes[0].templates[0].due"},
		{`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "essay", "title": "F", "fraction": 0.5}]}]}`, "modes[0].templates[0].kind"},
		{`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "F", "fraction": 1.5}]}]}`, "modes[0].templates[0].fraction"},
		{`{"modes": [{"mode": "slow_lane", "templates": []}]}`, "modes[0].mode"},
		{`{"modes": [{"mode": "fast_lane", "templates": []}, {"mode": "fast_lane", "templates": []}]}`, "modes[1].mode"},
		{`{"modes": [{"mode": "fast_lane", "breach_after_days": -1, "templates": []}]}`, "modes[0].breach_after_days"},
		{`{"reminder_days": [14, 14], "modes": []}`, "reminder_days[1]"},
		{`{"reminder_days": [0], "modes": []}`, "reminder_days[0]"},
		{`{"modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "a\u0007b", "days_after_end": 3}]}]}`, "modes[0].templates[0].title"},
	} {
		_, err := catalog.ParseObligations([]byte(c.doc))
		if pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(pactum.ErrorMessage(err)+fieldsOf(err), c.want) {
			t.Errorf("%s: got %v, want EINVALID naming %s", c.doc, err, c.want)
		}
	}
	if _, err := catalog.ParseObligations([]byte(`{"modes": [], "reminders": [1]}`)); err == nil {
		t.Error("a misspelt key was accepted")
	}
}

func fieldsOf(err error) string {
	var s []string
	if e, ok := err.(*pactum.Error); ok {
		for _, f := range e.Fields {
			s = append(s, f.Field)
		}
	}
	return strings.Join(s, " ")
}

// FuzzParseObligations: any input is parsed or refused, never a panic, and
// accepted terms are valid and usable.
func FuzzParseObligations(f *testing.F) {
	f.Add([]byte(`{"reminder_days": [14, 3], "modes": [{"mode": "fast_lane", "templates": [{"kind": "final_report", "title": "F", "days_after_end": 30}]}]}`))
	f.Add([]byte(`{"modes": [{"mode": "large_scale", "breach_after_days": 30, "templates": [{"kind": "progress_report", "title": "P", "fraction": 0.5}]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := catalog.ParseObligations(data)
		if err != nil {
			return
		}
		if err := terms.Validate(); err != nil {
			t.Fatalf("accepted invalid terms: %v", err)
		}
		if d := terms.Reminders(); len(d) == 0 {
			t.Fatal("no reminder days")
		}
	})
}
