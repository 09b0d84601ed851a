// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestIncidentStore: incidents and outcomes round-trip whole, version
// guards refuse lost updates, lists apply the allocation's scope (and
// fail closed), the overdue filter and the open count agree with the
// states, and deleting a missing outcome is ENOTFOUND.
func TestIncidentStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		_, al := s.approved(t)
		_, site, err := s.db.GetAllocation(ctx, al.ID)
		if err != nil {
			t.Fatal(err)
		}
		callID, err := s.db.GetAllocationCall(ctx, al.ID)
		if err != nil || callID != s.f.Call.ID {
			t.Fatalf("call of the allocation: %q %v", callID, err)
		}
		if _, err := s.db.GetAllocationCall(ctx, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("unknown allocation's call: %v", err)
		}

		mk := func(kind pactum.IncidentKind, harm pactum.IncidentHarm, occurred time.Time) *pactum.Incident {
			i := &pactum.Incident{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, CallID: callID,
				Kind: kind, Severity: pactum.SeverityModerate, Harm: harm, Title: "t", Description: "d\nline two",
				OccurredAt: occurred, ReportedAt: t0, ReportedBy: s.f.ApplicantA.ID, ReporterRole: pactum.RoleApplicant,
				State: pactum.IncidentReported, UpdatedAt: t0, Version: 1}
			i.SetDeadlines()
			if err := pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.InsertIncident(ctx, i) }); err != nil {
				t.Fatal(err)
			}
			return i
		}
		a := mk(pactum.IncidentSecurity, "", t0.Add(-time.Hour))                               // due t0+15d
		b := mk(pactum.IncidentSerious, pactum.HarmCriticalInfrastructure, t0.Add(-time.Hour)) // due t0+2d-1h
		got, err := s.db.GetIncident(ctx, b.ID)
		if err != nil || got.Harm != b.Harm || len(got.Deadlines) != 2 || !got.DueAt.Equal(b.DueAt) || got.Description != b.Description ||
			!got.Deadlines[0].DueAt.Equal(b.Deadlines[0].DueAt) || got.ModelID != "" || got.TriagedAt != nil {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if _, err := s.db.GetIncident(ctx, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("missing incident: %v", err)
		}

		// Version guard.
		now := t0.Add(time.Hour)
		got.State, got.TriagedAt, got.TriagedBy, got.TriageNote, got.Version = pactum.IncidentTriaged, &now, s.f.Manager.ID, "ok", 2
		upd := func(i *pactum.Incident, old int) error {
			return pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error { return tx.UpdateIncident(ctx, i, old) })
		}
		if err := upd(got, 1); err != nil {
			t.Fatal(err)
		}
		if err := upd(got, 1); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("stale version: %v", err)
		}
		if again, _ := s.db.GetIncident(ctx, b.ID); again.TriagedAt == nil || !again.TriagedAt.Equal(now) || again.State != pactum.IncidentTriaged {
			t.Errorf("triage not stored: %+v", again)
		}

		// Scopes.
		list := func(sc pactum.Scope, f pactum.IncidentFilter) int {
			t.Helper()
			items, n, err := s.db.ListIncidents(ctx, sc, f)
			if err != nil || len(items) != n {
				t.Fatalf("list within %+v: %d of %d, %v", sc, len(items), n, err)
			}
			return n
		}
		for sc, want := range map[pactum.Scope]int{{All: true}: 2, {OrganizationID: al.OrganizationID}: 2, {Site: site}: 2,
			{OrganizationID: s.f.OrgB.ID}: 0, {Site: "nowhere"}: 0, {}: 0, {ReviewerID: s.f.Reviewer.ID}: 0, {UserID: s.f.ApplicantA.ID}: 0} {
			if n := list(sc, pactum.IncidentFilter{}); n != want {
				t.Errorf("within %+v: %d, want %d", sc, n, want)
			}
		}
		if n := list(pactum.Scope{All: true}, pactum.IncidentFilter{CallID: &callID, AllocationID: &al.ID}); n != 2 {
			t.Errorf("by call and allocation: %d", n)
		}
		st := pactum.IncidentTriaged
		if n := list(pactum.Scope{All: true}, pactum.IncidentFilter{State: &st}); n != 1 {
			t.Errorf("triaged: %d", n)
		}
		for at, want := range map[time.Time]int{t0: 0, t0.Add(3 * 24 * time.Hour): 1, t0.Add(20 * 24 * time.Hour): 2} {
			if n := list(pactum.Scope{All: true}, pactum.IncidentFilter{OverdueAt: &at}); n != want {
				t.Errorf("overdue at %s: %d, want %d", at, n, want)
			}
		}
		if n, err := s.db.CountOpenIncidents(ctx, al.ID); err != nil || n != 2 {
			t.Errorf("open: %d %v", n, err)
		}
		a.State, a.ClosedAt, a.Outcome, a.Version = pactum.IncidentClosed, &now, "done", 2
		if err := upd(a, 1); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.db.CountOpenIncidents(ctx, al.ID); n != 1 {
			t.Errorf("open after closing one: %d", n)
		}
		late := t0.Add(20 * 24 * time.Hour)
		if n := list(pactum.Scope{All: true}, pactum.IncidentFilter{OverdueAt: &late}); n != 1 {
			t.Errorf("a closed incident is listed overdue")
		}

		// Outcomes.
		yes := true
		o := &pactum.AllocationOutcome{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, CallID: callID,
			Kind: pactum.OutcomeModel, OutcomeFields: pactum.OutcomeFields{Title: "m", URL: "https://x.example/m", Licence: "MIT", OpenWeights: &yes},
			CreatedBy: s.f.ApplicantA.ID, CreatedAt: t0, UpdatedAt: t0, Version: 1}
		if err := pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.InsertOutcome(ctx, o) }); err != nil {
			t.Fatal(err)
		}
		back, err := s.db.GetOutcome(ctx, o.ID)
		if err != nil || back.OpenWeights == nil || !*back.OpenWeights || back.URL != o.URL || back.Kind != o.Kind {
			t.Fatalf("outcome round trip: %+v %v", back, err)
		}
		o.Title, o.Version = "m2", 2
		if err := pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.UpdateOutcome(ctx, o, 1) }); err != nil {
			t.Fatal(err)
		}
		err = pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.UpdateOutcome(ctx, o, 1) })
		wantCode(t, err, pactum.ECONFLICT)
		for sc, want := range map[pactum.Scope]int{{All: true}: 1, {Site: site}: 1, {OrganizationID: s.f.OrgB.ID}: 0, {}: 0, {ReviewerID: "r"}: 0} {
			if _, n, err := s.db.ListOutcomes(ctx, sc, pactum.OutcomeFilter{CallID: &callID}); err != nil || n != want {
				t.Errorf("outcomes within %+v: %d, %v; want %d", sc, n, err, want)
			}
		}
		if err := pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.DeleteOutcome(ctx, o.ID) }); err != nil {
			t.Fatal(err)
		}
		err = pactum.Update(ctx, s.db, s.f.ApplicantA, func(tx pactum.Tx) error { return tx.DeleteOutcome(ctx, o.ID) })
		wantCode(t, err, pactum.ENOTFOUND)
	})
}
