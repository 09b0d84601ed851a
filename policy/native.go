// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"errors"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// Native conditions. A condition or derived fact written in the subset of
// CEL the embedded ruleset uses — facts, parameters, literals, && || ! ?:,
// comparisons, `in`, size, + - * / on doubles, + on lists of strings, list
// literals and sets.contains / sets.intersects — is also compiled from its
// checked AST into Go closures over the activation's values. Screening
// runs those instead of CEL's interpreter: they read typed values with no
// name lookup, no boxing and no allocation, which made a typical screening
// about twice as fast (BenchmarkScreen). CEL stays the language: it parses
// and type-checks every expression, lints, and evaluates whatever falls
// outside the subset, and the two evaluations are checked against each
// other (TestNativeMatchesCEL, FuzzNativeMatchesCEL).
//
// The closures keep CEL's semantics for this subset: && and || evaluate
// left to right and absorb an error when the other side decides (false for
// &&, true for ||); every other operator passes an error on; double
// arithmetic follows IEEE 754 as CEL's does (x/0 is ±Inf, never an error);
// ints and doubles compare by numeric value (the environment has
// CrossTypeNumericComparisons), exactly for the small ints a ruleset uses
// (sizes and literals). Errors arise only from derived facts left to CEL.

type (
	boolFn func(*activation) (bool, error)
	numFn  func(*activation) (float64, error)
	strFn  func(*activation) (string, error)
	listFn func(*activation) ([]string, error)
)

// nexpr is one compiled subexpression; k says which function is set. A
// constant also has its value in c, so that `x in params.list` can use a
// set and a list literal costs nothing.
type nexpr struct {
	k     vkind // kBool, kNum (int or double) or kStr, kList
	b     boolFn
	n     numFn
	s     strFn
	l     listFn
	konst *value
}

// errNotNative stops the compilation of an expression outside the subset.
var errNotNative = errors.New("not in the native subset")

// nativeCompiler compiles the expressions of one ruleset.
type nativeCompiler struct {
	rs  *Ruleset
	ast *celast.AST
}

// compileNativeBool returns the native form of a checked bool expression;
// nil when it is outside the subset.
func compileNativeBool(rs *Ruleset, a *cel.Ast) boolFn {
	nc := nativeCompiler{rs: rs, ast: a.NativeRep()}
	e, err := nc.expr(nc.ast.Expr())
	if err != nil || e.k != kBool {
		return nil
	}
	return e.b
}

// compileNativeDerived returns the native form of a derived fact's
// expression, as a function giving its value (kErr naming the fact when it
// fails); nil when the expression is outside the subset or an int.
func compileNativeDerived(rs *Ruleset, name string, a *cel.Ast) func(*activation) value {
	nc := nativeCompiler{rs: rs, ast: a.NativeRep()}
	e, err := nc.expr(nc.ast.Expr())
	if err != nil || nc.kindOf(nc.ast.Expr()) != e.k {
		return nil // an int would come back as a double
	}
	fail := func(err error) value {
		return value{k: kErr, err: errors.New("derived fact " + name + ": " + err.Error())}
	}
	switch e.k {
	case kBool:
		return func(a *activation) value {
			v, err := e.b(a)
			if err != nil {
				return fail(err)
			}
			return boolean(v)
		}
	case kNum:
		return func(a *activation) value {
			v, err := e.n(a)
			if err != nil {
				return fail(err)
			}
			return dbl(v)
		}
	case kStr:
		return func(a *activation) value {
			v, err := e.s(a)
			if err != nil {
				return fail(err)
			}
			return str(v)
		}
	case kList:
		return func(a *activation) value {
			v, err := e.l(a)
			if err != nil {
				return fail(err)
			}
			return list(v)
		}
	}
	return nil
}

// kindOf maps the checked type of e to a value kind: kInt for ints, kNone
// for types outside the subset.
func (nc *nativeCompiler) kindOf(e celast.Expr) vkind {
	t := nc.ast.GetType(e.ID())
	switch t.Kind() {
	case types.BoolKind:
		return kBool
	case types.DoubleKind:
		return kNum
	case types.IntKind:
		return kInt
	case types.StringKind:
		return kStr
	case types.ListKind:
		if p := t.Parameters(); len(p) == 1 && p[0].Kind() == types.StringKind {
			return kList
		}
	}
	return kNone
}

