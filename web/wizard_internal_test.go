// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/url"
	"testing"

	"github.com/pactum/pactum"
)

// TestStepOf: every field the validator names lands in the step that
// asks for it, with a label people read.
func TestStepOf(t *testing.T) {
	for field, want := range map[string][2]string{
		"title":                           {"project", "title"},
		"duration_months":                 {"project", "duration months"},
		"requests":                        {"resources", "requests"},
		"requests[0].amount":              {"resources", "request 1: amount"},
		"ai_work.data_provenance.sources": {"ai", "data provenance: sources"},
		"ai_act.emotion_setting":          {"aiact", "emotion setting"},
		"questionnaire.scrapes_faces":     {"aiact", "question"},
		"ethics.personal_data.details":    {"ethics", "personal data: details"},
		"pledges.optional[1]":             {"pledges", "pledges: optional 2"},
		"team[2].email":                   {"team", "team 3: email"},
	} {
		if got := stepOf(field); got != want[0] {
			t.Errorf("stepOf(%q) = %q, want %q", field, got, want[0])
		}
		if got := fieldLabel(field); got != want[1] {
			t.Errorf("fieldLabel(%q) = %q, want %q", field, got, want[1])
		}
	}
}

// TestApplyStep: a step's form fills only its part of the proposal; rows
// left empty ask for nothing; a number that does not parse is EINVALID
// naming the field.
func TestApplyStep(t *testing.T) {
	p := &pactum.Proposal{}
	p.Title = "Kept"
	f := url.Values{"system": {"lumi-g", "mn5-acc"}, "amount.lumi-g": {"20,000"}, "gpus.lumi-g": {"64"}, "amount.mn5-acc": {""}}
	if err := applyStep(p, "resources", f, nil); err != nil {
		t.Fatal(err)
	}
	if len(p.Requests) != 1 || p.Requests[0].SystemID != "lumi-g" || p.Requests[0].Amount != 20000 || p.Requests[0].GPUs != 64 || p.Title != "Kept" {
		t.Fatalf("resources: %+v", p)
	}
	err := applyStep(p, "resources", url.Values{"system": {"lumi-g"}, "amount.lumi-g": {"lots"}, "gpus.lumi-g": {"1.5"}}, nil)
	if pactum.ErrorCode(err) != pactum.EINVALID || len(pactum.ErrorFields(err)) != 2 ||
		pactum.ErrorFields(err)[0].Field != "requests[0].amount" || pactum.ErrorFields(err)[1].Field != "requests[0].gpus" {
		t.Errorf("bad numbers: %v %+v", err, pactum.ErrorFields(err))
	}
	q := &pactum.Questionnaire{Questions: []pactum.Question{{ID: "a"}, {ID: "b"}}}
	if err := applyStep(p, "aiact", url.Values{"q.a": {"yes"}, "q.zzz": {"yes"}}, q); err != nil || len(p.Questionnaire) != 1 || p.Questionnaire["a"] != pactum.AnswerYes {
		t.Errorf("answers %v %v", p.Questionnaire, err)
	}
	if err := applyStep(p, "nope", nil, nil); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("unknown step: %v", err)
	}
}

// FuzzApplyStep: any form, for any step, fills a proposal or is EINVALID;
// it never panics.
func FuzzApplyStep(f *testing.F) {
	f.Add("resources", "system=lumi-g&amount.lumi-g=1e400&gpus.lumi-g=-9e18")
	f.Add("project", "title=x&duration_months=3.5")
	f.Add("team", "team.0.name=A&team.50.email=b")
	f.Add("ai", "parameter_count=NaN&training_tokens=Inf&input_modalities=text")
	f.Add("ethics", "ethics.animals=yes")
	f.Fuzz(func(t *testing.T, step, form string) {
		v, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		q := &pactum.Questionnaire{Questions: []pactum.Question{{ID: "a"}}}
		err = applyStep(&pactum.Proposal{}, step, v, q)
		if err != nil && pactum.ErrorCode(err) != pactum.EINVALID {
			t.Fatalf("%s %q: %v", step, form, err)
		}
	})
}
