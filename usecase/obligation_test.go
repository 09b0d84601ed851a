// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// testTerms give the fixture's fast-lane proposals a progress report at
// half the period and a final report 30 days after its end, reminders at 14
// and 3 days, and a breach 10 days after a due date.
var testTerms = &pactum.ObligationTerms{ReminderDays: []int{3, 14}, Modes: []pactum.ModeObligations{
	{Mode: pactum.ModeFastLane, BreachAfterDays: 10, Templates: []pactum.ObligationTemplate{
		{Kind: pactum.ObligationProgressReport, Title: "Progress report", Fraction: 0.5},
		{Kind: pactum.ObligationFinalReport, Title: "Final report", DaysAfterEnd: 30},
	}},
}}

// obligationApp returns use cases over db with testTerms.
func obligationApp(t *testing.T, db *sqlstore.DB, w *world) *usecase.App {
	t.Helper()
	rubric, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	return usecase.New(usecase.Config{Store: db, Screener: w.screener, Allocator: allocate.New(solver.Options{}), Rubric: rubric,
		Now: w.clock.Now, Obligations: testTerms})
}

func newObligationWorld(t *testing.T, dialect string) *world {
	w := newWorld(t, dialect)
	w.uc = obligationApp(t, w.db, w)
	return w
}

func (w *world) obligations(t *testing.T, u *pactum.User, al *pactum.Allocation) []*pactum.Obligation {
	t.Helper()
	os, n, err := w.uc.FindObligations(storetest.As(u), pactum.ObligationFilter{AllocationID: &al.ID})
	if err != nil || n != len(os) {
		t.Fatalf("obligations: %v (%d of %d)", err, len(os), n)
	}
	return os
}