func (nc *nativeCompiler) expr(e celast.Expr) (nexpr, error) {
	if r := nc.ast.ReferenceMap()[e.ID()]; r != nil && len(r.OverloadIDs) == 0 {
		if r.Value != nil {
			return constant(r.Value)
		}
		if slot, ok := nc.rs.index[r.Name]; ok {
			return nc.read(slot, nc.kindOf(e))
		}
		return nexpr{}, errNotNative
	}
	switch e.Kind() {
	case celast.LiteralKind:
		return constant(e.AsLiteral())
	case celast.ListKind:
		return nc.listLiteral(e.AsList())
	case celast.CallKind:
		if k := nc.kindOf(e); k == kInt && isArithmetic(e.AsCall().FunctionName()) {
			return nexpr{}, errNotNative // int arithmetic truncates and overflows; doubles do neither
		}
		return nc.call(e.AsCall())
	}
	return nexpr{}, errNotNative
}

// constant is a literal or a parameter.
func constant(v ref.Val) (nexpr, error) {
	c := unbox(v)
	switch c.k {
	case kBool:
		return nexpr{k: kBool, konst: &c, b: func(*activation) (bool, error) { return c.b, nil }}, nil
	case kNum:
		return nexpr{k: kNum, konst: &c, n: func(*activation) (float64, error) { return c.f, nil }}, nil
	case kInt:
		f := float64(c.i)
		if int64(f) != c.i {
			return nexpr{}, errNotNative // not exact as a double
		}
		c = dbl(f)
		return nexpr{k: kNum, konst: &c, n: func(*activation) (float64, error) { return f, nil }}, nil
	case kStr:
		return nexpr{k: kStr, konst: &c, s: func(*activation) (string, error) { return c.s, nil }}, nil
	case kList:
		return nexpr{k: kList, konst: &c, l: func(*activation) ([]string, error) { return c.l, nil }}, nil
	}
	return nexpr{}, errNotNative
}

// read reads activation slot i, of kind k.
func (nc *nativeCompiler) read(i int, k vkind) (nexpr, error) {
	switch k {
	case kBool:
		return nexpr{k: kBool, b: func(a *activation) (bool, error) {
			v := a.val(i)
			return v.b, v.err
		}}, nil
	case kNum, kInt:
		return nexpr{k: kNum, n: func(a *activation) (float64, error) {
			v := a.val(i)
			if v.k == kInt {
				return float64(v.i), nil
			}
			return v.f, v.err
		}}, nil
	case kStr:
		return nexpr{k: kStr, s: func(a *activation) (string, error) {
			v := a.val(i)
			return v.s, v.err
		}}, nil
	case kList:
		return nexpr{k: kList, l: func(a *activation) ([]string, error) {
			v := a.val(i)
			return v.l, v.err
		}}, nil
	}
	return nexpr{}, errNotNative
}

