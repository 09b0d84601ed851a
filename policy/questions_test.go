// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// answerAll answers every question of the default questionnaire with a,
// then applies the exceptions.
func answerAll(tb testing.TB, a pactum.Answer, except map[string]pactum.Answer) map[string]pactum.Answer {
	tb.Helper()
	out := allNo()
	for id := range out {
		out[id] = a
	}
	for id, v := range except {
		if _, ok := out[id]; !ok {
			tb.Fatalf("no question %q", id)
		}
		out[id] = v
	}
	return out
}

func withAnswers(tb testing.TB, except map[string]pactum.Answer) *pactum.ScreeningInput {
	in := cleanInput()
	in.Proposal.Questionnaire = answerAll(tb, pactum.AnswerNo, except)
	return in
}

func TestQuestionnaireAllNoKeepsTheFastLane(t *testing.T) {
	d := mustScreen(t, policy.NewScreener(mustDefault(t)), withAnswers(t, nil))
	if d.Outcome != pactum.OutcomeApprove || len(beyondPassed(d)) != 0 {
		t.Fatalf("all no: outcome %s, findings %v", d.Outcome, ids(d))
	}
}

// TestQuestionnaireDerivesTheProfile answers one question yes and checks
// the rule the Act attaches to it fires, as if the facts had been declared.
func TestQuestionnaireDerivesTheProfile(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	for _, tc := range []struct {
		yes     []string
		fire    []string
		quiet   []string
		outcome pactum.Outcome
	}{
		{[]string{"manipulates_people"}, []string{"art5.1a"}, nil, pactum.OutcomeDeny},
		{[]string{"exploits_vulnerable_people"}, []string{"art5.1b"}, nil, pactum.OutcomeDeny},
		{[]string{"scores_social_behaviour"}, []string{"art5.1c"}, nil, pactum.OutcomeDeny},
		{[]string{"predicts_crime_from_profile"}, []string{"art5.1d"}, nil, pactum.OutcomeDeny},
		{[]string{"scrapes_faces"}, []string{"art5.1e"}, nil, pactum.OutcomeDeny},
		{[]string{"recognises_emotions_workplace"}, []string{"art5.1f", "annex3.1c"}, nil, pactum.OutcomeDeny},
		{[]string{"recognises_emotions_education"}, []string{"art5.1f"}, nil, pactum.OutcomeDeny},
		{[]string{"recognises_emotions_workplace", "emotions_for_medical_or_safety"}, []string{"annex3.1c"}, []string{"art5.1f"}, pactum.OutcomeRefer},
		{[]string{"recognises_emotions_elsewhere"}, []string{"annex3.1c", "art50.3"}, []string{"art5.1f"}, pactum.OutcomeRefer},
		{[]string{"infers_sensitive_traits_from_biometrics"}, []string{"art5.1g"}, nil, pactum.OutcomeDeny},
		{[]string{"infers_sensitive_traits_from_biometrics", "labels_lawful_biometric_datasets"}, []string{"annex3.1b"}, []string{"art5.1g"}, pactum.OutcomeRefer},
		{[]string{"identifies_people_remotely", "live_identification_for_police"}, []string{"art5.1h"}, nil, pactum.OutcomeDeny},
		{[]string{"identifies_people_remotely"}, []string{"annex3.1a"}, []string{"art5.1h"}, pactum.OutcomeRefer},
		{[]string{"critical_infrastructure_safety"}, []string{"annex3.2"}, nil, pactum.OutcomeRefer},
		{[]string{"recruitment"}, []string{"annex3.4a", "highrisk.risk_data"}, nil, pactum.OutcomeRefer},
		{[]string{"credit_scoring", "profiles_people", "derogation_preparatory_task"}, []string{"annex3.5b"}, nil, pactum.OutcomeRefer},
		{[]string{"lie_detection"}, []string{"annex3.6b", "annex3.7a"}, nil, pactum.OutcomeRefer},
		{[]string{"product_safety_component"}, []string{"art6.1_annex_i"}, nil, pactum.OutcomeRefer},
		{[]string{"talks_with_people"}, []string{"art50.1"}, nil, pactum.OutcomeApprove},
		{[]string{"makes_deep_fakes", "generates_content"}, []string{"art50.4_deep_fakes", "art50.2"}, nil, pactum.OutcomeApprove},
	} {
		t.Run(strings.Join(tc.yes, "+"), func(t *testing.T) {
			yes := map[string]pactum.Answer{}
			for _, id := range tc.yes {
				yes[id] = pactum.AnswerYes
			}
			in := withAnswers(t, yes)
			in.At = day("2027-09-01") // every provision applies
			d := mustScreen(t, s, in)
			checkFires(t, d, tc.fire, tc.quiet)
			if d.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s; findings %v", d.Outcome, tc.outcome, ids(d))
			}
			if in.Proposal.AIAct.SocialScoring || len(in.Proposal.AIAct.AnnexIII) > 0 {
				t.Error("screening changed the declared profile")
			}
		})
	}
}

