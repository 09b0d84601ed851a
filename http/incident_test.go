// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestIncidentAPI: report, show, list, triage, close and the overdue list,
// with who sees what, strictly against the document, on both engines.
func TestIncidentAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		c := &agentCast{scenario: s, bob: s.bob(t)}
		c.op = s.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		rev := s.user(t, client.UserInput{Email: "rev@example.org", Name: "Rev", Role: client.Reviewer})
		aud := s.user(t, client.UserInput{Email: "aud@example.org", Name: "Aud", Role: client.Auditor})
		ctx, mgr, alice := s.ctx, s.manager, s.alice
		c.award(t)

		in := client.IncidentInput{AllocationId: c.alloc.Id, Kind: client.IncidentKindSeriousIncident, Severity: client.Low,
			Harm: ptr(client.IncidentHarmDeath), Title: "Fatal advice", Description: "A deployed assistant trained here gave fatal advice.",
			OccurredAt: ptr(s.clock.Now().Add(-time.Hour))}
		rr, err := alice.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{}, in)
		want(t, rr, err, 201, rr.Body)
		inc := strict[client.Incident](t, rr.Body)
		if inc.State != client.Reported || len(inc.Deadlines) != 2 || inc.Deadlines[0].Basis != "AI Act Art. 73(4)" ||
			!inc.DueAt.Equal(in.OccurredAt.Add(10*24*time.Hour)) || inc.Overdue {
			t.Fatalf("incident: %+v", inc)
		}
		// A retry with the same Idempotency-Key reports once.
		key := client.IdempotencyKey("report-1")
		retry := in
		retry.Title = "Retried report"
		var first client.Incident
		for i := range 2 {
			rr, err = c.op.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{IdempotencyKey: &key}, retry)
			want(t, rr, err, 201, rr.Body)
			got := strict[client.Incident](t, rr.Body)
			if i == 0 {
				first = got
			} else if got.Id != first.Id {
				t.Fatalf("a retried report made a second incident: %s, %s", first.Id, got.Id)
			}
		}
		lr0, err := mgr.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{AllocationId: &c.alloc.Id})
		want(t, lr0, err, 200, lr0.Body)
		if l := strict[client.IncidentList](t, lr0.Body); l.Total != 2 {
			t.Fatalf("%d incidents after a retried report, want 2", l.Total)
		}
		rr, err = mgr.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{}, in)
		want(t, rr, err, 403, rr.Body)
		rr, err = c.bob.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{}, in)
		want(t, rr, err, 404, rr.Body)
		bad := in
		bad.Harm, bad.OccurredAt, bad.Title = nil, ptr(s.clock.Now().Add(72*time.Hour)), "x\u202ey"
		rr, err = alice.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{}, bad)
		want(t, rr, err, 400, rr.Body)

		for _, u := range []*client.ClientWithResponses{alice, c.op, mgr, aud} {
			gr, err := u.GetIncidentWithResponse(ctx, inc.Id)
			want(t, gr, err, 200, gr.Body)
			lr, err := u.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{AllocationId: &c.alloc.Id})
			want(t, lr, err, 200, lr.Body)
			if l := strict[client.IncidentList](t, lr.Body); l.Total != 2 {
				t.Errorf("list: %+v", l)
			}
		}
		for _, u := range []*client.ClientWithResponses{rev, c.bob} {
			gr, err := u.GetIncidentWithResponse(ctx, inc.Id)
			want(t, gr, err, 404, gr.Body)
			lr, err := u.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{})
			want(t, lr, err, 200, lr.Body)
			if l := strict[client.IncidentList](t, lr.Body); l.Total != 0 {
				t.Errorf("a stranger lists %d", l.Total)
			}
		}

		tr, err := alice.TriageIncidentWithResponse(ctx, inc.Id, &client.TriageIncidentParams{}, client.TriageInput{Note: "mine"})
		want(t, tr, err, 403, tr.Body)
		cr, err := mgr.CloseIncidentWithResponse(ctx, inc.Id, &client.CloseIncidentParams{}, client.CloseIncidentInput{Outcome: "Done."})
		want(t, cr, err, 409, cr.Body)
		tr, err = mgr.TriageIncidentWithResponse(ctx, inc.Id, &client.TriageIncidentParams{}, client.TriageInput{Note: "Authority informed by the provider.", Severity: ptr(client.Critical)})
		want(t, tr, err, 200, tr.Body)
		if got := strict[client.Incident](t, tr.Body); got.State != client.Triaged || got.Severity != client.Critical || got.TriagedAt == nil {
			t.Fatalf("triaged: %+v", got)
		}

		s.clock.Advance(3 * 24 * time.Hour)
		lr, err := aud.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{Overdue: ptr(true)})
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.IncidentList](t, lr.Body); l.Total != 1 || !l.Items[0].Overdue {
			t.Fatalf("overdue: %+v", l)
		}
		cr, err = mgr.CloseIncidentWithResponse(ctx, inc.Id, &client.CloseIncidentParams{}, client.CloseIncidentInput{Outcome: "Reported under Art. 73; deployment withdrawn."})
		want(t, cr, err, 200, cr.Body)
		if got := strict[client.Incident](t, cr.Body); got.State != client.Closed || got.Outcome == nil || got.Overdue {
			t.Fatalf("closed: %+v", got)
		}
		lr, err = mgr.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{Overdue: ptr(true)})
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.IncidentList](t, lr.Body); l.Total != 0 {
			t.Fatalf("overdue after closing: %+v", l)
		}
		lr, err = mgr.ListIncidentsWithResponse(ctx, &client.ListIncidentsParams{State: ptr(client.IncidentState("gone"))})
		want(t, lr, err, 400, lr.Body)
	})
}

