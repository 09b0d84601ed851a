// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"fmt"
	"math"
	"strings"
)

// explain fills res.Grants and res.Prices from the flat solution g, with the
// multipliers lam of the best bound as marginal values.
func explain(m *model, off []int, g []float64, acc []bool, lam []float64, res *Result) {
	e := &explainer{m: m, off: off, g: g, acc: acc, lam: lam}
	used := e.settle()
	res.Prices = make([]SystemPrice, m.nsys)
	for s, sys := range m.in.Systems {
		res.Prices[s] = SystemPrice{SystemID: sys.ID, Price: lam[s], Capacity: sys.Capacity, Used: used[s]}
	}
	for r := m.nsys; r < len(m.rowCap); r++ {
		res.Prices[m.rowSys[r]].ReservePrice += lam[r]
	}
	res.Grants = make([]Grant, len(m.in.Proposals))
	for p := range m.props {
		res.Grants[m.props[p].idx] = e.grant(p)
	}
}

// explainer words the final solution of one Solve: g holds the grants of
// proposal p's arcs from off[p], acc whether p is accepted, lam the
// multipliers of the best bound.
type explainer struct {
	m   *model
	off []int
	g   []float64
	acc []bool
	lam []float64
	// What is left of every row and organization in the final solution.
	rem    []float64
	orgRem []float64
}

// settle computes what is left of every row and organization cap, and
// returns the hours used on each system.
func (e *explainer) settle() []float64 {
	m := e.m
	e.rem = append([]float64(nil), m.rowCap...)
	e.orgRem = make([]float64, len(m.orgs))
	for o := range m.orgs {
		e.orgRem[o] = m.orgs[o].cap
	}
	used := make([]float64, m.nsys)
	for p := range m.props {
		for a, arc := range m.props[p].arcs {
			x := e.g[e.off[p]+a]
			for _, r := range arc.rows {
				e.rem[r] -= x
			}
			used[arc.sys] += x
			e.orgRem[m.props[p].org] -= x
		}
	}
	return used
}

// grant returns proposal p's grant, its outcome and the explanation of
// both.
func (e *explainer) grant(p int) Grant {
	in := e.m.in
	pp := &e.m.props[p]
	ip := &in.Proposals[pp.idx]
	gr := Grant{ProposalID: ip.ID, Accepted: e.acc[p], Compatible: pp.total}
	gr.Systems = make([]SystemGrant, len(ip.Requests))
	for j, r := range ip.Requests {
		gr.Systems[j] = SystemGrant{SystemID: r.SystemID, Requested: r.Amount}
		gr.Requested += r.Amount
	}
	for a, arc := range pp.arcs {
		gr.Systems[arc.req0].Compatible = true
		gr.Systems[arc.req0].Granted = e.g[e.off[p]+a]
		gr.Granted += e.g[e.off[p]+a]
	}
	var why []string
	for j, sg := range gr.Systems {
		if !sg.Compatible {
			sw := in.Systems[e.m.sysIndex(sg.SystemID)].Software
			why = append(why, fmt.Sprintf("The request of %s GPU-h on %s is dropped: %s runs %s and the proposal needs %s.",
				hours(ip.Requests[j].Amount), sg.SystemID, sg.SystemID, sw, ip.Software))
		}
	}
	switch {
	case len(pp.arcs) == 0:
		gr.Outcome = OutcomeRefused
		why = append(why, "Refused: none of the requested systems runs its software.")
	case !e.acc[p]:
		gr.Outcome = OutcomeRefused
		why = append(why, e.refusal(p))
		why = append(why, e.limits(p)...)
	case gr.Granted >= pp.total*(1-1e-9):
		gr.Outcome = OutcomeFull
		why = append(why, fmt.Sprintf("Granted in full: %s GPU-h.", hours(gr.Granted)))
	default:
		gr.Outcome = OutcomeCut
		why = append(why, fmt.Sprintf("Cut to %.1f %% (%s of %s GPU-h), above its minimum viable share of %.0f %%.",
			100*gr.Granted/pp.total, hours(gr.Granted), hours(pp.total), 100*ip.MinFraction))
		why = append(why, e.limits(p)...)
	}
	gr.Explanation = why
	return gr
}

// refusal says why refused proposal p was refused rather than cut: from
// the most it could have had next to everyone else's grants.
func (e *explainer) refusal(p int) string {
	pp := &e.m.props[p]
	var room float64
	for _, arc := range pp.arcs {
		x := arc.req
		for _, r := range arc.rows {
			x = math.Min(x, e.rem[r])
		}
		room += math.Max(0, x)
	}
	room = math.Min(room, e.orgRem[pp.org])
	if room < pp.min {
		return fmt.Sprintf("Refused, not cut: after the proposals worth more per hour, at most %s GPU-h (%.0f %%) was left for it, below its minimum viable share of %.0f %% (%s GPU-h).",
			hours(math.Max(0, room)), 100*math.Max(0, room)/pp.total, 100*e.m.in.Proposals[pp.idx].MinFraction, hours(pp.min))
	}
	return fmt.Sprintf("Refused: %s GPU-h would fit, but the solver found the hours worth more elsewhere.", hours(room))
}

// limits lists, per compatible system where proposal p was not granted in
// full, the constraint that stopped it.
func (e *explainer) limits(p int) []string {
	pp := &e.m.props[p]
	var out []string
	for a, arc := range pp.arcs {
		x := e.g[e.off[p]+a]
		if x >= arc.req*(1-1e-9) {
			continue
		}
		out = append(out, fmt.Sprintf("%s of %s GPU-h on %s: %s", hours(x), hours(arc.req), e.m.in.Systems[arc.sys].ID, e.stopper(pp, arc, x)))
	}
	return out
}

// stopper names the constraint that kept arc, granted x hours, of proposal
// pp from its full request.
func (e *explainer) stopper(pp *prop, arc arc, x float64) string {
	m := e.m
	sys := m.in.Systems[arc.sys]
	price := 0.0
	for _, r := range arc.rows {
		price += e.lam[r]
	}
	// The tightest row, if it leaves less than the rest of the request, is
	// the one that stopped it.
	short := arc.req - x - 1e-6*math.Max(1, arc.req)
	var reason string
	left := math.Inf(1)
	if !math.IsInf(m.orgs[pp.org].cap, 1) && e.orgRem[pp.org] < short {
		left = e.orgRem[pp.org]
		reason = fmt.Sprintf("its organization's cap of %s GPU-h is used up (%s left)", hours(m.orgs[pp.org].cap), hours(math.Max(0, left)))
	}
	if e.rem[arc.sys] < short && e.rem[arc.sys] < left {
		left = e.rem[arc.sys]
		reason = fmt.Sprintf("%s is full (%s GPU-h left); an hour there is worth %.3f at the margin (score per GPU-hour), against this proposal's score %.3f", sys.ID, hours(math.Max(0, left)), price, pp.score)
	}
	for _, r := range arc.rows[1:] {
		if e.rem[r] < short && e.rem[r] < left {
			left = e.rem[r]
			res := m.in.Reservations[m.rowRes[r]]
			reason = fmt.Sprintf("%.0f %% of %s is reserved for %s proposals and the rest is used up (%s GPU-h left)", 100*res.Share, sys.ID, res.Class, hours(math.Max(0, left)))
		}
	}
	if reason == "" {
		reason = "no constraint binds; the solver left it unused"
	}
	return reason
}

func (m *model) sysIndex(id string) int {
	for i, s := range m.in.Systems {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// hours formats GPU-hours with thousands separators and no decimals.
func hours(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