func (w *world) sweep(t *testing.T) *pactum.SweepResult {
	t.Helper()
	r, err := w.uc.SweepObligations(storetest.As(w.f.Manager))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) desired(t *testing.T, al *pactum.Allocation) pactum.DesiredAllocation {
	t.Helper()
	st, err := w.uc.DesiredState(storetest.As(w.f.Operator), "CSC", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range st.Allocations {
		if d.AllocationID == al.ID {
			return d
		}
	}
	t.Fatalf("allocation %s not in the desired state", al.ID)
	return pactum.DesiredAllocation{}
}

// TestObligations: an allocation's obligations are created with it; its
// holder submits, an access manager returns and accepts, each retry
// harmless; who sees them is who sees the allocation, never a reviewer.
func TestObligations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newObligationWorld(t, dialect)
		al := w.allocation(t, 1000)
		obls := w.obligations(t, w.f.Manager, al)
		if len(obls) != 2 || obls[0].Kind != pactum.ObligationProgressReport || obls[1].Kind != pactum.ObligationFinalReport {
			t.Fatalf("obligations %+v", obls)
		}
		if want := al.EndsAt.AddDate(0, 0, 30); !obls[1].DueAt.Equal(want) {
			t.Errorf("final report due %s, want %s", obls[1].DueAt, want)
		}
		// On PostgreSQL events are chained into audit_events just after
		// commit: seal before counting them there.
		if err := w.db.SealAudit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, w.raw(t), "audit_events WHERE action = 'obligation.create'"); n != 2 {
			t.Errorf("%d obligation.create events, want 2", n)
		}
		progress := obls[0]

		// Who sees.
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Operator, w.f.Auditor} {
			if got := w.obligations(t, u, al); len(got) != 2 {
				t.Errorf("%s sees %d obligations", u.Email, len(got))
			}
			if _, err := w.uc.Compliance(storetest.As(u), al.ID); err != nil {
				t.Errorf("%s: compliance: %v", u.Email, err)
			}
		}
		for _, u := range []*pactum.User{w.f.Reviewer, w.f.ApplicantB} {
			if got := w.obligations(t, u, al); len(got) != 0 {
				t.Errorf("%s sees %d obligations", u.Email, len(got))
			}
			_, err := w.uc.FindObligationByID(storetest.As(u), progress.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.Compliance(storetest.As(u), al.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.SubmitObligation(storetest.As(u), progress.ID, pactum.SubmissionInput{Report: "report"})
			wantCode(t, err, pactum.ENOTFOUND)
		}

		// Submitting.
		as := storetest.As(w.f.ApplicantA)
		_, err := w.uc.SubmitObligation(storetest.As(w.f.Manager), progress.ID, pactum.SubmissionInput{Report: "report"})
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.SubmitObligation(as, progress.ID, pactum.SubmissionInput{Report: " "})
		wantCode(t, err, pactum.EINVALID)
		in := pactum.SubmissionInput{Report: "Half the tokens are trained; loss curves attached."}
		o, err := w.uc.SubmitObligation(as, progress.ID, in)
		if err != nil || o.State != pactum.ObligationSubmitted || o.SubmittedBy != w.f.ApplicantA.ID || o.Version != 2 {
			t.Fatalf("submit: %+v %v", o, err)
		}
		if again, err := w.uc.SubmitObligation(as, progress.ID, in); err != nil || again.Version != 2 {
			t.Errorf("retried submit: %+v %v", again, err)
		}
		_, err = w.uc.SubmitObligation(as, progress.ID, pactum.SubmissionInput{Report: "Another text"})
		wantCode(t, err, pactum.ECONFLICT)
		if n := w.countKind(t, w.f.Manager, pactum.NotifyObligation); n != 1 {
			t.Errorf("managers told %d times of the submission", n)
		}

		// Reviewing.
		ms := storetest.As(w.f.Manager)
		_, err = w.uc.ReviewObligation(as, progress.ID, true, "")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.ReviewObligation(ms, progress.ID, false, "")
		wantCode(t, err, pactum.EINVALID)
		o, err = w.uc.ReviewObligation(ms, progress.ID, false, "Say how much of the grant is used.")
		if err != nil || o.State != pactum.ObligationReturned || o.ReturnReason != "Say how much of the grant is used." {
			t.Fatalf("return: %+v %v", o, err)
		}
		if again, err := w.uc.ReviewObligation(ms, progress.ID, false, "Say how much of the grant is used."); err != nil || again.Version != o.Version {
			t.Errorf("retried return: %+v %v", again, err)
		}
		_, err = w.uc.ReviewObligation(ms, progress.ID, true, "")
		wantCode(t, err, pactum.ECONFLICT)
		if _, err := w.uc.SubmitObligation(as, progress.ID, pactum.SubmissionInput{Report: "40 % of the grant is used."}); err != nil {
			t.Fatal(err)
		}
		o, err = w.uc.ReviewObligation(ms, progress.ID, true, "")
		if err != nil || o.State != pactum.ObligationAccepted || o.ReturnReason != "" {
			t.Fatalf("accept: %+v %v", o, err)
		}
		if again, err := w.uc.ReviewObligation(ms, progress.ID, true, ""); err != nil || again.Version != o.Version {
			t.Errorf("retried accept: %+v %v", again, err)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyObligation); n != 2 {
			t.Errorf("holder told %d times (return, accept), want 2", n)
		}
		c, err := w.uc.Compliance(as, al.ID)
		if err != nil || c.Done != 1 || c.Due != 1 || c.Overdue != 0 || !c.Compliant {
			t.Errorf("compliance %+v %v", c, err)
		}
		// audit verify --state proves the obligations table from the log,
		// and finds a report changed behind its back.
		wantStateOK(t, w.verifyState(t))
		if _, err := w.raw(t).Exec(`UPDATE obligations SET report = 'All of the grant is used.' WHERE id = $1`, progress.ID); err != nil {
			t.Fatal(err)
		}
		if r := w.verifyState(t); r.OK || r.State == nil || r.State.First == nil || r.State.First.Table != "obligations" || r.State.First.Field != "report" {
			t.Errorf("a tampered obligation: %+v", r.State)
		}
	})
}

