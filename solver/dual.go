// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"math"
	"sort"
)

// The Lagrangian bound.
//
// Dualising the coupling rows (system capacities and reserve rows) with
// multipliers λ ≥ 0 leaves one independent subproblem per organization:
//
//	L(λ) = Σ_j λ_j·b_j + Σ_o max { Σ_{p∈o} Σ_a (w_p − π_pa)·g_pa : org o's own constraints }
//
// where π_pa is the sum of the multipliers of the rows arc a of proposal p
// counts against. For every λ ≥ 0, L(λ) ≥ the MILP optimum (weak duality),
// whatever the quality of λ, so every evaluation is a proven bound as long as
// each organization's subproblem is solved exactly or over-estimated. The
// organization subproblem keeps the accept-or-refuse decision, the minimum
// fraction and the organization cap; it is a small knapsack with
// semi-continuous items, solved by branch and bound, and its integrality is
// what lifts L above the LP relaxation. Without org caps the subproblem has
// the integrality property and min L equals the LP bound.

// item is one proposal's best response to the prices: take at least base
// hours (its minimum share) for baseVal, then optionally the increments, each
// with a positive, non-increasing marginal value.
type item struct {
	p       int
	base    float64
	baseVal float64
	incs    []seg
	// envelope of {0} ∪ {(t, v(t))}: used for the LP bound of the org
	// knapsack.
	env []seg
	// ord is the arcs in the order they were filled (cheapest first); kept
	// only for capped organizations, whose grants may need trimming.
	ord []int
}

type seg struct {
	len, slope float64
	it         int // owning item index (for merges)
}

// evaluator holds reusable buffers for repeated evaluations of L; one per
// goroutine.
type evaluator struct {
	m     *model
	price []float64 // per arc of the proposal being evaluated
	order []int
	items []item
	segs  []seg
	nodes int
}

// arcOff gives the flat index of each proposal's first arc.
func arcOffsets(m *model) ([]int, int) {
	off := make([]int, len(m.props)+1)
	for i := range m.props {
		off[i+1] = off[i] + len(m.props[i].arcs)
	}
	return off, off[len(m.props)]
}

// dualResult is one evaluation of L.
type dualResult struct {
	value float64   // L(λ), a valid upper bound
	sub   []float64 // subgradient b_j − Σ demand_j per row
	exact bool      // every org subproblem solved to optimality
}

// respond computes proposal p's unconstrained best response at λ: the value
// V, its hours t*, and the per-arc grants written to g. It returns an item
// describing v on [m, t*] for use in org knapsacks.
func (e *evaluator) respond(p int, lam []float64, g []float64, keepOrder bool) (item, float64) {
	pp := &e.m.props[p]
	n := len(pp.arcs)
	e.price = e.price[:0]
	e.order = e.order[:0]
	for a := range pp.arcs {
		var pr float64
		for _, r := range pp.arcs[a].rows {
			pr += lam[r]
		}
		e.price = append(e.price, pr)
		e.order = append(e.order, a)
	}
	// insertion sort: n ≤ a handful, and sort.Slice would allocate
	for i := 1; i < n; i++ {
		for j := i; j > 0; j-- {
			a, b := e.order[j-1], e.order[j]
			if e.price[b] < e.price[a] || (e.price[b] == e.price[a] && pp.arcs[b].sys < pp.arcs[a].sys) {
				e.order[j-1], e.order[j] = b, a
			} else {
				break
			}
		}
	}
	for a := range g {
		g[a] = 0
	}
	it := item{p: p}
	if keepOrder {
		it.ord = append([]int(nil), e.order...)
	}
	if n == 0 || pp.total <= 0 {
		return it, 0
	}
	// Fill the base (minimum share) from the cheapest arcs.
	need := pp.min
	var val float64
	k := 0
	var partial float64 // hours already taken on arc order[k]
	for need > 0 && k < n {
		a := e.order[k]
		take := math.Min(need, pp.arcs[a].req-partial)
		g[a] += take
		val += take * (pp.score - e.price[a])
		need -= take
		partial += take
		if partial >= pp.arcs[a].req {
			k++
			partial = 0
		}
	}
	it.base = pp.min
	it.baseVal = val
	// Increments: the rest of every arc whose reduced value is positive.
	t := pp.min
	for ; k < n; k++ {
		a := e.order[k]
		rc := pp.score - e.price[a]
		if rc <= 0 {
			break
		}
		l := pp.arcs[a].req - partial
		partial = 0
		if l <= 0 {
			continue
		}
		it.incs = append(it.incs, seg{len: l, slope: rc})
		g[a] += l
		val += l * rc
		t += l
	}
	if val <= 0 {
		for a := range g {
			g[a] = 0
		}
		return it, 0
	}
	return it, val
}

