// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

func TestCheckText(t *testing.T) {
	cases := []struct {
		name      string
		value     string
		multiline bool
		ok        bool
		found     string // the code point the message names
	}{
		{"plain", "Aleph Alpha GmbH", false, true, ""},
		{"accents and scripts", "Société Générale · Ελληνικά · 日本語 · عربي", false, true, ""},
		{"zero-width joiner in an emoji", "👩\u200d💻", false, true, ""},
		{"zero-width non-joiner (Persian)", "می\u200cخواهم", false, true, ""},
		{"empty", "", false, true, ""},
		{"NUL", "a\x00b", false, false, "U+0000"},
		{"BEL", "a\ab", true, false, "U+0007"},
		{"ESC sequence", "\x1b[31mred\x1b[0m", true, false, "U+001B"},
		{"DEL", "a\x7fb", true, false, "U+007F"},
		{"C1 CSI", "a\u009bb", true, false, "U+009B"},
		{"right-to-left override", "invoice\u202efdp.exe", false, false, "U+202E"},
		{"left-to-right embedding", "a\u202ab", true, false, "U+202A"},
		{"right-to-left isolate", "a\u2067b", true, false, "U+2067"},
		{"pop directional isolate", "a\u2069b", true, false, "U+2069"},
		{"right-to-left mark", "a\u200fb", true, false, "U+200F"},
		{"Arabic letter mark", "a\u061cb", true, false, "U+061C"},
		{"line separator", "a\u2028b", true, false, "U+2028"},
		{"paragraph separator", "a\u2029b", true, false, "U+2029"},
		{"byte-order mark", "\ufeffa", true, false, "U+FEFF"},
		{"not UTF-8", "a\xffb", true, false, "UTF-8"},
		{"newline in multi-line text", "first line\nsecond line", true, true, ""},
		{"tab in multi-line text", "col\tcol", true, true, ""},
		{"CRLF in multi-line text", "first\r\nsecond", true, true, ""},
		{"bare CR in multi-line text", "first\rsecond", true, false, "U+000D"},
		{"CR at the end of multi-line text", "first\r", true, false, "U+000D"},
		{"newline in a single line", "first\nsecond", false, false, "U+000A"},
		{"tab in a single line", "a\tb", false, false, "U+0009"},
		{"vertical tab in multi-line text", "a\vb", true, false, "U+000B"},
		{"form feed in multi-line text", "a\fb", true, false, "U+000C"},
	}
	for _, tc := range cases {
		err := pactum.CheckText("summary", tc.value, tc.multiline)
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tc.name, err)
			continue
		}
		f := pactum.ErrorFields(err)
		if len(f) != 1 || f[0].Field != "summary" || !strings.Contains(f[0].Message, tc.found) {
			t.Errorf("%s: fields %+v, want summary naming %s", tc.name, f, tc.found)
		}
		// The message must not carry the offending character back.
		for _, r := range pactum.ErrorMessage(err) + f[0].Message {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x202e || r == 0xfffd {
				t.Errorf("%s: message %q carries %U", tc.name, f[0].Message, r)
			}
		}
	}
}

func TestCheckNote(t *testing.T) {
	for _, tc := range []struct {
		text     string
		required bool
		want     string // "" for valid; else a word of the message
	}{
		{"", false, ""},
		{"", true, "required"},
		{"  ", true, "required"},
		{strings.Repeat("x", 11), false, "at most 10"},
		{"ok\nfine", true, ""},
		{"bad\x1b[2J", true, "U+001B"},
	} {
		err := pactum.CheckNote("The reason is not valid.", "reason", tc.text, tc.required, 10, true)
		f := pactum.ErrorFields(err)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.text, err)
		case tc.want != "" && (len(f) != 1 || f[0].Field != "reason" || !strings.Contains(f[0].Message, tc.want)):
			t.Errorf("%q: %v, want reason: …%s…", tc.text, err, tc.want)
		}
	}
}

