// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/metrics"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// observed rebuilds w's use cases with package metrics' observer and the
// agents' gauges on a fresh registry, which it returns.
func (w *world) observed(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	dom, err := metrics.New(reg, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	rubric, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	w.uc = usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Allocator: allocate.New(solver.Options{}), Rubric: rubric,
		Now: w.clock.Now, Observer: dom, AgentSilentAfter: 10 * time.Minute})
	uc := w.uc
	if err := metrics.RegisterAgents(reg, func(ctx context.Context) ([]pactum.AgentStatus, error) {
		return uc.ListAgents(pactum.NewContextWithUser(ctx, pactum.SystemUser()), "")
	}, nil); err != nil {
		t.Fatal(err)
	}
	return reg
}

// metric returns the value of one series of reg in the text format, e.g.
// `pactum_decisions_total{by="screening",outcome="approved"}`; -1 when
// absent.
func metric(t *testing.T, reg *prometheus.Registry, series string) float64 {
	t.Helper()
	name, _, _ := strings.Cut(series, "{")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			s := name
			if len(labels) > 0 {
				s += "{" + strings.Join(labels, ",") + "}"
			}
			if s != series {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

// TestDomainMetrics: submissions, screening findings by rule, decisions by
// outcome and by whom, time to decision, usage ingest and its lag, and the
// agents' last contact change as the use cases commit, and only then.
func TestDomainMetrics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		reg := w.observed(t)

		// A fast-lane proposal approved at submission, with a condition.
		a := w.allocation(t, 1, pactum.Finding{RuleID: "art50-2", Basis: "AI Act Art. 50(2)", Effect: pactum.EffectCondition, Message: "Mark."})
		for series, want := range map[string]float64{
			`pactum_proposals_submitted_total{mode="fast_lane"}`:                 1,
			`pactum_screenings_total{outcome="approve",route="approved"}`:        1,
			`pactum_screening_findings_total{effect="condition",rule="art50-2"}`: 1,
			`pactum_decisions_total{by="screening",outcome="approved"}`:          1,
			`pactum_time_to_decision_seconds{by="screening"}`:                    1,
		} {
			if got := metric(t, reg, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}

		// A denied one: rejected at submission.
		prev := w.screener.ScreenFn
		w.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			f := []pactum.Finding{{RuleID: "art5-f", Basis: "AI Act Art. 5(1)(f)", Effect: pactum.EffectDeny, Message: "Prohibited."}}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}
		w.submitAsking(t, pactum.ResourceRequest{SystemID: "lumi-g", Amount: 1, StorageTB: 1})
		w.screener.ScreenFn = prev
		if got := metric(t, reg, `pactum_decisions_total{by="screening",outcome="rejected"}`); got != 1 {
			t.Errorf("rejections by screening = %v", got)
		}
		if got := metric(t, reg, `pactum_screening_findings_total{effect="deny",rule="art5-f"}`); got != 1 {
			t.Errorf("art5-f denials = %v", got)
		}
		if got := metric(t, reg, `pactum_proposals_submitted_total{mode="fast_lane"}`); got != 2 {
			t.Errorf("submissions = %v", got)
		}

		// A refused submission (the call is closed) counts nothing.
		w.clock.Advance(365 * 24 * time.Hour)
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err == nil {
			t.Fatal("submission to a closed call accepted")
		}
		if got := metric(t, reg, `pactum_proposals_submitted_total{mode="fast_lane"}`); got != 2 {
			t.Errorf("submissions after a refused one = %v", got)
		}
		w.clock.T = t0

		// Usage of a job that ended 2 hours before the ingest.
		w.activate(t, a)
		w.clock.Advance(2 * time.Hour)
		acct := pactum.AllocationAccount(a.ID)
		w.ingest(t, w.f.Operator, job(acct, "1", "ada", true, 1, 60), job(acct, "2", "ada", false, 1, 60), job("nobody", "3", "ada", true, 1, 60))
		if got := metric(t, reg, `pactum_usage_records_total{cluster="lumi",status="accepted"}`); got != 2 {
			t.Errorf("accepted usage records = %v", got)
		}
		if got := metric(t, reg, `pactum_usage_records_total{cluster="lumi",status="rejected"}`); got != 1 {
			t.Errorf("rejected usage records = %v", got)
		}
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "pactum_usage_ingest_lag_seconds" {
				h := mf.GetMetric()[0].GetHistogram()
				// job 1 ended at t0 - 1h + 60s; ingested at t0 + 2h.
				if h.GetSampleCount() != 1 || h.GetSampleSum() != (3*time.Hour-time.Minute).Seconds() {
					t.Errorf("ingest lag: %d samples, sum %v", h.GetSampleCount(), h.GetSampleSum())
				}
			}
		}

		// Agents: no gauge before a heartbeat; the last contact after;
		// silent once the threshold has passed.
		if got := metric(t, reg, `pactum_agent_last_contact_timestamp_seconds{cluster="lumi",site="CSC"}`); got != -1 {
			t.Errorf("last contact before any heartbeat = %v", got)
		}
		if _, err := w.uc.Heartbeat(storetest.As(w.f.Operator), "CSC", pactum.AgentHeartbeat{Cluster: "lumi", Holder: "login1:1", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		contact := w.clock.Now()
		if got := metric(t, reg, `pactum_agent_last_contact_timestamp_seconds{cluster="lumi",site="CSC"}`); got != float64(contact.Unix()) {
			t.Errorf("last contact = %v, want %v", got, contact.Unix())
		}
		if got := metric(t, reg, `pactum_agent_silent{cluster="lumi",site="CSC"}`); got != 0 {
			t.Errorf("silent just after a heartbeat = %v", got)
		}
		w.clock.Advance(11 * time.Minute)
		if got := metric(t, reg, `pactum_agent_silent{cluster="lumi",site="CSC"}`); got != 1 {
			t.Errorf("silent 11 minutes on = %v", got)
		}
		mfs, _ = reg.Gather()
		n := 0
		for _, mf := range mfs {
			if mf.GetName() == "pactum_agent_silent" {
				n = len(mf.GetMetric())
			}
		}
		if n != 1 {
			t.Errorf("%d agent series, want 1 (sites that never reported have none)", n)
		}
	})
}

