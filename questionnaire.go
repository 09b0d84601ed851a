// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"regexp"
	"sort"
)

// Answer is an applicant's answer to one question of the screening
// questionnaire. There is no default: every question is answered.
type Answer string

// The answers. Unsure is a legitimate answer: it refers the proposal to a
// person, who goes through the question with the applicant.
const (
	AnswerYes    Answer = "yes"
	AnswerNo     Answer = "no"
	AnswerUnsure Answer = "unsure"
)

// Valid reports whether a is yes, no or unsure.
func (a Answer) Valid() bool { return a == AnswerYes || a == AnswerNo || a == AnswerUnsure }

// Question is one plain-language question of the screening questionnaire,
// which the ruleset carries as data (versioned and hashed with its rules).
// A "yes" establishes the AI Act profile facts in Sets; "unsure" refers the
// proposal for the review named by Referral, naming the question.
type Question struct {
	ID string `json:"id"`
	// Section groups the questions: prohibited, high_risk, transparency,
	// general_purpose or product_safety.
	Section string `json:"section"`
	Text    string `json:"text"`
	// Help explains the question in plain words and quotes the article it
	// comes from.
	Help  string `json:"help"`
	Basis string `json:"basis"`
	// Referral is the review an "unsure" asks for: ethics, technical or
	// legal.
	Referral string `json:"referral"`
	// Sets names the AI Act profile fields (AIActProfile's JSON names) a
	// "yes" establishes, and their values; annex_iii items are added to
	// the list.
	Sets map[string]any `json:"sets"`
}

// Questionnaire is the questionnaire of one ruleset.
type Questionnaire struct {
	RulesetVersion string     `json:"ruleset_version"`
	RulesetHash    string     `json:"ruleset_hash"`
	Questions      []Question `json:"questions"`
}

// Template returns answers for every question, all empty: what an applicant
// fills in. An empty answer is refused at screening, so none is forgotten.
func (q *Questionnaire) Template() map[string]Answer {
	out := make(map[string]Answer, len(q.Questions))
	for _, x := range q.Questions {
		out[x.ID] = ""
	}
	return out
}

// Answers returns an answer for every question: yes to the questions named
// in yes, no to the others. It is how a program that knows its AI Act
// profile (the demo, tests, an integration) answers in full; an id that is
// not a question is returned too, so the screener refuses it by name.
func (q *Questionnaire) Answers(yes ...string) map[string]Answer {
	out := make(map[string]Answer, len(q.Questions)+len(yes))
	for _, x := range q.Questions {
		out[x.ID] = AnswerNo
	}
	for _, id := range yes {
		out[id] = AnswerYes
	}
	return out
}

// MaxQuestions bounds the answers a proposal may carry.
const MaxQuestions = 200

var questionIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// validateAnswers checks the answers' form; whether they answer the
// ruleset's questions is the screener's to check, since the questions are
// the ruleset's.
func validateAnswers(v *Validator, answers map[string]Answer) {
	v.Check(len(answers) <= MaxQuestions, "questionnaire", "must hold at most %d answers", MaxQuestions)
	ids := make([]string, 0, len(answers))
	for id := range answers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !questionIDRE.MatchString(id) {
			v.Add("questionnaire", "%q is not a question id (lower-case letters, digits and underscores)", truncate(id, 70))
			continue
		}
		v.Check(answers[id].Valid(), "questionnaire."+id, "must be answered yes, no or unsure")
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ScreeningService helps applicants before they submit: the questionnaire
// of the ruleset in force, and a dry run of screening that stores nothing.
type ScreeningService interface {
	// Questionnaire returns the questionnaire of the ruleset in force. Any
	// authenticated caller.
	Questionnaire(ctx context.Context) (*Questionnaire, error)
	// ScreenProposal screens p as if it were submitted now, against its
	// call and the catalogue, and returns the decision without storing
	// anything or recording an audit event. Applicants (for their own
	// organization) and access managers. EINVALID for a proposal that
	// could not be submitted as it is (with every field named); ENOTFOUND
	// for an unknown call.
	ScreenProposal(ctx context.Context, p *ProposalInput) (*ScreeningDecision, error)
}
