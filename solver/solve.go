// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Options tune Solve. The zero value is sensible.
type Options struct {
	// MaxIterations bounds the subgradient iterations on the Lagrangian
	// dual (default 400). More iterations tighten the bound.
	MaxIterations int
	// NodeLimit bounds the branch-and-bound nodes of one organization's
	// capped subproblem per iteration (default 20000). When it is reached
	// the subproblem contributes its LP-based bound instead of its optimum,
	// which keeps the bound valid but looser.
	NodeLimit int
	// TargetGap stops the search once (bound − objective)/bound falls to it
	// (default 1e-5).
	TargetGap float64
	// TimeLimit stops the search after this long (0: none). Results that hit
	// it depend on the machine's speed and are therefore not reproducible;
	// bound iterations with MaxIterations instead when that matters.
	TimeLimit time.Duration
	// Now is the clock used for Elapsed and TimeLimit (default time.Now).
	Now func() time.Time
	// Warm, when set, starts the search from a previous solution (see
	// WarmStart); nil solves cold.
	Warm *WarmStart
}

// warmStall is the window over which a warm search must still tighten the
// bound to go on.
const warmStall = 30

// polishAllBelow is the instance size up to which every primal try gets
// the local search, not only the last.
const polishAllBelow = 3000

func (o Options) withDefaults() Options {
	if o.MaxIterations <= 0 {
		o.MaxIterations = 400
	}
	if o.NodeLimit <= 0 {
		o.NodeLimit = 20000
	}
	if o.TargetGap <= 0 {
		o.TargetGap = 1e-5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Outcome is what a proposal got.
type Outcome string

// The outcomes.
const (
	OutcomeFull    Outcome = "full"    // every compatible hour requested
	OutcomeCut     Outcome = "cut"     // accepted with less than requested, at least the minimum share
	OutcomeRefused Outcome = "refused" // nothing
)

// SystemGrant is the grant on one requested system.
type SystemGrant struct {
	SystemID   string  `json:"system_id"`
	Requested  float64 `json:"requested"`
	Granted    float64 `json:"granted"`
	Compatible bool    `json:"compatible"`
}

// Grant is one proposal's result.
type Grant struct {
	ProposalID string  `json:"proposal_id"`
	Accepted   bool    `json:"accepted"`
	Outcome    Outcome `json:"outcome"`
	// Requested is everything asked for; Compatible the part on systems
	// whose software the proposal can use (the minimum fraction applies to
	// it); Granted the total awarded.
	Requested  float64       `json:"requested"`
	Compatible float64       `json:"compatible"`
	Granted    float64       `json:"granted"`
	Systems    []SystemGrant `json:"systems"` // in request order
	// Explanation says, one sentence per line, why the proposal got what
	// it got.
	Explanation []string `json:"explanation"`
}

// SystemPrice is the marginal value of one more GPU-hour on a system at the
// bound's multipliers: the score a proposal needs to deserve that hour.
// ReservePrice is the extra that proposals outside reserved classes pay
// because the reserve row binds.
type SystemPrice struct {
	SystemID     string  `json:"system_id"`
	Price        float64 `json:"price"`
	ReservePrice float64 `json:"reserve_price"`
	Capacity     float64 `json:"capacity"`
	Used         float64 `json:"used"`
}

// Result is a solution with its proof of quality.
type Result struct {
	Grants []Grant `json:"grants"` // one per proposal, in input order
	// Objective is Σ score · granted hours.
	Objective float64 `json:"objective"`
	// Bound is a proven upper bound on the best possible objective (a
	// Lagrangian dual value), and Gap = (Bound − Objective)/Bound.
	Bound      float64       `json:"bound"`
	Gap        float64       `json:"gap"`
	Iterations int           `json:"iterations"`
	Elapsed    time.Duration `json:"elapsed"`
	// BoundExact is false when some organization subproblem hit
	// NodeLimit at the best multipliers; the bound is valid either way.
	BoundExact bool          `json:"bound_exact"`
	Prices     []SystemPrice `json:"prices"`
	// Duals are the multipliers of the best bound, one per capacity and
	// reserve row: a later what-if starts from them (WarmStart).
	Duals []Dual `json:"duals"`
	// Warm reports that the search started from Options.Warm.
	Warm bool `json:"warm"`
}

// Solve divides the systems' capacity between the proposals of in to
// maximise the score-weighted grant, and proves how far from optimal the
// answer can be. The result is deterministic for a given input and options
// unless TimeLimit or ctx cut the search short. It returns an EINVALID
// *pactum.Error for a malformed instance and ctx's error if ctx ends before
// the first solution.
func Solve(ctx context.Context, in *Instance, opts Options) (*Result, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	start := opts.Now()
	m := compile(in)
	off, narcs := arcOffsets(m)
	ev := &evaluator{m: m}
	pr := newPrimal(m, off)
	nrows := len(m.rowCap)

	lam := make([]float64, nrows)
	demand := make([]float64, narcs)
	bestLam := make([]float64, nrows)
	bestG := make([]float64, narcs)
	bestAcc := make([]bool, len(m.props))
	ub, lb := math.Inf(1), math.Inf(-1)
	bestExact := true
	tryPrimal := func(polish bool) {
		if z := pr.run(lam, demand, polish); z > lb {
			lb = z
			copy(bestG, pr.g)
			copy(bestAcc, pr.acc)
		}
	}

	theta := 1.0
	stopGap := opts.TargetGap
	if w := opts.Warm; w != nil {
		m.warmLambda(w, lam)
		copy(bestLam, lam)
		lb = pr.repair(w, lam)
		copy(bestG, pr.g)
		copy(bestAcc, pr.acc)
		theta = 0.25
		if finite(w.Gap) && w.Gap > stopGap {
			stopGap = w.Gap
		}
	}
	var ubAt []float64 // best bound after each iteration, warm only
	sinceImprove := 0
	iter := 0
	for iter = 0; iter < opts.MaxIterations; iter++ {
		if err := ctx.Err(); err != nil {
			if iter == 0 {
				return nil, fmt.Errorf("solve: %w", err)
			}
			break
		}
		if opts.TimeLimit > 0 && iter > 0 && opts.Now().Sub(start) > opts.TimeLimit {
			break
		}
		r := ev.evaluate(lam, off, demand, opts.NodeLimit)
		if r.value < ub {
			if r.value < ub*(1-1e-7) {
				sinceImprove = 0
			}
			ub = r.value
			copy(bestLam, lam)
			bestExact = r.exact
		} else {
			sinceImprove++
		}
		if iter%10 == 0 {
			// The local search costs as much as many dual iterations on
			// large instances, where the greedy alone is within a few
			// hundredths of a percent; on small ones polishing at
			// several multipliers is cheap and pays.
			tryPrimal(len(m.props) <= polishAllBelow && (iter%50 == 0 || opts.Warm != nil && iter%20 == 0))
		}
		if ub-lb <= stopGap*ub {
			iter++
			break
		}
		if opts.Warm != nil {
			// A warm search starts near a minimiser: once the bound has
			// moved by less than 1 % of the gap over warmStall
			// iterations, more iterations would not change the proven
			// gap that matters.
			ubAt = append(ubAt, ub)
			if iter >= warmStall && ubAt[iter-warmStall]-ub < 0.01*(ub-lb) {
				iter++
				break
			}
		}
		if sinceImprove >= 15 {
			theta /= 2
			sinceImprove = 0
			if theta < 1e-5 {
				iter++
				break
			}
		}
		var norm float64
		for j, s := range r.sub {
			if lam[j] > 0 || s < 0 {
				norm += s * s
			}
		}
		if norm == 0 {
			// λ is optimal for the dual: the subproblem solution fits.
			iter++
			break
		}
		step := theta * (r.value - lb) / norm
		for j, s := range r.sub {
			lam[j] = math.Max(0, lam[j]-step*s)
		}
	}
	// A last primal at the best multipliers.
	copy(lam, bestLam)
	ev.evaluate(lam, off, demand, opts.NodeLimit)
	tryPrimal(true)

	res := &Result{
		Objective:  lb,
		Bound:      ub,
		Iterations: iter,
		BoundExact: bestExact,
		Duals:      m.duals(bestLam),
		Warm:       opts.Warm != nil,
	}
	if ub > 0 {
		res.Gap = math.Max(0, (ub-lb)/ub)
	}
	explain(m, off, bestG, bestAcc, bestLam, res)
	res.Elapsed = opts.Now().Sub(start)
	return res, nil
}