// TestObligationDeadlines: the sweep reminds at 14 and 3 days, marks an
// obligation overdue and escalates, each once; a call with the term refuses
// the organization's new proposals, naming the obligation; past the grace
// period the allocation is breached and suspended at its site until an
// access manager clears it.
func TestObligationDeadlines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newObligationWorld(t, dialect)
		al := w.allocation(t, 1000)
		w.activate(t, al)
		progress := w.obligations(t, w.f.Manager, al)[0]
		if r := w.sweep(t); r.Reminders+r.Overdue+r.Breaches != 0 {
			t.Fatalf("sweep at award: %+v", r)
		}
		_, err := w.uc.SweepObligations(storetest.As(w.f.ApplicantA))
		wantCode(t, err, pactum.EFORBIDDEN)

		w.clock.T = progress.DueAt.AddDate(0, 0, -14)
		if r := w.sweep(t); r.Reminders != 1 || r.Overdue != 0 {
			t.Fatalf("sweep 14 days before: %+v", r)
		}
		if r := w.sweep(t); r.Reminders != 0 {
			t.Fatalf("second sweep reminded again: %+v", r)
		}
		w.clock.T = progress.DueAt.AddDate(0, 0, -2)
		if r := w.sweep(t); r.Reminders != 1 {
			t.Fatalf("sweep 2 days before: %+v", r)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyObligation); n != 2 {
			t.Errorf("holder reminded %d times, want 2", n)
		}

		// Overdue: marked once, escalated to the managers.
		w.clock.T = progress.DueAt.Add(time.Hour)
		if r := w.sweep(t); r.Overdue != 1 || r.Breaches != 0 {
			t.Fatalf("sweep past due: %+v", r)
		}
		if r := w.sweep(t); r.Overdue != 0 {
			t.Fatalf("overdue twice: %+v", r)
		}
		if n := w.countKind(t, w.f.Manager, pactum.NotifyObligation); n != 1 {
			t.Errorf("managers told %d times of the overdue obligation", n)
		}
		o, err := w.uc.FindObligationByID(storetest.As(w.f.ApplicantA), progress.ID)
		if err != nil || o.OverdueAt == nil {
			t.Fatalf("overdue mark: %+v %v", o, err)
		}
		c, err := w.uc.Compliance(storetest.As(w.f.Operator), al.ID)
		if err != nil || c.Overdue != 1 || c.Compliant || c.Breached {
			t.Fatalf("compliance %+v %v", c, err)
		}

		// The call's term refuses new proposals of the organization.
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
			t.Fatalf("without the term: %v", err)
		}
		if _, err := w.uc.UpdateCallTerms(storetest.As(w.f.ApplicantA), w.f.Call.ID, pactum.CallTerms{BlockOverdueOrganizations: ptr(true)}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("an applicant set the term: %v", err)
		}
		if c, err := w.uc.UpdateCallTerms(storetest.As(w.f.Manager), w.f.Call.ID, pactum.CallTerms{BlockOverdueOrganizations: ptr(true)}); err != nil || !c.BlockOverdueOrganizations {
			t.Fatalf("set term: %+v %v", c, err)
		}
		err = w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), storetest.NewProposal(w.f.Call.ID))
		if pactum.ErrorCode(err) != pactum.ECONFLICT || !strings.Contains(err.Error(), progress.ID) || !strings.Contains(err.Error(), al.ID) {
			t.Fatalf("blocked submission: %v", err)
		}
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantB), storetest.NewProposal(w.f.Call.ID)); err != nil {
			t.Fatalf("another organization: %v", err)
		}

		// Past the grace period: breached once, suspended at the site.
		if d := w.desired(t, al); d.Suspended {
			t.Fatalf("suspended before the breach: %+v", d)
		}
		w.clock.T = progress.DueAt.AddDate(0, 0, 10)
		if r := w.sweep(t); r.Breaches != 1 {
			t.Fatalf("sweep past grace: %+v", r)
		}
		if r := w.sweep(t); r.Breaches != 0 {
			t.Fatalf("breached twice: %+v", r)
		}
		d := w.desired(t, al)
		if !d.Suspended || !slices.ContainsFunc(d.Reasons, func(s string) bool { return strings.HasPrefix(s, "breach declared: obligation "+progress.ID) }) {
			t.Fatalf("desired state under breach: %+v", d)
		}
		ad, err := w.uc.Admission(storetest.As(w.f.ApplicantA), al.ID)
		if err != nil || ad.Allowed || !slices.ContainsFunc(ad.Reasons, func(s string) bool { return strings.Contains(s, "breach is declared") }) {
			t.Fatalf("admission under breach: %+v %v", ad, err)
		}
		if c, _ := w.uc.Compliance(storetest.As(w.f.ApplicantA), al.ID); !c.Breached || !c.Breach.Automatic {
			t.Fatalf("compliance under breach: %+v", c)
		}

		// Clearing resumes; a manual breach suspends again; retries are harmless.
		ms := storetest.As(w.f.Manager)
		_, err = w.uc.ClearBreach(storetest.As(w.f.Operator), al.ID, "report received")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.ClearBreach(ms, al.ID, "")
		wantCode(t, err, pactum.EINVALID)
		b, err := w.uc.ClearBreach(ms, al.ID, "Report promised for Friday.")
		if err != nil || b.Active() {
			t.Fatalf("clear: %+v %v", b, err)
		}
		if again, err := w.uc.ClearBreach(ms, al.ID, "Report promised for Friday."); err != nil || !again.ClearedAt.Equal(*b.ClearedAt) {
			t.Errorf("retried clear: %+v %v", again, err)
		}
		if d := w.desired(t, al); d.Suspended {
			t.Fatalf("suspended after clearing: %+v", d)
		}
		if r := w.sweep(t); r.Breaches != 0 {
			t.Fatalf("the sweep breached again after clearing: %+v", r)
		}
		b, err = w.uc.DeclareBreach(ms, al.ID, "Model weights published against the ethics condition.")
		if err != nil || !b.Active() || b.Automatic || b.DeclaredBy != w.f.Manager.ID {
			t.Fatalf("declare: %+v %v", b, err)
		}
		if again, err := w.uc.DeclareBreach(ms, al.ID, "something else"); err != nil || again.Reason != b.Reason {
			t.Errorf("declare while in force: %+v %v", again, err)
		}
		if d := w.desired(t, al); !d.Suspended {
			t.Fatalf("not suspended by the declared breach: %+v", d)
		}
		_, err = w.uc.DeclareBreach(storetest.As(w.f.Reviewer), al.ID, "no")
		wantCode(t, err, pactum.ENOTFOUND)

		// The log still proves the state tables (the call's term change included).
		if r, err := usecase.VerifyAuditState(t.Context(), w.db, nil); err != nil || !r.OK {
			t.Fatalf("audit state: %+v %v", r, err)
		}
	})
}

