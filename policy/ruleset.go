// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"

	"github.com/pactum/pactum"
)

// Referral kinds for refer rules: which human review a finding asks for.
const (
	ReferralEthics    = "ethics"
	ReferralTechnical = "technical"
	ReferralLegal     = "legal"
)

// Rule is one compiled rule. Its exported fields are the rule as written;
// the compiled program is private. A Rule is immutable once loaded.
type Rule struct {
	ID       string        `json:"id"`
	Basis    string        `json:"basis"`
	Effect   pactum.Effect `json:"effect"`
	Referral string        `json:"referral,omitempty"`
	When     string        `json:"when"`
	Message  string        `json:"message"`
	// ValidFrom and ValidTo bound, inclusively, the decision dates on which
	// the rule applies; zero means unbounded.
	ValidFrom   pactum.Date `json:"valid_from"`
	ValidTo     pactum.Date `json:"valid_to"`
	Description string      `json:"description,omitempty"`
	File        string      `json:"file"`
	Line        int         `json:"line"`

	order    int // load order, for a stable finding order
	rank     int // effectRank(Effect)
	prg      cel.Program
	native   boolFn // prg compiled to Go; nil when outside the native subset
	msg      template
	from, to int64 // validity as days since 1970-01-01, inclusive
}

// AppliesOn reports whether the rule applies to a decision taken at t (by
// its UTC date).
func (r *Rule) AppliesOn(t time.Time) bool { return r.appliesOnDay(dayNumber(t)) }

func (r *Rule) appliesOnDay(d int64) bool { return r.from <= d && d <= r.to }

// startsWithin reports whether the rule comes into force after day d and
// by day end.
func (r *Rule) startsWithin(d, end int64) bool { return r.from > d && r.from <= end }

// dayNumber is t's UTC date as days since 1970-01-01, so that validity is
// two integer comparisons per rule.
func dayNumber(t time.Time) int64 {
	return pactum.DateOf(t).Time().Unix() / 86400
}

// derivedFact is a named CEL expression evaluated once per screening,
// before the rules, so that shared notions (high risk, GPAI model) are
// written once in data and cost one evaluation.
type derivedFact struct {
	name, expr, doc, file string
	line                  int
	typ                   *cel.Type
	slot                  int
	prg                   cel.Program
	native                func(*activation) value // prg compiled to Go; nil when outside the native subset
}

// Ruleset is a loaded, compiled ruleset. It is immutable and safe for
// concurrent use.
type Ruleset struct {
	version     string
	description string
	hash        string
	params      map[string]ref.Val
	paramSrc    map[string]any
	derived     []*derivedFact
	rules       []*Rule
	questions   []*question    // the questionnaire, in order
	text        *textIndex     // the text checks; nil for none
	textSrc     *textDoc       // the text checks as written, for the hash
	all         cel.Program    // every rule's condition as one list, see buildAll
	allNative   bool           // every rule has a native condition
	acts        sync.Pool      // *activation, sized for this ruleset
	index       map[string]int // activation slot by fact name
	names       *nameTable     // the same, for fast lookup while screening
	slots       int
	defaultU    float64
}

// Version returns the ruleset's declared version.
func (rs *Ruleset) Version() string { return rs.version }

// Description returns the ruleset's declared description.
func (rs *Ruleset) Description() string { return rs.description }

// Hash returns "sha256:" and the hex SHA-256 of the ruleset's canonical
// form: its version, parameters, derived facts and rules with every field
// that affects a decision, independent of file layout, key order, YAML
// comments and descriptions. Equal hashes mean equal decisions.
func (rs *Ruleset) Hash() string { return rs.hash }

// Rules returns copies of the rules in load order.
func (rs *Ruleset) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = *r
	}
	return out
}

// Params returns the ruleset's parameters as written (numbers as float64,
// lists as []string), keyed by name without the "params." prefix.
func (rs *Ruleset) Params() map[string]any {
	out := make(map[string]any, len(rs.paramSrc))
	for k, v := range rs.paramSrc {
		out[k] = v
	}
	return out
}

// canonicalHash hashes the decision-relevant content in a fixed layout:
// JSON with sorted parameter names, derived facts and rules in load order.
func canonicalHash(rs *Ruleset) string {
	type cr struct {
		ID, Basis, Effect, Referral, When, Message, ValidFrom, ValidTo string
	}
	type cd struct{ Name, Expr string }
	type cq struct {
		ID, Section, Text, Basis, Referral string
		Sets                               map[string]any
	}
	c := struct {
		Version   string
		Params    map[string]any
		Derived   []cd
		Rules     []cr
		Questions []cq     `json:",omitempty"`
		Text      *textDoc `json:",omitempty"`
	}{Version: rs.version, Params: rs.paramSrc, Text: rs.textSrc}
	for _, q := range rs.questions {
		c.Questions = append(c.Questions, cq{q.ID, q.Section, q.Text, q.Basis, q.Referral, q.Sets})
	}
	for _, d := range rs.derived {
		c.Derived = append(c.Derived, cd{d.name, strings.TrimSpace(d.expr)})
	}
	for _, r := range rs.rules {
		c.Rules = append(c.Rules, cr{r.ID, r.Basis, string(r.Effect), r.Referral, strings.TrimSpace(r.When), r.Message,
			r.ValidFrom.String(), r.ValidTo.String()})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic(err) // plain strings, floats and slices always encode
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}
