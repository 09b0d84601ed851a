// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

func TestCheckText(t *testing.T) {
	cases := []struct {
		name      string
		value     string
		multiline bool
		ok        bool
		found     string // the code point the message names
	}{
		{"plain", "Aleph Alpha GmbH", false, true, ""},
		{"accents and scripts", "Société Générale · Ελληνικά · 日本語 · عربي", false, true, ""},
		{"zero-width joiner in an emoji", "👩\u200d💻", false, true, ""},
		{"zero-width non-joiner (Persian)", "می\u200cخواهم", false, true, ""},
		{"empty", "", false, true, ""},
		{"NUL", "a\x00b", false, false, "U+0000"},
		{"BEL", "a\ab", true, false, "U+0007"},
		{"ESC sequence", "\x1b[31mred\x1b[0m", true, false, "U+001B"},
		{"DEL", "a\x7fb", true, false, "U+007F"},
		{"C1 CSI", "a\u009bb", true, false, "U+009B"},
		{"right-to-left override", "invoice\u202efdp.exe", false, false, "U+202E"},
		{"left-to-right embedding", "a\u202ab", true, false, "U+202A"},
		{"right-to-left isolate", "a\u2067b", true, false, "U+2067"},
		{"pop directional isolate", "a\u2069b", true, false, "U+2069"},
		{"right-to-left mark", "a\u200fb", true, false, "U+200F"},
		{"Arabic letter mark", "a\u061cb", true, false, "U+061C"},
		{"line separator", "a\u2028b", true, false, "U+2028"},
		{"paragraph separator", "a\u2029b", true, false, "U+2029"},
		{"byte-order mark", "\ufeffa", true, false, "U+FEFF"},
		{"not UTF-8", "a\xffb", true, false, "UTF-8"},
		{"newline in multi-line text", "first line\nsecond line", true, true, ""},
		{"tab in multi-line text", "col\tcol", true, true, ""},
		{"CRLF in multi-line text", "first\r\nsecond", true, true, ""},
		{"bare CR in multi-line text", "first\rsecond", true, false, "U+000D"},
		{"CR at the end of multi-line text", "first\r", true, false, "U+000D"},
		{"newline in a single line", "first\nsecond", false, false, "U+000A"},
		{"tab in a single line", "a\tb", false, false, "U+0009"},
		{"vertical tab in multi-line text", "a\vb", true, false, "U+000B"},
		{"form feed in multi-line text", "a\fb", true, false, "U+000C"},
	}
	for _, tc := range cases {
		err := pactum.CheckText("summary", tc.value, tc.multiline)
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tc.name, err)
			continue
		}
		f := pactum.ErrorFields(err)
		if len(f) != 1 || f[0].Field != "summary" || !strings.Contains(f[0].Message, tc.found) {
			t.Errorf("%s: fields %+v, want summary naming %s", tc.name, f, tc.found)
		}
		// The message must not carry the offending character back.
		for _, r := range pactum.ErrorMessage(err) + f[0].Message {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x202e || r == 0xfffd {
				t.Errorf("%s: message %q carries %U", tc.name, f[0].Message, r)
			}
		}
	}
}

func TestCheckNote(t *testing.T) {
	for _, tc := range []struct {
		text     string
		required bool
		want     string // "" for valid; else a word of the message
	}{
		{"", false, ""},
		{"", true, "required"},
		{"  ", true, "required"},
		{strings.Repeat("x", 11), false, "at most 10"},
		{"ok\nfine", true, ""},
		{"bad\x1b[2J", true, "U+001B"},
	} {
		err := pactum.CheckNote("The reason is not valid.", "reason", tc.text, tc.required, 10, true)
		f := pactum.ErrorFields(err)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.text, err)
		case tc.want != "" && (len(f) != 1 || f[0].Field != "reason" || !strings.Contains(f[0].Message, tc.want)):
			t.Errorf("%q: %v, want reason: …%s…", tc.text, err, tc.want)
		}
	}
}