// evaluate computes L(λ) and a subgradient; demand receives the per-arc
// grants of the subproblem solution (flat layout).
func (e *evaluator) evaluate(lam []float64, off []int, demand []float64, nodeLimit int) dualResult {
	m := e.m
	res := dualResult{sub: make([]float64, len(m.rowCap)), exact: true}
	var total float64
	for j, b := range m.rowCap {
		total += lam[j] * b
	}
	vals := make([]float64, 0, 16)
	for o := range m.orgs {
		og := &m.orgs[o]
		e.items = e.items[:0]
		vals = vals[:0]
		var sumT, sumV float64
		for _, p := range og.props {
			g := demand[off[p]:off[p+1]]
			it, v := e.respond(p, lam, g, !math.IsInf(og.cap, 1))
			if v > 0 {
				e.items = append(e.items, it)
				vals = append(vals, v)
				sumV += v
				for _, x := range g {
					sumT += x
				}
			}
		}
		if sumT <= og.cap*(1+1e-12) {
			total += sumV
			continue
		}
		ub, exact := e.knapsack(og.cap, off, demand, nodeLimit)
		if !exact {
			res.exact = false
		}
		total += ub
	}
	// Subgradient from the (incumbent) subproblem solution.
	for j, b := range m.rowCap {
		res.sub[j] = b
	}
	for p := range m.props {
		pp := &m.props[p]
		for a := range pp.arcs {
			x := demand[off[p]+a]
			if x == 0 {
				continue
			}
			for _, r := range pp.arcs[a].rows {
				res.sub[r] -= x
			}
		}
	}
	res.value = total
	return res
}

