// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// template is a parsed rule message. Messages may quote facts, so that the
// applicant sees the figure a rule acted on: "{{compute.flop_max:flop}}".
// Only names are allowed, no expressions, so rendering is a lookup and a
// format, and a message cannot fail or run code. Formats: flop (two
// significant figures, 7.5e+22), percent (0.3 → 30 %); without one, numbers
// print plainly, booleans as yes/no and lists comma-separated.
type template struct {
	parts []tplPart
	size  int // literal length plus a guess per value, to size the output once
}

type tplPart struct {
	text   string
	slot   int    // activation slot, or -1
	val    *value // a parameter's constant value, when slot is -1 and val != nil
	format string
}

var tplFormats = map[string]bool{"": true, "flop": true, "percent": true}

func parseTemplate(s string, rs *Ruleset) (template, error) {
	var t template
	s = strings.TrimSpace(s)
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if strings.Contains(s, "}}") {
				return t, fmt.Errorf("unmatched }}")
			}
			if s != "" {
				t.add(tplPart{text: s, slot: -1})
			}
			return t, nil
		}
		if i > 0 {
			if strings.Contains(s[:i], "}}") {
				return t, fmt.Errorf("unmatched }}")
			}
			t.add(tplPart{text: s[:i], slot: -1})
		}
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			return t, fmt.Errorf("unclosed {{")
		}
		ref := strings.TrimSpace(s[:j])
		s = s[j+2:]
		name, format, _ := strings.Cut(ref, ":")
		name, format = strings.TrimSpace(name), strings.TrimSpace(format)
		if !tplFormats[format] {
			return t, fmt.Errorf("{{%s}}: unknown format %q (flop or percent)", ref, format)
		}
		p := tplPart{slot: -1, format: format}
		if slot, ok := rs.index[name]; ok {
			p.slot = slot
		} else if k, isParam := strings.CutPrefix(name, "params."); isParam && rs.params[k] != nil {
			v := unbox(rs.params[k])
			p.val = &v
		} else {
			return t, fmt.Errorf("{{%s}} names no fact, derived fact or parameter", name)
		}
		t.add(p)
	}
}

func (t *template) add(p tplPart) {
	t.parts = append(t.parts, p)
	t.size += len(p.text)
	if p.text == "" {
		t.size += 12
	}
}

func (t template) render(a *activation) string {
	if len(t.parts) == 1 && t.parts[0].slot < 0 && t.parts[0].val == nil {
		return t.parts[0].text
	}
	// One buffer, values appended in place: messages are rendered for every
	// finding of every screening.
	b := make([]byte, 0, t.size)
	for _, p := range t.parts {
		switch {
		case p.slot >= 0:
			b = appendVal(b, a.val(p.slot), p.format)
		case p.val != nil:
			b = appendVal(b, p.val, p.format)
		default:
			b = append(b, p.text...)
		}
	}
	return string(b)
}

func appendVal(b []byte, v *value, format string) []byte {
	switch v.k {
	case kNum:
		switch format {
		case "flop":
			return appendFLOP(b, v.f)
		case "percent":
			return append(strconv.AppendFloat(b, v.f*100, 'f', 0, 64), " %"...)
		}
		return appendNum(b, v.f)
	case kInt:
		return strconv.AppendInt(b, v.i, 10)
	case kStr:
		return append(b, v.s...)
	case kBool:
		if v.b {
			return append(b, "yes"...)
		}
		return append(b, "no"...)
	case kList:
		for i, s := range v.l {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, s...)
		}
		return b
	}
	return append(b, '?')
}