// TestObligationSweepOnce: two instances on one database sweeping at once
// send each reminder, overdue notice and breach exactly once.
func TestObligationSweepOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newObligationWorld(t, dialect)
		var als []*pactum.Allocation
		for range 4 {
			als = append(als, w.allocation(t, 100))
		}
		db2, err := sqlstore.Open(context.Background(), w.dsn, sqlstore.Options{Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db2.Close() })
		apps := []*usecase.App{w.uc, obligationApp(t, db2, w)}
		due := w.obligations(t, w.f.Manager, als[0])[0].DueAt
		total := pactum.SweepResult{}
		for _, at := range []time.Time{due.AddDate(0, 0, -13), due.AddDate(0, 0, -1), due, due.AddDate(0, 0, 11)} {
			w.clock.T = at
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := apps[i%2].SweepObligations(storetest.As(w.f.Manager))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					total.Reminders += r.Reminders
					total.Overdue += r.Overdue
					total.Breaches += r.Breaches
					mu.Unlock()
				}()
			}
			wg.Wait()
		}
		// Four allocations, one progress report each: 14- and 3-day reminders, overdue, breach.
		if total.Reminders != 8 || total.Overdue != 4 || total.Breaches != 4 {
			t.Errorf("sweeps did %+v, want 8 reminders, 4 overdue, 4 breaches", total)
		}
		raw := w.raw(t)
		if n := count(t, raw, "obligation_notices"); n != 16 {
			t.Errorf("%d notices recorded, want 16", n)
		}
		if n := count(t, raw, "audit_events WHERE action = 'allocation.breach'"); n != 4 {
			t.Errorf("%d breach events, want 4", n)
		}
		if n := count(t, raw, "notifications WHERE kind = 'obligation' AND user_id = '"+w.f.ApplicantA.ID+"'"); n != 16 {
			t.Errorf("holder got %d notices, want 16 (8 reminders, 4 overdue, 4 breaches)", n)
		}
	})
}

