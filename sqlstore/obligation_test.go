// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestObligationStore: obligations round-trip, list within their
// allocation's scope (failing closed), are found for sweeping and
// blocking by due date and state, refuse lost updates; a notice is
// recorded once; a breach is put once while in force, cleared once, and
// reaches the site's desired state.
func TestObligationStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		p := storetest.NewProposal(s.f.Call.ID)
		if err := s.uc.SubmitNewProposal(storetest.As(s.f.ApplicantA), p); err != nil {
			t.Fatal(err)
		}
		als, _, err := s.db.ListAllocations(ctx, pactum.Scope{All: true}, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) == 0 {
			t.Fatalf("allocations: %v %v", als, err)
		}
		al := als[0]
		_, site, err := s.db.GetAllocation(ctx, al.ID)
		if err != nil {
			t.Fatal(err)
		}
		due := t0.AddDate(0, 1, 0)
		mk := func(title string, due time.Time) *pactum.Obligation {
			return &pactum.Obligation{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, Kind: pactum.ObligationFinalReport,
				Title: title, Detail: "détail", DueAt: due, BreachAfterDays: 7, State: pactum.ObligationOpen, CreatedAt: t0, Version: 1}
		}
		early, late := mk("early", due), mk("late", due.AddDate(0, 1, 0))
		if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			if err := tx.InsertObligation(ctx, late); err != nil {
				return err
			}
			return tx.InsertObligation(ctx, early)
		}); err != nil {
			t.Fatal(err)
		}
		got, gotSite, err := s.db.GetObligation(ctx, early.ID)
		if err != nil || gotSite != site || got.Title != "early" || got.Detail != "détail" || !got.DueAt.Equal(due) || got.SubmittedAt != nil || got.BreachAfterDays != 7 {
			t.Fatalf("get: %+v %s %v", got, gotSite, err)
		}
		if _, _, err := s.db.GetObligation(ctx, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("unknown: %v", err)
		}
		for _, c := range []struct {
			scope pactum.Scope
			want  int
		}{
			{pactum.Scope{All: true}, 2}, {pactum.Scope{OrganizationID: al.OrganizationID}, 2}, {pactum.Scope{OrganizationID: s.f.OrgB.ID}, 0},
			{pactum.Scope{Site: site}, 2}, {pactum.Scope{Site: "elsewhere"}, 0}, {pactum.Scope{}, 0}, {pactum.Scope{ReviewerID: s.f.Reviewer.ID}, 0},
		} {
			os, n, err := s.db.ListObligations(ctx, c.scope, pactum.ObligationFilter{})
			if err != nil || len(os) != c.want || n != c.want {
				t.Errorf("scope %+v: %d (%d) %v, want %d", c.scope, len(os), n, err, c.want)
			}
			if c.want == 2 && os[0].ID != early.ID {
				t.Errorf("scope %+v: not by due date", c.scope)
			}
		}
		after := due.Add(time.Hour)
		if os, _, _ := s.db.ListObligations(ctx, pactum.Scope{All: true}, pactum.ObligationFilter{OverdueAt: &after}); len(os) != 1 || os[0].ID != early.ID {
			t.Errorf("overdue filter: %v", os)
		}
		if ids, err := s.db.ListObligationsToSweep(ctx, after, 10); err != nil || len(ids) != 1 || ids[0] != early.ID {
			t.Errorf("to sweep: %v %v", ids, err)
		}
		if o, err := s.db.FirstOverdueObligation(ctx, al.OrganizationID, due.Add(-time.Second)); err != nil || o != nil {
			t.Errorf("overdue before due: %+v %v", o, err)
		}
		if o, err := s.db.FirstOverdueObligation(ctx, al.OrganizationID, after); err != nil || o == nil || o.ID != early.ID {
			t.Errorf("overdue after due: %+v %v", o, err)
		}

		// Submitted: no longer swept nor blocking; a stale version is refused.
		now := t0
		sub := *got
		sub.State, sub.Report, sub.SubmittedBy, sub.SubmittedAt, sub.Version = pactum.ObligationSubmitted, "text", s.f.ApplicantA.ID, &now, 2
		err = pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.UpdateObligation(ctx, &sub, 1) })
		if err != nil {
			t.Fatal(err)
		}
		err = pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.UpdateObligation(ctx, &sub, 1) })
		wantCode(t, err, pactum.ECONFLICT)
		if got, _, _ := s.db.GetObligation(ctx, early.ID); got.State != pactum.ObligationSubmitted || got.Report != "text" || got.SubmittedAt == nil || !got.SubmittedAt.Equal(now) {
			t.Errorf("after update: %+v", got)
		}
		if o, _ := s.db.FirstOverdueObligation(ctx, al.OrganizationID, after); o != nil {
			t.Errorf("a submitted obligation blocks: %+v", o)
		}

		// Notices once.
		for i, want := range []bool{true, false} {
			err := pactum.Update(ctx, s.db, nil, func(tx pactum.Tx) error {
				isNew, err := tx.InsertObligationNotice(ctx, late.ID, "reminder_14", t0)
				if err == nil && isNew != want {
					t.Errorf("notice %d: new %v, want %v", i, isNew, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		// An obligation whose last notice was sent is swept no more.
		late2 := late.DueAt.Add(time.Hour)
		for _, n := range []string{pactum.NoticeOverdue, pactum.NoticeBreach} {
			if ids, _ := s.db.ListObligationsToSweep(ctx, late2, 10); len(ids) != 1 || ids[0] != late.ID {
				t.Errorf("before notice %s: to sweep %v", n, ids)
			}
			if err := pactum.Update(ctx, s.db, nil, func(tx pactum.Tx) error {
				_, err := tx.InsertObligationNotice(ctx, late.ID, n, t0)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if ids, _ := s.db.ListObligationsToSweep(ctx, late2, 10); len(ids) != 0 {
			t.Errorf("after its breach notice: to sweep %v", ids)
		}

		// Breaches.
		if b, err := s.db.GetBreach(ctx, al.ID); err != nil || b != nil {
			t.Fatalf("no breach: %+v %v", b, err)
		}
		put := func(reason string) bool {
			var isNew bool
			if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) (err error) {
				isNew, err = tx.PutBreach(ctx, &pactum.Breach{AllocationID: al.ID, Reason: reason, DeclaredBy: s.f.Manager.ID, DeclaredAt: t0})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return isNew
		}
		clear := func() error {
			at := t0.Add(time.Hour)
			return pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
				return tx.ClearBreach(ctx, &pactum.Breach{AllocationID: al.ID, ClearedAt: &at, ClearedBy: s.f.Manager.ID, ClearReason: "ok"})
			})
		}
		wantCode(t, clear(), pactum.ECONFLICT)
		if !put("first") || put("second") {
			t.Fatal("put while in force")
		}
		siteBreach := func() *pactum.Breach {
			sas, err := s.db.ListSiteAllocations(ctx, site, nil, t0.AddDate(-1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			for _, sa := range sas {
				if sa.Allocation.ID == al.ID {
					return sa.Breach
				}
			}
			t.Fatal("allocation not at its site")
			return nil
		}
		if b := siteBreach(); b == nil || b.Reason != "first" {
			t.Errorf("site breach: %+v", b)
		}
		if err := clear(); err != nil {
			t.Fatal(err)
		}
		wantCode(t, clear(), pactum.ECONFLICT)
		if b, _ := s.db.GetBreach(ctx, al.ID); b.Active() || b.ClearReason != "ok" || b.Reason != "first" {
			t.Errorf("cleared: %+v", b)
		}
		if b := siteBreach(); b != nil {
			t.Errorf("cleared breach at the site: %+v", b)
		}
		if !put("third") {
			t.Fatal("no new breach after clearing")
		}
		if b, _ := s.db.GetBreach(ctx, al.ID); !b.Active() || b.Reason != "third" || b.ClearReason != "" {
			t.Errorf("redeclared: %+v", b)
		}

		// The call's term.
		err = pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			return tx.SetCallTerms(ctx, &pactum.Call{ID: "nope", BlockOverdueOrganizations: true})
		})
		wantCode(t, err, pactum.ENOTFOUND)
		c := *s.f.Call
		c.BlockOverdueOrganizations, c.HoldModelsAtSystemicRisk = true, true
		if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error { return tx.SetCallTerms(ctx, &c) }); err != nil {
			t.Fatal(err)
		}
		if got, err := s.db.GetCall(ctx, s.f.Call.ID); err != nil || !got.BlockOverdueOrganizations || !got.HoldModelsAtSystemicRisk {
			t.Errorf("call: %+v %v", got, err)
		}
	})
}