// TestListAgents: each site's agent as last heard from, silent past the
// threshold, and sites never heard from; operators see their own site
// only, applicants nothing.
func TestListAgents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		w.observed(t) // a 10-minute threshold
		ops := storetest.As(w.f.Operator)
		for _, c := range []string{"lumi", "mahti"} {
			if _, err := w.uc.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: c, Holder: "h:" + c, Result: "ok " + c}); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(6 * time.Minute)
		}
		// lumi: 12 minutes ago, silent; mahti: 6 minutes ago.
		all, err := w.uc.ListAgents(storetest.As(w.f.Auditor), "")
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[string]pactum.AgentStatus{}
		for _, s := range all {
			byKey[s.Site+"/"+s.Cluster] = s
		}
		lumi, mahti := byKey["CSC/lumi"], byKey["CSC/mahti"]
		if lumi.State != pactum.AgentSilent || !lumi.Silent || lumi.LastContact == nil || !lumi.LastContact.Equal(t0) || lumi.Result != "ok lumi" {
			t.Errorf("lumi: %+v", lumi)
		}
		if mahti.State != pactum.AgentOK || mahti.Silent || mahti.Holder != "h:mahti" || mahti.SilentAfterSeconds != 600 {
			t.Errorf("mahti: %+v", mahti)
		}
		if s, ok := byKey["CINECA/"]; !ok || s.State != pactum.AgentNever || s.Silent || s.LastContact != nil {
			t.Errorf("CINECA, never heard from: %+v (%v)", s, ok)
		}
		if _, ok := byKey["CSC/"]; ok {
			t.Error("CSC listed as never heard from")
		}
		own, err := w.uc.ListAgents(ops, "")
		if err != nil || len(own) != 2 || own[0].Site != "CSC" || own[1].Site != "CSC" {
			t.Errorf("operator's own agents: %+v %v", own, err)
		}
		one, err := w.uc.ListAgents(storetest.As(w.f.Manager), "CINECA")
		if err != nil || len(one) != 1 || one[0].Site != "CINECA" {
			t.Errorf("one site: %+v %v", one, err)
		}
		_, err = w.uc.ListAgents(ops, "CINECA")
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.ListAgents(storetest.As(w.f.Manager), "Nowhere")
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.ListAgents(storetest.As(w.f.ApplicantA), "")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.ListAgents(context.Background(), "")
		wantCode(t, err, pactum.EUNAUTHORIZED)
	})
}

