// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pactum/pactum"
)

// token is one word of a text: lower case, a slice of the lowered text.
type token struct {
	s          string
	sent       int // sentence number within the text
	start, end int // byte offsets in the lowered text
}

// tokenize appends the words of s to dst: runs of letters and digits, with
// apostrophes inside a word kept ("don't"). Hyphens, slashes and other
// punctuation separate words; '.', '!', '?', ';' and line breaks end a
// sentence ('.' only before a space or the end, so "2.5" stays one
// sentence). s must already be lower case.
func tokenize(dst []token, _ []byte, s string) []token {
	sent, start := 0, -1
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		word := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !word && (r == '\'' || r == '’') && start >= 0 && i+n < len(s) && isWordByte(s[i+n]) {
			word = true // an apostrophe inside a word
		}
		if word {
			if start < 0 {
				start = i
			}
		} else {
			if start >= 0 {
				dst = append(dst, token{s: s[start:i], sent: sent, start: start, end: i})
				start = -1
			}
			switch r {
			case '!', '?', ';', '\n':
				sent++
			case '.':
				if i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n' {
					sent++
				}
			}
		}
		i += n
	}
	if start >= 0 {
		dst = append(dst, token{s: s[start:], sent: sent, start: start, end: len(s)})
	}
	return dst
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}

// lower returns s in lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// textHit is one term found in one sentence of one field.
type textHit struct {
	term        *textTerm
	field, sent int
	first, last int // token indexes
}

type textScratch struct {
	toks []token
	hits []textHit
}

var textScratchPool = sync.Pool{New: func() any { return &textScratch{toks: make([]token, 0, 256), hits: make([]textHit, 0, 16)} }}

// textFields are the proposal's free texts the checks read, with the names
// the findings give them.
var textFieldNames = [...]string{"title", "summary", "intended use", "data description"}

// check runs the text checks on p and returns a refer finding for each
// check whose words match in one sentence while neither the questionnaire
// nor the profile prof agrees with them.
func (ix *textIndex) check(p *pactum.Proposal, prof *pactum.AIActProfile) []pactum.Finding {
	if ix == nil || len(ix.checks) == 0 {
		return nil
	}
	sc := textScratchPool.Get().(*textScratch)
	defer func() { sc.toks, sc.hits = sc.toks[:0], sc.hits[:0]; textScratchPool.Put(sc) }()
	texts := [...]string{lower(p.Title), lower(p.Summary), lower(p.AIWork.IntendedUse), lower(p.AIWork.DataProvenance.Description)}
	var out []pactum.Finding
	for f, text := range texts {
		sc.toks = tokenize(sc.toks[:0], nil, text)
		sc.hits = ix.find(sc.toks, f, sc.hits[:0])
		if len(sc.hits) == 0 {
			continue
		}
		for ci, c := range ix.checks {
			h, ok := fired(sc.hits, ci, c.full)
			if !ok || agrees(c, p, prof) || hasFinding(out, c.ID) {
				continue
			}
			out = append(out, c.finding(p, text, sc.toks, h, textFieldNames[f]))
		}
	}
	return out
}

// find appends the terms found in toks, skipping negated ones.
func (ix *textIndex) find(toks []token, field int, hits []textHit) []textHit {
	for i, t := range toks {
		cands := ix.exact[t.s]
		if len(t.s) >= 3 {
			if more := ix.prefix[t.s[:3]]; len(more) > 0 {
				cands = append(slices.Clip(cands), more...)
			}
		}
		for _, term := range cands {
			last, ok := matchTerm(toks, i, term.words)
			if ok && !ix.negated(toks, i) {
				hits = append(hits, textHit{term: term, field: field, sent: t.sent, first: i, last: last})
			}
		}
	}
	return hits
}

// matchTerm reports whether words match toks from i on, within one
// sentence, and the index of the last token matched.
func matchTerm(toks []token, i int, words []textWord) (int, bool) {
	if i+len(words) > len(toks) {
		return 0, false
	}
	for k, w := range words {
		t := toks[i+k]
		if t.sent != toks[i].sent || !(t.s == w.s || w.prefix && strings.HasPrefix(t.s, w.s)) {
			return 0, false
		}
	}
	return i + len(words) - 1, true
}

// negated reports whether a negation precedes token i within the window,
// in its sentence.
func (ix *textIndex) negated(toks []token, i int) bool {
	for k := i - 1; k >= 0 && k >= i-ix.window && toks[k].sent == toks[i].sent; k-- {
		if ix.negations[toks[k].s] {
			return true
		}
	}
	return false
}

// fired returns the hits of check ci in the first sentence where every
// group matched.
func fired(hits []textHit, ci int, full uint64) ([]textHit, bool) {
	for i, h := range hits {
		if h.term.check != ci {
			continue
		}
		var mask uint64
		var in []textHit
		for _, o := range hits[i:] {
			if o.term.check == ci && o.sent == h.sent {
				if mask&(1<<uint(o.term.group)) == 0 {
					in = append(in, o)
				}
				mask |= 1 << uint(o.term.group)
			}
		}
		if mask == full {
			return in, true
		}
	}
	return nil, false
}

// agrees reports whether the answers or the profile already say what the
// words describe: a question of the check answered yes or unsure, or a
// profile to which a yes would add nothing.
func agrees(c *textCheck, p *pactum.Proposal, prof *pactum.AIActProfile) bool {
	for _, q := range c.questions {
		if a := p.Questionnaire[q.ID]; a == pactum.AnswerYes || a == pactum.AnswerUnsure {
			return true
		}
		trial := *prof
		trial.AnnexIII = slices.Clone(prof.AnnexIII)
		for _, f := range q.set {
			f(&trial)
		}
		if reflect.DeepEqual(&trial, prof) {
			return true
		}
	}
	return false
}

func hasFinding(fs []pactum.Finding, checkID string) bool {
	for _, f := range fs {
		if f.RuleID == "text."+checkID {
			return true
		}
	}
	return false
}

// finding words the referral: the field, the words quoted, the question
// they contradict and how it was answered, and the legal basis.
func (c *textCheck) finding(p *pactum.Proposal, text string, toks []token, hits []textHit, field string) pactum.Finding {
	first, last := hits[0].first, hits[0].last
	words := make([]string, 0, len(hits))
	for _, h := range hits {
		first, last = min(first, h.first), max(last, h.last)
		words = append(words, "\u201c"+text[toks[h.first].start:toks[h.last].end]+"\u201d")
	}
	quote := text[toks[first].start:toks[last].end]
	if len(quote) > 200 {
		quote = quote[:200] + "…"
	}
	q := c.questions[0]
	var answer string
	if p.Questionnaire != nil {
		a := p.Questionnaire[q.ID]
		answer = "the question \u201c" + q.Text + "\u201d is answered " + string(a)
	} else {
		answer = "the proposal has no questionnaire and its AI Act profile does not declare what the question \u201c" +
			q.Text + "\u201d asks"
	}
	return pactum.Finding{RuleID: "text." + c.ID, Basis: c.Basis, Effect: pactum.EffectRefer, Referral: c.Referral,
		Message: "The " + field + " says \u201c" + quote + "\u201d (matched: " + strings.Join(words, ", ") + "), but " + answer +
			". The words suggest " + c.Basis + " applies; a person will check before the proposal is decided."}
}