// TestOutcomeAPI: add, list, update and remove outcomes, and who may.
func TestOutcomeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		c := &agentCast{scenario: s, bob: s.bob(t)}
		rev := s.user(t, client.UserInput{Email: "rev@example.org", Name: "Rev", Role: client.Reviewer})
		ctx, mgr, alice := s.ctx, s.manager, s.alice
		c.award(t)

		in := client.OutcomeInput{AllocationId: c.alloc.Id, Kind: client.OutcomeKindPublication, Title: "Legal LMs",
			Doi: ptr("https://doi.org/10.1000/182"), Venue: ptr("ACL"), Year: ptr(2026)}
		ar, err := alice.AddOutcomeWithResponse(ctx, &client.AddOutcomeParams{}, in)
		want(t, ar, err, 201, ar.Body)
		o := strict[client.Outcome](t, ar.Body)
		if o.Doi == nil || *o.Doi != "10.1000/182" || o.CallId != s.callID {
			t.Fatalf("outcome: %+v", o)
		}
		ar, err = mgr.AddOutcomeWithResponse(ctx, &client.AddOutcomeParams{}, in)
		want(t, ar, err, 403, ar.Body)
		ar, err = c.bob.AddOutcomeWithResponse(ctx, &client.AddOutcomeParams{}, in)
		want(t, ar, err, 404, ar.Body)
		bad := in
		bad.Doi = ptr("10.12/x")
		ar, err = alice.AddOutcomeWithResponse(ctx, &client.AddOutcomeParams{}, bad)
		want(t, ar, err, 400, ar.Body)

		lr, err := mgr.ListOutcomesWithResponse(ctx, &client.ListOutcomesParams{CallId: &s.callID})
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.OutcomeList](t, lr.Body); l.Total != 1 {
			t.Fatalf("call's outcomes: %+v", l)
		}
		lr, err = alice.ListOutcomesWithResponse(ctx, &client.ListOutcomesParams{CallId: &s.callID})
		want(t, lr, err, 403, lr.Body)
		lr, err = alice.ListOutcomesWithResponse(ctx, &client.ListOutcomesParams{OrganizationId: &s.orgA})
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.OutcomeList](t, lr.Body); l.Total != 1 {
			t.Fatalf("organization's outcomes: %+v", l)
		}
		for _, u := range []*client.ClientWithResponses{rev, c.bob} {
			gr, err := u.GetOutcomeWithResponse(ctx, o.Id)
			want(t, gr, err, 404, gr.Body)
		}

		ur, err := alice.UpdateOutcomeWithResponse(ctx, o.Id, &client.UpdateOutcomeParams{}, client.OutcomeUpdate{Version: ptr(1),
			Title: "Legal LMs, revised", Doi: ptr("10.1000/182"), Venue: ptr("ACL"), Year: ptr(2026)})
		want(t, ur, err, 200, ur.Body)
		if got := strict[client.Outcome](t, ur.Body); got.Version != 2 || got.Title != "Legal LMs, revised" {
			t.Fatalf("updated: %+v", got)
		}
		ur, err = alice.UpdateOutcomeWithResponse(ctx, o.Id, &client.UpdateOutcomeParams{}, client.OutcomeUpdate{Version: ptr(1),
			Title: "Stale", Doi: ptr("10.1000/182"), Venue: ptr("ACL"), Year: ptr(2026)})
		want(t, ur, err, 409, ur.Body)
		dr, err := c.bob.RemoveOutcomeWithResponse(ctx, o.Id, &client.RemoveOutcomeParams{})
		want(t, dr, err, 404, dr.Body)
		dr, err = alice.RemoveOutcomeWithResponse(ctx, o.Id, &client.RemoveOutcomeParams{})
		want(t, dr, err, 204, dr.Body)
		gr, err := alice.GetOutcomeWithResponse(ctx, o.Id)
		want(t, gr, err, 404, gr.Body)
	})
}
