// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file reads and compiles the ruleset's text checks: transparent term
// and phrase rules that compare what a proposal says (title, summary,
// intended use, data description) with its questionnaire answers or
// declared AI Act profile. textmatch.go runs them.
//
//	text:
//	  negation_window: 4           # tokens before a term a negation reaches
//	  negations: [not, no, never, without, …]
//	  checks:
//	    - id: recruitment          # the finding is text.recruitment
//	      label: annex3.4          # the practice or area, for the corpus test
//	      questions: [recruitment] # a yes (or unsure) to any of them agrees
//	      basis: AI Act Annex III point 4(a)
//	      all:                     # every group matches in one sentence
//	        - [recruit*, hiring, job applicant*]
//	        - [screen*, rank*, shortlist*]
//
// A term is one or more words; a word ending in * matches any word it
// begins (at least three letters before the *). Matching ignores case and
// punctuation. A term preceded within negation_window words of its
// sentence by a negation ("we do not screen job applicants") does not
// count.

var (
	textKeys      = []string{"negation_window", "negations", "checks"}
	textCheckKeys = []string{"id", "label", "questions", "basis", "referral", "all", "description"}
)

type textDoc struct {
	NegationWindow int            `yaml:"negation_window"`
	Negations      []string       `yaml:"negations"`
	Checks         []textCheckDoc `yaml:"checks"`
}

type textCheckDoc struct {
	ID          string     `yaml:"id"`
	Label       string     `yaml:"label"`
	Questions   []string   `yaml:"questions"`
	Basis       string     `yaml:"basis"`
	Referral    string     `yaml:"referral"`
	All         [][]string `yaml:"all"`
	Description string     `yaml:"description"`
	line        int
	bad         bool // malformed, already reported
}

type pendingText = pending[textDoc]

// readText decodes the text mapping v of file name; one file may declare it.
func (l *loader) readText(name string, v *yaml.Node, src *sources) {
	if src.text != nil {
		l.errf(name, v.Line, "", "text is declared again (first in %s): declare it in one file only", src.text.file)
		return
	}
	if !checkKeys(l, name, v, "text", textKeys) {
		return
	}
	var d textDoc
	if err := v.Decode(&d); err != nil {
		l.errf(name, v.Line, "", "text: %v", err)
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		if v.Content[i].Value != "checks" || v.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for j, n := range v.Content[i+1].Content {
			if !checkKeys(l, name, n, "text check", textCheckKeys) {
				d.Checks[j].bad = true
			}
			d.Checks[j].line = n.Line
		}
	}
	src.text = &pendingText{d, name, v.Line}
}

// textWord is one word of a term: exact, or a prefix.
type textWord struct {
	s      string
	prefix bool
}

// textTerm is one term of one group of one check.
type textTerm struct {
	check, group int
	text         string // as written, for messages
	words        []textWord
}

// textCheck is a compiled check.
type textCheck struct {
	ID, Label, Basis, Referral string
	questions                  []*question
	groups                     int
	full                       uint64 // mask of all groups
}

// textIndex finds terms by a hash of the first three bytes of their first
// word (the whole word when shorter): one array load per word of a text.
// Words sharing a bucket are told apart first by their packed first bytes
// (termKey), contiguous in the bucket so that rejecting one costs a mask
// and a compare without following a pointer; only the rare candidate that
// passes is matched word by word (matchTerm).
type textIndex struct {
	checks    []*textCheck
	keys      []termKey              // grouped by bucket
	start     [textBuckets + 1]int32 // bucket k holds keys[start[k]:start[k+1]]
	negations map[string]bool
	negBucket [textBuckets]bool // buckets holding a negation, to skip the map
	window    int
}

// compileText checks the text checks and builds their index into rs.
func (l *loader) compileText(rs *Ruleset, pt *pendingText) {
	if pt == nil {
		return
	}
	d := pt.doc
	ix := &textIndex{negations: map[string]bool{}, window: d.NegationWindow}
	if d.NegationWindow < 1 || d.NegationWindow > 10 {
		l.errf(pt.file, pt.line, "", "text: negation_window must be between 1 and 10")
	}
	if len(d.Negations) == 0 {
		l.errf(pt.file, pt.line, "", "text: negations must list the words that negate a term")
	}
	for _, n := range d.Negations {
		for _, w := range words(n) {
			ix.negations[w] = true
			ix.negBucket[bucketOf([]byte(w))] = true
		}
	}
	questions := map[string]*question{}
	for _, q := range rs.questions {
		questions[q.ID] = q
	}
	seen := map[string]bool{}
	buckets := make([][]termKey, textBuckets)
	for _, cd := range d.Checks {
		if cd.bad {
			continue
		}
		c, terms := l.compileTextCheck(pt.file, cd, questions, seen, ix)
		if c == nil {
			continue
		}
		for _, t := range terms {
			t.check = len(ix.checks)
			k := bucketOf([]byte(t.words[0].s))
			buckets[k] = append(buckets[k], newTermKey(t))
		}
		ix.checks = append(ix.checks, c)
	}
	// One flat array and a small table of offsets, rather than a slice
	// header per bucket: the table a word's lookup touches stays in cache.
	for k, b := range buckets {
		ix.start[k] = int32(len(ix.keys))
		ix.keys = append(ix.keys, b...)
	}
	ix.start[textBuckets] = int32(len(ix.keys))
	rs.text = ix
	// The hash covers the checks as written, without descriptions.
	src := d
	src.Checks = slices.Clone(d.Checks)
	for i := range src.Checks {
		src.Checks[i].Description = ""
	}
	rs.textSrc = &src
}

