// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestTimeToAccess: a referred fast-lane proposal left in review past its
// four working days is listed as overdue, with the working days over, to
// access managers and auditors only; the distributions count the
// automatic approvals as decided on the day, within target.
func TestTimeToAccess(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		w.allocation(t, 100) // approved at once
		prev := w.screener.ScreenFn
		w.screener.ScreenFn = func(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			d, err := prev(ctx, in)
			if err == nil {
				d.Outcome = pactum.OutcomeRefer
				d.Findings = append(d.Findings, pactum.Finding{RuleID: "test.refer", Basis: "test", Effect: pactum.EffectRefer,
					Message: "look", Referral: "technical"})
			}
			return d, err
		}
		p := w.submitAsking(t, pactum.ResourceRequest{SystemID: "lumi-g", Amount: 100, StorageTB: 1})
		w.screener.ScreenFn = prev
		if p.State != pactum.ProposalInReview {
			t.Fatalf("referred proposal is %s", p.State)
		}
		if od, err := w.uc.OverdueProposals(storetest.As(w.f.Manager)); err != nil || len(od) != 0 {
			t.Fatalf("overdue before its target: %v %v", od, err)
		}
		// t0 is a Thursday: due the Wednesday after; ten days on is a
		// Sunday, two working days (Thursday, Friday) over.
		w.clock.Advance(10 * 24 * time.Hour)
		od, err := w.uc.OverdueProposals(storetest.As(w.f.Auditor))
		if err != nil || len(od) != 1 {
			t.Fatalf("overdue: %v %v", od, err)
		}
		if o := od[0]; o.ProposalID != p.ID || o.WorkingDaysOver != 2 || o.TargetWorkingDays != 4 || o.WorkingDays != 6 || o.Decided {
			t.Errorf("overdue proposal: %+v", o)
		}
		if _, err := w.uc.OverdueProposals(storetest.As(w.f.ApplicantA)); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("applicant lists overdue proposals: %v", err)
		}
		r, err := w.uc.TimeToAccess(storetest.As(w.f.Manager), w.f.Call.ID)
		if err != nil || len(r.ByMode) != 1 || len(r.ByCall) != 1 {
			t.Fatalf("time to access: %+v %v", r, err)
		}
		if d := r.ByMode[0]; d.Decided != 1 || d.Median != 0 || d.WithinTarget != 1 || d.Undecided != 1 || d.Overdue != 1 {
			t.Errorf("fast lane: %+v", d)
		}
		if _, err := w.uc.TimeToAccess(storetest.As(w.f.Manager), "no-such-call"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("unknown call: %v", err)
		}
		if _, err := w.uc.TimeToAccess(storetest.As(w.f.Manager), "bad\x00id"); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("control character in call ID: %v", err)
		}
	})
}

