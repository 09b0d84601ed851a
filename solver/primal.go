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
	tot    []float64 // per proposal total granted
	// donors[s] lists (proposal, arc) pairs on system s by ascending
	// score, ties by input order: who gives way first.
	donors [][][2]int
	undo   []undoEntry
	logOn  bool
	// orgByScore lists each organization's proposals by ascending score.
	orgByScore [][]int
	// multi[s] is donors[s] restricted to proposals with several arcs.
	multi [][][2]int
	z     float64 // running objective
}

type undoEntry struct {
	p, a int
	x    float64 // grant added; a NaN x marks an acceptance flip of p
}

func newPrimal(m *model, off []int) *primal {
	ps := &primal{
		m:      m,
		off:    off,
		rem:    make([]float64, len(m.rowCap)),
		orgRem: make([]float64, len(m.orgs)),
		g:      make([]float64, off[len(m.props)]),
		acc:    make([]bool, len(m.props)),
		price:  make([]float64, off[len(m.props)]),
		tot:    make([]float64, len(m.props)),
		donors: make([][][2]int, m.nsys),
	}
	for p := range m.props {
		for a, arc := range m.props[p].arcs {
			ps.donors[arc.sys] = append(ps.donors[arc.sys], [2]int{p, a})
		}
	}
	ps.orgByScore = make([][]int, len(m.orgs))
	for o := range m.orgs {
		l := append([]int(nil), m.orgs[o].props...)
		sort.SliceStable(l, func(i, j int) bool { return m.props[l[i]].score < m.props[l[j]].score })
		ps.orgByScore[o] = l
	}
	ps.multi = make([][][2]int, m.nsys)
	for s := range ps.donors {
		d := ps.donors[s]
		sort.SliceStable(d, func(i, j int) bool { return m.props[d[i][0]].score < m.props[d[j][0]].score })
		for _, x := range d {
			if len(m.props[x[0]].arcs) > 1 {
				ps.multi[s] = append(ps.multi[s], x)
			}
		}
	}
	return ps
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
		ps.tot[i] = 0
	}
	ps.undo = ps.undo[:0]
	ps.logOn = false
	ps.z = 0
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
	if x == 0 {
		return
	}
	if ps.logOn {
		ps.undo = append(ps.undo, undoEntry{p: p, a: a, x: x})
	}
	ps.g[ps.off[p]+a] += x
	ps.tot[p] += x
	ps.z += ps.m.props[p].score * x
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
	ps.setAcc(p, true)
	return true
}

func (ps *primal) setAcc(p int, v bool) {
	if ps.acc[p] == v {
		return
	}
	if ps.logOn {
		ps.undo = append(ps.undo, undoEntry{p: p, x: math.NaN()})
	}
	ps.acc[p] = v
}

// rollback undoes every change logged since mark.
func (ps *primal) rollback(mark int) {
	on := ps.logOn
	ps.logOn = false
	for i := len(ps.undo) - 1; i >= mark; i-- {
		u := ps.undo[i]
		if math.IsNaN(u.x) {
			ps.acc[u.p] = !ps.acc[u.p]
			continue
		}
		ps.commit(u.p, u.a, -u.x)
	}
	ps.undo = ps.undo[:mark]
	ps.logOn = on
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
	// Score first: on any one system a higher score is a higher reduced
	// value, whatever the prices; the margin breaks ties.
	sort.SliceStable(idx, func(a, b int) bool {
		sa, sb := m.props[idx[a]].score, m.props[idx[b]].score
		if sa != sb {
			return sa > sb
		}
		return margin[idx[a]] > margin[idx[b]]
	})
	return idx
}

// run builds a feasible solution guided by prices lam and the subproblem's
// grants demand (flat), and returns its objective.
func (ps *primal) run(lam, demand []float64, polish bool) float64 {
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
	if polish {
		ps.polish(order)
	}
	return ps.objective()
}