// TestTextFields puts an escape sequence into every text field of every
// input the domain validates, and a newline into its single-line fields:
// each must be refused naming the field. Multi-line fields take newlines.
func TestTextFields(t *testing.T) {
	const esc = "ok \x1b]0;pwned\a"
	type textCase struct {
		field     string
		multiline bool
		validate  func(s string) error
	}
	prop := func(set func(p *pactum.Proposal, s string)) func(string) error {
		return func(s string) error { p := validProposal(); set(p, s); return p.Validate() }
	}
	org := func(set func(o *pactum.Organization, s string)) func(string) error {
		return func(s string) error { o := validOrg(); set(o, s); return o.Validate(boundsNow) }
	}
	call := func(set func(c *pactum.Call, s string)) func(string) error {
		return func(s string) error { c := validCall(); set(c, s); return c.Validate(boundsNow) }
	}
	review := func(set func(in *pactum.ReviewInput, s string)) func(string) error {
		return func(s string) error {
			in := &pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions, CommentsForApplicant: "Good.", Conditions: []string{"A DPIA."}}
			set(in, s)
			return in.Validate(pactum.ReviewContext{Stage: pactum.StageEthics})
		}
	}
	reviewer := func(set func(r *pactum.ReviewerProfile, s string)) func(string) error {
		return func(s string) error {
			r := &pactum.ReviewerProfile{Expertise: []string{"speech"}, Affiliations: []pactum.Affiliation{{Organization: "Uni"}},
				DeclaredConflicts: []pactum.DeclaredConflict{{Organization: "Rival", Reason: "Former employer."}}}
			set(r, s)
			return r.Validate(boundsNow)
		}
	}
	user := func(set func(u *pactum.User, s string)) func(string) error {
		return func(s string) error {
			u := &pactum.User{Email: "ops@csc.example", Name: "Ops", Role: pactum.RoleSiteOperator, Site: "CSC"}
			set(u, s)
			return u.Validate()
		}
	}
	rubric := func(set func(r *pactum.Rubric, s string)) func(string) error {
		return func(s string) error {
			r := &pactum.Rubric{Version: "v1", Criteria: []pactum.RubricCriterion{{ID: "excellence", Name: "Excellence", Weight: 1, Threshold: 3}},
				PassScore: 3, MinReviewers: 1}
			set(r, s)
			return r.Validate()
		}
	}
	drift := func(set func(d *pactum.DriftItem, s string)) func(string) error {
		return func(s string) error {
			r := &pactum.DriftReport{Cluster: "leonardo", Items: []pactum.DriftItem{{Account: "pct_x", Action: "set_limits", Found: "none"}}}
			set(&r.Items[0], s)
			return r.Validate()
		}
	}
	cases := []textCase{
		{"title", false, prop(func(p *pactum.Proposal, s string) { p.Title = s })},
		{"summary", true, prop(func(p *pactum.Proposal, s string) { p.Summary = s })},
		{"requests[0].support", true, prop(func(p *pactum.Proposal, s string) { p.Requests[0].Support = s })},
		{"team[0].name", false, prop(func(p *pactum.Proposal, s string) { p.Team[0].Name = s })},
		{"team[0].organization", false, prop(func(p *pactum.Proposal, s string) { p.Team[0].Organization = s })},
		{"ai_work.base_model", false, prop(func(p *pactum.Proposal, s string) { p.AIWork.BaseModel = s })},
		{"ai_work.intended_use", true, prop(func(p *pactum.Proposal, s string) { p.AIWork.IntendedUse = s })},
		{"ai_work.market", false, prop(func(p *pactum.Proposal, s string) { p.AIWork.Market = s })},
		{"ai_work.data_provenance.description", true, prop(func(p *pactum.Proposal, s string) { p.AIWork.DataProvenance.Description = s })},
		{"ethics.animals.details", true, prop(func(p *pactum.Proposal, s string) { p.Ethics.Animals = pactum.EthicsAnswer{Yes: true, Details: s} })},
		{"pledges.optional[0]", false, prop(func(p *pactum.Proposal, s string) { p.Pledges.Optional = []string{s} })},
		{"legal_name", false, org(func(o *pactum.Organization, s string) { o.LegalName = s })},
		{"registration_number", false, org(func(o *pactum.Organization, s string) { o.RegistrationNumber = s })},
		{"title", false, call(func(c *pactum.Call, s string) { c.Title = s })},
		{"description", true, call(func(c *pactum.Call, s string) { c.Description = s })},
		{"comments_for_applicant", true, review(func(in *pactum.ReviewInput, s string) { in.CommentsForApplicant = s })},
		{"confidential_comments", true, review(func(in *pactum.ReviewInput, s string) { in.ConfidentialComments = s })},
		{"conditions[0]", true, review(func(in *pactum.ReviewInput, s string) { in.Conditions[0] = s })},
		{"expertise[0]", false, reviewer(func(r *pactum.ReviewerProfile, s string) { r.Expertise[0] = s })},
		{"affiliations[0].organization", false, reviewer(func(r *pactum.ReviewerProfile, s string) { r.Affiliations[0].Organization = s })},
		{"declared_conflicts[0].organization", false, reviewer(func(r *pactum.ReviewerProfile, s string) { r.DeclaredConflicts[0].Organization = s })},
		{"declared_conflicts[0].reason", true, reviewer(func(r *pactum.ReviewerProfile, s string) { r.DeclaredConflicts[0].Reason = s })},
		{"name", false, user(func(u *pactum.User, s string) { u.Name = s })},
		{"site", false, user(func(u *pactum.User, s string) { u.Site = s })},
		{"version", false, rubric(func(r *pactum.Rubric, s string) { r.Version = s })},
		{"criteria[0].name", false, rubric(func(r *pactum.Rubric, s string) { r.Criteria[0].Name = s })},
		{"criteria[0].description", true, rubric(func(r *pactum.Rubric, s string) { r.Criteria[0].Description = s })},
		{"items[0].action", false, drift(func(d *pactum.DriftItem, s string) { d.Action = s })},
		{"items[0].found", false, drift(func(d *pactum.DriftItem, s string) { d.Found = s })},
		{"reason", true, func(s string) error {
			return (&pactum.DecisionInput{Reason: s}).Validate(validProposal())
		}},
		{"statement", true, pactum.ValidateStatement},
		{"override.justification", true, func(s string) error {
			return (&pactum.OverrideInput{Justification: "A flood took out the review: " + s}).Validate()
		}},
	}
	named := func(err error, field string) bool {
		return slices.ContainsFunc(pactum.ErrorFields(err), func(f pactum.FieldError) bool { return f.Field == field })
	}
	for _, tc := range cases {
		if err := tc.validate("Plain words"); err != nil {
			t.Errorf("%s: plain text refused: %v", tc.field, err)
		}
		for _, bad := range []string{esc, "a\x00b", "invoice\u202etxt.exe", "a\u2066b\u2069"} {
			if err := tc.validate(bad); !named(err, tc.field) {
				t.Errorf("%s = %q: got %v, want it named", tc.field, bad, err)
			}
		}
		err := tc.validate("First line\nsecond line\twith a tab")
		if tc.multiline && err != nil {
			t.Errorf("%s: multi-line text refused: %v", tc.field, err)
		} else if !tc.multiline && !named(err, tc.field) {
			t.Errorf("%s: a newline in single-line text: got %v, want it named", tc.field, err)
		}
	}
}