// TestTransparencyReport: an access manager generates a report at the
// audit log's position; it is hidden until published, then anyone reads
// it without a user; it cannot be published twice; verification replays
// the log to the position and agrees, and catches a stored report whose
// figures were altered.
func TestTransparencyReport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 100)
		w.allocation(t, 50)
		w.activate(t, al)
		w.ingest(t, w.f.Operator, job(pactum.AllocationAccount(al.ID), "1", "u1", true, 4, 3600))
		mgr := storetest.As(w.f.Manager)
		in := pactum.ReportInput{Period: "2026", K: 2}
		if _, err := w.uc.CreateTransparencyReport(storetest.As(w.f.Auditor), in); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("auditor creates a report: %v", err)
		}
		if _, err := w.uc.CreateTransparencyReport(mgr, pactum.ReportInput{Period: "2026-13"}); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("bad period: %v", err)
		}
		if _, err := w.uc.CreateTransparencyReport(mgr, pactum.ReportInput{Period: "2026", K: 1}); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("k 1: %v", err)
		}
		r, err := w.uc.CreateTransparencyReport(mgr, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		seq, head, err := w.db.GetAuditHead(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.AuditSeq != seq-1 || r.AuditHead == "" || r.PublishedAt != nil {
			t.Errorf("position %d %q, head now %d %q (the report's own event follows it)", r.AuditSeq, r.AuditHead, seq, head)
		}
		// Both proposals come from one organization: below k=2 every
		// figure is suppressed, the totals too.
		for _, tb := range r.Tables {
			if !tb.Total.Suppressed || tb.Total.Proposals != nil {
				t.Errorf("%s total shown for one organization: %+v", tb.Dimension, tb.Total)
			}
		}
		// With k... the minimum is 2; an organization B proposal makes
		// the totals two organizations.
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantB), p); err != nil {
			t.Fatal(err)
		}
		// Facts as migration 00190 leaves those of older proposals:
		// copied by SQL, the derived part missing. The report fills them.
		if _, err := w.raw(t).Exec(`UPDATE proposal_facts SET derived = FALSE, risk_class = '', accepted = FALSE, grants = '[]'`); err != nil {
			t.Fatal(err)
		}
		r2, err := w.uc.CreateTransparencyReport(mgr, in)
		if err != nil {
			t.Fatal(err)
		}
		var unfilled int
		if err := w.raw(t).QueryRow(`SELECT COUNT(*) FROM proposal_facts WHERE derived = FALSE OR risk_class = ''`).Scan(&unfilled); err != nil || unfilled != 0 {
			t.Fatalf("facts left unfilled: %d %v", unfilled, err)
		}
		mode := r2.Tables[0]
		if mode.Dimension != "mode" || mode.Total.Suppressed || *mode.Total.Proposals != 3 || *mode.Total.Awards != 3 ||
			*mode.Total.GPUHoursGranted <= 0 || *mode.Total.GPUHoursUsed != 4 {
			t.Errorf("mode total: %+v", mode.Total)
		}
		// Unpublished: hidden from applicants and from the public.
		if _, err := w.uc.FindTransparencyReport(context.Background(), r2.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("public reads an unpublished report: %v", err)
		}
		if _, err := w.uc.FindTransparencyReport(storetest.As(w.f.ApplicantA), r2.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("applicant reads an unpublished report: %v", err)
		}
		if l, err := w.uc.FindTransparencyReports(context.Background()); err != nil || len(l) != 0 {
			t.Errorf("public list before publishing: %v %v", l, err)
		}
		if _, err := w.uc.PublishTransparencyReport(storetest.As(w.f.Auditor), r2.ID); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("auditor publishes: %v", err)
		}
		pub, err := w.uc.PublishTransparencyReport(mgr, r2.ID)
		if err != nil || pub.PublishedAt == nil || pub.PublishedBy != w.f.Manager.ID {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		if _, err := w.uc.PublishTransparencyReport(mgr, r2.ID); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("publish twice: %v", err)
		}
		if _, err := w.uc.PublishTransparencyReport(mgr, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("publish unknown: %v", err)
		}
		got, err := w.uc.FindTransparencyReport(context.Background(), r2.ID)
		if err != nil || got.AuditSeq != r2.AuditSeq || *got.Tables[0].Total.Proposals != 3 {
			t.Fatalf("public read: %+v %v", got, err)
		}
		if l, err := w.uc.FindTransparencyReports(context.Background()); err != nil || len(l) != 1 {
			t.Errorf("public list: %v %v", l, err)
		}
		if len(w.events(t, "transparency.publish")) != 1 || len(w.events(t, "transparency.create")) != 2 {
			t.Error("create and publish are not audit-logged")
		}
		// Later changes do not disturb the verification at the position.
		w.allocation(t, 10)
		v, err := w.uc.VerifyTransparencyReport(storetest.As(w.f.Auditor), r2.ID)
		if err != nil || !v.OK || !v.ChainOK || v.Compared == 0 || !r2.UsageAtSeq ||
			!slices.Equal(v.NotCompared, []string{"training_flop", "energy_mwh"}) {
			t.Fatalf("verify: %+v %v (usage at seq %v)", v, err, r2.UsageAtSeq)
		}
		// GPU-hours used are reproduced from the usage batches' events: a
		// report that claims other usage fails on exactly that figure.
		if _, err := w.raw(t).Exec(`UPDATE transparency_reports SET body = REPLACE(body, '"gpu_hours_used":4,', '"gpu_hours_used":5,') WHERE id = $1`, r2.ID); err != nil {
			t.Fatal(err)
		}
		v, err = w.uc.VerifyTransparencyReport(storetest.As(w.f.Auditor), r2.ID)
		if err != nil || v.OK || len(v.Differences) == 0 {
			t.Fatalf("altered usage verifies: %+v %v", v, err)
		}
		for _, d := range v.Differences {
			if d.Field != "gpu_hours_used" || d.Report != "5" || d.Log != "4" {
				t.Errorf("difference %+v, want gpu_hours_used 5 against 4", d)
			}
		}
		// A report that read its usage elsewhere than at its position does
		// not compare it.
		if _, err := w.raw(t).Exec(`UPDATE transparency_reports SET body = REPLACE(body, '"usage_at_seq":true,', '') WHERE id = $1`, r2.ID); err != nil {
			t.Fatal(err)
		}
		v, err = w.uc.VerifyTransparencyReport(storetest.As(w.f.Auditor), r2.ID)
		if err != nil || !v.OK || !slices.Equal(v.NotCompared, []string{"gpu_hours_used", "training_flop", "energy_mwh"}) {
			t.Fatalf("verify without usage: %+v %v", v, err)
		}
		if _, err := w.uc.VerifyTransparencyReport(storetest.As(w.f.ApplicantA), r2.ID); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("applicant verifies: %v", err)
		}
		// A stored report whose figure was altered fails.
		if _, err := w.raw(t).Exec(`UPDATE transparency_reports SET body = REPLACE(body, '"proposals":3', '"proposals":4') WHERE id = $1`, r2.ID); err != nil {
			t.Fatal(err)
		}
		v, err = w.uc.VerifyTransparencyReport(storetest.As(w.f.Auditor), r2.ID)
		if err != nil || v.OK || len(v.Differences) == 0 || v.Differences[0].Field != "proposals" {
			t.Fatalf("altered report verifies: %+v %v", v, err)
		}
	})
}