// TestEthicsObligations: an award decided after an ethics review with
// conditions owes a report on each condition by its own due date, besides
// its mode's reports.
func TestEthicsObligations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		terms := *testTerms
		terms.Modes = []pactum.ModeObligations{{Mode: pactum.ModeFastLane, Templates: []pactum.ObligationTemplate{
			{Kind: pactum.ObligationFinalReport, Title: "Final report", DaysAfterEnd: 30},
			{Kind: pactum.ObligationEthicsCondition, Title: "Ethics condition", DaysAfterStart: 45},
		}}}
		rubric, err := catalog.Rubric()
		if err != nil {
			t.Fatal(err)
		}
		w.uc = usecase.New(usecase.Config{Store: w.db, Screener: w.screener, Allocator: allocate.New(solver.Options{}), Rubric: rubric,
			Now: w.clock.Now, Obligations: &terms})
		ethicist := w.reviewer(t, "ethics@uni.example", []string{pactum.EthicsExpertise, "gdpr"})
		p := storetest.NewProposal(w.f.Call.ID)
		p.Ethics.PersonalData.Yes, p.Ethics.PersonalData.Details = true, "Court decisions naming parties."
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil || p.State != pactum.ProposalInReview {
			t.Fatalf("submit: %s %v", p.State, err)
		}
		if _, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics); err != nil {
			t.Fatal(err)
		}
		conds := []string{"Pseudonymise the case law before training.", "Name a data-protection contact."}
		in := pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			Conditions: conds, ConditionDueDays: []int{0, 20, 5}, CommentsForApplicant: "Acceptable with safeguards."}
		if _, err := w.uc.SubmitReview(storetest.As(ethicist), p.ID, in); pactum.ErrorCode(err) != pactum.EINVALID ||
			!strings.Contains(err.Error(), "condition_due_days") {
			t.Fatalf("a deadline per condition is required; got %v", err)
		}
		// The second condition's reviewer deadline (20 days) beats the
		// mode's 45; the first keeps the mode's.
		in.ConditionDueDays = []int{0, 20}
		if _, err := w.uc.SubmitReview(storetest.As(ethicist), p.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := w.uc.DecideProposal(storetest.As(w.f.Manager), p.ID, pactum.DecisionInput{Accept: true, Reason: "Ethics passed."}); err != nil {
			t.Fatal(err)
		}
		als, _, err := w.uc.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) == 0 {
			t.Fatalf("allocations: %v %v", als, err)
		}
		obls := w.obligations(t, w.f.ApplicantA, als[0])
		var ethics []string
		for _, o := range obls {
			if o.Kind == pactum.ObligationEthicsCondition {
				ethics = append(ethics, o.Detail)
				days := 45
				if o.Detail == conds[1] {
					days = 20
				}
				if want := als[0].StartsAt.AddDate(0, 0, days); !o.DueAt.Equal(want) {
					t.Errorf("ethics obligation due %s, want %s", o.DueAt, want)
				}
			}
		}
		slices.Sort(ethics)
		want := slices.Clone(conds)
		slices.Sort(want)
		if len(obls) != 3 || !slices.Equal(ethics, want) {
			t.Errorf("obligations %d, ethics %q, want 3 with %q", len(obls), ethics, want)
		}
	})
}

