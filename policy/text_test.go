// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

func TestTextCheckReferQuotingWordsQuestionAndBasis(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	in := withAnswers(t, nil)
	in.Proposal.Summary = "Forecast grid load. We also screen CVs and rank job applicants for our customers."
	d := mustScreen(t, s, in)
	if d.Outcome != pactum.OutcomeRefer {
		t.Fatalf("outcome %s, findings %v", d.Outcome, ids(d))
	}
	var f *pactum.Finding
	for i := range d.Findings {
		if d.Findings[i].RuleID == "text.recruitment" {
			f = &d.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("text.recruitment did not fire: %v", ids(d))
	}
	for _, want := range []string{"The summary says", "\u201cscreen cvs\u201d", "\u201ccvs\u201d",
		"\u201cWill the system help recruit people", "is answered no", "Annex III point 4(a)"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message lacks %q: %s", want, f.Message)
		}
	}
	if f.Basis != "AI Act Annex III point 4(a)" || f.Referral != "ethics" || f.Effect != pactum.EffectRefer {
		t.Errorf("finding %+v", f)
	}
}

func TestTextCheckAgreesWithAnswersAndProfile(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	const text = "We screen CVs and rank job applicants for our customers."
	for _, tc := range []struct {
		name string
		edit func(in *pactum.ScreeningInput)
		want bool // text.recruitment fires
	}{
		{"all no, empty profile", func(in *pactum.ScreeningInput) {}, true},
		{"all no, 4a declared", func(in *pactum.ScreeningInput) { in.Proposal.AIAct.AnnexIII = []string{"4a"} }, false},
		{"answered yes", func(in *pactum.ScreeningInput) {
			in.Proposal.Questionnaire = answerAll(t, pactum.AnswerNo, map[string]pactum.Answer{"recruitment": pactum.AnswerYes})
		}, false},
		{"answered unsure", func(in *pactum.ScreeningInput) {
			in.Proposal.Questionnaire = answerAll(t, pactum.AnswerNo, map[string]pactum.Answer{"recruitment": pactum.AnswerUnsure})
		}, false},
		{"negated", func(in *pactum.ScreeningInput) {
			in.Proposal.Summary = "The model never ranks job applicants; it writes job ads."
		}, false},
		{"words in two sentences", func(in *pactum.ScreeningInput) {
			in.Proposal.Summary = "Our customers are in recruitment. We rank search results."
		}, false},
		{"non-ASCII text", func(in *pactum.ScreeningInput) {
			in.Proposal.Summary = "L’outil trie les Résumés — we Rank Job Applicants’ profiles für Kunden."
		}, true},
		{"non-ASCII text, negated", func(in *pactum.ScreeningInput) {
			in.Proposal.Summary = "Grüße: we don’t rank job applicants."
		}, false},
		{"in the data description", func(in *pactum.ScreeningInput) {
			in.Proposal.Summary = "Forecast grid load."
			in.Proposal.AIWork.DataProvenance.Description = "CVs of job applicants, which the model learns to rank."
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := cleanInput()
			in.Proposal.Summary = text
			tc.edit(in)
			d := mustScreen(t, s, in)
			if got := firedIDs(d)["text.recruitment"]; got != tc.want {
				t.Errorf("text.recruitment fired = %v, want %v; findings %v", got, tc.want, ids(d))
			}
		})
	}
}

func TestTextChecksLeaveCleanProposalsInTheFastLane(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	for name, in := range map[string]*pactum.ScreeningInput{"clean": cleanInput(), "clean with answers": withAnswers(t, nil)} {
		if d := mustScreen(t, s, in); d.Outcome != pactum.OutcomeApprove || len(beyondPassed(d)) != 0 {
			t.Errorf("%s: %s %v", name, d.Outcome, ids(d))
		}
	}
}

func TestLintChecksTextChecks(t *testing.T) {
	const questions = `
questions:
  - id: recruitment
    section: high_risk
    basis: AI Act Annex III point 4(a)
    text: Will it recruit?
    help: Annex III point 4(a).
    referral: ethics
    sets: {annex_iii: "4a"}
`
	const text = `
text:
  negation_window: 0
  negations: [not]
  checks:
    - id: recruitment
      label: annex3.4
      questions: [recruitment, nowhere]
      all:
        - [hi*, "not hiring", "*"]
        - []
    - id: recruitment
      questions: [recruitment]
      all: [[cv]]
      colour: blue
`
	problems := policy.Lint(mapFS(map[string]string{"a.yaml": head + "rules:" + okRule + questions + text}))
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"negation_window must be between", "\"nowhere\" is not a question",
		"at least three letters", "begins with a negation", "has no letters", "an empty group", "unknown key \"colour\""} {
		if !strings.Contains(all, want) {
			t.Errorf("lint does not report %q:\n%s", want, all)
		}
	}
}