// TestObservedOverride: a manager's override request decides nothing and
// is not counted; its confirmation is a decision by override, with the
// time from submission.
func TestObservedOverride(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		reg := w.observed(t)
		a, b := storetest.As(w.f.Manager), w.user(t, &pactum.User{Email: "second@eurohpc.example", Name: "Second Manager", Role: pactum.RoleAccessManager})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "JUPITER-scale pre-training", 0.5, req("mn5-acc", 300000)))
		if got := metric(t, reg, `pactum_screenings_total{outcome="approve",route="in_review"}`); got != 1 {
			t.Errorf("screened to review = %v", got)
		}
		decision := pactum.DecisionInput{Accept: true, Reason: "Emergency grant.", Grants: []pactum.Grant{{SystemID: "mn5-acc", Amount: 150000}},
			Override: &pactum.OverrideInput{Justification: "MareNostrum 5 maintenance window: the run must start before the panel meets."}}
		if _, err := w.uc.DecideProposal(a, p.ID, decision); err != nil {
			t.Fatal(err)
		}
		if got := metric(t, reg, `pactum_time_to_decision_seconds{by="override"}`); got != -1 {
			t.Errorf("an override request counted as a decision: %v", got)
		}
		w.clock.Advance(48 * time.Hour)
		if _, err := w.uc.ConfirmOverride(storetest.As(b), p.ID); err != nil {
			t.Fatal(err)
		}
		if got := metric(t, reg, `pactum_decisions_total{by="override",outcome="accepted"}`); got != 1 {
			t.Errorf("decisions by override = %v", got)
		}
		if got := metric(t, reg, `pactum_decisions_total{by="manager",outcome="accepted"}`); got != -1 {
			t.Errorf("the override request counted as a manager's decision: %v", got)
		}
		mf, _ := reg.Gather()
		for _, f := range mf {
			if f.GetName() == "pactum_time_to_decision_seconds" {
				for _, m := range f.GetMetric() {
					if m.GetLabel()[0].GetValue() == "override" && m.GetHistogram().GetSampleSum() != (48*time.Hour).Seconds() {
						t.Errorf("time to decision by override: %v s", m.GetHistogram().GetSampleSum())
					}
				}
			}
		}
	})
}

// TestObservedAllocationRun: publishing a run counts one decision by
// allocation run per proposal it decided; a refused publication counts
// nothing.
func TestObservedAllocationRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newContestedRun(t, dialect)
		reg := s.observed(t)
		s.submitAndReview(t)
		if got := metric(t, reg, `pactum_proposals_submitted_total{mode="large_scale"}`); got != 7 {
			t.Errorf("submissions = %v", got)
		}
		s.solveTwice(t)
		s.publish(t) // the second publication is refused
		total := 0.0
		for _, outcome := range []string{"accepted", "rejected"} {
			if v := metric(t, reg, `pactum_decisions_total{by="allocation_run",outcome="`+outcome+`"}`); v > 0 {
				total += v
			}
		}
		if total != float64(len(s.run.Outcomes)) || total != 7 {
			t.Errorf("decisions by allocation run = %v, want the run's %d outcomes", total, len(s.run.Outcomes))
		}
		if got := metric(t, reg, `pactum_decisions_total{by="allocation_run",outcome="rejected"}`); got < 1 {
			t.Errorf("D2's refusal not counted: %v", got)
		}
	})
}
