// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"fmt"
	"math"
	"sort"

	"github.com/pactum/pactum"
)

// Software is the GPU software stack a system offers or a proposal needs.
type Software string

// The software stacks. A proposal marked SoftwareAny runs everywhere; a system
// marked SoftwareAny (say, a partition with both kinds of node) takes every
// proposal.
const (
	SoftwareCUDA Software = "cuda"
	SoftwareROCm Software = "rocm"
	SoftwareAny  Software = "any"
)

// Compatible reports whether a proposal needing p can run on a system
// offering s.
func Compatible(p, s Software) bool {
	return p == SoftwareAny || s == SoftwareAny || p == s
}

// System is one machine's capacity for the cut-off's period, in GPU-hours.
type System struct {
	ID       string   `json:"id"`
	Capacity float64  `json:"capacity"`
	Software Software `json:"software"`
}

// Request asks for Amount GPU-hours on one system.
type Request struct {
	SystemID string  `json:"system_id"`
	Amount   float64 `json:"amount"`
}

// Proposal is one reviewed proposal competing in the cut-off.
type Proposal struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Score weights every GPU-hour granted; it must be positive.
	Score    float64   `json:"score"`
	Requests []Request `json:"requests"`
	// MinFraction is the share of the compatible request below which the
	// proposal is refused rather than cut, in (0, 1].
	MinFraction float64  `json:"min_fraction"`
	Software    Software `json:"software"`
	// Classes names the reserved classes the proposal belongs to, for
	// example "startup".
	Classes []string `json:"classes,omitempty"`
}

// OrgCap limits the total granted to one organization's proposals, summed
// over systems.
type OrgCap struct {
	OrgID string  `json:"org_id"`
	Cap   float64 `json:"cap"`
}

// Reservation keeps Share of every system's capacity for proposals of Class:
// proposals outside the class get at most (1−Share)·Capacity on each system.
// Unused reserved capacity stays unused; that is the point of a reserve.
type Reservation struct {
	Class string  `json:"class"`
	Share float64 `json:"share"`
}

// Instance is one cut-off's allocation problem, in GPU-hours throughout.
type Instance struct {
	Systems      []System      `json:"systems"`
	Proposals    []Proposal    `json:"proposals"`
	OrgCaps      []OrgCap      `json:"org_caps,omitempty"`
	Reservations []Reservation `json:"reservations,omitempty"`
}

