// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// vkind says which field of a value holds it.
type vkind uint8

const (
	kNone vkind = iota // not computed yet
	kBool
	kNum // a CEL double
	kInt // a CEL int (a derived fact left to CEL may have one)
	kStr
	kList // a list of strings
	kErr
)

// value is a fact's or derived fact's value in Go form: what the native
// conditions read (see native.go) without boxing it into a CEL value, and
// what messages render. CEL reads the boxed form (box), made on demand.
type value struct {
	k   vkind
	b   bool
	f   float64
	i   int64
	s   string
	l   []string
	err error // kErr: why the derived fact failed
}

func str(s string) value    { return value{k: kStr, s: s} }
func dbl(f float64) value   { return value{k: kNum, f: f} }
func boolean(b bool) value  { return value{k: kBool, b: b} }
func list(s []string) value { return value{k: kList, l: s} }

// box returns v as a CEL value.
func box(v *value) ref.Val {
	switch v.k {
	case kBool:
		return types.Bool(v.b)
	case kNum:
		return types.Double(v.f)
	case kInt:
		return types.Int(v.i)
	case kStr:
		return types.String(v.s)
	case kList:
		return types.NewStringList(adapter, v.l)
	case kErr:
		return types.WrapErr(v.err)
	}
	return types.NewErr("policy: value of no kind")
}

// unbox returns a CEL value in Go form: bools, doubles, ints, strings and
// lists of strings, the types a fact or derived fact may have; anything
// else is an error value.
func unbox(v ref.Val) value {
	switch x := v.(type) {
	case types.Bool:
		return boolean(bool(x))
	case types.Double:
		return dbl(float64(x))
	case types.Int:
		return value{k: kInt, i: int64(x)}
	case types.String:
		return str(string(x))
	case *types.Err:
		return value{k: kErr, err: x}
	case traits.Lister:
		n, ok := x.Size().(types.Int)
		if !ok {
			break
		}
		l := make([]string, 0, int(n))
		for i := range int(n) {
			s, ok := x.Get(types.Int(i)).(types.String)
			if !ok {
				return value{k: kErr, err: fmt.Errorf("a list element of type %s, not string", x.Get(types.Int(i)).Type())}
			}
			l = append(l, string(s))
		}
		return list(l)
	}
	return value{k: kErr, err: fmt.Errorf("a value of type %s, which facts cannot have", v.Type())}
}