func TestQuestionnaireUnsureRefersNamingTheQuestion(t *testing.T) {
	d := mustScreen(t, policy.NewScreener(mustDefault(t)), withAnswers(t, map[string]pactum.Answer{"recruitment": pactum.AnswerUnsure}))
	if d.Outcome != pactum.OutcomeRefer || len(beyondPassed(d)) != 1 {
		t.Fatalf("outcome %s, findings %v", d.Outcome, ids(d))
	}
	f := d.Findings[0]
	if f.RuleID != "questionnaire.recruitment" || f.Referral != "ethics" || !strings.Contains(f.Basis, "Annex III point 4(a)") ||
		!strings.Contains(f.Message, "Will the system help recruit people") {
		t.Errorf("finding %+v", f)
	}
}

func TestQuestionnaireHasNoDefault(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	in := withAnswers(t, map[string]pactum.Answer{"recruitment": ""})
	in.Proposal.Questionnaire["no_such_question"] = pactum.AnswerNo
	_, err := s.Screen(context.Background(), in)
	var e *pactum.Error
	if !errors.As(err, &e) || e.Code != pactum.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	if !slices.Contains(fields, "questionnaire.recruitment") || !slices.Contains(fields, "questionnaire.no_such_question") {
		t.Errorf("fields %v", fields)
	}
}

// TestQuestionnaireIsRequired: a proposal without the questionnaire is
// refused, naming the field, whatever its declared profile says, so leaving
// the AI Act fields as they come cannot pass screening.
func TestQuestionnaireIsRequired(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	for name, answers := range map[string]map[string]pactum.Answer{"missing": nil, "empty": {}} {
		in := cleanInput()
		in.Proposal.Questionnaire = answers
		_, err := s.Screen(context.Background(), in)
		var e *pactum.Error
		if !errors.As(err, &e) || e.Code != pactum.EINVALID || len(e.Fields) == 0 || !strings.HasPrefix(e.Fields[0].Field, "questionnaire") {
			t.Errorf("%s: err = %v, want EINVALID naming the questionnaire", name, err)
		}
	}
}

// TestQuestionnaireCoversTheAct checks every Annex III item and every Art.
// 5 practice can be reached from some question, and every question's help
// names its provision.
func TestQuestionnaireCoversTheAct(t *testing.T) {
	q := mustDefault(t).Questionnaire()
	if q == nil || q.RulesetVersion == "" || q.RulesetHash == "" {
		t.Fatalf("questionnaire %+v", q)
	}
	reached := map[string]bool{}
	for _, x := range q.Questions {
		switch v := x.Sets["annex_iii"].(type) {
		case string:
			reached[v] = true
		case []any:
			for _, c := range v {
				reached[c.(string)] = true
			}
		}
		for k := range x.Sets {
			reached[k] = true
		}
	}
	for _, code := range pactum.AnnexIIIItems {
		// 1a and 1c follow from the biometric facts (derived.annex_iii).
		if !reached[code] && code != "1a" && code != "1c" {
			t.Errorf("no question reaches Annex III item %s", code)
		}
	}
	for _, f := range []string{"manipulative_techniques", "exploits_vulnerabilities", "social_scoring", "crime_risk_prediction",
		"untargeted_face_scraping", "emotion_recognition", "sensitive_biometric_categorisation", "remote_biometric_identification",
		"interacts_with_persons", "synthetic_content", "deep_fakes", "public_interest_text", "safety_component", "derogation"} {
		if !reached[f] {
			t.Errorf("no question sets %s", f)
		}
	}
}

func TestLintChecksQuestions(t *testing.T) {
	bad := `
questions:
  - id: ok_question
    section: high_risk
    basis: AI Act Annex III point 4(a)
    text: Will it recruit?
    help: Annex III point 4(a).
    referral: ethics
    sets: {annex_iii: "4a"}
  - id: ok_question
    section: nowhere
    basis: ""
    text: No question mark
    help: no provision named
    referral: nobody
    sets: {}
  - id: bad_sets
    section: prohibited
    basis: AI Act Art. 5(1)(f)
    text: Emotions?
    help: Art. 5(1)(f).
    referral: legal
    sets: {no_such_field: true, emotion_setting: 3}
  - id: bad_code
    section: high_risk
    basis: AI Act Annex III
    text: Which item?
    help: Annex III.
    referral: ethics
    sets: {annex_iii: ["4a", "9z"]}
`
	problems := policy.Lint(mapFS(map[string]string{"a.yaml": head + "rules:" + okRule + bad}))
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"duplicate question id", "section \"nowhere\"", "no legal basis", "question mark",
		"must quote the provision", "referral \"nobody\"", "sets is empty", "\"no_such_field\" is not a field",
		"emotion_setting = 3", "ai_act.annex_iii[1]"} {
		if !strings.Contains(all, want) {
			t.Errorf("lint does not report %q:\n%s", want, all)
		}
	}
	if !policy.HasErrors(problems) {
		t.Error("question problems must be errors")
	}
}
