// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// draftFields names the fields ValidateDraft and ValidateAgainst find at
// fault.
func draftFields(t *testing.T, p *pactum.Proposal) (draft, full []string) {
	t.Helper()
	c, systems := validCall(), map[string]*pactum.System{"leonardo-booster": {ID: "leonardo-booster", Nodes: 10, GPUsPerNode: 4}}
	for _, f := range pactum.ErrorFields(p.ValidateDraft(c, systems)) {
		draft = append(draft, f.Field)
	}
	for _, f := range pactum.ErrorFields(p.ValidateAgainst(c, systems)) {
		full = append(full, f.Field)
	}
	return draft, full
}

// TestValidateDraft: what a draft leaves out is left for submission, what
// it gives wrong is refused at once; every draft problem is a submission
// problem too, so a draft that passes ValidateAgainst passes ValidateDraft.
func TestValidateDraft(t *testing.T) {
	cases := []struct {
		name string
		edit func(p *pactum.Proposal)
		// draft: the fields the draft check names; missing: those only
		// submission names.
		draft, missing []string
	}{
		{"complete", func(*pactum.Proposal) {}, nil, nil},
		{"empty but for the call", func(p *pactum.Proposal) { *p = pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: "c"}} },
			nil, []string{"mode", "title", "summary", "requests", "duration_months", "ai_work.model_type", "ai_work.output_modalities",
				"ai_work.intended_use", "ai_work.purpose", "ai_work.data_provenance.sources"}},
		{"no call", func(p *pactum.Proposal) { p.CallID = "" }, []string{"call_id"}, nil},
		{"amount not yet given", func(p *pactum.Proposal) { p.Requests[0].Amount = 0 }, nil, []string{"requests[0].amount"}},
		{"negative amount", func(p *pactum.Proposal) { p.Requests[0].Amount = -1 }, []string{"requests[0].amount"}, nil},
		{"unknown system", func(p *pactum.Proposal) { p.Requests[0].SystemID = "nope" }, []string{"requests[0].system_id"}, nil},
		{"mode not offered", func(p *pactum.Proposal) { p.Mode = pactum.ModeRegular }, []string{"mode"}, nil},
		{"unknown mode", func(p *pactum.Proposal) { p.Mode = "turbo" }, []string{"mode"}, nil},
		{"duration out of range", func(p *pactum.Proposal) { p.DurationMonths = 40 }, []string{"duration_months"}, nil},
		{"control character", func(p *pactum.Proposal) { p.Summary = "a\x00b" }, []string{"summary"}, nil},
		{"title too long", func(p *pactum.Proposal) { p.Title = strings.Repeat("x", 201) }, []string{"title"}, nil},
		{"team member half written", func(p *pactum.Proposal) { p.Team[0].Organization, p.Team[0].Email = "", "" },
			nil, []string{"team[0].email", "team[0].organization"}},
		{"bad e-mail", func(p *pactum.Proposal) { p.Team[0].Email = "not an address" }, []string{"team[0].email"}, nil},
		{"ethics yes without details", func(p *pactum.Proposal) { p.Ethics.Animals.Yes = true }, nil, []string{"ethics.animals.details"}},
		{"personal data not in the ethics table", func(p *pactum.Proposal) { p.AIWork.DataProvenance.PersonalData = true },
			nil, []string{"ethics.personal_data.yes"}},
		{"bad answer", func(p *pactum.Proposal) { p.Questionnaire = map[string]pactum.Answer{"q1": "maybe"} }, []string{"questionnaire.q1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validProposal()
			tc.edit(p)
			draft, full := draftFields(t, p)
			if !slices.Equal(draft, tc.draft) {
				t.Errorf("draft check names %v, want %v", draft, tc.draft)
			}
			for _, f := range draft {
				if !slices.Contains(full, f) {
					t.Errorf("the draft check names %s, submission does not (%v)", f, full)
				}
			}
			want := append(slices.Clone(tc.draft), tc.missing...)
			slices.Sort(want)
			got := slices.Clone(full)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
				t.Errorf("submission names %v, want %v", full, want)
			}
		})
	}
}
