// SPDX-License-Identifier: EUPL-1.2

package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// ModelRun is a model the demo trained: its supervision record in brief.
type ModelRun struct {
	Model        string   `json:"model"`
	Organization string   `json:"organization"`
	Systems      []string `json:"systems"`
	GPUHours     float64  `json:"gpu_hours"`
	// Training and Cumulative are FLOP to two significant figures with
	// their ±30 % band; Method names how they were computed.
	Training   string  `json:"training"`
	Cumulative string  `json:"cumulative"`
	Method     string  `json:"method"`
	SixPD      string  `json:"six_pd,omitempty"`
	UpperBound string  `json:"upper_bound"`
	EnergyMWh  float64 `json:"energy_mwh"`
	CO2eTonnes float64 `json:"co2e_t"`
	// Thresholds is where the model stands against 10^23 and 10^25.
	Thresholds []string `json:"thresholds"`
	// Notification is the Art. 52 draft's trigger and deadline, "" when
	// none is due.
	Notification string `json:"notification,omitempty"`
	DueBy        string `json:"due_by,omitempty"`
}

// registerModels has the startups that train a model register it, so
// that their jobs' claims resolve.
func (sc *scenario) registerModels() error {
	for _, a := range sc.actors {
		if a.s.model == nil {
			continue
		}
		m := a.s.model.model
		in := client.ModelInput{Name: m.Name, Version: m.Version, BaseModel: optStr(m.BaseModel), PriorTrainingFlop: optNum(m.PriorTrainingFLOP),
			ParameterCount: optNum(m.ParameterCount), TrainingTokens: optNum(m.TrainingTokens), DeclaredMfu: optNum(m.DeclaredMFU)}
		r, err := a.c.CreateModelWithResponse(sc.ctx, in)
		if err := expect(r, err, 201, "register model "+m.Label()); err != nil {
			return err
		}
		sc.progress("%s registered model %s", a.s.org.LegalName, m.Label())
	}
	return nil
}

// supervise reads each trained model's supervision record as its provider
// sees it, and checks that the model trained across two systems towards
// 10^25 FLOP has its Art. 52 notification drafted with a deadline.
func (sc *scenario) supervise() error {
	for _, a := range sc.actors {
		if a.s.model == nil {
			continue
		}
		label := a.s.model.model.Label()
		r, err := a.c.GetModelComputeWithResponse(sc.ctx, label)
		if err := expect(r, err, 200, "model compute of "+label); err != nil {
			return err
		}
		mc := r.JSON200
		run := ModelRun{Model: label, Organization: a.s.org.LegalName, GPUHours: mc.GpuHours,
			Training: band(mc.Training), Cumulative: band(mc.Cumulative), Method: mc.Cumulative.Method, UpperBound: band(mc.UpperBound),
			EnergyMWh: mc.EnergyMwh, CO2eTonnes: mc.Co2eKg / 1000}
		if mc.SixPd != nil {
			run.SixPD = band(*mc.SixPd)
		}
		for _, s := range mc.Systems {
			run.Systems = append(run.Systems, s.SystemId)
		}
		for _, c := range mc.Crossings {
			state := "not reached"
			switch {
			case c.Reached:
				state = "reached (" + string(*c.ReachedBy) + ")"
			case c.ProjectedAt != nil:
				state = "projected " + c.ProjectedAt.Format(time.DateOnly)
			}
			run.Thresholds = append(run.Thresholds, fmt.Sprintf("%s: %s", pactum.TwoSF(c.Threshold), state))
		}
		if n := mc.Notification; n != nil {
			run.Notification = string(n.Trigger)
			if n.DueBy != nil {
				run.DueBy = n.DueBy.Format(time.DateOnly)
			}
		}
		sc.res.Models = append(sc.res.Models, run)
		sc.progress("%s: %s FLOP cumulative on %s", label, run.Cumulative, strings.Join(run.Systems, ", "))
		if len(a.s.model.jobs) > 1 {
			ok := len(run.Systems) == len(a.s.model.jobs) && run.Notification != "" && run.DueBy != ""
			sc.res.Checks = append(sc.res.Checks, Check{
				What:   label + ", trained on " + strings.Join(run.Systems, " and ") + " towards 10^25 FLOP: the Art. 52 notification is drafted, with its deadline",
				Result: fmt.Sprintf("cumulative %s; notification %q due %s", run.Cumulative, run.Notification, orDash(run.DueBy)), OK: ok})
		}
	}
	return nil
}

func band(f client.ModelFigure) string {
	return fmt.Sprintf("%s (%s–%s)", f.Display, pactum.TwoSF(f.Low), pactum.TwoSF(f.High))
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optNum(x float64) *float64 {
	if x == 0 {
		return nil
	}
	return &x
}
