// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

func (w *world) model(t *testing.T, u *pactum.User, m pactum.Model) *pactum.Model {
	t.Helper()
	out, err := w.uc.CreateModel(storetest.As(u), &m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world) compute(t *testing.T, u *pactum.User, ref string) *pactum.ModelCompute {
	t.Helper()
	mc, err := w.uc.ModelCompute(storetest.As(u), ref)
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

func labelled(r pactum.UsageRecordInput, model string, phase pactum.Phase) pactum.UsageRecordInput {
	r.Model, r.Phase = model, phase
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// TestModelRegistry covers who registers which models and who sees them.
func TestModelRegistry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.model(t, w.f.ApplicantA, pactum.Model{Name: "aleph-7b", Version: "1", ParameterCount: 7e9, TrainingTokens: 2e12})
		if a.OrganizationID != w.f.OrgA.ID || a.CreatedBy != w.f.ApplicantA.ID {
			t.Errorf("model = %+v, want organization A's, created by its applicant", a)
		}
		// Names are unique per organization, not across them.
		w.model(t, w.f.ApplicantB, pactum.Model{Name: "aleph-7b", Version: "1"})
		_, err := w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{Name: "aleph-7b", Version: "1"})
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{Name: "aleph 7b", Version: "1"})
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{Name: "x", Version: "1", DeclaredMFU: 1.5})
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.CreateModel(storetest.As(w.f.ApplicantA), &pactum.Model{OrganizationID: w.f.OrgB.ID, Name: "x", Version: "1"})
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.CreateModel(storetest.As(w.f.Operator), &pactum.Model{Name: "x", Version: "1"})
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.CreateModel(storetest.As(w.f.Manager), &pactum.Model{OrganizationID: "nope", Name: "x", Version: "1"})
		wantCode(t, err, pactum.ENOTFOUND)

		list, total, err := w.uc.FindModels(storetest.As(w.f.ApplicantA), pactum.ModelFilter{})
		if err != nil || total != 1 || list[0].ID != a.ID {
			t.Errorf("applicant A lists %v (%d), %v; want only its model", list, total, err)
		}
		if _, total, _ := w.uc.FindModels(storetest.As(w.f.Auditor), pactum.ModelFilter{}); total != 2 {
			t.Errorf("auditor lists %d models, want 2", total)
		}
		_, err = w.uc.ModelCompute(storetest.As(w.f.ApplicantB), a.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		if mc := w.compute(t, w.f.ApplicantA, "aleph-7b@1"); mc.Model.ID != a.ID {
			t.Errorf("by label: %s, want %s", mc.Model.ID, a.ID)
		}
		// 6·P·D from the declared figures, with the ±30 % band.
		mc := w.compute(t, w.f.Auditor, a.ID)
		if mc.SixPD == nil || !near(mc.SixPD.FLOP, 6*7e9*2e12) || !near(mc.SixPD.High, 1.3*mc.SixPD.FLOP) || mc.SixPD.Display != "8.4e+22" {
			t.Errorf("6PD = %+v, want 8.4e+22 with its band", mc.SixPD)
		}
		if mc.Training.FLOP != 0 || len(mc.Phases) != 0 || mc.Crossings[0].Reached {
			t.Errorf("a model without jobs: %+v", mc)
		}
	})
}

