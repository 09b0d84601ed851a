// SPDX-License-Identifier: EUPL-1.2

// Package solver divides each EuroHPC system's capacity for one cut-off
// between reviewed proposals, proves how close to optimal the division is,
// and compares itself with COIN-OR cbc.
//
// It is pure Go and self-contained: its input (Instance) and output (Result)
// are its own types, which the caller maps from the domain; it imports the
// root package only for the error vocabulary. It knows nothing of SQL or
// HTTP. The cbc adapter (RunCBC, CompareWithCBC) shells out to Debian's
// coinor-cbc when it is installed.
//
// # Model
//
// All amounts are GPU-hours. For proposal p with score w_p, minimum fraction
// f_p and requests req_ps, and system s with capacity C_s:
//
//	maximise   Σ_p w_p · Σ_s g_ps
//	subject to g_ps ≤ req_ps · y_p              (only requested, compatible systems)
//	           Σ_s g_ps ≥ f_p · R_p · y_p        (refused rather than cut below the minimum)
//	           Σ_p g_ps ≤ C_s                    (capacity)
//	           Σ_{p ∉ class k} g_ps ≤ (1−r_k)·C_s (reservation k keeps share r_k of each system)
//	           Σ_{p ∈ o} Σ_s g_ps ≤ Cap_o        (organization cap, where one is set)
//	           y_p ∈ {0,1}, g_ps ≥ 0
//
// Decisions the model makes, each stated in the proposal's explanation:
//   - A request on a system whose software the proposal cannot use (CUDA on a
//     ROCm machine, or the reverse) is dropped, not fatal: R_p is the total
//     of the compatible requests, and the minimum fraction applies to it. A
//     proposal with no compatible request is refused.
//   - A reservation limits everyone outside its class; reserved hours the
//     class does not use stay unused (that is what a reserve means). With
//     several reservations each one limits those outside its own class.
//   - Organization caps are totals over all systems.
//
// # Bound
//
// The LP relaxation of this model is weak where minimum fractions and caps
// interact (it cuts proposals below their minimum), so the bound is a
// Lagrangian dual instead. The capacity and reserve rows (one per system and
// reservation) are dualised with multipliers λ ≥ 0; what remains splits into
// one subproblem per organization: choose which of its proposals to accept,
// each at an amount between its minimum and its request, under the
// organization's cap, maximising Σ (w_p − price)·g. Each proposal's value
// as a function of its amount is concave (it fills its cheapest systems
// first), so the subproblem is a knapsack with semi-continuous items; it is
// solved exactly by depth-first branch and bound with the fractional
// knapsack of the items' concave envelopes as the node bound. For every
// λ ≥ 0 the sum Σ λ·b + Σ_o (subproblem optimum) is an upper bound on the
// best possible objective (weak duality), so every evaluation is a proven
// bound and Result.Bound is the least found. If a subproblem ever exceeds
// Options.NodeLimit the largest open node bound is used instead (still
// valid; Result.BoundExact reports it). Keeping the integer
// accept-or-refuse choice inside the capped subproblems is what makes the
// bound tighter than the LP relaxation; uncapped proposals have the
// integrality property, so for them it is the LP bound. The multipliers are
// found by projected subgradient descent with Polyak steps towards the best
// known objective, halving the step after 15 iterations without progress.
//
// # Primal
//
// A price-guided greedy turns multipliers into a feasible answer: proposals
// in decreasing score, each filling its cheapest systems first (so flexible
// proposals leave contested systems to those that can only run there),
// first with the amounts the subproblem chose, then any proposal with what
// is left, then top-ups. Nobody is ever cut below the minimum: a proposal
// that cannot get it is refused. A local search then, for every proposal
// short of its request, tries to take hours from lower-scored proposals on
// the same systems or in the same organization (cutting them towards their
// minimum, shifting flexible ones to another of their systems, and refusing
// them if that is what it takes), keeping a move only if the objective rises.
// The greedy runs every 10 subgradient iterations; the local search at the
// best multipliers (and, on instances of up to 3,000 proposals, every 50
// iterations).
//
// # Warm start
//
// A what-if re-solves an instance that differs from a solved one in a few
// parameters. Options.Warm (WarmFrom of the previous Result, or the
// previous run's grants and Result.Duals) seeds the multipliers with the
// previous ones and the first incumbent with the previous grants repaired
// to the new constraints (kept best score first as far as the new rows and
// caps allow, refused below the minimum share, then the greedy and the
// local search); the steps start at a quarter of the cold size, the local
// search runs every 20 iterations, and the search stops at the previous
// proven gap or once the bound moved by less than 1 % of the gap over 30
// iterations. The bound is still a dual value of the new instance, so the
// reported gap is as proven as a cold one. 2,000 × 12 with one capacity
// cut by 10 % (BenchmarkWhatIf2000, shared 2 cores): cold 0.47 s, 400
// iterations, gap 0.056 %; warm 0.14 s, 39 iterations, gap 0.063 %.
//
// # Determinism
//
// The same instance and options give the same result: IDs become dense
// indices in input order, every sort has a total tie-break, no map is
// iterated for a result, nothing is random, and the work is single-threaded.
// Only TimeLimit and context cancellation, which stop the search at a
// moment that depends on the machine, break this.
//
// # Figures
//
// On 2 cores (AMD EPYC), go1.26.8, seed 1 of Generate, 10,000 proposals ×
// 12 systems: Go 492,614,274 in 2.7–3.0 s with a proven gap of 0.008 %
// (bound 492,655,206); cbc proves the optimum 492,654,791 in 90 s, so Go
// is 0.008 % below it and its bound only 0.0001 % above it. 500 × 12: Go
// 0.13 s, proven gap 0.33 %, 0.24 % below cbc's optimum (cbc: 1.0 s).
// BenchmarkSolve10k, BenchmarkCompare500 and
// BenchmarkCompare10k measure them; TestCompareWithCBC500 is the CI check.
//
// # cbc
//
// WriteLP writes the same model in CPLEX LP format; RunCBC runs
// `cbc model.lp [-sec T] [-ratio G] -solve -solu solution.txt` and parses the
// solution file (status line "Optimal - objective value …", then index,
// name, value, reduced cost per variable). Tests that need cbc skip when it
// is missing, unless PACTUM_REQUIRE_CBC=1, when they fail.
package solver
