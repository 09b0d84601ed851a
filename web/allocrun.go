// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// The access manager's allocation runs: a call's runs, a run with its
// outcomes, what each system gives against its capacity and the proven
// gap; a what-if form that runs again warm from the run with other
// capacities, organization cap or reserved share and shows what changed;
// publishing. The pages call the allocation-run use cases as the API does:
// access managers act, auditors read, everyone else is refused by the use
// case.

func init() {
	// percent shows a share (0.00034) as a percentage with enough
	// decimals for a proven gap ("0.034 %").
	funcs["percent"] = func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "—"
		}
		p := 100 * x
		switch {
		case p == 0:
			return "0 %"
		case math.Abs(p) < 10:
			return strconv.FormatFloat(p, 'f', 3, 64) + " %"
		}
		return strconv.FormatFloat(p, 'f', 1, 64) + " %"
	}
	// signed shows a change with its sign ("+1,200", "−300", "0").
	funcs["signed"] = func(x float64) string {
		switch {
		case math.Abs(x) < 0.5:
			return "0"
		case x > 0:
			return "+" + number(x)
		}
		return "−" + number(-x)
	}
	funcs["sub"] = func(a, b float64) float64 { return a - b }
	funcs["pct"] = pct
	funcs["headline"] = headline
}

// runsPage is a call's allocation runs and the form for a new one.
type runsPage struct {
	C    *pactum.Call
	Runs []*pactum.AllocationRun
	// Total counts the call's runs; Runs holds the newest listLimit.
	Total int
	// Form holds the new-run form's values (defaults, or what was refused).
	OrgCapShare, ReservedShare string
	CanRun                     bool
}

func (p *Portal) allocationRuns(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	c, err := s.FindCallByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	d := &runsPage{C: c, CanRun: v.User.Role == pactum.RoleAccessManager,
		OrgCapShare:   formValue(v.Form, "org_cap_share", pct(pactum.DefaultOrgCapShare)),
		ReservedShare: formValue(v.Form, "reserved_share", pct(pactum.DefaultReservedShare))}
	if d.Runs, d.Total, err = s.FindAllocationRuns(ctx, pactum.AllocationRunFilter{CallID: &c.ID, Limit: listLimit}); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Allocation runs: "+c.Title, "calls", d
	return "allocruns", nil
}

// createRun solves the call's allocation with the form's parameters (empty
// fields take the defaults).
func (p *Portal) createRun(r *http.Request, v *view) (string, error) {
	var in pactum.AllocationRunInput
	var err error
	if in.OrgCapShare, err = shareField(r.PostForm, "org_cap_share", ""); err != nil {
		return "", err
	}
	if in.ReservedShare, err = shareField(r.PostForm, "reserved_share", ""); err != nil {
		return "", err
	}
	run, err := p.cfg.Services.CreateAllocationRun(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return "", err
	}
	return Prefix + "runs/" + run.ID, nil
}

// runPage is one run: its figures, systems, outcomes, the what-if form
// and, for a what-if, what changed from its base run.
type runPage struct {
	R       *pactum.AllocationRun
	C       *pactum.Call
	Systems []runSystemRow
	// Outcomes are those shown (filtered by Outcome, at most
	// outcomeLimit); Total counts the filter's matches.
	Outcomes []pactum.RunOutcome
	Total    int
	Outcome  string
	Counts   map[string]int
	// Diff is what changed from the base run, for a what-if.
	Diff     *pactum.RunDiff
	DiffMore int // changed proposals not shown
	// What-if form values: the run's own, or what was refused.
	OrgCap, ReservedShare string
	CanAct                bool
	Done                  string
}

// runSystemRow is one system of a run, with its bar (the share of its
// capacity granted) and the what-if form's field for its capacity.
type runSystemRow struct {
	pactum.RunSystem
	Name        string // the capacity field's name
	Value       string // the capacity field's value
	CapBar      float64
	GrantBar    float64
	UsedPercent float64
}

// outcomeLimit bounds the outcomes and changes a run page lists.
const outcomeLimit = 200

