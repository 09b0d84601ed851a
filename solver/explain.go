// SPDX-License-Identifier: EUPL-1.2

package solver

// explain fills res.Grants and res.Prices from the flat solution.
func explain(m *model, off []int, g []float64, acc []bool, lam []float64, res *Result) {
	in := m.in
	res.Grants = make([]Grant, len(in.Proposals))
	for p := range m.props {
		pp := &m.props[p]
		ip := &in.Proposals[pp.idx]
		gr := Grant{ProposalID: ip.ID, Accepted: acc[p], Compatible: pp.total}
		gr.Systems = make([]SystemGrant, len(ip.Requests))
		for j, r := range ip.Requests {
			gr.Systems[j] = SystemGrant{SystemID: r.SystemID, Requested: r.Amount}
			gr.Requested += r.Amount
		}
		for a, arc := range pp.arcs {
			gr.Systems[arc.req0].Compatible = true
			gr.Systems[arc.req0].Granted = g[off[p]+a]
			gr.Granted += g[off[p]+a]
		}
		switch {
		case !acc[p]:
			gr.Outcome = OutcomeRefused
		case gr.Granted >= pp.total*(1-1e-9):
			gr.Outcome = OutcomeFull
		default:
			gr.Outcome = OutcomeCut
		}
		res.Grants[pp.idx] = gr
	}
}
