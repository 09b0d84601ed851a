// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pactum/pactum"
)

// This file reads, checks and applies the ruleset's questionnaire: the
// plain-language questions whose answers derive the AI Act profile.

var questionKeys = []string{"id", "section", "text", "help", "basis", "referral", "sets"}

// QuestionSections are the sections a question may belong to.
var QuestionSections = []string{"prohibited", "high_risk", "product_safety", "transparency", "general_purpose"}

type questionDoc struct {
	ID       string         `yaml:"id"`
	Section  string         `yaml:"section"`
	Text     string         `yaml:"text"`
	Help     string         `yaml:"help"`
	Basis    string         `yaml:"basis"`
	Referral string         `yaml:"referral"`
	Sets     map[string]any `yaml:"sets"`
}

// question is a compiled question: the data served to applicants and the
// setters a "yes" runs on the profile.
type question struct {
	pactum.Question
	set []func(*pactum.AIActProfile)
	// has reports, fact by fact, whether a profile already says what a
	// yes would establish.
	has []func(*pactum.AIActProfile) bool
}

// holds reports whether profile a already says everything a yes to q
// would establish.
func (q *question) holds(a *pactum.AIActProfile) bool {
	for _, h := range q.has {
		if !h(a) {
			return false
		}
	}
	return true
}

// profileFields maps the AI Act profile's JSON names to field indexes.
var profileFields = func() map[string]int {
	t := reflect.TypeFor[pactum.AIActProfile]()
	out := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = i
	}
	return out
}()

// compileQuestions checks every question and keeps those without
// problems, in order. A question needs a unique id, a section, a question
// text, help that quotes its provision (it must name an Art. or Annex), a
// legal basis, a referral for "unsure", and sets naming profile fields
// with values of their type that make a valid profile.
func (l *loader) compileQuestions(rs *Ruleset, qs []pendingQuestion) {
	seen := map[string]string{}
	for _, pq := range qs {
		d := pq.doc
		p := &ruleProblems{l: l, file: pq.file, line: pq.line, id: d.ID}
		if !nameRE.MatchString(d.ID) {
			p.fail("question id %q: lower-case letters, digits and underscores, starting with a letter", d.ID)
		} else if prev, dup := seen[d.ID]; dup {
			p.fail("duplicate question id (first in %s)", prev)
		}
		seen[d.ID] = fmt.Sprintf("%s:%d", pq.file, pq.line)
		if !slices.Contains(QuestionSections, d.Section) {
			p.fail("section %q: must be one of %s", d.Section, strings.Join(QuestionSections, ", "))
		}
		if text := strings.TrimSpace(d.Text); text == "" || !strings.HasSuffix(text, "?") {
			p.fail("the question text is required and must end with a question mark")
		}
		if help := d.Help; !strings.Contains(help, "Art.") && !strings.Contains(help, "Annex") {
			p.fail("the help must quote the provision the question comes from (name its Art. or Annex)")
		}
		if strings.TrimSpace(d.Basis) == "" {
			p.fail("no legal basis: every question must cite one")
		}
		if d.Referral != ReferralEthics && d.Referral != ReferralTechnical && d.Referral != ReferralLegal {
			p.fail("referral %q: an unsure answer needs ethics, technical or legal", d.Referral)
		}
		set, has := compileSets(p, d.Sets)
		if p.bad {
			continue
		}
		rs.questions = append(rs.questions, &question{Question: pactum.Question{ID: d.ID, Section: d.Section,
			Text: strings.TrimSpace(d.Text), Help: strings.TrimSpace(d.Help), Basis: strings.TrimSpace(d.Basis),
			Referral: d.Referral, Sets: d.Sets}, set: set, has: has})
	}
}

// compileSets turns a question's sets into setters, and checks that they
// alone make a valid profile.
func compileSets(p *ruleProblems, sets map[string]any) ([]func(*pactum.AIActProfile), []func(*pactum.AIActProfile) bool) {
	if len(sets) == 0 {
		p.fail("sets is empty: a yes must establish at least one fact of the AI Act profile")
		return nil, nil
	}
	var out []func(*pactum.AIActProfile)
	var has []func(*pactum.AIActProfile) bool
	for _, name := range sortedKeys(sets) {
		i, ok := profileFields[name]
		if !ok {
			p.fail("sets: %q is not a field of the AI Act profile", name)
			continue
		}
		if f, h := setter(i, sets[name]); f != nil {
			out, has = append(out, f), append(has, h)
		} else {
			p.fail("sets: %s = %v is not a value of the field's type (true for a flag, a string, or item codes for annex_iii)", name, sets[name])
		}
	}
	if p.bad {
		return nil, nil
	}
	var trial pactum.AIActProfile
	for _, f := range out {
		f(&trial)
	}
	if err := trial.Validate(); err != nil {
		p.fail("sets make an invalid profile: %s", fieldErrors(err))
	}
	return out, has
}