// TestModelAttribution ingests labelled jobs and checks what each counts
// for: the model's training figure (training phases of its own
// organization's model only), the phases beside it, the unattributed
// hours, the organization's upper bound, and exact differences when a
// running job's record is replaced.
func TestModelAttribution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		m := w.model(t, w.f.ApplicantA, pactum.Model{Name: "aleph-7b", Version: "1"})
		w.model(t, w.f.ApplicantB, pactum.Model{Name: "bora", Version: "1"})
		al := w.allocation(t, 1000)
		w.activate(t, al)
		acct := pactum.AllocationAccount(al.ID)
		sys, err := w.db.GetSystem(t.Context(), "lumi-g")
		if err != nil {
			t.Fatal(err)
		}
		peak, mfu := sys.PeakTFLOPSPerGPU*1e12, sys.PlanningMFU()
		util := 0.5
		eval := labelled(job(acct, "2", "ada", true, 8, 3600), "aleph-7b@1", pactum.PhaseEvaluation)
		eval.GPUUtil, eval.EnergyJoules = &util, 10_000_000 // 2.8 kWh in an hour on one node: plausible
		absurd := job(acct, "5", "ada", true, 4, 3600)
		absurd.EnergyJoules = 1e18 // LUMI sometimes reports such values
		res := w.ingest(t, w.f.Operator,
			labelled(job(acct, "1", "ada", false, 8, 3600), "aleph-7b@1", pactum.PhasePreTraining),
			eval,
			labelled(job(acct, "3", "ada", true, 2, 3600), "bora@1", pactum.PhasePreTraining), // another organization's model
			job(acct, "4", "ada", true, 1, 3600),
			absurd)
		if res.Accepted != 5 || !strings.Contains(res.Results[2].Reason, "unattributed") {
			t.Fatalf("ingest: %+v", res)
		}
		pre := 8 * 3600 * peak * mfu
		evalFLOP := 8 * 3600 * peak * util
		other := (2 + 1 + 4) * 3600 * peak * mfu
		mc := w.compute(t, w.f.ApplicantA, m.ID)
		if !near(mc.Training.FLOP, pre) || !near(mc.Cumulative.FLOP, pre) || mc.Training.Display != pactum.TwoSF(pre) {
			t.Errorf("training = %+v, want %g (the pre-training job only)", mc.Training, pre)
		}
		if !near(mc.UpperBound.FLOP, pre+evalFLOP+other) {
			t.Errorf("upper bound = %g, want %g: every job of the organization", mc.UpperBound.FLOP, pre+evalFLOP+other)
		}
		if len(mc.Phases) != 2 || mc.Phases[0].Phase != pactum.PhasePreTraining || mc.Phases[1].Phase != pactum.PhaseEvaluation ||
			mc.Phases[1].Training || !near(mc.Phases[1].FLOP, evalFLOP) || mc.Phases[1].GPUHours != 8 {
			t.Errorf("phases = %+v", mc.Phases)
		}
		if mc.MeasuredShare != 0 || !strings.Contains(mc.Training.Method, "planning MFU") {
			t.Errorf("method = %q, measured share %g: the training job had no measured utilisation", mc.Training.Method, mc.MeasuredShare)
		}
		// Energy: the evaluation job's measurement × PUE, the training
		// job's estimate × PUE.
		wantJ := (10_000_000 + 8*3600*sys.TDPWattsPerGPU*sys.NodeOverheadOrOne()) * sys.PUEOrOne()
		if !near(mc.EnergyMWh, wantJ/3.6e9) || mc.EnergyMeasuredShare != 0.5 {
			t.Errorf("energy = %g MWh (measured share %g), want %g MWh, half measured", mc.EnergyMWh, mc.EnergyMeasuredShare, wantJ/3.6e9)
		}
		sum := w.summary(t, al)
		// What the allocation has left, at the model's MFU (the
		// planning MFU: it declares none), bounds what it can still add.
		if sum.Unit != pactum.UnitGPUHours || sum.ChargeSeconds <= 0 {
			t.Fatalf("summary = %+v, want GPU-hours charged", sum)
		}
		if want := float64(sum.LimitSeconds-sum.ChargeSeconds) * peak * mfu; !near(mc.RemainingGrantFLOP, want) {
			t.Errorf("remaining grant = %g FLOP, want %g: the allocation's limit less its charge", mc.RemainingGrantFLOP, want)
		}
		var unattributed float64
		for _, s := range sum.Models {
			if s.Model == "" {
				unattributed += s.GPUHours
			}
		}
		// The job claiming another organization's model keeps its phase
		// but no model: two unattributed rows beside the model's two.
		if unattributed != 7 || len(sum.Models) != 4 {
			t.Errorf("allocation's models = %+v, want 7 unattributed GPU-hours beside the model's two phases", sum.Models)
		}
		recs, _, err := w.uc.FindUsageRecords(storetest.As(w.f.ApplicantA), pactum.UsageFilter{AllocationID: al.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			switch r.JobID {
			case "2":
				if r.Model != "aleph-7b@1" || r.Phase != pactum.PhaseEvaluation || !near(r.FLOP, evalFLOP) || r.EnergyJ != 1e7 {
					t.Errorf("record 2 = %+v", r)
				}
			case "3":
				if r.Model != "" {
					t.Errorf("record 3 is attributed to %q, another organization's model", r.Model)
				}
			case "5":
				if r.EnergyJoules != 1e18 || r.EnergyJ >= 1e18 {
					t.Errorf("record 5 energy = %g J from a reading of %d: the absurd reading must give way to the estimate", r.EnergyJ, r.EnergyJoules)
				}
			}
		}

		// The running job runs on, then ends: the totals follow by the
		// difference, and a replay changes nothing.
		w.clock.Advance(24 * time.Hour)
		w.ingest(t, w.f.Operator, labelled(job(acct, "1", "ada", false, 8, 7200), "aleph-7b@1", pactum.PhasePreTraining))
		final := labelled(job(acct, "1", "ada", true, 8, 10800), "aleph-7b@1", pactum.PhasePreTraining)
		w.ingest(t, w.f.Operator, final)
		w.ingest(t, w.f.Operator, final)
		mc = w.compute(t, w.f.ApplicantA, m.ID)
		if !near(mc.Training.FLOP, 3*pre) || mc.GPUHours != 24 || !near(mc.UpperBound.FLOP, 3*pre+evalFLOP+other) {
			t.Errorf("after the job ran 3 h: training %g (want %g), %g GPU-hours (want 24), upper bound %g", mc.Training.FLOP, 3*pre, mc.GPUHours, mc.UpperBound.FLOP)
		}
		if mc.Phases[0].Jobs != 1 {
			t.Errorf("pre-training jobs = %d, want 1: a replaced record is the same job", mc.Phases[0].Jobs)
		}
		// The burn rate counts the last week's training: all of it here.
		if !near(mc.BurnRate, 3*pre/pactum.BurnWindowDays) {
			t.Errorf("burn rate = %g, want %g", mc.BurnRate, 3*pre/pactum.BurnWindowDays)
		}
		// A running job whose claim and energy are gone from a later read
		// (the comment was cleared) is stored bare, and leaves the model.
		measured := labelled(job(acct, "8", "ada", false, 8, 600), "aleph-7b@1", pactum.PhasePreTraining)
		measured.EnergyJoules = 100_000
		w.ingest(t, w.f.Operator, measured)
		w.ingest(t, w.f.Operator, job(acct, "8", "ada", false, 8, 1200))
		recs, _, err = w.uc.FindUsageRecords(storetest.As(w.f.ApplicantA), pactum.UsageFilter{AllocationID: al.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.JobID == "8" && (r.Model != "" || r.Phase != pactum.PhaseNone || r.EnergyJoules != 0 || r.ElapsedSeconds != 1200) {
				t.Errorf("record 8 after a bare read: %+v", r)
			}
		}
		if mc := w.compute(t, w.f.ApplicantA, m.ID); mc.Phases[0].Jobs != 1 || !near(mc.Training.FLOP, 3*pre) {
			t.Errorf("the model after its job left it: %+v, training %g", mc.Phases, mc.Training.FLOP)
		}
		// Granted for training (the proposal has no compute split), the
		// allocation is flagged once its labelled hours are mostly
		// evaluation.
		if f := w.summary(t, al).Flags; len(f) != 0 {
			t.Errorf("flags before: %v", f)
		}
		w.ingest(t, w.f.Operator, labelled(job(acct, "9", "ada", true, 8, 5*3600), "aleph-7b@1", pactum.PhaseEvaluation))
		if f := w.summary(t, al).Flags; len(f) != 1 || !strings.Contains(f[0], "label 48 GPU-hours as evaluation") {
			t.Errorf("flags after 40 more GPU-hours of evaluation: %v", f)
		}
	})
}

