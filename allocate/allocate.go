// SPDX-License-Identifier: EUPL-1.2

package allocate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/solver"
)

// Allocator implements pactum.Allocator with the pure-Go optimiser.
type Allocator struct{ opts solver.Options }

var _ pactum.Allocator = (*Allocator)(nil)

// New returns an allocator solving with opts. Leave opts.TimeLimit zero, or
// runs stop being reproducible from their inputs.
func New(opts solver.Options) *Allocator { return &Allocator{opts: opts} }

// capacityMargin shrinks each system's remaining capacity before solving by
// a relative 1e-12, as much as the store's capacity reservation tolerates
// above it, so that summation and unit-conversion rounding can never take a
// published grant past what a reservation allows. It is far below anything
// the explanations show (they round to whole GPU-hours).
const capacityMargin = 1e-12

// candidate is a proposal in the instance with what the instance does not
// say.
type candidate struct {
	p       *pactum.Proposal
	panel   *pactum.PanelRecord
	classes []string
	// notes explain what the run did before the solver saw the proposal
	// (requests dropped by the technical assessment).
	notes []string
}

// model is the optimiser's view of a snapshot: the instance, the
// proposals refused before solving, and the hash of both.
type model struct {
	snap      *pactum.RunSnapshot
	instance  *solver.Instance
	cands     []*candidate        // in instance order
	refused   []pactum.RunOutcome // refused before solving
	remaining map[string]float64  // GPU-hours left per system before the margin
	hash      string
}

// build turns a snapshot into the optimiser's model:
//   - ranked proposals the panel found below the rubric's thresholds are
//     refused without solving; those not yet ranked are left out;
//   - each proposal's score is its panel score; its requests are converted
//     to GPU-hours, minus any system its technical assessment found not
//     feasible or unfit for its software; its software is
//     Proposal.SoftwareStack; its minimum fraction Proposal.MinFraction;
//     its organization is in the startup/SME class when it is an SME;
//   - each system's capacity is what the call's running totals leave, or
//     the run's override of it (a what-if);
//   - one cap per organization and one reservation for startups and SMEs.
func build(snap *pactum.RunSnapshot, params pactum.AllocationRunParams) (*model, error) {
	remaining, _, err := snap.Remaining()
	if err != nil {
		return nil, err
	}
	m := &model{snap: snap, instance: &solver.Instance{Proposals: []solver.Proposal{}}, remaining: remaining}
	for _, id := range snap.Call.SystemIDs {
		if c, ok := params.Capacities[id]; ok {
			remaining[id] = c // a what-if's capacity
		}
		m.instance.Systems = append(m.instance.Systems, solver.System{ID: id, Capacity: remaining[id] * (1 - capacityMargin),
			Software: solver.Software(snap.Systems[id].Software)})
	}
	for _, rc := range snap.Candidates {
		if rc.Panel != nil {
			m.add(rc)
		}
	}
	seen := map[string]bool{}
	for _, sp := range m.instance.Proposals {
		if !seen[sp.OrgID] {
			seen[sp.OrgID] = true
			m.instance.OrgCaps = append(m.instance.OrgCaps, solver.OrgCap{OrgID: sp.OrgID, Cap: params.OrgCapGPUHours})
		}
	}
	if params.ReservedShare > 0 {
		m.instance.Reservations = []solver.Reservation{{Class: params.ReservedClass, Share: params.ReservedShare}}
	}
	// The hash covers what the solver sees and what was refused before it.
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(m.instance); err != nil {
		return nil, fmt.Errorf("hash instance: %w", err)
	}
	if err := json.NewEncoder(h).Encode(m.refused); err != nil {
		return nil, fmt.Errorf("hash refusals: %w", err)
	}
	m.hash = hex.EncodeToString(h.Sum(nil))
	return m, nil
}

// add puts a ranked proposal into the instance, or refuses it.
func (m *model) add(rc pactum.RunCandidate) {
	p, systems := rc.Proposal, m.snap.Systems
	c := &candidate{p: p, panel: rc.Panel}
	if !rc.Panel.Passes || rc.Panel.Score <= 0 {
		why := []string{fmt.Sprintf("Refused: the panel found the proposal below the call's rubric (score %.2f).", rc.Panel.Score)}
		m.refused = append(m.refused, refusedOutcome(c, p.TotalGPUHours(systems), append(why, rc.Panel.Verdict.Failing...)))
		return
	}
	if rc.SME {
		c.classes = []string{pactum.ReservedClassSME}
	}
	unusable := unusableSystems(rc.Technical)
	sp := solver.Proposal{ID: p.ID, OrgID: p.OrganizationID, Score: rc.Panel.Score, MinFraction: p.MinFraction(),
		Software: solver.Software(p.SoftwareStack(systems)), Classes: c.classes}
	for _, r := range p.Requests {
		if why, ok := unusable[r.SystemID]; ok {
			c.notes = append(c.notes, why)
			continue
		}
		sp.Requests = append(sp.Requests, solver.Request{SystemID: r.SystemID, Amount: systems[r.SystemID].GPUHours(r.Amount)})
	}
	if len(sp.Requests) == 0 {
		m.refused = append(m.refused, refusedOutcome(c, p.TotalGPUHours(systems),
			append(c.notes, "Refused: the hosting sites found none of the requested systems usable for the work.")))
		return
	}
	m.instance.Proposals = append(m.instance.Proposals, sp)
	m.cands = append(m.cands, c)
}

