// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"database/sql"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestAllocationWhatIf runs an allocation, then a what-if of it with Vega
// cut to 10,000 GPU-h: the what-if inherits the base run's parameters,
// starts warm, keeps to the new capacity, and its diff against the base
// shows Vega's total and the proposals that moved. A what-if assuming
// more than the call has cannot be published; one within it can.
func TestAllocationWhatIf(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newContestedRun(t, dialect)
		s.submitAndReview(t)
		base, err := s.uc.CreateAllocationRun(s.mgr, s.call.ID, pactum.AllocationRunInput{OrgCapGPUHours: &s.orgCap, ReservedShare: &s.share})
		if err != nil {
			t.Fatal(err)
		}
		if base.Warm || base.BaseRunID != "" {
			t.Errorf("a first run is cold: %+v", base)
		}

		// Refused inputs name their field.
		for name, c := range map[string]struct {
			in    pactum.AllocationRunInput
			field string
		}{
			"unknown base":      {pactum.AllocationRunInput{BaseRunID: "no-such-run"}, "base_run_id"},
			"control character": {pactum.AllocationRunInput{BaseRunID: "run\x1b[2J"}, "base_run_id"},
			"system not in call": {pactum.AllocationRunInput{BaseRunID: base.ID, Capacities: map[string]float64{"mn5-acc": 10}},
				"capacities.mn5-acc"},
			"negative capacity": {pactum.AllocationRunInput{Capacities: map[string]float64{"vega-gpu": -1}}, "capacities.vega-gpu"},
			"absurd capacity":   {pactum.AllocationRunInput{Capacities: map[string]float64{"vega-gpu": 1e300}}, "capacities.vega-gpu"},
		} {
			_, err := s.uc.CreateAllocationRun(s.mgr, s.call.ID, c.in)
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
				continue
			}
			wantField(t, err, c.field)
		}
		_, err = s.uc.CreateAllocationRun(storetest.As(s.f.Auditor), s.call.ID, pactum.AllocationRunInput{BaseRunID: base.ID})
		wantCode(t, err, pactum.EFORBIDDEN)

		whatIf, err := s.uc.CreateAllocationRun(s.mgr, s.call.ID, pactum.AllocationRunInput{BaseRunID: base.ID,
			Capacities: map[string]float64{"vega-gpu": 10000}})
		if err != nil {
			t.Fatal(err)
		}
		if !whatIf.Warm || whatIf.BaseRunID != base.ID {
			t.Errorf("what-if: warm %v, base %q", whatIf.Warm, whatIf.BaseRunID)
		}
		p := whatIf.Params
		if p.OrgCapGPUHours != s.orgCap || p.ReservedShare != s.share || p.Capacities["vega-gpu"] != 10000 {
			t.Errorf("what-if params %+v: want the base's cap %g and share %g, and Vega at 10,000", p, s.orgCap, s.share)
		}
		if whatIf.Bound < whatIf.Objective || whatIf.Gap > 0.005 {
			t.Errorf("what-if figures: objective %g bound %g gap %g", whatIf.Objective, whatIf.Bound, whatIf.Gap)
		}
		var vegaBefore float64
		for _, sys := range base.Systems {
			if sys.SystemID == "vega-gpu" {
				vegaBefore = sys.GrantedGPUHours
			}
		}
		d, err := s.uc.DiffAllocationRuns(storetest.As(s.f.Auditor), base.ID, whatIf.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, whatIf.Changes); diff != "" {
			t.Errorf("the what-if's own changes differ from DiffAllocationRuns (-use case +run):\n%s", diff)
		}
		stored, err := s.uc.FindAllocationRunByID(s.mgr, whatIf.ID)
		if err != nil || cmp.Diff(d, stored.Changes) != "" {
			t.Errorf("the stored what-if's changes: %v", err)
		}
		var vega pactum.SystemDiff
		for _, sd := range d.Systems {
			if sd.SystemID == "vega-gpu" {
				vega = sd
			}
		}
		if vega.Granted.Before != vegaBefore || vega.Granted.After > 10000+1e-6 || vega.Capacity.After != 10000 || vegaBefore <= 10000 {
			t.Errorf("Vega in the diff: %+v (base granted %g)", vega, vegaBefore)
		}
		if len(d.Proposals) == 0 || d.Objective.Before != base.Objective || d.Objective.After != whatIf.Objective || d.Gap.After != whatIf.Gap {
			t.Errorf("diff: %d proposals changed, objective %+v gap %+v", len(d.Proposals), d.Objective, d.Gap)
		}
		for _, pd := range d.Proposals {
			t.Logf("%s: %s %.0f → %s %.0f", pd.Title, pd.OutcomeBefore, pd.Granted.Before, pd.OutcomeAfter, pd.Granted.After)
		}
		_, err = s.uc.DiffAllocationRuns(storetest.As(s.f.ApplicantA), base.ID, whatIf.ID)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = s.uc.DiffAllocationRuns(s.mgr, base.ID, "no-such-run")
		wantCode(t, err, pactum.ENOTFOUND)

		// Lists read each run's summary, or, for a run stored before
		// summaries, its whole result: the same line either way.
		listed := func() []*pactum.AllocationRun {
			t.Helper()
			runs, n, err := s.uc.FindAllocationRuns(s.mgr, pactum.AllocationRunFilter{CallID: &s.call.ID, Limit: 10})
			if err != nil || n != 2 {
				t.Fatalf("runs %d %v", n, err)
			}
			return runs
		}
		withSummary := listed()
		raw, err := sql.Open(map[string]string{sqlstore.SQLite: "sqlite", sqlstore.Postgres: "pgx"}[dialect], s.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`UPDATE allocation_runs SET summary = NULL WHERE id = $1`, base.ID); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(withSummary, listed()); diff != "" || withSummary[0].Outcomes != nil || withSummary[1].Params.OrgCapGPUHours != s.orgCap {
			t.Errorf("a run without a summary lists otherwise (-summary +result):\n%s", diff)
		}

		// More than the call has left: a what-if that cannot be published.
		tooMuch, err := s.uc.CreateAllocationRun(s.mgr, s.call.ID, pactum.AllocationRunInput{BaseRunID: whatIf.ID,
			Capacities: map[string]float64{"vega-gpu": 1e6}})
		if err != nil {
			t.Fatal(err)
		}
		if tooMuch.Params.OrgCapGPUHours != s.orgCap {
			t.Errorf("a what-if of a what-if lost the base's cap: %+v", tooMuch.Params)
		}
		_, err = s.uc.PublishAllocationRun(s.mgr, tooMuch.ID)
		wantCode(t, err, pactum.ECONFLICT)

		if _, err := s.uc.PublishAllocationRun(s.mgr, whatIf.ID); err != nil {
			t.Fatalf("publishing a what-if within the capacity: %v", err)
		}
		allocs, _, err := s.uc.FindAllocations(s.mgr, pactum.AllocationFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var vegaAwarded float64
		for _, a := range allocs {
			if a.SystemID == "vega-gpu" {
				vegaAwarded += a.Amount
			}
		}
		if vegaAwarded > 10000+1e-6 {
			t.Errorf("%g GPU-h awarded on Vega after publishing a what-if capped at 10,000", vegaAwarded)
		}
	})
}