func (p *Portal) allocationRun(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	run, err := s.FindAllocationRunByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	c, err := s.FindCallByID(ctx, run.CallID)
	if err != nil {
		return "", err
	}
	q := r.URL.Query()
	d := &runPage{R: run, C: c, Outcome: q.Get("outcome"), Done: q.Get("done"), Counts: map[string]int{},
		CanAct:        v.User.Role == pactum.RoleAccessManager && run.State == pactum.RunDraft,
		OrgCap:        formValue(v.Form, "org_cap_gpu_hours", whole(run.Params.OrgCapGPUHours)),
		ReservedShare: formValue(v.Form, "reserved_share", pct(run.Params.ReservedShare))}
	switch d.Outcome {
	case "", pactum.RunOutcomeFull, pactum.RunOutcomeCut, pactum.RunOutcomeRefused:
	default:
		return "", invalidField("outcome", "is full, cut or refused")
	}
	for _, o := range run.Outcomes {
		d.Counts[o.Outcome]++
		if d.Outcome != "" && o.Outcome != d.Outcome {
			continue
		}
		d.Total++
		if len(d.Outcomes) < outcomeLimit {
			d.Outcomes = append(d.Outcomes, o)
		}
	}
	for _, sys := range run.Systems {
		row := runSystemRow{RunSystem: sys, Name: "capacity." + sys.SystemID, CapBar: chartWidth}
		row.Value = formValue(v.Form, row.Name, whole(sys.CapacityGPUHours))
		if sys.CapacityGPUHours > 0 {
			row.UsedPercent = 100 * sys.GrantedGPUHours / sys.CapacityGPUHours
			row.GrantBar = min(1, sys.GrantedGPUHours/sys.CapacityGPUHours) * chartWidth
		}
		d.Systems = append(d.Systems, row)
	}
	if run.BaseRunID != "" {
		// A what-if keeps what changed from its base run.
		if d.Diff = run.Changes; d.Diff == nil {
			if d.Diff, err = s.DiffAllocationRuns(ctx, run.BaseRunID, run.ID); err != nil {
				return "", err
			}
		}
		if n := len(d.Diff.Proposals); n > outcomeLimit {
			d.DiffMore = n - outcomeLimit
			d.Diff.Proposals = d.Diff.Proposals[:outcomeLimit]
		}
	}
	title := "Allocation run"
	if run.BaseRunID != "" {
		title = "What-if run"
	}
	v.Title, v.Nav, v.Data = title+": "+c.Title, "calls", d
	return "allocrun", nil
}

// whatIf runs the allocation again warm from this run, with the form's
// capacities, organization cap and reserved share where they differ from
// the run's, and shows the new run with what changed.
func (p *Portal) whatIf(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	base, err := s.FindAllocationRunByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	f := r.PostForm
	in := pactum.AllocationRunInput{BaseRunID: base.ID}
	for _, sys := range base.Systems {
		name := "capacity." + sys.SystemID
		x, err := numberField(f, name, whole(sys.CapacityGPUHours))
		if err != nil {
			return "", err
		}
		if x != nil {
			if in.Capacities == nil {
				in.Capacities = map[string]float64{}
			}
			in.Capacities[sys.SystemID] = *x
		}
	}
	if in.OrgCapGPUHours, err = numberField(f, "org_cap_gpu_hours", whole(base.Params.OrgCapGPUHours)); err != nil {
		return "", err
	}
	if in.ReservedShare, err = shareField(f, "reserved_share", pct(base.Params.ReservedShare)); err != nil {
		return "", err
	}
	run, err := s.CreateAllocationRun(ctx, base.CallID, in)
	if err != nil {
		return "", err
	}
	return Prefix + "runs/" + run.ID + "#changes", nil
}

// publishRun makes the run the committee's decision.
func (p *Portal) publishRun(r *http.Request, v *view) (string, error) {
	run, err := p.cfg.Services.PublishAllocationRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	return Prefix + "runs/" + run.ID + "?done=published", nil
}

// formValue is a refused form's value of name, or def.
func formValue(f url.Values, name, def string) string {
	if f != nil {
		if _, ok := f[name]; ok {
			return f.Get(name)
		}
	}
	return def
}

// whole shows GPU-hours as the form's fields hold them: whole numbers,
// no separators.
func whole(x float64) string { return strconv.FormatFloat(math.Round(x), 'f', 0, 64) }

// pct shows a share as the form's percentage fields hold it.
func pct(x float64) string { return strconv.FormatFloat(math.Round(x*1e4)/1e2, 'f', -1, 64) }

// numberField reads a number of GPU-hours from the form: nil when it is
// empty or unchanged from unchanged (the form's own rendering of the
// current value), so that a what-if overrides only what the person
// changed.
func numberField(f url.Values, name, unchanged string) (*float64, error) {
	s := strings.TrimSpace(strings.ReplaceAll(f.Get(name), ",", ""))
	if s == "" || s == unchanged {
		return nil, nil
	}
	x, ok := parseFormNumber(s)
	if !ok {
		return nil, invalidField(name, "must be a number of GPU-hours")
	}
	return &x, nil
}

// shareField reads a percentage from the form as a share, nil when empty
// or unchanged.
func shareField(f url.Values, name, unchanged string) (*float64, error) {
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.Get(name)), "%"))
	if s == "" || s == unchanged {
		return nil, nil
	}
	// Not parseFormNumber: "12,5" is a decimal comma here, not 125.
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, invalidField(name, "must be a percentage")
	}
	x /= 100
	return &x, nil
}

// headline is the sentence of an outcome's explanation that says what the
// proposal got (granted, cut or refused), or its first.
func headline(why []string) string {
	for _, w := range why {
		if strings.HasPrefix(w, "Granted") || strings.HasPrefix(w, "Cut") || strings.HasPrefix(w, "Refused") {
			return w
		}
	}
	if len(why) > 0 {
		return why[0]
	}
	return ""
}