func refusedOutcome(c *candidate, requested float64, why []string) pactum.RunOutcome {
	return pactum.RunOutcome{ProposalID: c.p.ID, OrganizationID: c.p.OrganizationID, Title: c.p.Title, Score: c.panel.Score,
		Rank: c.panel.Rank, Classes: nonNil(c.classes), Outcome: pactum.RunOutcomeRefused, RequestedGPUHours: requested,
		MinFraction: c.p.MinFraction(), Grants: []pactum.Grant{}, Explanation: why}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unusableSystems returns, per system a technical assessment found not
// feasible or unfit for the proposal's software, the sentence that explains
// dropping its request.
func unusableSystems(technical []*pactum.Review) map[string]string {
	out := map[string]string{}
	for _, r := range technical {
		for _, a := range r.Systems {
			switch {
			case !a.Feasible:
				out[a.SystemID] = fmt.Sprintf("The request on %s is dropped: %s's technical assessment found it not feasible.", a.SystemID, r.Site)
			case !a.SoftwareFits:
				out[a.SystemID] = fmt.Sprintf("The request on %s is dropped: %s's technical assessment found the proposal's software does not run there.", a.SystemID, r.Site)
			}
		}
	}
	return out
}

// InputHash returns the hash of what a run of snap under params depends on.
func (a *Allocator) InputHash(snap *pactum.RunSnapshot, params pactum.AllocationRunParams) (string, error) {
	m, err := build(snap, params)
	if err != nil {
		return "", err
	}
	return m.hash, nil
}

// Solve solves the call's problem and explains every outcome; with a base
// run it starts from that run's solution (warmStart).
func (a *Allocator) Solve(ctx context.Context, snap *pactum.RunSnapshot, params pactum.AllocationRunParams, base *pactum.AllocationRun) (*pactum.AllocationRun, []byte, error) {
	m, err := build(snap, params)
	if err != nil {
		return nil, nil, err
	}
	opts := a.opts
	if base != nil {
		opts.Warm = warmStart(base, snap.Systems)
	}
	res, err := solver.Solve(ctx, m.instance, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("solve call %s: %w", snap.Call.ID, err)
	}
	run := &pactum.AllocationRun{Params: params, InputHash: m.hash, Objective: res.Objective, Bound: res.Bound, Gap: res.Gap,
		BoundExact: res.BoundExact, Iterations: res.Iterations, SolveSeconds: res.Elapsed.Seconds(), Warm: res.Warm}
	if base != nil {
		run.BaseRunID = base.ID
	}
	run.Outcomes, run.Systems = m.outcomes(res)
	instance, err := json.Marshal(m.instance)
	if err != nil {
		return nil, nil, fmt.Errorf("encode instance: %w", err)
	}
	return run, instance, nil
}

// outcomes turns the solver's result into the run's outcomes, best ranked
// first, and its systems.
func (m *model) outcomes(res *solver.Result) ([]pactum.RunOutcome, []pactum.RunSystem) {
	systems := m.snap.Systems
	out := slices.Clone(m.refused)
	for i, g := range res.Grants {
		c := m.cands[i]
		o := pactum.RunOutcome{ProposalID: c.p.ID, OrganizationID: c.p.OrganizationID, Title: c.p.Title, Score: c.panel.Score,
			Rank: c.panel.Rank, Classes: nonNil(c.classes), Outcome: string(g.Outcome),
			RequestedGPUHours: c.p.TotalGPUHours(systems), GrantedGPUHours: g.Granted, MinFraction: c.p.MinFraction(),
			Grants: []pactum.Grant{}, Explanation: append(slices.Clone(c.notes), g.Explanation...)}
		for _, sg := range g.Systems {
			if sg.Granted <= 0 {
				continue
			}
			amount := systems[sg.SystemID].FromGPUHours(sg.Granted)
			if r := c.p.Request(sg.SystemID); r != nil && amount > r.Amount {
				amount = r.Amount // conversion noise only: the solver never grants above a request
			}
			o.Grants = append(o.Grants, pactum.Grant{SystemID: sg.SystemID, Amount: amount})
		}
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b pactum.RunOutcome) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.ProposalID, b.ProposalID)
	})
	rs := []pactum.RunSystem{}
	for _, p := range res.Prices {
		rs = append(rs, pactum.RunSystem{SystemID: p.SystemID, Unit: systems[p.SystemID].Unit,
			CapacityGPUHours: m.remaining[p.SystemID], GrantedGPUHours: p.Used, Price: p.Price + p.ReservePrice, ReservePrice: p.ReservePrice})
	}
	return out, rs
}

// warmStart is the optimiser's starting point from an earlier run of the
// call: its grants in GPU-hours, and its marginal values as multipliers
// (a system's price less its reserve price on the capacity row, the
// reserve price on the reserve row of the run's reserved class).
func warmStart(base *pactum.AllocationRun, systems map[string]*pactum.System) *solver.WarmStart {
	w := &solver.WarmStart{Grants: make(map[string]map[string]float64, len(base.Outcomes)), Gap: base.Gap}
	for _, o := range base.Outcomes {
		if len(o.Grants) == 0 {
			continue
		}
		g := make(map[string]float64, len(o.Grants))
		for _, gr := range o.Grants {
			if sys := systems[gr.SystemID]; sys != nil {
				g[gr.SystemID] = sys.GPUHours(gr.Amount)
			}
		}
		w.Grants[o.ProposalID] = g
	}
	for _, s := range base.Systems {
		w.Duals = append(w.Duals, solver.Dual{SystemID: s.SystemID, Value: s.Price - s.ReservePrice})
		if s.ReservePrice > 0 && base.Params.ReservedClass != "" {
			w.Duals = append(w.Duals, solver.Dual{SystemID: s.SystemID, Class: base.Params.ReservedClass, Value: s.ReservePrice})
		}
	}
	return w
}