// Validate returns an EINVALID *pactum.Error naming every malformed field, or
// nil.
func (in *Instance) Validate() error {
	var v pactum.Validator
	sysIdx := make(map[string]bool, len(in.Systems))
	for i, s := range in.Systems {
		f := fmt.Sprintf("systems[%d]", i)
		v.Check(s.ID != "", f+".id", "is required")
		v.Check(!sysIdx[s.ID], f+".id", "duplicates %q", s.ID)
		sysIdx[s.ID] = true
		v.Check(finite(s.Capacity) && s.Capacity >= 0, f+".capacity", "must be a finite number ≥ 0")
		v.Check(validSoftware(s.Software), f+".software", "must be cuda, rocm or any")
	}
	seen := make(map[string]bool, len(in.Proposals))
	for i, p := range in.Proposals {
		f := fmt.Sprintf("proposals[%d]", i)
		v.Check(p.ID != "", f+".id", "is required")
		v.Check(!seen[p.ID], f+".id", "duplicates %q", p.ID)
		seen[p.ID] = true
		v.Check(finite(p.Score) && p.Score > 0, f+".score", "must be a finite number > 0")
		v.Check(finite(p.MinFraction) && p.MinFraction > 0 && p.MinFraction <= 1, f+".min_fraction", "must be in (0, 1]")
		v.Check(validSoftware(p.Software), f+".software", "must be cuda, rocm or any")
		onSys := make(map[string]bool, len(p.Requests))
		for j, r := range p.Requests {
			fr := fmt.Sprintf("%s.requests[%d]", f, j)
			v.Check(sysIdx[r.SystemID], fr+".system_id", "names no system: %q", r.SystemID)
			v.Check(!onSys[r.SystemID], fr+".system_id", "requests %q twice", r.SystemID)
			onSys[r.SystemID] = true
			v.Check(finite(r.Amount) && r.Amount > 0, fr+".amount", "must be a finite number > 0")
		}
	}
	orgs := make(map[string]bool, len(in.OrgCaps))
	for i, c := range in.OrgCaps {
		f := fmt.Sprintf("org_caps[%d]", i)
		v.Check(c.OrgID != "", f+".org_id", "is required")
		v.Check(!orgs[c.OrgID], f+".org_id", "duplicates %q", c.OrgID)
		orgs[c.OrgID] = true
		v.Check(finite(c.Cap) && c.Cap >= 0, f+".cap", "must be a finite number ≥ 0")
	}
	classes := make(map[string]bool, len(in.Reservations))
	for i, r := range in.Reservations {
		f := fmt.Sprintf("reservations[%d]", i)
		v.Check(r.Class != "", f+".class", "is required")
		v.Check(!classes[r.Class], f+".class", "duplicates %q", r.Class)
		classes[r.Class] = true
		v.Check(finite(r.Share) && r.Share >= 0 && r.Share <= 1, f+".share", "must be in [0, 1]")
	}
	return v.Err("The allocation instance is invalid.")
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func validSoftware(s Software) bool {
	return s == SoftwareCUDA || s == SoftwareROCm || s == SoftwareAny
}

// The compiled model: dense indices instead of IDs, so that the hot loops
// touch slices only and no map order can leak into a result.
//
// Coupling rows are the constraints shared between organizations: one
// capacity row per system and one reserve row per (reservation, system).
// Organization caps are not coupling rows: they stay inside the per-org
// subproblem, which is what makes the Lagrangian bound tighter than the LP
// relaxation.
type model struct {
	in      *Instance
	nsys    int
	rowCap  []float64 // right-hand side per coupling row
	rowKind []rowKind
	rowSys  []int // system of each row
	rowRes  []int // reservation of each row, -1 for capacity rows

	props []prop
	orgs  []org // organizations in first-appearance order
}

type rowKind uint8

const (
	rowCapacity rowKind = iota
	rowReserve
)

// prop is a proposal restricted to its compatible requests.
type prop struct {
	idx   int // index in Instance.Proposals
	org   int // index in model.orgs
	score float64
	arcs  []arc   // compatible requests, in request order
	total float64 // R_p: sum of compatible requests
	min   float64 // m_p = MinFraction·R_p
}

// arc is a (proposal, system) pair that may receive a grant.
type arc struct {
	sys  int
	req  float64
	rows []int // coupling rows this arc's grant counts against
	req0 int   // index in the proposal's Requests
}

type org struct {
	id    string
	cap   float64 // +Inf when uncapped
	props []int   // indices into model.props
}

func compile(in *Instance) *model {
	m := &model{in: in, nsys: len(in.Systems)}
	sysIdx := make(map[string]int, len(in.Systems))
	for i, s := range in.Systems {
		sysIdx[s.ID] = i
		m.rowCap = append(m.rowCap, s.Capacity)
		m.rowKind = append(m.rowKind, rowCapacity)
		m.rowSys = append(m.rowSys, i)
		m.rowRes = append(m.rowRes, -1)
	}
	// resRow[k][s] is the reserve row of reservation k on system s.
	resRow := make([][]int, len(in.Reservations))
	for k, r := range in.Reservations {
		resRow[k] = make([]int, len(in.Systems))
		for s, sys := range in.Systems {
			resRow[k][s] = len(m.rowCap)
			m.rowCap = append(m.rowCap, (1-r.Share)*sys.Capacity)
			m.rowKind = append(m.rowKind, rowReserve)
			m.rowSys = append(m.rowSys, s)
			m.rowRes = append(m.rowRes, k)
		}
	}
	caps := make(map[string]float64, len(in.OrgCaps))
	for _, c := range in.OrgCaps {
		caps[c.OrgID] = c.Cap
	}
	orgIdx := make(map[string]int)
	for i, p := range in.Proposals {
		o, ok := orgIdx[p.OrgID]
		if !ok {
			o = len(m.orgs)
			orgIdx[p.OrgID] = o
			c, capped := caps[p.OrgID]
			if !capped {
				c = math.Inf(1)
			}
			m.orgs = append(m.orgs, org{id: p.OrgID, cap: c})
		}
		// Reservations this proposal is outside of: its grants count
		// against their reserve rows.
		var outside []int
		for k, r := range in.Reservations {
			if !hasClass(p.Classes, r.Class) {
				outside = append(outside, k)
			}
		}
		pp := prop{idx: i, org: o, score: p.Score}
		for j, r := range p.Requests {
			s := sysIdx[r.SystemID]
			if !Compatible(p.Software, in.Systems[s].Software) {
				continue
			}
			rows := []int{s}
			for _, k := range outside {
				rows = append(rows, resRow[k][s])
			}
			pp.arcs = append(pp.arcs, arc{sys: s, req: r.Amount, rows: rows, req0: j})
			pp.total += r.Amount
		}
		pp.min = p.MinFraction * pp.total
		m.orgs[o].props = append(m.orgs[o].props, len(m.props))
		m.props = append(m.props, pp)
	}
	return m
}

func hasClass(cs []string, c string) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// sortArcsByPrice orders idx (arc positions of p) by ascending price, ties by
// system index, so that every caller fills the cheapest systems first in the
// same order.
func sortArcsByPrice(p *prop, price []float64, idx []int) {
	sort.Slice(idx, func(a, b int) bool {
		pa, pb := price[idx[a]], price[idx[b]]
		if pa != pb {
			return pa < pb
		}
		return p.arcs[idx[a]].sys < p.arcs[idx[b]].sys
	})
}
