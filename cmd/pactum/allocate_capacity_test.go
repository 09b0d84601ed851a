// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"math"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

func TestParseCapacities(t *testing.T) {
	got, err := parseCapacities([]string{"leonardo-booster=200,000", " mn5-acc = 1_500.5 "})
	if err != nil || got["leonardo-booster"] != 200000 || got["mn5-acc"] != 1500.5 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range [][]string{{"leonardo"}, {"=5"}, {"a=x"}, {"a=NaN"}, {"a=Inf"}, {"a=1", "a=2"}, {"a\x1b=1"}} {
		if _, err := parseCapacities(bad); pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(err.Error(), "--capacity") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseCapacities: any input is either refused as EINVALID naming
// --capacity or read as one finite amount per non-empty system ID without
// control characters or spaces.
func FuzzParseCapacities(f *testing.F) {
	for _, s := range []string{"leonardo-booster=200000", "a=1,000", "x=", "=1", "a=1e308", "a=-5", "é=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCapacities([]string{s})
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(err.Error(), "--capacity") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("%q: %v", s, got)
		}
		for id, x := range got {
			if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) || math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%q read as %q=%v", s, id, x)
			}
		}
	})
}
