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
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	in := &Instance{}
	var weights []float64
	for s := 0; s < systems; s++ {
		g := generatorSystems[s%len(generatorSystems)]
		id := g.id
		if s >= len(generatorSystems) {
			id = fmt.Sprintf("%s-%d", g.id, s/len(generatorSystems)+1)
		}
		in.Systems = append(in.Systems, System{ID: id, Software: g.sw})
		weights = append(weights, g.weight)
	}
	pick := func(sw Software, exclude []int) int {
		// weighted choice among systems that match sw and are not excluded;
		// -1 when none is left
		var tot float64
		for s := range in.Systems {
			if Compatible(sw, in.Systems[s].Software) && !containsInt(exclude, s) {
				tot += weights[s]
			}
		}
		if tot == 0 {
			return -1
		}
		x := rng.Float64() * tot
		last := -1
		for s := range in.Systems {
			if Compatible(sw, in.Systems[s].Software) && !containsInt(exclude, s) {
				last = s
				x -= weights[s]
				if x < 0 {
					return s
				}
			}
		}
		return last
	}
	demand := make([]float64, systems)
	orgN := 0
	orgLeft := 0
	var orgID string
	var orgDemand float64
	var orgProps int
	closeOrg := func() {
		// Cap some multi-proposal organizations at part of their demand.
		if orgProps >= 2 && rng.Float64() < 0.5 {
			in.OrgCaps = append(in.OrgCaps, OrgCap{OrgID: orgID, Cap: math.Round(orgDemand * (0.3 + 0.5*rng.Float64()))})
		}
	}
	startup := false
	for i := 0; i < proposals; i++ {
		if orgLeft == 0 {
			if orgN > 0 {
				closeOrg()
			}
			orgN++
			orgID = fmt.Sprintf("org-%05d", orgN)
			orgLeft = 1 + int(math.Min(11, math.Floor(rng.ExpFloat64()*1.5)))
			orgDemand, orgProps = 0, 0
			startup = rng.Float64() < 0.4
		}
		orgLeft--
		orgProps++
		var sw Software
		switch x := rng.Float64(); {
		case x < 0.3:
			sw = SoftwareROCm
		case x < 0.8:
			sw = SoftwareCUDA
		default:
			sw = SoftwareAny
		}
		nreq := 1
		if x := rng.Float64(); x < 0.15 {
			nreq = 3
		} else if x < 0.5 {
			nreq = 2
		}
		total := math.Exp(9.6 + 1.2*rng.NormFloat64())
		total = math.Max(1000, math.Min(500000, total))
		p := Proposal{
			ID:          fmt.Sprintf("p-%05d", i+1),
			OrgID:       orgID,
			MinFraction: math.Round((0.3+0.5*rng.Float64())*100) / 100,
			Software:    sw,
		}
		panel := float64(1 + rng.IntN(5))
		p.Score = math.Round(math.Max(1, math.Min(5, panel+0.3*rng.NormFloat64()))*1000) / 1000
		if startup {
			p.Classes = []string{ClassStartup}
		}
		var used []int
		for r := 0; r < nreq; r++ {
			want := sw
			if rng.Float64() < 0.05 {
				// a request the software cannot use: the solver must drop it
				want = SoftwareAny
			}
			s := pick(want, used)
			if s < 0 {
				break
			}
			used = append(used, s)
		}
		share := make([]float64, len(used))
		var ssum float64
		for r := range share {
			share[r] = 0.5 + rng.Float64()
			ssum += share[r]
		}
		for r, s := range used {
			amt := math.Max(100, math.Round(total*share[r]/ssum))
			p.Requests = append(p.Requests, Request{SystemID: in.Systems[s].ID, Amount: amt})
			if Compatible(sw, in.Systems[s].Software) {
				demand[s] += amt
			}
			orgDemand += amt
		}
		in.Proposals = append(in.Proposals, p)
	}
	if orgN > 0 {
		closeOrg()
	}
	for s := range in.Systems {
		over := 2 + rng.Float64()
		in.Systems[s].Capacity = math.Round(demand[s] / over)
	}
	in.Reservations = []Reservation{{Class: ClassStartup, Share: math.Round((0.2+0.1*rng.Float64())*100) / 100}}
	return in
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