// polish is the local search: move hours from lower to higher scores,
// proposals taken in order.
func (ps *primal) polish(order []int) {
	m := ps.m
	for pass := 0; pass < 3; pass++ {
		changed := false
		for _, q := range order {
			if ps.tot[q] < m.props[q].total*(1-1e-9) && ps.improve(q) {
				changed = true
			}
		}
		for _, p := range order {
			if ps.acc[p] {
				ps.topUp(p)
			} else {
				ps.tryAccept(p, m.props[p].total)
			}
		}
		if !changed {
			break
		}
	}
}

// improve tries to give q more hours (admitting it if refused) by taking
// them from proposals with a lower score on the same systems: first by
// cutting them towards their minimum share, then, if q still cannot reach
// its own minimum, by refusing them. It keeps the change only if the
// objective rises, and reports whether it did.
func (ps *primal) improve(q int) bool {
	m := ps.m
	pq := &m.props[q]
	if len(pq.arcs) == 0 {
		return false
	}
	mark := len(ps.undo)
	ps.logOn = true
	defer func() { ps.logOn = false; ps.undo = ps.undo[:mark] }()
	before := ps.objective0()
	arcs := append([]int(nil), ps.arcOrder(q)...)
	want := pq.total - ps.tot[q]
	if ps.orgRem[pq.org] < want {
		ps.makeOrgRoom(q, want-ps.orgRem[pq.org], false)
		if !ps.acc[q] && ps.orgRem[pq.org] < pq.min {
			ps.makeOrgRoom(q, pq.min-ps.orgRem[pq.org], true)
		}
	}
	want = math.Min(want, ps.orgRem[pq.org])
	if !ps.acc[q] && want < pq.min*(1-1e-12) {
		ps.rollback(mark)
		return false
	}
	// Hours q could use now but that are too few for its minimum: only
	// then can cutting a better proposal pay.
	// On small instances the wider search is cheap: allow it always.
	stranded := len(m.props) <= polishAllBelow
	if !ps.acc[q] && !stranded {
		for _, a := range arcs {
			if ps.avail(q, a) > 0 {
				stranded = true
				break
			}
		}
	}
	// Cut donors (keeping them at or above their minimum).
	for _, a := range arcs {
		if want <= 0 {
			break
		}
		ps.makeRoom(q, a, math.Min(want, pq.arcs[a].req-ps.g[ps.off[q]+a]), false, stranded)
		want -= ps.avail(q, a)
	}
	reach := func() float64 {
		var t float64
		for _, a := range arcs {
			t += ps.avail(q, a)
		}
		return math.Min(t, ps.orgRem[pq.org])
	}
	if !ps.acc[q] && reach() < pq.min*(1-1e-12) {
		// Refuse donors outright.
		short := pq.min - reach()
		for _, a := range arcs {
			if short <= 0 {
				break
			}
			ps.makeRoom(q, a, math.Min(short, pq.arcs[a].req-ps.g[ps.off[q]+a]), true, false)
			short = pq.min - reach()
		}
		if reach() < pq.min*(1-1e-12) {
			ps.rollback(mark)
			return false
		}
	}
	// Give q what it can now have.
	if ps.acc[q] {
		ps.topUp(q)
	} else if !ps.tryAccept(q, pq.total) {
		ps.rollback(mark)
		return false
	}
	// Let the donors take back anything q did not need.
	for i := mark; i < len(ps.undo); i++ {
		u := ps.undo[i]
		if !math.IsNaN(u.x) && u.x < 0 && u.p != q && ps.acc[u.p] {
			ps.topUp(u.p)
		}
	}
	if ps.objective0() <= before*(1+1e-12) {
		ps.rollback(mark)
		return false
	}
	return true
}

