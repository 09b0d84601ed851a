// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"errors"
	"fmt"
	"math"
)

// Check verifies that res is a feasible answer to in and that its numbers add
// up: one grant per proposal in input order, grants only on requested
// systems the proposal can run on and never above the request, a refused
// proposal gets nothing and an accepted one at least its minimum share of
// its compatible request, no system's capacity, reserve or organization cap
// is exceeded, Objective is Σ score·granted and Bound ≥ Objective. It
// returns every violation found, joined, or nil. Tolerances are relative
// (1e-6) to absorb floating-point rounding only.
func Check(in *Instance, res *Result) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if len(res.Grants) != len(in.Proposals) {
		return fmt.Errorf("%d grants for %d proposals", len(res.Grants), len(in.Proposals))
	}
	sysIdx := make(map[string]int, len(in.Systems))
	for i, s := range in.Systems {
		sysIdx[s.ID] = i
	}
	var errs []error
	grants := make([][]float64, len(in.Proposals))
	var obj float64
	for i, p := range in.Proposals {
		g := res.Grants[i]
		grants[i] = make([]float64, len(in.Systems))
		if g.ProposalID != p.ID {
			errs = append(errs, fmt.Errorf("grant %d is for %q, want %q", i, g.ProposalID, p.ID))
			continue
		}
		if len(g.Systems) != len(p.Requests) {
			errs = append(errs, fmt.Errorf("%s: %d system grants for %d requests", p.ID, len(g.Systems), len(p.Requests)))
			continue
		}
		var total float64
		for j, sg := range g.Systems {
			if sg.SystemID != p.Requests[j].SystemID {
				errs = append(errs, fmt.Errorf("%s: system grant %d is on %q, request on %q", p.ID, j, sg.SystemID, p.Requests[j].SystemID))
				continue
			}
			grants[i][sysIdx[sg.SystemID]] = sg.Granted
			total += sg.Granted
		}
		if !near(total, g.Granted) {
			errs = append(errs, fmt.Errorf("%s: Granted %g is not the sum of its system grants %g", p.ID, g.Granted, total))
		}
		if g.Accepted != (total > 0) {
			errs = append(errs, fmt.Errorf("%s: accepted=%v with %g granted", p.ID, g.Accepted, total))
		}
		want := OutcomeRefused
		if g.Accepted {
			want = OutcomeCut
			if total >= g.Compatible*(1-1e-9) {
				want = OutcomeFull
			}
		}
		if g.Outcome != want {
			errs = append(errs, fmt.Errorf("%s: outcome %q, want %q", p.ID, g.Outcome, want))
		}
		obj += p.Score * total
	}
	if err := CheckGrants(in, grants); err != nil {
		errs = append(errs, err)
	}
	if !near(obj, res.Objective) {
		errs = append(errs, fmt.Errorf("objective %g, but the grants are worth %g", res.Objective, obj))
	}
	if res.Bound < res.Objective*(1-1e-9) {
		errs = append(errs, fmt.Errorf("bound %g below objective %g", res.Bound, res.Objective))
	}
	return errors.Join(errs...)
}

// CheckGrants verifies the feasibility of grants[p][s], hours granted to
// proposal p (index in in.Proposals) on system s (index in in.Systems), against
// every constraint of the model. It is how tests check cbc's answers too.
// A proposal with a total below 1e-6 of its request counts as refused, to
// absorb an external solver's integrality tolerance.
func CheckGrants(in *Instance, grants [][]float64) error {
	if len(grants) != len(in.Proposals) {
		return fmt.Errorf("%d grant rows for %d proposals", len(grants), len(in.Proposals))
	}
	sysIdx := make(map[string]int, len(in.Systems))
	for i, s := range in.Systems {
		sysIdx[s.ID] = i
	}
	var errs []error
	used := make([]float64, len(in.Systems))
	outside := make([][]float64, len(in.Reservations))
	for k := range outside {
		outside[k] = make([]float64, len(in.Systems))
	}
	orgUsed := make(map[string]float64)
	for i, p := range in.Proposals {
		g := grants[i]
		if len(g) != len(in.Systems) {
			errs = append(errs, fmt.Errorf("%s: %d system columns", p.ID, len(g)))
			continue
		}
		req := make([]float64, len(in.Systems))
		var compat float64
		for _, r := range p.Requests {
			s := sysIdx[r.SystemID]
			if Compatible(p.Software, in.Systems[s].Software) {
				req[s] = r.Amount
				compat += r.Amount
			}
		}
		var total float64
		for s, x := range g {
			if x < -tol(req[s]) || x > req[s]+tol(req[s]) {
				errs = append(errs, fmt.Errorf("%s: %g granted on %s, allowed [0, %g]", p.ID, x, in.Systems[s].ID, req[s]))
			}
			total += x
		}
		if total > compat*1e-6 && total < p.MinFraction*compat-tol(compat) {
			errs = append(errs, fmt.Errorf("%s: cut to %g, below its minimum share %g", p.ID, total, p.MinFraction*compat))
		}
		for s, x := range g {
			used[s] += x
			for k, r := range in.Reservations {
				if !hasClass(p.Classes, r.Class) {
					outside[k][s] += x
				}
			}
		}
		orgUsed[p.OrgID] += total
	}
	for s, sys := range in.Systems {
		if used[s] > sys.Capacity+tol(sys.Capacity) {
			errs = append(errs, fmt.Errorf("system %s: %g granted, capacity %g", sys.ID, used[s], sys.Capacity))
		}
		for k, r := range in.Reservations {
			lim := (1 - r.Share) * sys.Capacity
			if outside[k][s] > lim+tol(lim) {
				errs = append(errs, fmt.Errorf("system %s: %g granted outside class %q, limit %g", sys.ID, outside[k][s], r.Class, lim))
			}
		}
	}
	for _, c := range in.OrgCaps {
		if orgUsed[c.OrgID] > c.Cap+tol(c.Cap) {
			errs = append(errs, fmt.Errorf("organization %s: %g granted, cap %g", c.OrgID, orgUsed[c.OrgID], c.Cap))
		}
	}
	return errors.Join(errs...)
}

func tol(x float64) float64 { return 1e-6 * math.Max(1, math.Abs(x)) }

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