// TestObligationSweeper: the server's sweeper sweeps as the system on its
// own, and returns once its context ends.
func TestObligationSweeper(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newObligationWorld(t, dialect)
		al := w.allocation(t, 1000)
		w.clock.T = w.obligations(t, w.f.Manager, al)[0].DueAt.Add(time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); w.uc.RunObligationSweeper(ctx, 10*time.Millisecond) }()
		raw := w.raw(t)
		deadline := time.Now().Add(10 * time.Second)
		for count(t, raw, "obligation_notices WHERE notice = 'overdue'") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the sweeper did not mark the obligation overdue")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the sweeper did not stop with its context")
		}
		// On PostgreSQL the events of a committed use case are chained
		// just after its commit: seal them before reading the log.
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		var actor string
		if err := raw.QueryRow(`SELECT actor_id FROM audit_events WHERE action = 'obligation.overdue'`).Scan(&actor); err != nil || actor != pactum.SystemUserID {
			t.Errorf("overdue recorded by %q (%v), want the system", actor, err)
		}
	})
}

// TestComplianceIncidents: an open incident makes an allocation not
// compliant, naming the count, until an access manager closes it.
func TestComplianceIncidents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newObligationWorld(t, dialect)
		al := w.allocation(t, 1000)
		as := storetest.As(w.f.ApplicantA)
		if c, err := w.uc.Compliance(as, al.ID); err != nil || c.IncidentsOpen != 0 || !c.Compliant {
			t.Fatalf("before any incident: %+v %v", c, err)
		}
		inc := w.report(t, w.f.Operator, securityIncident(al.ID))
		c, err := w.uc.Compliance(as, al.ID)
		if err != nil || c.IncidentsOpen != 1 || c.Compliant || !slices.ContainsFunc(c.Reasons, func(r string) bool { return strings.Contains(r, "1 incident(s) open") }) {
			t.Fatalf("with an open incident: %+v %v", c, err)
		}
		ms := storetest.As(w.f.Manager)
		if _, err := w.uc.TriageIncident(ms, inc.ID, pactum.TriageInput{Note: "Key revoked."}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.uc.CloseIncident(ms, inc.ID, "No misuse found in the logs."); err != nil {
			t.Fatal(err)
		}
		if c, err := w.uc.Compliance(as, al.ID); err != nil || c.IncidentsOpen != 0 || !c.Compliant {
			t.Fatalf("after closing: %+v %v", c, err)
		}
	})
}

// TestUpdateCallTerms: both terms change in one transaction with one
// audit event; a change that names no term is refused, and setting what is
// set records nothing.
func TestUpdateCallTerms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ms := storetest.As(w.f.Manager)
		_, err := w.uc.UpdateCallTerms(ms, w.f.Call.ID, pactum.CallTerms{})
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.UpdateCallTerms(ms, "no-such-call", pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true)})
		wantCode(t, err, pactum.ENOTFOUND)
		both := pactum.CallTerms{HoldModelsAtSystemicRisk: ptr(true), BlockOverdueOrganizations: ptr(true)}
		for range 2 { // the retry changes nothing
			c, err := w.uc.UpdateCallTerms(ms, w.f.Call.ID, both)
			if err != nil || !c.HoldModelsAtSystemicRisk || !c.BlockOverdueOrganizations {
				t.Fatalf("both terms: %+v %v", c, err)
			}
		}
		evs := w.events(t, "call.update")
		if len(evs) != 1 {
			t.Fatalf("%d call.update events, want 1", len(evs))
		}
		var after pactum.Call
		if err := json.Unmarshal(evs[0].After, &after); err != nil || !after.HoldModelsAtSystemicRisk || !after.BlockOverdueOrganizations {
			t.Errorf("event's call after: %+v %v", after, err)
		}
		if c, err := w.uc.FindCallByID(ms, w.f.Call.ID); err != nil || !c.HoldModelsAtSystemicRisk || !c.BlockOverdueOrganizations {
			t.Errorf("stored: %+v %v", c, err)
		}
	})
}