// makeRoom frees up to need hours for q on its arc a by cutting (or, with
// evict, refusing) accepted proposals on the same system, lowest score
// first. Refusing is only tried on lower scores; cutting a higher score is
// tried only when anyHigher is set (q has stranded hours it cannot use
// alone), since it pays only when it lets q use hours nobody else could.
// improve keeps the result only if the objective rises. A donor is touched
// only if its hours count against every row of q's arc that is short.
func (ps *primal) makeRoom(q, a int, need float64, evict, anyHigher bool) {
	m := ps.m
	qa := &m.props[q].arcs[a]
	sq := m.props[q].score
	have := ps.avail(q, a)
	if !evict {
		// Free moves first: proposals of any score that can take the
		// same hours on another of their systems.
		for _, d := range ps.multi[qa.sys] {
			if need <= have+1e-9 {
				return
			}
			p, pa := d[0], d[1]
			if p == q || !ps.acc[p] {
				continue
			}
			x := ps.g[ps.off[p]+pa]
			if x <= 0 || !ps.helps(q, a, p, pa, need) {
				continue
			}
			for b := range m.props[p].arcs {
				short := need - have
				if b == pa || short <= 0 || x <= 0 {
					continue
				}
				mv := math.Min(math.Min(x, short), ps.avail(p, b))
				if mv > 0 {
					ps.commit(p, pa, -mv)
					ps.commit(p, b, mv)
					x -= mv
					have = ps.avail(q, a)
				}
			}
		}
	}
	for _, d := range ps.donors[qa.sys] {
		if need <= have+1e-9 {
			return
		}
		p, pa := d[0], d[1]
		if m.props[p].score >= sq && (evict || !anyHigher) {
			return
		}
		if p == q || !ps.acc[p] {
			continue
		}
		x := ps.g[ps.off[p]+pa]
		if x <= 0 || !ps.helps(q, a, p, pa, need) {
			continue
		}
		if evict {
			// refuse p: all its hours go back
			for b := range m.props[p].arcs {
				ps.commit(p, b, -ps.g[ps.off[p]+b])
			}
			ps.setAcc(p, false)
			have = ps.avail(q, a)
			continue
		}
		red := math.Min(math.Min(x, ps.tot[p]-m.props[p].min), need-have)
		if red > 0 {
			ps.commit(p, pa, -red)
			have = ps.avail(q, a)
		}
	}
}

// makeOrgRoom frees up to need hours of q's organization cap by cutting
// (or, with evict, refusing) the organization's accepted proposals of lower
// score, lowest first.
func (ps *primal) makeOrgRoom(q int, need float64, evict bool) {
	m := ps.m
	sq := m.props[q].score
	for _, p := range ps.orgByScore[m.props[q].org] {
		short := need
		if short <= 1e-9 {
			return
		}
		if m.props[p].score >= sq {
			return
		}
		if p == q || !ps.acc[p] {
			continue
		}
		if evict {
			for b := range m.props[p].arcs {
				need -= ps.g[ps.off[p]+b]
				ps.commit(p, b, -ps.g[ps.off[p]+b])
			}
			ps.setAcc(p, false)
			continue
		}
		red := math.Min(ps.tot[p]-m.props[p].min, short)
		for b := len(m.props[p].arcs) - 1; b >= 0 && red > 0; b-- {
			x := math.Min(red, ps.g[ps.off[p]+b])
			ps.commit(p, b, -x)
			red -= x
			need -= x
		}
	}
}

// helps reports whether freeing hours of p's arc pa would relax every row of
// q's arc a that currently leaves less than need.
func (ps *primal) helps(q, a, p, pa int, need float64) bool {
	rowsP := ps.m.props[p].arcs[pa].rows
	for _, r := range ps.m.props[q].arcs[a].rows {
		if ps.rem[r] >= need {
			continue
		}
		if !containsInt(rowsP, r) {
			return false
		}
	}
	return true
}

// objective0 is the running objective, cheap but with accumulated
// rounding; objective recomputes it exactly.
func (ps *primal) objective0() float64 { return ps.z }

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
