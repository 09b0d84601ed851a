// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"math"
	"sort"
)

// Warm starts.
//
// A what-if run re-solves an instance that differs from one already solved
// in a few parameters (one system's capacity, the organization cap, the
// reserved share). Its optimum is usually close to the previous one, in the
// assignment and in the multipliers, so Solve can start from both:
//
//   - the previous multipliers (Result.Duals) seed λ, matched by system and
//     reservation class; rows the previous run did not have start at 0;
//   - the previous grants (Result.Grants, or a stored run's awards) are
//     repaired to the new constraints and become the first incumbent:
//     proposals in decreasing score keep what they had on each system as
//     far as the new rows and caps allow, a proposal that no longer reaches
//     its minimum share is refused, then the usual greedy offers what is
//     left to everyone and the local search polishes the result;
//   - the subgradient steps start at a quarter of the cold step size,
//     since λ is already near a minimiser, and the search stops as soon as
//     the proven gap is no worse than Warm.Gap (the previous run's proven
//     gap), as well as at Options.TargetGap.
//
// A warm start changes how fast the search gets somewhere, never what it
// proves: Bound is still a Lagrangian dual value at some λ ≥ 0 of the new
// instance, hence a valid upper bound, and Gap is computed from it as in a
// cold solve. Warm data that names unknown proposals or systems is ignored,
// not an error: a what-if may drop a system or a proposal.

// Dual is one coupling row's Lagrangian multiplier: the capacity row of
// SystemID when Class is empty, otherwise the reserve row of reservation
// Class on SystemID.
type Dual struct {
	SystemID string  `json:"system_id"`
	Class    string  `json:"class,omitempty"`
	Value    float64 `json:"value"`
}

// WarmStart is a previous solution to start from.
type WarmStart struct {
	// Grants are the previous GPU-hours per proposal ID and system ID;
	// proposals absent from it start refused.
	Grants map[string]map[string]float64
	// Duals are the previous best multipliers (Result.Duals).
	Duals []Dual
	// Gap is the previous run's proven gap: the warm search stops once
	// its own proven gap is at most this (0: only Options.TargetGap).
	Gap float64
}

// WarmFrom returns the warm start of a previous result.
func WarmFrom(res *Result) *WarmStart {
	w := &WarmStart{Grants: make(map[string]map[string]float64, len(res.Grants)), Duals: res.Duals, Gap: res.Gap}
	for _, g := range res.Grants {
		if !g.Accepted {
			continue
		}
		m := make(map[string]float64, len(g.Systems))
		for _, s := range g.Systems {
			if s.Granted > 0 {
				m[s.SystemID] = s.Granted
			}
		}
		w.Grants[g.ProposalID] = m
	}
	return w
}

// duals returns the multipliers lam as Duals, one per coupling row.
func (m *model) duals(lam []float64) []Dual {
	out := make([]Dual, len(lam))
	for r := range lam {
		d := Dual{SystemID: m.in.Systems[m.rowSys[r]].ID, Value: lam[r]}
		if m.rowKind[r] == rowReserve {
			d.Class = m.in.Reservations[m.rowRes[r]].Class
		}
		out[r] = d
	}
	return out
}

// warmLambda writes w's multipliers into lam, by system and class.
func (m *model) warmLambda(w *WarmStart, lam []float64) {
	type key struct{ sys, class string }
	byKey := make(map[key]float64, len(w.Duals))
	for _, d := range w.Duals {
		if finite(d.Value) && d.Value > 0 {
			byKey[key{d.SystemID, d.Class}] = d.Value
		}
	}
	for r := range lam {
		k := key{sys: m.in.Systems[m.rowSys[r]].ID}
		if m.rowKind[r] == rowReserve {
			k.class = m.in.Reservations[m.rowRes[r]].Class
		}
		lam[r] = byKey[k]
	}
}

// repair builds a feasible solution from w's grants under the model's
// constraints, guided by prices lam for everything the grants do not say,
// and returns its objective.
func (ps *primal) repair(w *WarmStart, lam []float64) float64 {
	ps.reset(lam)
	m := ps.m
	order := ps.byMargin()
	// Previous grants first, best score first, each clipped to what its
	// rows and organization cap still allow.
	byScore := append([]int(nil), order...)
	sort.SliceStable(byScore, func(a, b int) bool { return m.props[byScore[a]].score > m.props[byScore[b]].score })
	for _, p := range byScore {
		prev := w.Grants[m.in.Proposals[m.props[p].idx].ID]
		if len(prev) == 0 {
			continue
		}
		pp := &m.props[p]
		ps.take = ps.take[:0]
		var got float64
		room := ps.orgRem[pp.org]
		for a, arc := range pp.arcs {
			x := math.Min(prev[m.in.Systems[arc.sys].ID], arc.req)
			x = math.Min(x, ps.avail(p, a))
			x = math.Max(0, math.Min(x, room-got))
			if !finite(x) {
				x = 0
			}
			ps.take = append(ps.take, x)
			got += x
		}
		if got <= 0 || got < pp.min*(1-1e-12) {
			continue // refused unless the greedy below finds it room
		}
		for a, x := range ps.take {
			ps.commit(p, a, x)
		}
		ps.setAcc(p, true)
	}
	for _, p := range order {
		if !ps.acc[p] {
			ps.tryAccept(p, m.props[p].total)
		}
	}
	for _, p := range order {
		if ps.acc[p] {
			ps.topUp(p)
		}
	}
	ps.polish(order)
	return ps.objective()
}
