// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ClassStartup is the reserved class Generate uses for startups and SMEs.
const ClassStartup = "startup"

// generatorSystems are EuroHPC-like machines: name, software and a relative
// size that steers where requests go.
var generatorSystems = []struct {
	id     string
	sw     Software
	weight float64
}{
	{"jupiter", SoftwareCUDA, 5},
	{"lumi", SoftwareROCm, 4},
	{"leonardo", SoftwareCUDA, 3.5},
	{"marenostrum5", SoftwareCUDA, 3},
	{"alice-recoque", SoftwareROCm, 2.5},
	{"meluxina", SoftwareCUDA, 1},
	{"karolina", SoftwareCUDA, 0.8},
	{"vega", SoftwareCUDA, 0.8},
	{"discoverer", SoftwareCUDA, 0.6},
	{"deucalion", SoftwareCUDA, 0.6},
	{"daedalus", SoftwareROCm, 1.2},
	{"arrhenius", SoftwareCUDA, 1.5},
}

// Generate returns a seeded random instance with the shape of a real
// cut-off: log-normal request sizes between 1,000 and 500,000 GPU-hours on
// one to three systems, about 30 % ROCm-only, 50 % CUDA-only and 20 %
// portable proposals (a few requests name a system the software cannot run
// on), minimum fractions 0.3–0.8, panel scores 1–5 with noise, organizations
// with one to a dozen proposals of which some are capped at part of their
// demand, a 20–30 % share reserved for startups and SMEs, and every system
// oversubscribed 2–3 times. The same arguments always give the same instance.
// Tests, benchmarks and `pactum allocate --check` use it.
func Generate(seed uint64, proposals, systems int) *Instance {
	g := &generator{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), in: &Instance{}}
	g.addSystems(systems)
	g.demand = make([]float64, systems)
	g.addProposals(proposals)
	for s := range g.in.Systems {
		over := 2 + g.rng.Float64()
		g.in.Systems[s].Capacity = math.Round(g.demand[s] / over)
	}
	g.in.Reservations = []Reservation{{Class: ClassStartup, Share: math.Round((0.2+0.1*g.rng.Float64())*100) / 100}}
	return g.in
}

// generator holds the state of one Generate call. Its methods draw from rng
// in a fixed order: the order is part of what a seed means, so reordering
// the draws changes every generated instance.
type generator struct {
	rng     *rand.Rand
	in      *Instance
	weights []float64 // relative size of each system
	demand  []float64 // compatible hours requested of each system so far
}

// genOrg is the organization whose proposals are being generated.
type genOrg struct {
	id      string
	left    int     // proposals still to generate for it
	props   int     // proposals generated for it
	demand  float64 // hours those request
	startup bool
}

// addSystems adds n systems, cycling through generatorSystems and
// numbering the second and later rounds.
func (g *generator) addSystems(n int) {
	for s := 0; s < n; s++ {
		gs := generatorSystems[s%len(generatorSystems)]
		id := gs.id
		if s >= len(generatorSystems) {
			id = fmt.Sprintf("%s-%d", gs.id, s/len(generatorSystems)+1)
		}
		g.in.Systems = append(g.in.Systems, System{ID: id, Software: gs.sw})
		g.weights = append(g.weights, gs.weight)
	}
}

// addProposals adds n proposals, grouped into organizations of random size.
func (g *generator) addProposals(n int) {
	var org genOrg
	orgN := 0
	for i := 0; i < n; i++ {
		if org.left == 0 {
			if orgN > 0 {
				g.closeOrg(&org)
			}
			orgN++
			org = genOrg{id: fmt.Sprintf("org-%05d", orgN)}
			org.left = 1 + int(math.Min(11, math.Floor(g.rng.ExpFloat64()*1.5)))
			org.startup = g.rng.Float64() < 0.4
		}
		org.left--
		org.props++
		g.in.Proposals = append(g.in.Proposals, g.proposal(i, &org))
	}
	if orgN > 0 {
		g.closeOrg(&org)
	}
}

// closeOrg caps some multi-proposal organizations at part of their demand.
func (g *generator) closeOrg(org *genOrg) {
	if org.props >= 2 && g.rng.Float64() < 0.5 {
		g.in.OrgCaps = append(g.in.OrgCaps, OrgCap{OrgID: org.id, Cap: math.Round(org.demand * (0.3 + 0.5*g.rng.Float64()))})
	}
}

// proposal returns the i-th proposal, for org, and counts its hours in the
// systems' and the organization's demand.
func (g *generator) proposal(i int, org *genOrg) Proposal {
	var sw Software
	switch x := g.rng.Float64(); {
	case x < 0.3:
		sw = SoftwareROCm
	case x < 0.8:
		sw = SoftwareCUDA
	default:
		sw = SoftwareAny
	}
	nreq := 1
	if x := g.rng.Float64(); x < 0.15 {
		nreq = 3
	} else if x < 0.5 {
		nreq = 2
	}
	total := math.Exp(9.6 + 1.2*g.rng.NormFloat64())
	total = math.Max(1000, math.Min(500000, total))
	p := Proposal{
		ID:          fmt.Sprintf("p-%05d", i+1),
		OrgID:       org.id,
		MinFraction: math.Round((0.3+0.5*g.rng.Float64())*100) / 100,
		Software:    sw,
	}
	panel := float64(1 + g.rng.IntN(5))
	p.Score = math.Round(math.Max(1, math.Min(5, panel+0.3*g.rng.NormFloat64()))*1000) / 1000
	if org.startup {
		p.Classes = []string{ClassStartup}
	}
	g.addRequests(&p, g.pickSystems(sw, nreq), total, org)
	return p
}

// pickSystems picks up to nreq distinct systems for a proposal needing sw.
func (g *generator) pickSystems(sw Software, nreq int) []int {
	var used []int
	for r := 0; r < nreq; r++ {
		want := sw
		if g.rng.Float64() < 0.05 {
			// a request the software cannot use: the solver must drop it
			want = SoftwareAny
		}
		s := g.pick(want, used)
		if s < 0 {
			break
		}
		used = append(used, s)
	}
	return used
}

// pick makes a weighted choice among the systems that match sw and are not
// excluded; -1 when none is left.
func (g *generator) pick(sw Software, exclude []int) int {
	var tot float64
	for s := range g.in.Systems {
		if Compatible(sw, g.in.Systems[s].Software) && !containsInt(exclude, s) {
			tot += g.weights[s]
		}
	}
	if tot == 0 {
		return -1
	}
	x := g.rng.Float64() * tot
	last := -1
	for s := range g.in.Systems {
		if Compatible(sw, g.in.Systems[s].Software) && !containsInt(exclude, s) {
			last = s
			x -= g.weights[s]
			if x < 0 {
				return s
			}
		}
	}
	return last
}

// addRequests spreads total hours over the systems used, in random shares
// of at least 100 hours each.
func (g *generator) addRequests(p *Proposal, used []int, total float64, org *genOrg) {
	share := make([]float64, len(used))
	var ssum float64
	for r := range share {
		share[r] = 0.5 + g.rng.Float64()
		ssum += share[r]
	}
	for r, s := range used {
		amt := math.Max(100, math.Round(total*share[r]/ssum))
		p.Requests = append(p.Requests, Request{SystemID: g.in.Systems[s].ID, Amount: amt})
		if Compatible(p.Software, g.in.Systems[s].Software) {
			g.demand[s] += amt
		}
		org.demand += amt
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
