// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

var boundsNow = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func validProposal() *pactum.Proposal {
	return &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: "c", Mode: pactum.ModeFastLane, Title: "A 7B model", ProposalContent: pactum.ProposalContent{
		Summary:        "Pre-training.\nSecond paragraph.",
		Requests:       []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 20000, StorageTB: 20, Support: "Help with\tNCCL."}},
		DurationMonths: 3,
		AIWork: pactum.AIWork{ModelType: "language_model", InputModalities: []string{"text"}, OutputModalities: []string{"text"},
			ParameterCount: 7e9, TrainingTokens: 2e11, PlannedTrainingFLOP: 8.4e21, Utilisation: 0.4,
			IntendedUse: "Drafting.", Purpose: "research", DataProvenance: pactum.DataProvenance{Sources: []string{"licensed"}, Description: "Case law."}},
		Team: []pactum.TeamMember{{Name: "Ada", Email: "ada@aleph.example", Organization: "Aleph"}},
	}}}
}

func validOrg() *pactum.Organization {
	return &pactum.Organization{LegalName: "Aleph GmbH", Country: "DE", RegistrationNumber: "HRB 1",
		FoundedOn: pactum.MustDate("2022-01-01"), Staff: 10, TurnoverEUR: 1, BalanceSheetEUR: 1}
}

func validCall() *pactum.Call {
	return &pactum.Call{Title: "Call", Description: "Line one.\nLine two.", OpensAt: boundsNow.AddDate(0, -1, 0), CutoffAt: boundsNow.AddDate(0, 6, 0),
		Modes:     []pactum.CallMode{{Mode: pactum.ModeFastLane, MaxGPUHours: 50000, MaxDurationMonths: 3, DecisionWorkingDays: 4}},
		SystemIDs: []string{"leonardo-booster"}}
}

func validSystem() *pactum.System {
	return &pactum.System{ID: "s", Name: "S", Site: "CSC", Country: "FI", Nodes: 10, GPUsPerNode: 4, PeakTFLOPSPerGPU: 400,
		Unit: pactum.UnitGPUHours, CapacityPerPeriod: 1000, Software: "cuda", Scheduler: "slurm"}
}

func ptr[T any](v T) *T { return &v }

// boundCase changes one field of a valid input and names the field the
// error must point at ("" when the change must be accepted).
type boundCase struct {
	name  string
	check func() error
	field string
}

func proposalCase(name, field string, change func(p *pactum.Proposal)) boundCase {
	return boundCase{name, func() error { p := validProposal(); change(p); return p.Validate() }, field}
}

func orgCase(name, field string, change func(o *pactum.Organization)) boundCase {
	return boundCase{name, func() error { o := validOrg(); change(o); return o.Validate(boundsNow) }, field}
}

func callCase(name, field string, change func(c *pactum.Call)) boundCase {
	return boundCase{name, func() error { c := validCall(); change(c); return c.Validate(boundsNow) }, field}
}

func systemCase(name, field string, change func(s *pactum.System)) boundCase {
	return boundCase{name, func() error { s := validSystem(); change(s); return s.Validate() }, field}
}

// energyCase is systemCase on a system with every energy figure given.
func energyCase(name, field string, change func(s *pactum.System)) boundCase {
	return systemCase(name, field, func(s *pactum.System) {
		s.TDPWattsPerGPU, s.NodeOverhead, s.PUE, s.GridGCO2PerKWh = 700, 1.3, 1.08, 174
		s.MFULow, s.MFUHigh, s.EnergySource = 0.35, 0.45, "TDP: NVIDIA (2022); PUE: BSC (2024)"
		change(s)
	})
}

