// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text that people type is stored as they typed it and shown again in
// terminals, web pages, e-mails and audit exports. Characters that are not
// text but instructions to whatever displays it are refused at the door,
// so no reader downstream has to defend against them:
//
//   - C0 and C1 control characters and DEL (U+0000–U+001F, U+007F–U+009F):
//     ESC starts terminal escape sequences, BEL rings, NUL truncates C
//     strings. Newline (and carriage return before it) and tab are allowed
//     in multi-line text only.
//   - Bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069): they reorder what a reader sees without changing
//     what is stored ("Trojan Source", CVE-2021-42574).
//   - Line and paragraph separators (U+2028, U+2029) in any text: they
//     break lines where the caller said the text has none, and multi-line
//     text has the newline for that.
//   - The byte-order mark U+FEFF, invisible inside text.
//   - Bytes that are not UTF-8.
//
// Zero-width joiners and non-joiners stay allowed: several scripts (and
// emoji) need them.

// CheckText returns nil when value is acceptable text for field, else an
// EINVALID *Error naming field and the first offending character by code
// point and position (never the character itself, which may be the very
// escape sequence being refused). multiline allows newline, carriage return
// before a newline, and tab.
func CheckText(field, value string, multiline bool) error {
	msg := textProblem(value, multiline)
	if msg == "" {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The text of " + field + " is not valid.",
		Fields: []FieldError{{Field: field, Message: msg}}}
}

// Text records a problem with field when value is not acceptable text (see
// CheckText).
func (v *Validator) Text(field, value string, multiline bool) {
	if msg := textProblem(value, multiline); msg != "" {
		v.Add(field, "%s", msg)
	}
}

// textProblem says what is wrong with value as text, or "".
func textProblem(value string, multiline bool) string {
	if !utf8.ValidString(value) {
		return "must be UTF-8 text"
	}
	pos := 0
	for i, r := range value {
		pos++
		if multiline && (r == '\n' || r == '\t' || (r == '\r' && i+1 < len(value) && value[i+1] == '\n')) {
			continue
		}
		if forbiddenRune(r) {
			what := "control characters"
			if r == '\n' || r == '\r' || r == '\t' {
				what = "line breaks or tabs (it is a single line)"
			}
			return fmt.Sprintf("must not contain %s (U+%04X at character %d)", what, r, pos)
		}
	}
	return ""
}

// forbiddenRune reports whether r is one of the characters CheckText
// refuses (newline and tab included; multi-line text lets those through
// before asking).
func forbiddenRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}

// CheckNote checks free text a use case takes beside a record (a reason, a
// reply, a token's name): at most max bytes, present when required, and
// text by CheckText's rule, multi-line or not. It returns nil or an EINVALID
// *Error with message msg naming field.
func CheckNote(msg, field, text string, required bool, max int, multiline bool) error {
	var v Validator
	switch {
	case required && strings.TrimSpace(text) == "":
		v.Add(field, "is required (at most %d characters)", max)
	case len(text) > max:
		v.Add(field, "must be at most %d characters", max)
	default:
		v.Text(field, text, multiline)
	}
	return v.Err(msg)
}