// TestSystemicRiskAlert drives a model with declared prior compute over
// 10^25 FLOP: the alert is recorded once, audited and notified, and the
// Art. 52 draft carries the figures and the two-week deadline.
func TestSystemicRiskAlert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		m := w.model(t, w.f.ApplicantA, pactum.Model{Name: "big", Version: "2", PriorTrainingFLOP: 9.9e24})
		al := w.allocation(t, 1000)
		w.activate(t, al)
		acct := pactum.AllocationAccount(al.ID)
		before := w.compute(t, w.f.Auditor, m.ID)
		if c := before.Crossings[1]; !c.Reached || c.ReachedBy != "band" || before.Notification == nil || before.Notification.Trigger != "margin" {
			t.Errorf("9.9e24 declared is within the ±30 %% margin of 10^25: %+v, notification %+v", c, before.Notification)
		}
		// 1,024 GPUs for 30 days: about 1.3·10^23 FLOP on LUMI-G.
		big := labelled(job(acct, "7", "ada", true, 1024, 30*86400), "big@2", pactum.PhasePreTraining)
		w.ingest(t, w.f.Operator, big)
		w.ingest(t, w.f.Operator, big) // a replay alerts nobody again
		mc := w.compute(t, w.f.ApplicantA, "big@2")
		if c := mc.Crossings[1]; !c.Reached || c.ReachedBy != "estimate" {
			t.Fatalf("systemic-risk crossing = %+v, cumulative %g", c, mc.Cumulative.FLOP)
		}
		var alert *pactum.ComputeAlert
		for i, a := range mc.Alerts {
			if a.Subject == "model:"+m.ID && a.Threshold == pactum.SystemicRiskThresholdFLOP && a.Fraction == 1 {
				alert = &mc.Alerts[i]
			}
		}
		if alert == nil || !alert.CrossedAt.Equal(t0) {
			t.Fatalf("alerts = %+v, want the model's 10^25 alert at %v", mc.Alerts, t0)
		}
		n := mc.Notification
		if n == nil || n.Trigger != "met" || n.DueBy == nil || !n.DueBy.Equal(t0.Add(14*24*time.Hour)) ||
			!strings.Contains(n.Text, "Article 52(1)") || !strings.Contains(n.Text, mc.Cumulative.Display) {
			t.Errorf("notification = %+v", n)
		}
		if evs := w.events(t, "compute.threshold_alert"); len(evs) == 0 {
			t.Error("no audit event for the alerts")
		}
		notes, _, err := w.uc.FindNotifications(storetest.As(w.f.ApplicantA), pactum.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, x := range notes {
			if x.Kind == pactum.NotifyComputeAlert && strings.Contains(x.Subject, "big@2") && strings.Contains(x.Subject, "10^25") {
				count++
			}
		}
		if count != 1 {
			t.Errorf("the creator got %d notices of the 10^25 alert, want exactly 1", count)
		}
		mnotes, _, _ := w.uc.FindNotifications(storetest.As(w.f.Manager), pactum.NotificationFilter{UserID: &w.f.Manager.ID})
		if !containsKind(mnotes, pactum.NotifyComputeAlert) {
			t.Error("the access manager was not told of the systemic-risk alert")
		}
		// The organization's upper bound crossed 10^23 too: it counts the
		// 1.3·10^23 measured, not the model's declared prior compute.
		found := false
		for _, a := range mc.Alerts {
			found = found || a.Subject == pactum.OrganizationSubject(w.f.OrgA.ID)
		}
		if !found {
			t.Errorf("no alert on the organization's upper bound of %g", mc.UpperBound.FLOP)
		}
		checkDocumentation(t, w, m, mc)
	})
}

