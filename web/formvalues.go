// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// The forms' numbers, read one way everywhere: spaces and thousands
// separators ignored ("12,000"), an empty field 0 (whether it may be
// empty is the use case's rule, or the form's), anything that is not a
// finite number recorded in v under field, the API's name for it.

// formNumber reads the number in form field name.
func formNumber(v *pactum.Validator, f url.Values, name, field string) float64 {
	x, ok := parseFormNumber(f.Get(name))
	v.Check(ok, field, "must be a number, such as 20000 or 7e9")
	return x
}

// formWhole reads the whole number in form field name.
func formWhole(v *pactum.Validator, f url.Values, name, field string) int {
	x, ok := parseFormNumber(f.Get(name))
	if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<30 {
		v.Add(field, "must be a whole number")
		return 0
	}
	return int(x)
}

// parseFormNumber parses a form's number: (0, true) when empty, false for
// text that is not a finite number.
func parseFormNumber(s string) (float64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0, true
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
}
