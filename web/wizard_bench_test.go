// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// BenchmarkApplicantPages renders the applicant's pages (open calls, the
// wizard's steps with their dry-run screening by the ruleset in force,
// the models page) on a world of benchOrgs organizations and
// benchProposals proposals, on each engine, and reports the 95th
// percentile (p95-ms). The budget is 50 ms at p95.
//
//	go test -run '^$' -bench ApplicantPages -benchtime 100x ./web/
func BenchmarkApplicantPages(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchApplicantPages(b, dialect) })
	}
}

func benchApplicantPages(b *testing.B, dialect string) {
	w := newPortalWorld(b, dialect, policyScreener(b))
	start := time.Now()
	applicants := benchApplicants(b, w, benchOrgs)
	for i := range benchProposals {
		p := storetest.NewProposal(w.f.Call.ID)
		p.Title = fmt.Sprintf("Bench model %04d", i)
		p.Requests[0].Amount = 2000
		if err := w.app.SubmitNewProposal(storetest.As(applicants[i%len(applicants)]), p); err != nil {
			b.Fatal(err)
		}
	}
	// The first organization's applicant has a draft half written and a
	// model.
	u := applicants[0]
	w.users["s-"+u.ID] = u
	draft := storetest.NewProposal(w.f.Call.ID)
	draft.Summary, draft.Questionnaire = "", nil
	if err := w.app.CreateProposal(storetest.As(u), draft); err != nil {
		b.Fatal(err)
	}
	if _, err := w.app.CreateModel(storetest.As(u), &pactum.Model{Name: "bench-7b", Version: "1"}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d organizations, %d proposals seeded in %s", dialect, benchOrgs, benchProposals, time.Since(start).Round(time.Millisecond))
	d := "/portal/drafts/" + draft.ID
	benchPages(b, w.srv.Config.Handler, []benchPage{
		{"open-calls", u, "/portal/apply", ""},
		{"wizard-project", u, d + "?step=project", ""},
		{"wizard-resources", u, d + "?step=resources", ""},
		{"wizard-aiact", u, d + "?step=aiact", ""},
		{"wizard-submit", u, d + "?step=submit", ""},
		{"models", u, "/portal/models", ""},
	})
}