// checkDocumentation: the model's documentation at each audience's
// granularity, signed over the audit position it states.
func checkDocumentation(t *testing.T, w *world, m *pactum.Model, mc *pactum.ModelCompute) {
	priv, pub, err := audit.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	uc := usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Now: w.clock.Now, DocumentKey: priv})
	ctx := storetest.As(w.f.ApplicantA)
	aio, err := uc.ModelDocumentation(ctx, m.ID, pactum.AudienceAIOffice)
	if err != nil {
		t.Fatal(err)
	}
	if aio.Compute == nil || aio.Compute.FLOP != mc.Cumulative.Display || aio.Energy == nil || aio.TrainingTime == nil ||
		len(aio.TrainingTime.HardwareDays) != 1 || aio.TrainingTime.HardwareDays[0].GPUDays != 1024*30 || aio.AuditSeq < mc.AuditSeq {
		t.Errorf("for the AI Office: %+v %+v %+v", aio, aio.Compute, aio.TrainingTime)
	}
	if err := audit.VerifyDocument(aio.PublicKey, aio.Signature, aio.Payload(), pub); err != nil {
		t.Errorf("signature: %v", err)
	}
	aio.Compute.FLOP = "1.0e+24"
	if audit.VerifyDocument(aio.PublicKey, aio.Signature, aio.Payload(), pub) == nil {
		t.Error("a changed figure still verifies")
	}
	nca, err := uc.ModelDocumentation(ctx, m.ID, pactum.AudienceNationalAuthority)
	if err != nil || nca.Compute.FLOP != "10^25" || nca.TrainingTime.Band != "less than 1 month" || nca.TrainingTime.WallClockDays != 0 {
		t.Errorf("for national authorities: %+v %v", nca, err)
	}
	dp, err := uc.ModelDocumentation(ctx, m.ID, pactum.AudienceDownstream)
	if err != nil || dp.Compute != nil || dp.Energy != nil || dp.TrainingTime != nil {
		t.Errorf("for downstream providers: %+v %v", dp, err)
	}
	_, err = uc.ModelDocumentation(ctx, m.ID, "press")
	wantCode(t, err, pactum.EINVALID)
	_, err = uc.ModelDocumentation(storetest.As(w.f.ApplicantB), m.ID, pactum.AudienceAIOffice)
	wantCode(t, err, pactum.ENOTFOUND)
}

func containsKind(ns []*pactum.Notification, kind string) bool {
	for _, n := range ns {
		if n.Kind == kind {
			return true
		}
	}
	return false
}