func (nc *nativeCompiler) listLiteral(l celast.ListExpr) (nexpr, error) {
	if len(l.OptionalIndices()) > 0 {
		return nexpr{}, errNotNative
	}
	elems := make([]strFn, 0, l.Size())
	konst := make([]string, 0, l.Size())
	for _, e := range l.Elements() {
		x, err := nc.expr(e)
		if err != nil || x.k != kStr {
			return nexpr{}, errNotNative
		}
		elems = append(elems, x.s)
		if x.konst != nil {
			konst = append(konst, x.konst.s)
		}
	}
	if len(konst) == len(elems) {
		return constant(types.NewStringList(adapter, konst))
	}
	return nexpr{k: kList, l: func(a *activation) ([]string, error) {
		out := make([]string, len(elems))
		for i, f := range elems {
			s, err := f(a)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}}, nil
}

// args compiles a call's operands, the target first for a member call.
func (nc *nativeCompiler) args(c celast.CallExpr) ([]nexpr, error) {
	in := c.Args()
	if c.IsMemberFunction() {
		in = append([]celast.Expr{c.Target()}, in...)
	}
	out := make([]nexpr, len(in))
	for i, e := range in {
		x, err := nc.expr(e)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

func (nc *nativeCompiler) call(c celast.CallExpr) (nexpr, error) {
	x, err := nc.args(c)
	if err != nil {
		return nexpr{}, err
	}
	fn := c.FunctionName()
	switch {
	case len(x) == 1:
		return unaryOp(fn, x[0])
	case len(x) == 2:
		return binaryOp(fn, x[0], x[1])
	case len(x) == 3 && fn == "_?_:_":
		return conditional(x[0], x[1], x[2])
	}
	return nexpr{}, errNotNative
}

func unaryOp(fn string, x nexpr) (nexpr, error) {
	switch {
	case fn == "!_" && x.k == kBool:
		return nexpr{k: kBool, b: func(a *activation) (bool, error) {
			v, err := x.b(a)
			return !v, err
		}}, nil
	case fn == "-_" && x.k == kNum:
		return nexpr{k: kNum, n: func(a *activation) (float64, error) {
			v, err := x.n(a)
			return -v, err
		}}, nil
	case fn == "size" && x.k == kList:
		return nexpr{k: kNum, n: func(a *activation) (float64, error) {
			v, err := x.l(a)
			return float64(len(v)), err
		}}, nil
	case fn == "size" && x.k == kStr:
		return nexpr{k: kNum, n: func(a *activation) (float64, error) {
			v, err := x.s(a)
			return float64(utf8.RuneCountInString(v)), err
		}}, nil
	}
	return nexpr{}, errNotNative
}

func isArithmetic(fn string) bool {
	switch fn {
	case "_+_", "_-_", "_*_", "_/_", "_%_", "-_":
		return true
	}
	return false
}

func binaryOp(fn string, x, y nexpr) (nexpr, error) {
	switch fn {
	case "_&&_", "_||_":
		return logical(fn == "_&&_", x, y)
	case "@in":
		return membership(x, y)
	case "sets.contains", "sets.intersects":
		return setOp(fn == "sets.contains", x, y)
	case "_+_", "_-_", "_*_", "_/_":
		return arithmetic(fn, x, y)
	case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_":
		return comparison(fn, x, y)
	}
	return nexpr{}, errNotNative
}

// logical is && (and true) or ||, with CEL's commutative error handling:
// a side that decides the result (false for &&, true for ||) wins over an
// error on the other side.
func logical(and bool, x, y nexpr) (nexpr, error) {
	if x.k != kBool || y.k != kBool {
		return nexpr{}, errNotNative
	}
	decisive := !and
	return nexpr{k: kBool, b: func(a *activation) (bool, error) {
		l, lerr := x.b(a)
		if lerr == nil && l == decisive {
			return decisive, nil
		}
		r, rerr := y.b(a)
		switch {
		case rerr == nil && r == decisive:
			return decisive, nil
		case lerr != nil:
			return false, lerr
		case rerr != nil:
			return false, rerr
		}
		return !decisive, nil
	}}, nil
}

// setThreshold is the size from which a constant list is looked up in a
// map rather than scanned: below it, comparing strings is faster than
// hashing one.
const setThreshold = 8

func membership(x, y nexpr) (nexpr, error) {
	if x.k != kStr || y.k != kList {
		return nexpr{}, errNotNative
	}
	if y.konst != nil && len(y.konst.l) >= setThreshold {
		set := make(map[string]struct{}, len(y.konst.l))
		for _, s := range y.konst.l {
			set[s] = struct{}{}
		}
		return nexpr{k: kBool, b: func(a *activation) (bool, error) {
			s, err := x.s(a)
			_, in := set[s]
			return in && err == nil, err
		}}, nil
	}
	return nexpr{k: kBool, b: func(a *activation) (bool, error) {
		s, err := x.s(a)
		if err != nil {
			return false, err
		}
		l, err := y.l(a)
		return contains(l, s), err
	}}, nil
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// setOp is sets.contains(x, y) (every element of y is in x) or
// sets.intersects(x, y) (some element is in both).
func setOp(all bool, x, y nexpr) (nexpr, error) {
	if x.k != kList || y.k != kList {
		return nexpr{}, errNotNative
	}
	return nexpr{k: kBool, b: func(a *activation) (bool, error) {
		l, err := x.l(a)
		if err != nil {
			return false, err
		}
		r, err := y.l(a)
		if err != nil {
			return false, err
		}
		for _, s := range r {
			if in := contains(l, s); in != all {
				return in, nil
			}
		}
		return all, nil
	}}, nil
}

func arithmetic(fn string, x, y nexpr) (nexpr, error) {
	if fn == "_+_" && x.k == kList && y.k == kList {
		return nexpr{k: kList, l: func(a *activation) ([]string, error) {
			l, err := x.l(a)
			if err != nil {
				return nil, err
			}
			r, err := y.l(a)
			switch {
			case err != nil:
				return nil, err
			case len(r) == 0:
				return l, nil // lists are never changed, so sharing is safe
			case len(l) == 0:
				return r, nil
			}
			return append(append(make([]string, 0, len(l)+len(r)), l...), r...), nil
		}}, nil
	}
	if x.k != kNum || y.k != kNum || x.n == nil {
		return nexpr{}, errNotNative
	}
	op := map[string]func(l, r float64) float64{
		"_+_": func(l, r float64) float64 { return l + r },
		"_-_": func(l, r float64) float64 { return l - r },
		"_*_": func(l, r float64) float64 { return l * r },
		"_/_": func(l, r float64) float64 { return l / r },
	}[fn]
	return nexpr{k: kNum, n: func(a *activation) (float64, error) {
		l, err := x.n(a)
		if err != nil {
			return 0, err
		}
		r, err := y.n(a)
		return op(l, r), err
	}}, nil
}

// comparison compares two numbers, two strings or (for == and !=) two
// bools.
func comparison(fn string, x, y nexpr) (nexpr, error) {
	if x.k != y.k {
		return nexpr{}, errNotNative
	}
	switch x.k {
	case kNum:
		return compare(fn, x.n, y.n)
	case kStr:
		return compare(fn, x.s, y.s)
	case kBool:
		if fn == "_==_" || fn == "_!=_" {
			return compare(fn, func(a *activation) (int, error) {
				v, err := x.b(a)
				return boolInt(v), err
			}, func(a *activation) (int, error) {
				v, err := y.b(a)
				return boolInt(v), err
			})
		}
	}
	return nexpr{}, errNotNative
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compare[T int | float64 | string](fn string, x, y func(*activation) (T, error)) (nexpr, error) {
	var cmp func(l, r T) bool
	switch fn {
	case "_==_":
		cmp = func(l, r T) bool { return l == r }
	case "_!=_":
		cmp = func(l, r T) bool { return l != r }
	case "_<_":
		cmp = func(l, r T) bool { return l < r }
	case "_<=_":
		cmp = func(l, r T) bool { return l <= r }
	case "_>_":
		cmp = func(l, r T) bool { return l > r }
	case "_>=_":
		cmp = func(l, r T) bool { return l >= r }
	}
	return nexpr{k: kBool, b: func(a *activation) (bool, error) {
		l, err := x(a)
		if err != nil {
			return false, err
		}
		r, err := y(a)
		return cmp(l, r) && err == nil, err
	}}, nil
}

func conditional(c, x, y nexpr) (nexpr, error) {
	if c.k != kBool || x.k != y.k {
		return nexpr{}, errNotNative
	}
	pick := func(a *activation) (bool, error) { return c.b(a) }
	switch x.k {
	case kBool:
		return nexpr{k: kBool, b: func(a *activation) (bool, error) {
			if t, err := pick(a); err != nil {
				return false, err
			} else if t {
				return x.b(a)
			}
			return y.b(a)
		}}, nil
	case kNum:
		return nexpr{k: kNum, n: func(a *activation) (float64, error) {
			if t, err := pick(a); err != nil {
				return 0, err
			} else if t {
				return x.n(a)
			}
			return y.n(a)
		}}, nil
	case kStr:
		return nexpr{k: kStr, s: func(a *activation) (string, error) {
			if t, err := pick(a); err != nil {
				return "", err
			} else if t {
				return x.s(a)
			}
			return y.s(a)
		}}, nil
	case kList:
		return nexpr{k: kList, l: func(a *activation) ([]string, error) {
			if t, err := pick(a); err != nil {
				return nil, err
			} else if t {
				return x.l(a)
			}
			return y.l(a)
		}}, nil
	}
	return nexpr{}, errNotNative
}
