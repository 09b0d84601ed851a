// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// The access manager's form to open a call. It starts from each access
// mode's default terms in the catalogue (the same defaults the API's
// POST /api/v1/calls applies, http/call.go) and lets the manager change
// them; the use case (CreateCall) validates the call and the systems and
// decides who may open one.

// callFormTime is the form's date-time layout (an HTML datetime-local
// input's value); the portal reads it as UTC and says so on the form.
const callFormTime = "2006-01-02T15:04"

// callFormPage is the form's data: the fields as typed (or the defaults),
// the systems of the catalogue and one row per access mode.
type callFormPage struct {
	Title, Description, OpensAt, CutoffAt string
	Hold, Block                           bool
	Systems                               []callFormSystem
	Modes                                 []callFormMode
}

type callFormSystem struct {
	*pactum.System
	Checked bool
}

// callFormMode is one access mode's terms as text, to show what was
// typed when a form is refused.
type callFormMode struct {
	Mode                                      pactum.AccessMode
	Offered                                   bool
	MinGPUHours, MaxGPUHours                  string
	MaxDurationMonths, DecisionWorkDays       string
	AutoApprove, RequiresSME, AIPact, Rolling bool
}

// newCall renders the form: the catalogue's defaults, or what was posted
// when the use case refused it. Access managers only, as the use case
// would refuse anyone else's call anyway; the form is not shown to them.
func (p *Portal) newCall(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav = "Open a call", "home"
	if v.User.Role != pactum.RoleAccessManager {
		return "", pactum.Errorf(pactum.EFORBIDDEN, "Only access managers open calls.")
	}
	systems, err := p.cfg.Services.FindSystems(r.Context())
	if err != nil {
		return "", err
	}
	modes, err := catalog.Modes()
	if err != nil {
		return "", err
	}
	d := &callFormPage{}
	v.Data = d
	if f := v.Form; f != nil {
		d.Title, d.Description, d.OpensAt, d.CutoffAt = f.Get("title"), f.Get("description"), f.Get("opens_at"), f.Get("cutoff_at")
		d.Hold, d.Block = f.Get("hold_models_at_systemic_risk") != "", f.Get("block_overdue_organizations") != ""
		picked := set(f["system"])
		for _, s := range systems {
			d.Systems = append(d.Systems, callFormSystem{System: s, Checked: picked[s.ID]})
		}
		offered := set(f["mode"])
		for _, m := range modes {
			k := string(m.Mode) + "."
			d.Modes = append(d.Modes, callFormMode{Mode: m.Mode, Offered: offered[string(m.Mode)],
				MinGPUHours: f.Get(k + "min_gpu_hours"), MaxGPUHours: f.Get(k + "max_gpu_hours"),
				MaxDurationMonths: f.Get(k + "max_duration_months"), DecisionWorkDays: f.Get(k + "decision_working_days"),
				AutoApprove: f.Get(k+"auto_approve") != "", RequiresSME: f.Get(k+"requires_sme") != "",
				AIPact: f.Get(k+"requires_ai_pact") != "", Rolling: f.Get(k+"rolling") != ""})
		}
		return "callnew", nil
	}
	// A fresh form: open from the next hour for 30 days, on every system,
	// no mode chosen yet (the manager decides what the call is for).
	opens := v.Now.UTC().Truncate(time.Hour).Add(time.Hour)
	d.OpensAt, d.CutoffAt = opens.Format(callFormTime), opens.AddDate(0, 0, 30).Format(callFormTime)
	for _, s := range systems {
		d.Systems = append(d.Systems, callFormSystem{System: s, Checked: true})
	}
	for _, m := range modes {
		d.Modes = append(d.Modes, callFormMode{Mode: m.Mode,
			MinGPUHours: formatFloat(m.MinGPUHours), MaxGPUHours: formatFloat(m.MaxGPUHours),
			MaxDurationMonths: strconv.Itoa(m.MaxDurationMonths), DecisionWorkDays: strconv.Itoa(m.DecisionWorkingDays),
			AutoApprove: m.AutoApprove, RequiresSME: m.RequiresSME, AIPact: m.RequiresAIPact, Rolling: m.Rolling})
	}
	return "callnew", nil
}

// createCall reads the form into a call and opens it with the use case;
// it goes to the new call's page. Every field the form cannot read is
// named at once, before the use case sees the call.
func (p *Portal) createCall(r *http.Request, v *view) (string, error) {
	c, err := readCallForm(v.Form)
	if err != nil {
		return "", err
	}
	if err := p.cfg.Services.CreateCall(r.Context(), c); err != nil {
		return "", err
	}
	return Prefix + "calls/" + c.ID + "?done=opened", nil
}

// readCallForm turns the posted form into a call. The field names in its
// errors are the API's (modes[i].max_gpu_hours), as the use case's are.
func readCallForm(f url.Values) (*pactum.Call, error) {
	var v pactum.Validator
	c := &pactum.Call{Title: strings.TrimSpace(f.Get("title")), Description: strings.TrimSpace(f.Get("description")),
		HoldModelsAtSystemicRisk:  f.Get("hold_models_at_systemic_risk") != "",
		BlockOverdueOrganizations: f.Get("block_overdue_organizations") != ""}
	c.OpensAt = formTime(&v, f, "opens_at")
	c.CutoffAt = formTime(&v, f, "cutoff_at")
	c.SystemIDs = f["system"]
	for _, name := range f["mode"] {
		m, err := catalog.Mode(pactum.AccessMode(name))
		if err != nil {
			v.Add("modes", "names an unknown access mode")
			continue
		}
		k, at := name+".", "modes["+strconv.Itoa(len(c.Modes))+"]."
		m.MinGPUHours = formNumber(&v, f, k+"min_gpu_hours", at+"min_gpu_hours")
		m.MaxGPUHours = formNumber(&v, f, k+"max_gpu_hours", at+"max_gpu_hours")
		for _, n := range []string{"max_duration_months", "decision_working_days"} {
			v.Check(strings.TrimSpace(f.Get(k+n)) != "", at+n, "is required")
		}
		m.MaxDurationMonths = formWhole(&v, f, k+"max_duration_months", at+"max_duration_months")
		m.DecisionWorkingDays = formWhole(&v, f, k+"decision_working_days", at+"decision_working_days")
		m.AutoApprove, m.RequiresSME = f.Get(k+"auto_approve") != "", f.Get(k+"requires_sme") != ""
		m.RequiresAIPact, m.Rolling = f.Get(k+"requires_ai_pact") != "", f.Get(k+"rolling") != ""
		c.Modes = append(c.Modes, m)
	}
	return c, v.Err("The call is not valid.")
}

func formTime(v *pactum.Validator, f url.Values, name string) time.Time {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return time.Time{} // the call's validation says it is required
	}
	// A browser sends seconds when the value has any.
	t, err := time.Parse(callFormTime, s)
	if err != nil {
		t, err = time.Parse(callFormTime+":05", s)
	}
	v.Check(err == nil, name, "must be a date and time such as 2027-01-31T17:00 (UTC)")
	return t
}

func formatFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
