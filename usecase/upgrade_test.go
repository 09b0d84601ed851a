// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// snapshot reads back every object an upgrade must keep, as JSON.
func snapshot(t *testing.T, uc *usecase.App, f *storetest.Fixture) map[string]string {
	t.Helper()
	ctx := storetest.As(f.Manager)
	out := map[string]string{}
	put := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	ps, _, err := uc.FindProposals(ctx, pactum.ProposalFilter{Limit: 1000})
	put("proposals", ps, err)
	as, _, err := uc.FindAllocations(ctx, pactum.AllocationFilter{Limit: 1000})
	put("allocations", as, err)
	cs, _, err := uc.FindCalls(ctx, pactum.CallFilter{Limit: 1000})
	put("calls", cs, err)
	os, _, err := uc.FindOrganizations(ctx, pactum.OrganizationFilter{Limit: 1000})
	put("organizations", os, err)
	us, _, err := uc.FindUsers(ctx, pactum.UserFilter{Limit: 1000})
	put("users", us, err)
	ev, _, err := uc.FindAuditEvents(storetest.As(f.Auditor), pactum.AuditFilter{Limit: 1000})
	put("audit", ev, err)
	return out
}

// TestUpgradeCarriesRowsForward writes a data set with the use cases,
// takes the database back to schema 3 (before review stages and award
// conditions: each later migration's Down removes what it added, as a
// database of that release never had it), dates its install a day back,
// and upgrades it again as a server starting would: every object reads
// back identical, the proposal in review is placed on its review track
// and goes on through its stages, the active allocation with a condition
// keeps running for pactum.ConditionGrace with its applicants told, then
// is suspended until the condition is acknowledged, and the audit log
// still replays to the tables. A second start changes nothing.
func TestUpgradeCarriesRowsForward(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		ctx := context.Background()
		mgr := storetest.As(w.f.Manager)
		withCond := w.allocation(t, 100, gpaiCondition)
		w.activate(t, withCond)
		plain := w.allocation(t, 50)
		w.activate(t, plain)
		inReview := storetest.NewProposal(w.f.Call.ID)
		inReview.Ethics.PersonalData.Yes = true
		inReview.Ethics.PersonalData.Details = "Consented speech recordings."
		if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), inReview); err != nil || inReview.State != pactum.ProposalInReview {
			t.Fatalf("submit: %s %v", inReview.State, err)
		}
		before := snapshot(t, w.uc, w.f)
		planned, err := w.uc.FindReviewTrack(mgr, inReview.ID)
		if err != nil {
			t.Fatal(err)
		}
		w.db.Close()

		// Back to schema 3, installed a day ago.
		raw := w.raw(t)
		gd := goose.DialectSQLite3
		if dialect == sqlstore.Postgres {
			gd = goose.DialectPostgres
		}
		prov, err := goose.NewProvider(gd, raw, os.DirFS("../sqlstore/migrations/"+dialect))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prov.DownTo(ctx, 3); err != nil {
			t.Fatal(err)
		}
		back := `UPDATE goose_db_version SET tstamp = datetime(tstamp, '-1 day')`
		if dialect == sqlstore.Postgres {
			back = `UPDATE goose_db_version SET tstamp = tstamp - interval '1 day'`
		}
		if _, err := raw.Exec(back); err != nil {
			t.Fatal(err)
		}

		// The upgrade, as serve starts: migrate, then carry forward.
		w.clock.Advance(time.Hour)
		db, err := sqlstore.Open(ctx, w.dsn, sqlstore.Options{Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		w.db = db
		w.uc = storetest.App(t, db, w.screener, w.clock.Now)
		storetest.SeedCatalogue(t, db) // serve seeds the systems catalogue at start, before carrying forward
		sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
		rep, err := w.uc.CarryForward(sys)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Reviews, []string{inReview.ID}) || !slices.Equal(rep.Graces, []string{withCond.ID}) ||
			rep.GraceUntil == nil || !rep.GraceUntil.Equal(w.clock.Now().Add(pactum.ConditionGrace)) {
			t.Fatalf("carried forward: %+v", rep)
		}
		after := snapshot(t, w.uc, w.f)
		for name, b := range before {
			if name == "audit" {
				continue // the upgrade adds events; the old ones are compared below
			}
			if after[name] != b {
				t.Errorf("%s differ after the upgrade:\nbefore %s\nafter  %s", name, firstDiff(b, after[name]), firstDiff(after[name], b))
			}
		}
		var evBefore, evAfter []*pactum.AuditEvent
		json.Unmarshal([]byte(before["audit"]), &evBefore)
		json.Unmarshal([]byte(after["audit"]), &evAfter)
		for _, e := range evBefore {
			i := slices.IndexFunc(evAfter, func(x *pactum.AuditEvent) bool { return x.Seq == e.Seq })
			if i < 0 {
				t.Fatalf("event %d lost in the upgrade", e.Seq)
			}
			a, _ := json.Marshal(evAfter[i])
			b, _ := json.Marshal(e)
			if string(a) != string(b) {
				t.Errorf("event %d differs:\nbefore %s\nafter  %s", e.Seq, b, a)
			}
		}
		if r, err := usecase.VerifyAuditState(ctx, db, nil); err != nil || !r.OK {
			if r != nil && r.State != nil && r.State.First != nil {
				t.Fatalf("audit verify --state after the upgrade: %+v", *r.State.First)
			}
			t.Fatalf("audit verify --state after the upgrade: %+v %v", r, err)
		}

		// The review goes on.
		tr, err := w.uc.FindReviewTrack(mgr, inReview.ID)
		if err != nil || tr.Stage != planned.Stages[0] || !slices.Equal(tr.Stages, planned.Stages) || !tr.StageStartedAt.Equal(w.clock.Now()) {
			t.Fatalf("review track: %+v %v, want the plan %v starting now", tr, err, planned.Stages)
		}
		// Its stage's reviewers are assigned to it like to any other.
		w.reviewer(t, "ethics@uni.example", []string{pactum.EthicsExpertise, "gdpr"})
		ar, err := w.uc.AssignReviewers(mgr, w.f.Call.ID, tr.Stage)
		if err != nil || !slices.ContainsFunc(ar.Assignments, func(a *pactum.Assignment) bool { return a.ProposalID == inReview.ID }) {
			t.Fatalf("assign %s reviewers: %+v %v", tr.Stage, ar, err)
		}

		// The allocation keeps running through its grace, its applicants told.
		site := "CSC"
		operator := storetest.As(w.f.Operator)
		desired := func() pactum.DesiredAllocation {
			t.Helper()
			st, err := w.uc.DesiredState(operator, site, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range st.Allocations {
				if d.AllocationID == withCond.ID {
					return d
				}
			}
			t.Fatalf("allocation %s not in the desired state of %s", withCond.ID, site)
			return pactum.DesiredAllocation{}
		}
		if d := desired(); d.Suspended {
			t.Fatalf("suspended within its grace: %+v", d)
		}
		conds, err := w.uc.FindConditions(mgr, withCond.ID)
		if err != nil || len(conds) != 1 || conds[0].Met || conds[0].GraceUntil == nil {
			t.Fatalf("conditions: %+v %v", conds, err)
		}
		ns, _, err := w.uc.FindNotifications(storetest.As(w.f.ApplicantA), pactum.NotificationFilter{Limit: 100})
		if err != nil || !slices.ContainsFunc(ns, func(n *pactum.Notification) bool {
			return n.Kind == pactum.NotifyObligation && len(n.Subject) > 0 && containsAll(n.Body, withCond.ID, "gpai.docs")
		}) {
			t.Fatalf("no notice of the grace to the applicant: %v %v", ns, err)
		}
		if evs := w.events(t, "allocation.condition_grace"); len(evs) != 1 {
			t.Errorf("%d grace events, want 1", len(evs))
		}
		// A second start does nothing more.
		if rep, err := w.uc.CarryForward(sys); err != nil || len(rep.Reviews)+len(rep.Graces) != 0 {
			t.Fatalf("second carry forward: %+v %v", rep, err)
		}
		// After the grace: suspended until acknowledged.
		w.clock.Advance(pactum.ConditionGrace)
		if d := desired(); !d.Suspended {
			t.Fatalf("not suspended after its grace: %+v", d)
		}
		if _, err := w.uc.AcknowledgeCondition(storetest.As(w.f.ApplicantA), withCond.ID, "gpai.docs", "Model card v1 is published."); err != nil {
			t.Fatal(err)
		}
		if d := desired(); d.Suspended {
			t.Fatalf("suspended once acknowledged: %+v", d)
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// firstDiff returns a's text around where it first differs from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(0, i-80):min(len(a), i+160)]
}
