// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// benchScale is the demo's data a hundredfold: the demo registers 8
// organizations with about 10 proposals on one call.
const (
	benchOrgs      = 800
	benchProposals = 1000
)

// BenchmarkPortalPages renders each page (the handler, without the
// network) on a world of benchOrgs organizations and benchProposals
// proposals, on each engine, and reports the 95th percentile
// (p95-ms) beside the mean. The budget is 50 ms at p95.
//
//	go test -run '^$' -bench PortalPages -benchtime 200x ./web/
func BenchmarkPortalPages(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchPortalPages(b, dialect) })
	}
}

func benchPortalPages(b *testing.B, dialect string) {
	w := newPortalWorld(b, dialect, nil)
	start := time.Now()
	var firstOrgUser *pactum.User
	var firstProposal *pactum.Proposal
	applicants := benchApplicants(b, w, benchOrgs)
	for i := range benchProposals {
		u := applicants[i%len(applicants)]
		p := storetest.NewProposal(w.f.Call.ID)
		p.Title = fmt.Sprintf("Bench model %04d", i)
		p.Requests[0].Amount = 2000
		if err := w.app.SubmitNewProposal(storetest.As(u), p); err != nil {
			b.Fatal(err)
		}
		if firstProposal == nil {
			firstOrgUser, firstProposal = u, p
		}
	}
	als, _, err := w.app.FindAllocations(storetest.As(firstOrgUser), pactum.AllocationFilter{ProposalID: &firstProposal.ID})
	if err != nil || len(als) == 0 {
		b.Fatalf("allocations %v %v", als, err)
	}
	w.users["s-"+firstOrgUser.ID] = firstOrgUser
	b.Logf("%s: %d organizations, %d proposals seeded in %s", dialect, benchOrgs, benchProposals, time.Since(start).Round(time.Millisecond))
	benchPages(b, w.srv.Config.Handler, []benchPage{
		{"applicant-overview", firstOrgUser, "/portal/", ""},
		{"proposal", firstOrgUser, "/portal/proposals/" + firstProposal.ID, ""},
		{"allocation", firstOrgUser, "/portal/allocations/" + als[0].ID, ""},
		{"manager-overview", w.f.Manager, "/portal/", ""},
		{"call", w.f.Manager, "/portal/calls/" + w.f.Call.ID, ""},
		{"audit-log", w.f.Auditor, "/portal/audit", ""},
		{"operator-overview", w.f.Operator, "/portal/", ""},
		// The call page filtered in the store and paged (web/reviewer.go).
		{"call-filtered-paged", w.f.Manager, "/portal/calls/" + w.f.Call.ID + "?outcome=accepted&mode=fast_lane&offset=500", ""},
		{"call-rule", w.f.Manager, "/portal/calls/" + w.f.Call.ID + "?rule=ethics.personal_data&outcome=approve", ""},
		{"conflicts", w.f.Manager, "/portal/conflicts", ""},
		{"reviewer", w.f.Reviewer, "/portal/reviewer", ""},
		{"open-call-form", w.f.Manager, "/portal/calls/new", ""},
	})
}
