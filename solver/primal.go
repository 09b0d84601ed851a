// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"math"
	"sort"
)

// The primal heuristic: a price-guided greedy. The Lagrangian prices say
// which systems are dear; proposals are admitted in order of their margin
// (score minus the price of their cheapest system), each filling its
// cheapest systems first, so that flexible proposals ("any" software, several
// systems) leave the contested systems to those that can only run there. A
// proposal that cannot get its minimum share is refused outright, never cut
// below it. Leftover capacity is then offered to every other proposal and to
// the accepted ones.

type primal struct {
	m      *model
	off    []int
	rem    []float64 // per coupling row
	orgRem []float64
	g      []float64 // flat grants
	acc    []bool
	price  []float64 // flat arc prices at the guiding λ
	ord    []int     // scratch
	take   []float64 // scratch
}

func newPrimal(m *model, off []int) *primal {
	return &primal{
		m:      m,
		off:    off,
		rem:    make([]float64, len(m.rowCap)),
		orgRem: make([]float64, len(m.orgs)),
		g:      make([]float64, off[len(m.props)]),
		acc:    make([]bool, len(m.props)),
		price:  make([]float64, off[len(m.props)]),
	}
}

func (ps *primal) reset(lam []float64) {
	copy(ps.rem, ps.m.rowCap)
	for o := range ps.m.orgs {
		ps.orgRem[o] = ps.m.orgs[o].cap
	}
	for i := range ps.g {
		ps.g[i] = 0
	}
	for i := range ps.acc {
		ps.acc[i] = false
	}
	for p := range ps.m.props {
		pp := &ps.m.props[p]
		for a := range pp.arcs {
			var pr float64
			for _, r := range pp.arcs[a].rows {
				pr += lam[r]
			}
			ps.price[ps.off[p]+a] = pr
		}
	}
}

// arcOrder returns p's arcs, cheapest first at the guiding prices.
func (ps *primal) arcOrder(p int) []int {
	pp := &ps.m.props[p]
	ps.ord = ps.ord[:0]
	for a := range pp.arcs {
		ps.ord = append(ps.ord, a)
	}
	pr := ps.price[ps.off[p]:ps.off[p+1]]
	for i := 1; i < len(ps.ord); i++ {
		for j := i; j > 0; j-- {
			a, b := ps.ord[j-1], ps.ord[j]
			if pr[b] < pr[a] || (pr[b] == pr[a] && pp.arcs[b].sys < pp.arcs[a].sys) {
				ps.ord[j-1], ps.ord[j] = b, a
			} else {
				break
			}
		}
	}
	return ps.ord
}

// avail is how much more arc a of p can take under its rows.
func (ps *primal) avail(p, a int) float64 {
	arc := &ps.m.props[p].arcs[a]
	v := arc.req - ps.g[ps.off[p]+a]
	for _, r := range arc.rows {
		v = math.Min(v, ps.rem[r])
	}
	return math.Max(v, 0)
}

func (ps *primal) commit(p, a int, x float64) {
	if x <= 0 {
		return
	}
	ps.g[ps.off[p]+a] += x
	for _, r := range ps.m.props[p].arcs[a].rows {
		ps.rem[r] -= x
	}
	ps.orgRem[ps.m.props[p].org] -= x
}

// tryAccept admits p with up to target hours, cheapest systems first, if it
// can get at least its minimum share; otherwise it changes nothing.
func (ps *primal) tryAccept(p int, target float64) bool {
	pp := &ps.m.props[p]
	if ps.acc[p] || len(pp.arcs) == 0 {
		return false
	}
	target = math.Min(math.Max(target, pp.min), pp.total)
	room := math.Min(target, ps.orgRem[pp.org])
	if room < pp.min*(1-1e-12) {
		return false
	}
	ord := ps.arcOrder(p)
	ps.take = ps.take[:0]
	var got float64
	for _, a := range ord {
		x := math.Min(ps.avail(p, a), room-got)
		if x < 0 {
			x = 0
		}
		ps.take = append(ps.take, x)
		got += x
	}
	if got < pp.min*(1-1e-12) || got <= 0 {
		return false
	}
	for i, a := range ord {
		ps.commit(p, a, ps.take[i])
	}
	ps.acc[p] = true
	return true
}

// topUp gives accepted p whatever its systems still have, up to its request.
func (ps *primal) topUp(p int) {
	pp := &ps.m.props[p]
	for _, a := range ps.arcOrder(p) {
		x := math.Min(ps.avail(p, a), ps.orgRem[pp.org])
		ps.commit(p, a, x)
	}
}

// margins returns the proposals ordered by score minus cheapest price,
// best first, ties by input order.
func (ps *primal) byMargin() []int {
	m := ps.m
	idx := make([]int, len(m.props))
	margin := make([]float64, len(m.props))
	for p := range m.props {
		idx[p] = p
		best := math.Inf(1)
		for a := range m.props[p].arcs {
			best = math.Min(best, ps.price[ps.off[p]+a])
		}
		margin[p] = m.props[p].score - best
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return margin[idx[a]] > margin[idx[b]]
	})
	return idx
}

// run builds a feasible solution guided by prices lam and the subproblem's
// grants demand (flat), and returns its objective.
func (ps *primal) run(lam, demand []float64) float64 {
	ps.reset(lam)
	order := ps.byMargin()
	m := ps.m
	// 1. the proposals the subproblem accepts, with its amounts
	for _, p := range order {
		var t float64
		for _, x := range demand[ps.off[p]:ps.off[p+1]] {
			t += x
		}
		if t > 0 {
			ps.tryAccept(p, t)
		}
	}
	// 2. everything else, as much as fits
	for _, p := range order {
		if !ps.acc[p] {
			ps.tryAccept(p, m.props[p].total)
		}
	}
	// 3. leftovers to the accepted
	for _, p := range order {
		if ps.acc[p] {
			ps.topUp(p)
		}
	}
	return ps.objective()
}

func (ps *primal) objective() float64 {
	var z float64
	for p := range ps.m.props {
		var t float64
		for _, x := range ps.g[ps.off[p]:ps.off[p+1]] {
			t += x
		}
		z += ps.m.props[p].score * t
	}
	return z
}