// compileTextCheck checks one text check and returns it with its terms;
// nil when it has problems.
func (l *loader) compileTextCheck(file string, cd textCheckDoc, questions map[string]*question, seen map[string]bool, ix *textIndex) (*textCheck, []*textTerm) {
	p := &ruleProblems{l: l, file: file, line: cd.line, id: "text." + cd.ID}
	if !nameRE.MatchString(cd.ID) {
		p.fail("text check id %q: lower-case letters, digits and underscores", cd.ID)
	} else if seen[cd.ID] {
		p.fail("duplicate text check id")
	}
	seen[cd.ID] = true
	if strings.TrimSpace(cd.Label) == "" {
		p.fail("no label: name the practice or area the words describe (for example art5.1f or annex3.4)")
	}
	c := &textCheck{ID: cd.ID, Label: cd.Label, Basis: strings.TrimSpace(cd.Basis), Referral: cd.Referral, groups: len(cd.All)}
	if len(cd.Questions) == 0 {
		p.fail("questions: name the question(s) a yes to which the words agree with")
	}
	for _, id := range cd.Questions {
		if q := questions[id]; q == nil {
			p.fail("questions: %q is not a question of the ruleset", id)
		} else {
			c.questions = append(c.questions, q)
		}
	}
	if len(c.questions) > 0 {
		if c.Basis == "" {
			c.Basis = c.questions[0].Basis
		}
		if c.Referral == "" {
			c.Referral = c.questions[0].Referral
		}
	}
	if c.Referral != ReferralEthics && c.Referral != ReferralTechnical && c.Referral != ReferralLegal {
		p.fail("referral %q: must be ethics, technical or legal", c.Referral)
	}
	if len(cd.All) == 0 || len(cd.All) > 8 {
		p.fail("all: one to eight groups of terms")
	}
	var terms []*textTerm
	for g, group := range cd.All {
		if len(group) == 0 {
			p.fail("all[%d]: an empty group can never match", g)
		}
		for _, t := range group {
			words, err := parseTerm(t)
			if err != nil {
				p.fail("all[%d]: term %q: %v", g, t, err)
				continue
			}
			if ix.negations[words[0].s] {
				p.fail("all[%d]: term %q begins with a negation", g, t)
			}
			terms = append(terms, &textTerm{group: g, text: t, words: words})
		}
	}
	if p.bad {
		return nil, nil
	}
	c.full = 1<<uint(c.groups) - 1
	if len(ix.checks) >= 64 {
		p.fail("at most 64 text checks")
		return nil, nil
	}
	return c, terms
}

const textBuckets = 4096 // a power of two

// bucketOf hashes the first three bytes of a word (fewer when shorter).
func bucketOf(w []byte) int {
	h := uint32(min(len(w), 3))
	for i := range min(len(w), 3) {
		h = h*0x01000193 ^ uint32(w[i])
	}
	return int(h*0x9E3779B1>>20) & (textBuckets - 1)
}

// parseTerm splits a term into words as the matcher tokenises text.
func parseTerm(t string) ([]textWord, error) {
	var out []textWord
	for _, f := range strings.Fields(strings.ToLower(t)) {
		star := strings.HasSuffix(f, "*")
		f = strings.TrimSuffix(f, "*")
		if strings.Contains(f, "*") {
			return nil, fmt.Errorf("* may only end a word")
		}
		// A word the tokenizer splits ("re-offend") becomes that many
		// words, so that the term matches the text as it is split.
		toks := words(f)
		if len(toks) == 0 {
			return nil, fmt.Errorf("%q has no letters or digits", f)
		}
		for i, tk := range toks {
			w := textWord{s: tk, prefix: star && i == len(toks)-1}
			if w.prefix && utf8.RuneCountInString(w.s) < 3 {
				return nil, fmt.Errorf("a prefix needs at least three letters before the *")
			}
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, nil
}

// TextCheck describes one text check, for tools and tests.
type TextCheck struct {
	ID        string   `json:"id"`
	Label     string   `json:"label"`
	Basis     string   `json:"basis"`
	Questions []string `json:"questions"`
}

// TextChecks returns the ruleset's text checks in order.
func (rs *Ruleset) TextChecks() []TextCheck {
	if rs.text == nil {
		return nil
	}
	out := make([]TextCheck, len(rs.text.checks))
	for i, c := range rs.text.checks {
		out[i] = TextCheck{ID: c.ID, Label: c.Label, Basis: c.Basis}
		for _, q := range c.questions {
			out[i].Questions = append(out[i].Questions, q.ID)
		}
	}
	return slices.Clip(out)
}
