// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// benchPage is one page a portal benchmark renders: a GET of path as
// user, or a POST of form (url-encoded) when form is set. A nil user
// leaves the session to the portal's own Session function.
type benchPage struct {
	name string
	user *pactum.User
	path string
	form string
}

// benchPages renders each page through h (the handler, without the
// network) as a sub-benchmark, failing on any answer but 200, and reports
// the 95th percentile (p95-ms) beside the mean.
func benchPages(b *testing.B, h http.Handler, pages []benchPage) {
	for _, pg := range pages {
		b.Run(pg.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, pg.path, nil)
				if pg.form != "" {
					req = httptest.NewRequest(http.MethodPost, pg.path, strings.NewReader(pg.form))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if pg.user != nil {
					req.AddCookie(&http.Cookie{Name: "s", Value: "s-" + pg.user.ID})
				}
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

// benchApplicants registers n small organizations of the given countries
// in turn (Germany when none) with one applicant each, and returns the
// applicants.
func benchApplicants(b *testing.B, w *portalWorld, n int, countries ...string) []*pactum.User {
	if len(countries) == 0 {
		countries = []string{"DE"}
	}
	sys := storetest.As(pactum.SystemUser())
	applicants := make([]*pactum.User, 0, n)
	for i := range n {
		o := &pactum.Organization{LegalName: fmt.Sprintf("Bench AI %04d GmbH", i), Country: countries[i%len(countries)],
			RegistrationNumber: fmt.Sprintf("HRB %06d", i), FoundedOn: pactum.MustDate("2022-03-01"), Staff: 20, TurnoverEUR: 2_000_000, BalanceSheetEUR: 2_000_000}
		if err := w.app.CreateOrganization(storetest.As(w.f.Manager), o); err != nil {
			b.Fatal(err)
		}
		u := &pactum.User{Email: fmt.Sprintf("founder%04d@bench.example", i), Name: fmt.Sprintf("Founder %d", i), Role: pactum.RoleApplicant, OrganizationID: o.ID}
		if err := w.app.CreateUser(sys, u); err != nil {
			b.Fatal(err)
		}
		applicants = append(applicants, u)
	}
	return applicants
}