// knapsack solves one capped organization's subproblem over e.items by
// depth-first branch and bound. It rewrites the items' grants in demand to
// the best solution found and returns an upper bound on the subproblem's
// optimum, exact unless nodeLimit nodes were not enough (then the bound is
// the largest bound among the abandoned nodes, still valid).
func (e *evaluator) knapsack(capacity float64, off []int, demand []float64, nodeLimit int) (float64, bool) {
	items := e.items
	for i := range items {
		items[i].env = envelope(items[i])
	}
	// Branch in order of the envelope's best ratio: good items first make
	// the incumbent strong early.
	sort.SliceStable(items, func(a, b int) bool {
		ra, rb := items[a].env[0].slope, items[b].env[0].slope
		if ra != rb {
			return ra > rb
		}
		return items[a].p < items[b].p
	})
	n := len(items)
	state := make([]int8, n) // 0 free, 1 in, -1 out
	best := math.Inf(-1)
	bestIn := make([]bool, n)
	abandoned := math.Inf(-1)
	e.nodes = 0
	var rec func(depth int, rem float64, baseVal float64)
	rec = func(depth int, rem float64, baseVal float64) {
		e.nodes++
		ub := baseVal + e.fill(items, state, rem, true)
		if ub <= best+1e-9*math.Abs(best) {
			return
		}
		if e.nodes > nodeLimit {
			abandoned = math.Max(abandoned, ub)
			return
		}
		// incumbent: fixed-in items only
		if v := baseVal + e.fill(items, state, rem, false); v > best {
			best = v
			for i := range state {
				bestIn[i] = state[i] == 1
			}
		}
		if depth == n {
			return
		}
		if items[depth].base <= rem*(1+1e-12) {
			state[depth] = 1
			rec(depth+1, rem-items[depth].base, baseVal+items[depth].baseVal)
		}
		state[depth] = -1
		rec(depth+1, rem, baseVal)
		state[depth] = 0
	}
	// The empty selection is feasible with value 0.
	best = 0
	rec(0, capacity, 0)
	// Rewrite the grants of the items to the incumbent.
	rem := capacity
	for i := range items {
		if bestIn[i] {
			rem -= items[i].base
		}
	}
	// Greedy on the increments of selected items, in slope order.
	e.segs = e.segs[:0]
	for i := range items {
		if bestIn[i] {
			for _, s := range items[i].incs {
				e.segs = append(e.segs, seg{len: s.len, slope: s.slope, it: i})
			}
		}
	}
	sortSegs(e.segs)
	extra := make([]float64, n)
	for _, s := range e.segs {
		if rem <= 0 {
			break
		}
		take := math.Min(s.len, rem)
		extra[s.it] += take
		rem -= take
	}
	for i, it := range items {
		g := demand[off[it.p]:off[it.p+1]]
		if !bestIn[i] {
			for a := range g {
				g[a] = 0
			}
			continue
		}
		// g holds base + all increments in price order; trim the tail to
		// base + extra[i].
		keep := it.base + extra[i]
		var have float64
		for _, x := range g {
			have += x
		}
		cut := have - keep
		trim(&items[i], g, cut)
	}
	exact := math.IsInf(abandoned, -1)
	if exact {
		return best, true
	}
	return math.Max(best, abandoned), false
}

// trim removes cut hours from grants g of it, dearest arcs first: the
// increments sit at the dear end of the fill order, so the base share is
// never touched as long as cut ≤ the increments.
func trim(it *item, g []float64, cut float64) {
	for i := len(it.ord) - 1; i >= 0 && cut > 0; i-- {
		a := it.ord[i]
		take := math.Min(g[a], cut)
		g[a] -= take
		cut -= take
	}
}

// fill is the fractional-knapsack value of the free items' envelopes and
// the fixed-in items' increments within rem (lp=true), or the increments of
// the fixed-in items only (lp=false).
func (e *evaluator) fill(items []item, state []int8, rem float64, lp bool) float64 {
	if rem < 0 {
		return math.Inf(-1)
	}
	e.segs = e.segs[:0]
	for i := range items {
		switch {
		case state[i] == 1:
			e.segs = append(e.segs, items[i].incs...)
		case state[i] == 0 && lp:
			e.segs = append(e.segs, items[i].env...)
		}
	}
	sortSegs(e.segs)
	var v float64
	for _, s := range e.segs {
		if rem <= 0 {
			break
		}
		take := math.Min(s.len, rem)
		v += take * s.slope
		rem -= take
	}
	return v
}

func sortSegs(s []seg) {
	sort.Slice(s, func(a, b int) bool {
		if s[a].slope != s[b].slope {
			return s[a].slope > s[b].slope
		}
		if s[a].it != s[b].it {
			return s[a].it < s[b].it
		}
		return s[a].len > s[b].len
	})
}

// envelope returns the upper concave envelope of {(0,0)} ∪ {(t, v(t)) : t ∈
// [base, t*]} as segments from 0: the LP relaxation of one item.
func envelope(it item) []seg {
	t, v := it.base, it.baseVal
	i := 0
	for ; i < len(it.incs) && it.incs[i].slope > v/t; i++ {
		t += it.incs[i].len
		v += it.incs[i].len * it.incs[i].slope
	}
	env := []seg{{len: t, slope: v / t}}
	return append(env, it.incs[i:]...)
}
