// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"testing"
	"time"
)

func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "1d": 24 * time.Hour,
	} {
		if got, err := parseLifetime(in); err != nil || got != want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "0d", "-1d", "+3d", "1.5d", "x", "0s", "-5h", "99999d", "9999999999999999999d", "100000h"} {
		if d, err := parseLifetime(in); err == nil {
			t.Errorf("parseLifetime(%q) = %v, want an error", in, d)
		}
	}
}

func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"30d", "2w", "12h", "0d", "-1d", "1.5d", "9223372036854775807d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseLifetime(s)
		if err == nil && (d <= 0 || d > maxLifetime) {
			t.Fatalf("parseLifetime(%q) = %v: out of bounds", s, d)
		}
	})
}
