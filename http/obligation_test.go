// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// obligationTerms: a fast-lane award owes a progress report a tenth into
// its period and a final report 30 days after it, and is breached 5 days
// after a due date passes.
var obligationTerms = &pactum.ObligationTerms{Modes: []pactum.ModeObligations{{Mode: pactum.ModeFastLane, BreachAfterDays: 5,
	Templates: []pactum.ObligationTemplate{
		{Kind: pactum.ObligationProgressReport, Title: "Progress report", Fraction: 0.1},
		{Kind: pactum.ObligationFinalReport, Title: "Final report", DaysAfterEnd: 30},
	}}}}

// newObligationScenario is newScenario with obligationTerms.
func newObligationScenario(t *testing.T, dialect string) *scenario {
	t.Helper()
	clock := &storetest.Clock{T: time.Now().UTC().Truncate(time.Second)}
	dsn := storetest.DSN(t, dialect)
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rs, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	rubric, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	uc := usecase.New(usecase.Config{Store: db, Screener: policy.NewScreener(rs), Allocator: allocate.New(solver.Options{}),
		Rubric: rubric, Now: clock.Now, Obligations: obligationTerms})
	url := serve(t, db, uc, clock, nil)
	storetest.SeedCatalogue(t, db)
	_, token, err := uc.Bootstrap(context.Background(), "mara@eurohpc.example", "Mara Manager")
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := client.New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{url: url, db: db, dsn: dsn, manager: mgr, token: token, clock: clock}
	alice, orgA := e.applicant(t, "Aleph Lingua GmbH", "DE", "ada@aleph.example")
	return &scenario{env: e, ctx: context.Background(), callID: e.call(t), alice: alice, orgA: orgA}
}

