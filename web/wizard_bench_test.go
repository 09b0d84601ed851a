// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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
	sys := storetest.As(pactum.SystemUser())
	var applicants []*pactum.User
	for i := range benchOrgs {
		o := &pactum.Organization{LegalName: fmt.Sprintf("Bench AI %04d GmbH", i), Country: "DE", RegistrationNumber: fmt.Sprintf("HRB %06d", i),
			FoundedOn: pactum.MustDate("2022-03-01"), Staff: 20, TurnoverEUR: 2_000_000, BalanceSheetEUR: 2_000_000}
		if err := w.app.CreateOrganization(storetest.As(w.f.Manager), o); err != nil {
			b.Fatal(err)
		}
		u := &pactum.User{Email: fmt.Sprintf("founder%04d@bench.example", i), Name: fmt.Sprintf("Founder %d", i), Role: pactum.RoleApplicant, OrganizationID: o.ID}
		if err := w.app.CreateUser(sys, u); err != nil {
			b.Fatal(err)
		}
		applicants = append(applicants, u)
	}
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
	pages := []struct{ name, path string }{
		{"open-calls", "/portal/apply"},
		{"wizard-project", d + "?step=project"},
		{"wizard-resources", d + "?step=resources"},
		{"wizard-aiact", d + "?step=aiact"},
		{"wizard-submit", d + "?step=submit"},
		{"models", "/portal/models"},
	}
	h := w.srv.Config.Handler
	for _, pg := range pages {
		b.Run(pg.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, pg.path, nil)
				req.AddCookie(&http.Cookie{Name: "s", Value: "s-" + u.ID})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", pg.path, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