func TestNumericBounds(t *testing.T) {
	cases := []boundCase{
		proposalCase("valid proposal", "", func(p *pactum.Proposal) {}),
		proposalCase("amount at the bound", "", func(p *pactum.Proposal) { p.Requests[0].Amount = pactum.MaxAmount }),
		proposalCase("amount 1.7e308", "requests[0].amount", func(p *pactum.Proposal) { p.Requests[0].Amount = 1.7e308 }),
		proposalCase("amount over the bound", "requests[0].amount", func(p *pactum.Proposal) { p.Requests[0].Amount = pactum.MaxAmount * 1.01 }),
		proposalCase("amount +Inf", "requests[0].amount", func(p *pactum.Proposal) { p.Requests[0].Amount = math.Inf(1) }),
		proposalCase("amount NaN", "requests[0].amount", func(p *pactum.Proposal) { p.Requests[0].Amount = math.NaN() }),
		proposalCase("storage 1e200", "requests[0].storage_tb", func(p *pactum.Proposal) { p.Requests[0].StorageTB = 1e200 }),
		proposalCase("parameters at the bound", "", func(p *pactum.Proposal) { p.AIWork.ParameterCount = pactum.MaxParameterCount }),
		proposalCase("parameters 1e200", "ai_work.parameter_count", func(p *pactum.Proposal) { p.AIWork.ParameterCount = 1e200 }),
		proposalCase("tokens 1e200", "ai_work.training_tokens", func(p *pactum.Proposal) { p.AIWork.TrainingTokens = 1e200 }),
		proposalCase("tokens at the bound", "", func(p *pactum.Proposal) { p.AIWork.TrainingTokens = pactum.MaxTrainingTokens }),
		proposalCase("planned FLOP 1e300", "ai_work.planned_training_flop", func(p *pactum.Proposal) { p.AIWork.PlannedTrainingFLOP = 1e300 }),
		proposalCase("base-model FLOP 1e31", "ai_work.base_model_flop", func(p *pactum.Proposal) { p.AIWork.BaseModelFLOP = 1e31 }),
		proposalCase("utilisation NaN", "ai_work.utilisation", func(p *pactum.Proposal) { p.AIWork.Utilisation = math.NaN() }),

		orgCase("valid organization", "", func(o *pactum.Organization) {}),
		orgCase("founded 0000-01-01", "founded_on", func(o *pactum.Organization) { o.FoundedOn = pactum.MustDate("0000-01-01") }),
		orgCase("founded 1799-12-31", "founded_on", func(o *pactum.Organization) { o.FoundedOn = pactum.MustDate("1799-12-31") }),
		orgCase("founded 1800-01-01", "", func(o *pactum.Organization) { o.FoundedOn = pactum.MustDate("1800-01-01") }),
		orgCase("founded today", "", func(o *pactum.Organization) { o.FoundedOn = pactum.DateOf(boundsNow) }),
		orgCase("founded tomorrow", "founded_on", func(o *pactum.Organization) { o.FoundedOn = pactum.DateOf(boundsNow.AddDate(0, 0, 1)) }),
		orgCase("staff 2^31", "staff", func(o *pactum.Organization) { o.Staff = 1 << 31 }),
		orgCase("staff at the bound", "", func(o *pactum.Organization) { o.Staff = pactum.MaxStaff }),
		orgCase("staff negative", "staff", func(o *pactum.Organization) { o.Staff = -1 }),
		orgCase("turnover 2^62", "turnover_eur", func(o *pactum.Organization) { o.TurnoverEUR = 1 << 62 }),
		orgCase("balance sheet 2^62", "balance_sheet_eur", func(o *pactum.Organization) { o.BalanceSheetEUR = 1 << 62 }),

		callCase("valid call", "", func(c *pactum.Call) {}),
		callCase("cut-off in year 9999", "cutoff_at", func(c *pactum.Call) { c.CutoffAt = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }),
		callCase("cut-off 5 years ahead", "", func(c *pactum.Call) { c.CutoffAt = boundsNow.AddDate(pactum.CallWindowYears, 0, 0) }),
		callCase("cut-off just over 5 years ahead", "cutoff_at", func(c *pactum.Call) { c.CutoffAt = boundsNow.AddDate(pactum.CallWindowYears, 0, 1) }),
		callCase("opening in year 1", "opens_at", func(c *pactum.Call) { c.OpensAt = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) }),
		callCase("mode cap 1e200", "modes[0].max_gpu_hours", func(c *pactum.Call) { c.Modes[0].MaxGPUHours = 1e200 }),
		callCase("mode minimum 1e200", "modes[0].min_gpu_hours", func(c *pactum.Call) { c.Modes[0].MinGPUHours, c.Modes[0].MaxGPUHours = 1e200, 0 }),

		systemCase("valid system", "", func(s *pactum.System) {}),
		systemCase("peak 1e300", "peak_tflops_per_gpu", func(s *pactum.System) { s.PeakTFLOPSPerGPU = 1e300 }),
		systemCase("capacity 1e300", "capacity_per_period", func(s *pactum.System) { s.CapacityPerPeriod = 1e300 }),
		systemCase("nodes 2^40", "nodes", func(s *pactum.System) { s.Nodes = 1 << 40 }),
		systemCase("GPUs per node 1000", "gpus_per_node", func(s *pactum.System) { s.GPUsPerNode = 1000 }),
		energyCase("energy figures", "", func(s *pactum.System) {}),
		energyCase("one MFU figure", "", func(s *pactum.System) { s.MFULow = s.MFUHigh }),
		energyCase("TDP 1e300", "tdp_watts_per_gpu", func(s *pactum.System) { s.TDPWattsPerGPU = 1e300 }),
		energyCase("TDP negative", "tdp_watts_per_gpu", func(s *pactum.System) { s.TDPWattsPerGPU = -400 }),
		energyCase("overhead below 1", "node_overhead", func(s *pactum.System) { s.NodeOverhead = 0.8 }),
		energyCase("PUE below 1", "pue", func(s *pactum.System) { s.PUE = 0.95 }),
		energyCase("PUE NaN", "pue", func(s *pactum.System) { s.PUE = math.NaN() }),
		energyCase("PUE 12", "pue", func(s *pactum.System) { s.PUE = 12 }),
		energyCase("grid negative", "grid_gco2_per_kwh", func(s *pactum.System) { s.GridGCO2PerKWh = -1 }),
		energyCase("grid in kg", "grid_gco2_per_kwh", func(s *pactum.System) { s.GridGCO2PerKWh = 174000 }),
		energyCase("MFU band upside down", "mfu_high", func(s *pactum.System) { s.MFULow, s.MFUHigh = 0.45, 0.35 }),
		energyCase("MFU as a percentage", "mfu_high", func(s *pactum.System) { s.MFUHigh = 45 }),
		energyCase("half an MFU band", "mfu_low", func(s *pactum.System) { s.MFULow = 0 }),
		energyCase("figures without a source", "energy_source", func(s *pactum.System) { s.EnergySource = " " }),
		energyCase("a source of two lines", "energy_source", func(s *pactum.System) { s.EnergySource = "PUE: BSC\nTDP: NVIDIA" }),

		{"run cap 1e200", func() error { return (&pactum.AllocationRunInput{OrgCapGPUHours: ptr(1e200)}).Validate() }, "org_cap_gpu_hours"},
		{"run share NaN", func() error { return (&pactum.AllocationRunInput{OrgCapShare: ptr(math.NaN())}).Validate() }, "org_cap_share"},
		{"run reserve NaN", func() error { return (&pactum.AllocationRunInput{ReservedShare: ptr(math.NaN())}).Validate() }, "reserved_share"},
		{"grant 1.7e308", func() error {
			p := validProposal()
			p.Requests[0].Amount = 1.7e308 // stored before the bounds
			d := pactum.DecisionInput{Accept: true, Reason: "Fine.", Grants: []pactum.Grant{{SystemID: "leonardo-booster", Amount: 1.7e308}}}
			return d.Validate(p)
		}, "grants[0].amount"},
		{"affiliation from 0000-01-01", func() error {
			r := &pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{{Organization: "X", From: pactum.MustDate("0000-01-01")}}}
			return r.Validate(boundsNow)
		}, "affiliations[0].from"},
		{"affiliation until 9999-12-31", func() error {
			r := &pactum.ReviewerProfile{Affiliations: []pactum.Affiliation{{Organization: "X", Until: pactum.MustDate("9999-12-31")}}}
			return r.Validate(boundsNow)
		}, "affiliations[0].until"},
	}
	for _, tc := range cases {
		err := tc.check()
		var fields []string
		for _, f := range pactum.ErrorFields(err) {
			fields = append(fields, f.Field)
		}
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (pactum.ErrorCode(err) != pactum.EINVALID || !slices.Contains(fields, tc.field)):
			t.Errorf("%s: got %v, want EINVALID naming %s", tc.name, err, tc.field)
		case tc.field != "" && len(fields) != 1:
			t.Errorf("%s: fields %v, want only %s", tc.name, fields, tc.field)
		}
	}
}
