// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"strings"
	"testing"
)

// FuzzRequestID: whatever a client sends as X-Request-Id, the ID logged
// and echoed is 1-128 characters of the safe set: the input itself when
// it already is, else a fresh random one.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc-123", "5f0c1e2d-aaaa-bbbb-cccc-0123456789ab", `x" forged="1`, "a\nb", strings.Repeat("a", 129), "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id := requestID(in)
		if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:@/+=", r))
		}) {
			t.Fatalf("requestID(%q) = %q", in, id)
		}
		if id != in && len(id) != 24 {
			t.Fatalf("requestID(%q) = %q: neither the input nor a new ID", in, id)
		}
	})
}
