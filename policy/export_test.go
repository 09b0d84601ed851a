// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"math"
	"slices"

	"cel.dev/cel-go/common/types"

	"github.com/pactum/pactum"
)

// NotNative lists the rules and derived facts of rs that have no native
// form and run on CEL alone.
func NotNative(rs *Ruleset) []string {
	var out []string
	for _, d := range rs.derived {
		if d.native == nil {
			out = append(out, d.name)
		}
	}
	for _, r := range rs.rules {
		if r.native == nil {
			out = append(out, r.ID)
		}
	}
	return out
}

// NativeMismatch evaluates every derived fact and every rule condition of
// rs on in twice — natively where there is a native form, and with CEL
// alone (its derived facts too) — and describes the first difference in
// value or in failing; "" when they agree. Errors: those of Screen's
// preparation (an invalid input).
func NativeMismatch(rs *Ruleset, in *pactum.ScreeningInput) (string, error) {
	c, _, err := rs.screenContext(in)
	if err != nil {
		return "", err
	}
	native := rs.newActivation().(*activation)
	native.c = c
	celOnly := rs.newActivation().(*activation)
	celOnly.c = c
	celOnly.derived = nil
	for _, d := range rs.derived {
		cp := *d
		cp.native = nil
		celOnly.derived = append(celOnly.derived, &cp)
	}
	for _, d := range rs.derived {
		if n, e := native.val(d.slot), celOnly.val(d.slot); !sameValue(n, e) {
			return fmt.Sprintf("derived fact %s: native %+v, CEL %+v", d.name, *n, *e), nil
		}
	}
	frame, err := celOnly.celFrame()
	if err != nil {
		return "", err
	}
	for _, r := range rs.rules {
		if r.native == nil {
			continue
		}
		got, gerr := r.native(native)
		want, _, werr := r.prg.Eval(frame)
		if (gerr != nil) != (werr != nil) || gerr == nil && want != types.Bool(got) {
			return fmt.Sprintf("rule %s (%s): native %v (error %v), CEL %v (error %v)", r.ID, r.When, got, gerr, want, werr), nil
		}
	}
	return "", nil
}

// sameValue compares two values; NaNs are equal, and errors are equal to
// errors.
func sameValue(a, b *value) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNum:
		return a.f == b.f || math.IsNaN(a.f) && math.IsNaN(b.f)
	case kList:
		return slices.Equal(a.l, b.l)
	case kErr:
		return true
	}
	return a.b == b.b && a.i == b.i && a.s == b.s
}