// setter returns the function setting field i of the profile to v, nil
// when v does not fit the field: true for a flag, a non-empty string for a
// string, one code or a list of codes added to a list.
func setter(i int, v any) (func(*pactum.AIActProfile), func(*pactum.AIActProfile) bool) {
	field := func(a *pactum.AIActProfile) reflect.Value { return reflect.ValueOf(a).Elem().Field(i) }
	switch reflect.TypeFor[pactum.AIActProfile]().Field(i).Type.Kind() {
	case reflect.Bool:
		if b, ok := v.(bool); ok && b {
			return func(a *pactum.AIActProfile) { field(a).SetBool(true) },
				func(a *pactum.AIActProfile) bool { return field(a).Bool() }
		}
	case reflect.String:
		if s, ok := v.(string); ok && s != "" {
			return func(a *pactum.AIActProfile) { field(a).SetString(s) },
				func(a *pactum.AIActProfile) bool { return field(a).String() == s }
		}
	case reflect.Slice:
		if reflect.TypeFor[pactum.AIActProfile]().Field(i).Name != "AnnexIII" {
			return nil, nil // the only list of the profile
		}
		var codes []string
		switch x := v.(type) {
		case string:
			codes = []string{x}
		case []any:
			for _, c := range x {
				s, ok := c.(string)
				if !ok {
					return nil, nil
				}
				codes = append(codes, s)
			}
		default:
			return nil, nil
		}
		return func(a *pactum.AIActProfile) {
				f := field(a)
				list := f.Interface().([]string)
				for _, c := range codes {
					if !slices.Contains(list, c) {
						list = append(list, c)
					}
				}
				f.Set(reflect.ValueOf(list))
			}, func(a *pactum.AIActProfile) bool {
				list := a.AnnexIII // the only list field; compileSets checks the name
				for _, c := range codes {
					if !slices.Contains(list, c) {
						return false
					}
				}
				return true
			}
	}
	return nil, nil
}

func fieldErrors(err error) string {
	if e, ok := err.(*pactum.Error); ok && len(e.Fields) > 0 {
		var parts []string
		for _, f := range e.Fields {
			parts = append(parts, f.Field+" "+f.Message)
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}

// Questionnaire returns the ruleset's questionnaire, in order; nil when
// the ruleset has none.
func (rs *Ruleset) Questionnaire() *pactum.Questionnaire {
	if len(rs.questions) == 0 {
		return nil
	}
	q := &pactum.Questionnaire{RulesetVersion: rs.version, RulesetHash: rs.hash,
		Questions: make([]pactum.Question, len(rs.questions))}
	for i, x := range rs.questions {
		q.Questions[i] = x.Question
	}
	return q
}

// profile returns the AI Act profile to screen: the declared one, plus
// what the questionnaire's "yes" answers establish, and a refer finding for
// every "unsure", naming the question. EINVALID when the questionnaire is
// missing, an answer is missing, or one answers no question of the
// ruleset: there is no default answer. Only a ruleset without questions
// screens the declared profile alone.
func (rs *Ruleset) profile(p *pactum.Proposal) (*pactum.AIActProfile, []pactum.Finding, error) {
	if len(rs.questions) == 0 {
		return &p.AIAct, nil, nil // a ruleset without a questionnaire reads the declared profile
	}
	if p.Questionnaire == nil {
		// No silent default: the declared profile alone would let an
		// applicant who does not know the AI Act pass by leaving it empty.
		var v pactum.Validator
		v.Add("questionnaire", "must answer every question of ruleset %s yes, no or unsure (GET /api/v1/questionnaire "+
			"lists them; `pactum proposals template` writes them all)", rs.version)
		return nil, nil, v.Err("The proposal has no questionnaire.")
	}
	// One pass: each answer is looked up once, checked and applied; the
	// profile is thrown away if any is missing.
	prof := p.AIAct
	prof.AnnexIII = slices.Clone(prof.AnnexIII)
	var v pactum.Validator
	var unsure []pactum.Finding
	for _, q := range rs.questions {
		switch p.Questionnaire[q.ID] {
		case pactum.AnswerNo:
		case pactum.AnswerYes:
			for _, f := range q.set {
				f(&prof)
			}
		case pactum.AnswerUnsure:
			unsure = append(unsure, pactum.Finding{RuleID: "questionnaire." + q.ID, Basis: q.Basis,
				Effect: pactum.EffectRefer, Referral: q.Referral,
				Message: "The question \u201c" + q.Text + "\u201d is answered unsure. A person will go through it with " +
					"you before the proposal is decided."})
		default:
			v.Add("questionnaire."+q.ID, "must be answered yes, no or unsure: %s", q.Text)
		}
	}
	// Every question answered and no more answers than questions: then
	// none is unknown.
	if len(p.Questionnaire) > len(rs.questions) || v.Err("") != nil {
		known := make(map[string]bool, len(rs.questions))
		for _, q := range rs.questions {
			known[q.ID] = true
		}
		for _, id := range sortedKeys(p.Questionnaire) {
			if !known[id] {
				v.Add("questionnaire."+id, "is not a question of ruleset %s", rs.version)
			}
		}
	}
	if err := v.Err("The questionnaire is not answered in full."); err != nil {
		return nil, nil, err
	}
	return &prof, unsure, nil
}
