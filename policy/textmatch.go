// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pactum/pactum"
)

// token is one word of a text: byte offsets into the lowered text, and
// the sentence it belongs to.
type token struct {
	start, end int
	sent       int // sentence number within the text
}

// scan appends s in lower case to buf and its words to toks, in one pass:
// runs of letters and digits, with apostrophes inside a word kept
// ("don't"). Hyphens, slashes and other punctuation separate words; '.',
// '!', '?', ';' and line breaks end a sentence ('.' only before a space or
// the end, so "2.5" stays one sentence). Token offsets are into buf, which
// must be empty on entry. ASCII text, most proposals, takes one table
// lookup per byte (scanASCII); text with other runes is decoded and
// lowered rune by rune.
func scan(buf []byte, toks []token, s string) ([]byte, []token) {
	if b, t, ok := scanASCII(buf, toks, s); ok {
		return b, t
	}
	buf = slices.Grow(buf[:0], len(s)+8)
	sent, start := 0, -1
	for i := 0; i < len(s); {
		c := s[i]
		var word bool
		var r rune
		end := len(buf) // where this character starts in buf
		if c < utf8.RuneSelf {
			c = lowerByte[c]
			buf = append(buf, c)
			word, r = wordByte[c], rune(c)
			i++
			if word && start >= 0 {
				continue // the common case: inside an ASCII word
			}
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			if r == '’' {
				r = '\''
			}
			r = unicode.ToLower(r)
			buf = utf8.AppendRune(buf, r)
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
			i += n
		}
		if !word && r == '\'' && start >= 0 && i < len(s) && (wordByte[lowerByte[s[i]]] || s[i] >= utf8.RuneSelf) {
			word = true // an apostrophe inside a word
		}
		if word {
			if start < 0 {
				start = end
			}
			continue
		}
		if start >= 0 {
			toks = append(toks, token{start: start, end: end, sent: sent})
			start = -1
		}
		if endsSentence(r, s, i) {
			sent++
		}
	}
	if start >= 0 {
		toks = append(toks, token{start: start, end: len(buf), sent: sent})
	}
	return buf, toks
}

// endsSentence reports whether r, followed in s by the byte at next, ends
// a sentence: '!', '?', ';' and a line break always, '.' only before a
// space, a line break or the end (so "2.5" does not).
func endsSentence(r rune, s string, next int) bool {
	switch r {
	case '!', '?', ';', '\n':
		return true
	case '.':
		return next == len(s) || s[next] == ' ' || s[next] == '\n'
	}
	return false
}

// scanASCII is scan for ASCII text: it lowers and splits in one pass, a
// table lookup per byte. It gives up, returning false, at the first byte
// that is not ASCII; the caller then scans s again rune by rune.
func scanASCII(buf []byte, toks []token, s string) ([]byte, []token, bool) {
	buf = slices.Grow(buf[:0], len(s))[:len(s)]
	toks0 := len(toks)
	sent, start := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return buf[:0], toks[:toks0], false
		}
		c = lowerByte[c]
		buf[i] = c
		if wordByte[c] {
			if start < 0 {
				start = i
			}
			continue
		}
		if c == '\'' && start >= 0 && i+1 < len(s) && wordByte[lowerByte[s[i+1]]] {
			continue // an apostrophe inside a word
		}
		if start >= 0 {
			toks = append(toks, token{start: start, end: i, sent: sent})
			start = -1
		}
		if endsSentence(rune(c), s, i+1) {
			sent++
		}
	}
	if start >= 0 {
		toks = append(toks, token{start: start, end: len(buf), sent: sent})
	}
	return buf, toks, true
}

// lowerByte lowers ASCII letters and leaves every other byte as it is.
var lowerByte = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// wordByte marks the ASCII bytes of words in lowered text.
var wordByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

// words splits s into lower-case words as the matcher does, for terms.
func words(s string) []string {
	b, toks := scan(nil, nil, s)
	var out []string
	for _, t := range toks {
		out = append(out, string(b[t.start:t.end]))
	}
	return out
}

// textHit is one term found in one sentence of one field.
type textHit struct {
	term        *textTerm
	field, sent int
	first, last int // token indexes
}

type textScratch struct {
	buf  []byte
	toks []token
	hits []textHit
}

var textScratchPool = sync.Pool{New: func() any {
	return &textScratch{buf: make([]byte, 0, 1024), toks: make([]token, 0, 256), hits: make([]textHit, 0, 16)}
}}

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
	texts := [...]string{p.Title, p.Summary, p.AIWork.IntendedUse, p.AIWork.DataProvenance.Description}
	var out []pactum.Finding
	var done uint64 // checks decided: referred, or found to agree
	for f, raw := range texts {
		sc.buf, sc.toks = scan(sc.buf[:0], sc.toks[:0], raw)
		text := sc.buf
		sc.hits = ix.find(text, sc.toks, f, sc.hits[:0])
		var hit uint64
		for _, h := range sc.hits {
			hit |= 1 << uint(h.term.check)
		}
		for todo := hit &^ done; todo != 0; todo &= todo - 1 {
			ci := bits.TrailingZeros64(todo)
			c := ix.checks[ci]
			h, ok := fired(sc.hits, ci, c.full)
			if !ok {
				continue
			}
			done |= 1 << uint(ci)
			if !agrees(c, p, prof) {
				out = append(out, c.finding(p, text, sc.toks, h, textFieldNames[f]))
			}
		}
	}
	sc.toks, sc.hits = sc.toks[:0], sc.hits[:0]
	textScratchPool.Put(sc)
	return out
}