// TestObligationsAPI walks obligations, compliance, the sweep, the call's
// blocking term and breaches through the generated client, strictly
// against the document, on both engines; a reviewer and another
// organization see nothing.
func TestObligationsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newObligationScenario(t, dialect)
		c := &agentCast{scenario: s, bob: s.bob(t)}
		c.op = s.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		rev := s.user(t, client.UserInput{Email: "rui@review.example", Name: "Rui", Role: client.Reviewer})
		ctx, mgr, alice := s.ctx, s.manager, s.alice
		c.award(t)

		lr, err := alice.ListObligationsWithResponse(ctx, &client.ListObligationsParams{AllocationId: &c.alloc.Id})
		want(t, lr, err, 200, lr.Body)
		list := strict[client.ObligationList](t, lr.Body)
		if list.Total != 2 || list.Items[0].Kind != client.ObligationProgressReport || list.Items[0].State != client.ObligationOpen {
			t.Fatalf("obligations: %+v", list)
		}
		progress := list.Items[0]
		for _, who := range []*client.ClientWithResponses{rev, c.bob} {
			lr, err := who.ListObligationsWithResponse(ctx, &client.ListObligationsParams{})
			want(t, lr, err, 200, lr.Body)
			if l := strict[client.ObligationList](t, lr.Body); l.Total != 0 {
				t.Errorf("an outsider lists %d obligations", l.Total)
			}
			gr, err := who.GetObligationWithResponse(ctx, progress.Id)
			want(t, gr, err, 404, gr.Body)
			cr, err := who.GetComplianceWithResponse(ctx, c.alloc.Id)
			want(t, cr, err, 404, cr.Body)
		}
		lr, err = alice.ListObligationsWithResponse(ctx, &client.ListObligationsParams{State: ptr(client.ObligationState("late"))})
		want(t, lr, err, 400, lr.Body)

		// Submit, return, submit, accept.
		sub := client.SubmissionInput{Report: "A tenth of the grant is used; the tokenizer is trained."}
		sr, err := mgr.SubmitObligationWithResponse(ctx, progress.Id, &client.SubmitObligationParams{}, sub)
		want(t, sr, err, 403, sr.Body)
		sr, err = alice.SubmitObligationWithResponse(ctx, progress.Id, &client.SubmitObligationParams{}, client.SubmissionInput{Report: ""})
		want(t, sr, err, 400, sr.Body)
		sr, err = alice.SubmitObligationWithResponse(ctx, progress.Id, &client.SubmitObligationParams{}, sub)
		want(t, sr, err, 200, sr.Body)
		if o := strict[client.Obligation](t, sr.Body); o.State != client.ObligationSubmitted || o.Report == nil || *o.Report != sub.Report {
			t.Fatalf("submitted: %+v", o)
		}
		rr, err := alice.ReviewObligationWithResponse(ctx, progress.Id, &client.ReviewObligationParams{}, client.ObligationReview{Accept: true})
		want(t, rr, err, 403, rr.Body)
		rr, err = mgr.ReviewObligationWithResponse(ctx, progress.Id, &client.ReviewObligationParams{}, client.ObligationReview{Accept: false})
		want(t, rr, err, 400, rr.Body)
		rr, err = mgr.ReviewObligationWithResponse(ctx, progress.Id, &client.ReviewObligationParams{}, client.ObligationReview{Accept: false, Reason: "Name the checkpoints."})
		want(t, rr, err, 200, rr.Body)
		if o := strict[client.Obligation](t, rr.Body); o.State != client.ObligationReturned {
			t.Fatalf("returned: %+v", o)
		}

		// Due date passes while returned: overdue, escalated, and the call's term refuses Ada's next proposal.
		ur, err := mgr.UpdateCallWithResponse(ctx, s.callID, client.CallUpdate{BlockOverdueOrganizations: ptr(true)})
		want(t, ur, err, 200, ur.Body)
		if call := strict[client.Call](t, ur.Body); !call.BlockOverdueOrganizations || call.HoldModelsAtSystemicRisk {
			t.Fatalf("call: %+v", call)
		}
		s.clock.T = progress.DueAt.Add(time.Hour)
		wr, err := alice.SweepObligationsWithResponse(ctx, &client.SweepObligationsParams{})
		want(t, wr, err, 403, wr.Body)
		wr, err = mgr.SweepObligationsWithResponse(ctx, &client.SweepObligationsParams{})
		want(t, wr, err, 200, wr.Body)
		if r := strict[client.SweepResult](t, wr.Body); r.Overdue != 1 || r.Breaches != 0 {
			t.Fatalf("sweep: %+v", r)
		}
		lr, err = c.op.ListObligationsWithResponse(ctx, &client.ListObligationsParams{Overdue: ptr(true)})
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.ObligationList](t, lr.Body); l.Total != 1 || l.Items[0].Id != progress.Id || l.Items[0].OverdueAt == nil {
			t.Fatalf("overdue list: %+v", l)
		}
		pr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, nil)))
		want(t, pr, err, 409, pr.Body)
		if !strings.Contains(string(pr.Body), progress.Id) || !strings.Contains(string(pr.Body), c.alloc.Id) {
			t.Errorf("refusal does not name the obligation and allocation: %s", pr.Body)
		}
		cr, err := c.op.GetComplianceWithResponse(ctx, c.alloc.Id)
		want(t, cr, err, 200, cr.Body)
		if comp := strict[client.Compliance](t, cr.Body); comp.Overdue != 1 || comp.Due != 1 || comp.Compliant || comp.Breached || comp.IncidentsOpen != 0 {
			t.Fatalf("compliance: %+v", comp)
		}

		// A declared breach suspends the allocation at its site; clearing resumes it.
		br, err := c.op.DeclareBreachWithResponse(ctx, c.alloc.Id, &client.DeclareBreachParams{}, client.BreachInput{Reason: "no report"})
		want(t, br, err, 403, br.Body)
		br, err = mgr.DeclareBreachWithResponse(ctx, c.alloc.Id, &client.DeclareBreachParams{}, client.BreachInput{Reason: ""})
		want(t, br, err, 400, br.Body)
		br, err = mgr.DeclareBreachWithResponse(ctx, c.alloc.Id, &client.DeclareBreachParams{}, client.BreachInput{Reason: "The progress report is overdue."})
		want(t, br, err, 200, br.Body)
		if b := strict[client.Breach](t, br.Body); b.Automatic || b.ClearedAt != nil {
			t.Fatalf("breach: %+v", b)
		}
		dr, err := c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{})
		want(t, dr, err, 200, dr.Body)
		if d := strict[client.SiteState](t, dr.Body).Allocations[0]; !d.Suspended || !slices.Contains(d.Reasons, "breach declared: The progress report is overdue.") {
			t.Fatalf("desired state: %+v", d)
		}
		kr, err := mgr.ClearBreachWithResponse(ctx, c.alloc.Id, &client.ClearBreachParams{}, client.BreachInput{Reason: "Report promised."})
		want(t, kr, err, 200, kr.Body)
		if b := strict[client.Breach](t, kr.Body); b.ClearedAt == nil {
			t.Fatalf("cleared: %+v", b)
		}
		dr, err = c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{})
		want(t, dr, err, 200, dr.Body)
		if d := strict[client.SiteState](t, dr.Body).Allocations[0]; slices.ContainsFunc(d.Reasons, func(r string) bool { return strings.HasPrefix(r, "breach") }) {
			t.Fatalf("desired state after clearing (still suspended, by its unmet conditions): %+v", d)
		}
		cr, err = alice.GetComplianceWithResponse(ctx, c.alloc.Id)
		want(t, cr, err, 200, cr.Body)
		if comp := strict[client.Compliance](t, cr.Body); comp.Breached || comp.Breach == nil || comp.Breach.ClearReason == nil {
			t.Fatalf("compliance after clearing: %+v", comp)
		}
	})
}
