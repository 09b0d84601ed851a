// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"testing"
)

// TestCanonicalTime: the times SQLite holds become the text the audit hash
// covers, by the fast rewrite or by parsing; anything else stays as it is,
// so its event fails to verify.
func TestCanonicalTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-26 09:30:00.123456+00:00": "2026-11-26T09:30:00.123456Z",
		"2026-11-26 09:30:00.1+00:00":      "2026-11-26T09:30:00.100000Z",
		"2026-11-26 09:30:00+00:00":        "2026-11-26T09:30:00.000000Z",
		"2026-11-26 10:30:00.5+01:00":      "2026-11-26T09:30:00.500000Z",
		"2026-11-26T09:30:00.123456Z":      "2026-11-26T09:30:00.123456Z",
		"not a time":                       "not a time",
	} {
		if got := string(canonicalTime(nil, []byte(in))); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestUnpack: a packed row splits into its fields; a short or malformed
// one leaves the fields it cannot read empty.
func TestUnpack(t *testing.T) {
	var a, b, c []byte
	unpack([]byte("3:abc0:2:hi"), []*[]byte{&a, &b, &c})
	if string(a) != "abc" || len(b) != 0 || string(c) != "hi" {
		t.Errorf("got %q %q %q", a, b, c)
	}
	unpack([]byte("3:abc9:hi"), []*[]byte{&a, &b, &c})
	if string(a) != "abc" || b != nil || c != nil {
		t.Errorf("malformed: got %q %q %q", a, b, c)
	}
}
