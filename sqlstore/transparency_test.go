// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestProposalFactsAndReports: a proposal's facts are written with its
// row (not for a draft), follow its state, come back exactly (times to
// the microsecond) through both scans; a stored report is published once.
func TestProposalFactsAndReports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		draft := storetest.NewProposal(s.f.Call.ID)
		if err := s.uc.CreateProposal(storetest.As(s.f.ApplicantA), draft); err != nil {
			t.Fatal(err)
		}
		p := storetest.NewProposal(s.f.Call.ID)
		if err := s.uc.SubmitNewProposal(storetest.As(s.f.ApplicantA), p); err != nil {
			t.Fatal(err)
		}
		var got []pactum.ProposalFacts
		from, until := t0.Add(-time.Hour), t0.Add(time.Hour)
		if err := s.db.ScanReportFacts(ctx, from, until, func(f *pactum.ProposalFacts) bool {
			got = append(got, *f)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		stored, err := s.db.GetProposal(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := pactum.FactsOf(stored)
		if len(got) != 1 || got[0].ProposalID != p.ID || !got[0].SubmittedAt.Equal(want.SubmittedAt) || got[0].Accepted != want.Accepted ||
			got[0].RiskClass != want.RiskClass || len(got[0].Grants) != len(want.Grants) || got[0].State != stored.State {
			t.Fatalf("report facts: %+v, want %+v", got, want)
		}
		// Outside the period: nothing.
		n := 0
		if err := s.db.ScanReportFacts(ctx, until, until.Add(time.Hour), func(*pactum.ProposalFacts) bool { n++; return true }); err != nil || n != 0 {
			t.Errorf("facts outside the period: %d %v", n, err)
		}
		var timings []pactum.ProposalTiming
		if err := s.db.ScanProposalTimings(ctx, s.f.Call.ID, false, func(tm *pactum.ProposalTiming) bool {
			timings = append(timings, *tm)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if len(timings) != 1 || timings[0].DecidedAt == nil || !timings[0].DecidedAt.Equal(stored.Decision.DecidedAt) ||
			!timings[0].DecisionDueAt.Equal(*stored.DecisionDueAt) {
			t.Fatalf("timings: %+v", timings)
		}
		if ids, err := s.db.ListUnfilledProposalFacts(ctx, 10); err != nil || len(ids) != 0 {
			t.Errorf("unfilled facts of new proposals: %v %v", ids, err)
		}

		r := &pactum.TransparencyReport{ID: newID(), Period: pactum.Period{From: pactum.MustDate("2026-01-01"), Until: pactum.MustDate("2027-01-01")},
			K: 5, AuditSeq: 3, AuditHead: "h", ComputedAt: t0, Tables: []pactum.ReportTable{}, CreatedAt: t0, CreatedBy: s.f.Manager.ID}
		err = pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error { return tx.InsertTransparencyReport(ctx, r) })
		if err != nil {
			t.Fatal(err)
		}
		if l, err := s.db.ListTransparencyReports(ctx, true); err != nil || len(l) != 0 {
			t.Errorf("published before publishing: %v %v", l, err)
		}
		publish := func(id string) error {
			return pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error { return tx.PublishTransparencyReport(ctx, id, t0, s.f.Manager.ID) })
		}
		if err := publish(r.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, publish(r.ID), pactum.ECONFLICT)
		wantCode(t, publish("nope"), pactum.ENOTFOUND)
		back, err := s.db.GetTransparencyReport(ctx, r.ID)
		if err != nil || back.PublishedAt == nil || !back.PublishedAt.Equal(t0) || back.AuditSeq != 3 || back.Period != r.Period {
			t.Fatalf("report: %+v %v", back, err)
		}
		if l, err := s.db.ListTransparencyReports(ctx, true); err != nil || len(l) != 1 {
			t.Errorf("published list: %v %v", l, err)
		}
	})
}