// find appends the terms found in toks, skipping negated ones.
func (ix *textIndex) find(b []byte, toks []token, field int, hits []textHit) []textHit {
	lastNeg := -1 << 30 // the last negation seen
	for i, t := range toks {
		w := b[t.start:t.end]
		k := bucketOf(w)
		// A term's negation must precede it, so the token itself is
		// matched before it may count as one.
		if lo, hi := ix.start[k], ix.start[k+1]; lo < hi {
			cands := ix.keys[lo:hi]
			negated := i-lastNeg <= ix.window && toks[lastNeg].sent == t.sent
			hits = ix.findTerms(b, toks, i, cands, negated, field, hits)
		}
		if ix.negBucket[k] && ix.negations[string(w)] {
			lastNeg = i
		}
	}
	return hits
}

func (ix *textIndex) findTerms(b []byte, toks []token, i int, cands []termKey, negated bool, field int, hits []textHit) []textHit {
	if negated {
		return hits
	}
	t := toks[i]
	n := t.end - t.start
	packed := pack(b[t.start:t.end])
	for k := range cands {
		c := &cands[k]
		if packed&c.mask != c.key || n < int(c.n) || !c.prefix && n != int(c.n) {
			continue
		}
		if last, ok := matchTerm(b, toks, i, c.term.words); ok {
			hits = append(hits, textHit{term: c.term, field: field, sent: t.sent, first: i, last: last})
		}
	}
	return hits
}

// termKey is a term as its bucket holds it: the first word's first eight
// bytes packed little-endian (key) with the mask of the bytes it has, its
// length, and whether it is a prefix. A token whose packed bytes under the
// mask differ, or whose length cannot match, is not the term.
type termKey struct {
	key, mask uint64
	n         int32
	prefix    bool
	term      *textTerm
}

func newTermKey(t *textTerm) termKey {
	w := t.words[0]
	m := min(len(w.s), 8)
	return termKey{key: pack([]byte(w.s)), mask: ^uint64(0) >> (64 - 8*m), n: int32(len(w.s)),
		prefix: w.prefix, term: t}
}

// pack returns the first eight bytes of w little-endian, zero beyond its
// end.
func pack(w []byte) uint64 {
	if len(w) >= 8 {
		return binary.LittleEndian.Uint64(w)
	}
	var x uint64
	for i := len(w) - 1; i >= 0; i-- {
		x = x<<8 | uint64(w[i])
	}
	return x
}

// matchTerm reports whether words match toks from i on, within one
// sentence, and the index of the last token matched.
func matchTerm(b []byte, toks []token, i int, words []textWord) (int, bool) {
	if i+len(words) > len(toks) {
		return 0, false
	}
	for k, w := range words {
		t := toks[i+k]
		tw := b[t.start:t.end]
		if t.sent != toks[i].sent || !(string(tw) == w.s || w.prefix && len(tw) >= len(w.s) && string(tw[:len(w.s)]) == w.s) {
			return 0, false
		}
	}
	return i + len(words) - 1, true
}

// fired returns the hits of check ci in the first sentence where every
// group matched.
func fired(hits []textHit, ci int, full uint64) ([]textHit, bool) {
	for i, h := range hits {
		if h.term.check != ci {
			continue
		}
		var mask uint64
		for _, o := range hits[i:] {
			if o.term.check == ci && o.sent == h.sent {
				mask |= 1 << uint(o.term.group)
			}
		}
		if mask != full {
			continue
		}
		// The first hit of each group, for the message.
		var in []textHit
		mask = 0
		for _, o := range hits[i:] {
			if o.term.check == ci && o.sent == h.sent && mask&(1<<uint(o.term.group)) == 0 {
				in = append(in, o)
				mask |= 1 << uint(o.term.group)
			}
		}
		return in, true
	}
	return nil, false
}

// agrees reports whether the answers or the profile already say what the
// words describe: a question of the check answered yes or unsure, or a
// profile to which a yes would add nothing.
func agrees(c *textCheck, p *pactum.Proposal, prof *pactum.AIActProfile) bool {
	for _, q := range c.questions {
		if a := p.Questionnaire[q.ID]; a == pactum.AnswerYes || a == pactum.AnswerUnsure || q.holds(prof) {
			return true
		}
	}
	return false
}

// finding words the referral: the field, the words quoted, the question
// they contradict and how it was answered, and the legal basis.
func (c *textCheck) finding(p *pactum.Proposal, b []byte, toks []token, hits []textHit, field string) pactum.Finding {
	text := string(b)
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
