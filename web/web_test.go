// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
	"github.com/pactum/pactum/web"
)

// portalWorld is the store's fixture world behind a portal whose session
// layer is a table of signed-in users by cookie value: the portal's own
// behaviour is under test here, sign-in is tested in package http.
type portalWorld struct {
	db    *sqlstore.DB
	f     *storetest.Fixture
	app   *usecase.App
	srv   *httptest.Server
	users map[string]*pactum.User
}

// newPortalWorld serves the portal over the fixture world, screening with
// screener (approving everything when nil).
func newPortalWorld(t testing.TB, dialect string, screener pactum.Screener) *portalWorld {
	t.Helper()
	db := storetest.Open(t, dialect, sqlstore.Options{})
	now := time.Now().UTC()
	w := &portalWorld{db: db, f: storetest.Seed(t, db, now), app: storetest.App(t, db, screener, nil), users: map[string]*pactum.User{}}
	for _, u := range []*pactum.User{w.f.ApplicantA, w.f.ApplicantB, w.f.Manager, w.f.Reviewer, w.f.Auditor, w.f.Operator} {
		w.users["s-"+u.ID] = u
	}
	p, err := web.New(web.Config{Services: w.app, SignInURL: "/auth/login", Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Session: func(r *http.Request) (*pactum.User, string, error) {
		c, err := r.Cookie("s")
		if err != nil || w.users[c.Value] == nil {
			return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "not signed in")
		}
		return w.users[c.Value], "csrf-" + c.Value, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(p)
	t.Cleanup(w.srv.Close)
	return w
}

// get fetches path as u (nil: no session) without following redirects.
func (w *portalWorld) get(t *testing.T, u *pactum.User, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u != nil {
		req.AddCookie(&http.Cookie{Name: "s", Value: "s-" + u.ID})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var (
	inlineScript  = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	inlineHandler = regexp.MustCompile(`\son[a-z]+=`)
)

// wantPage checks a page answered 200 with the portal's headers, no
// inline script or style, and each of wants in its text.
func wantPage(t *testing.T, resp *http.Response, body string, wants ...string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%s", resp.Request.URL.Path, resp.StatusCode, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q", csp)
	}
	if inlineScript.MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, "<style") || inlineHandler.MatchString(body) {
		t.Errorf("%s: inline script, style or handler in the page", resp.Request.URL.Path)
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s: no %q in the page", resp.Request.URL.Path, want)
		}
	}
}

// TestPortalPages: each role's overview shows its work; a proposal's page
// shows its timeline to its organization and is not found for another;
// an allocation's page draws its usage against the 75/90/100 % lines; the
// audit log is for access managers and auditors; no session goes to
// sign-in.
func TestPortalPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		ctx := storetest.As(w.f.ApplicantA)
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.app.SubmitNewProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		als, _, err := w.app.FindAllocations(ctx, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) != 1 {
			t.Fatalf("allocations %v %v", als, err)
		}
		al := als[0]

		resp, body := w.get(t, w.f.ApplicantA, "/portal/")
		wantPage(t, resp, body, "Ada Aleph", p.Title, "/portal/proposals/"+p.ID, "/portal/allocations/"+al.ID, `name="csrf_token" value="csrf-s-`+w.f.ApplicantA.ID)
		resp, body = w.get(t, w.f.ApplicantB, "/portal/")
		wantPage(t, resp, body, "Bob Bora")
		if strings.Contains(body, p.ID) || strings.Contains(body, al.ID) {
			t.Error("another organization's overview shows the proposal or its allocation")
		}
		resp, body = w.get(t, w.f.Manager, "/portal/")
		wantPage(t, resp, body, w.f.Call.Title, "Audit log")
		callPage := "/portal/calls/" + w.f.Call.ID
		resp, body = w.get(t, w.f.Manager, callPage)
		wantPage(t, resp, body, "Requested against capacity", `<th scope="row">leonardo-booster</th>`, "1 proposal.", p.Title)
		// Requested and granted 20,000 on Leonardo: both columns say so.
		if !regexp.MustCompile(`leonardo-booster</th><td>[0-9,]+</td><td>20,000</td><td>20,000</td>`).MatchString(body) {
			t.Errorf("demand row for leonardo-booster:\n%s", body)
		}
		resp, body = w.get(t, w.f.Manager, callPage+"?state=rejected")
		wantPage(t, resp, body, "0 proposals match")
		if strings.Contains(body, "/portal/proposals/"+p.ID) {
			t.Error("the state filter lets an approved proposal through")
		}
		if resp, _ = w.get(t, w.f.Manager, callPage+"?state=bogus"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bogus state: %d", resp.StatusCode)
		}
		resp, body = w.get(t, w.f.Reviewer, "/portal/")
		wantPage(t, resp, body, "Your reviews")
		resp, body = w.get(t, w.f.Operator, "/portal/")
		wantPage(t, resp, body, "Olli Operator", "Site agents", `<a href="/portal/sites/CSC">CSC</a>`, "never")

		resp, body = w.get(t, w.f.ApplicantA, "/portal/proposals/"+p.ID)
		wantPage(t, resp, body, p.Title, "Submitted", "Screened", "Outcome: approve", "Decision", "leonardo-booster")
		if strings.Contains(body, `class="todo"`) || strings.Count(body, `class="done"`) != 3 {
			t.Errorf("an approved proposal's timeline is not all done:\n%s", body)
		}
		if resp, body = w.get(t, w.f.ApplicantB, "/portal/proposals/"+p.ID); resp.StatusCode != http.StatusNotFound || strings.Contains(body, p.Title) {
			t.Errorf("another organization reads the proposal: %d", resp.StatusCode)
		}

		resp, body = w.get(t, w.f.ApplicantA, "/portal/allocations/"+al.ID)
		wantPage(t, resp, body, "leonardo-booster", `role="img"`, "0 of 20,000 GPU-hours used (0 %)", `class="threshold"`, ">75 %<", ">100 %<")
		if resp, _ = w.get(t, w.f.ApplicantB, "/portal/allocations/"+al.ID); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another organization reads the allocation: %d", resp.StatusCode)
		}
		resp, body = w.get(t, w.f.Auditor, "/portal/audit")
		wantPage(t, resp, body, "proposal.create", "Audit events", "Verify the whole chain now")
		resp, body = w.get(t, w.f.Auditor, "/portal/audit?verify=1")
		wantPage(t, resp, body, "The chain verifies")
		resp, body = w.get(t, w.f.Auditor, "/portal/audit?subject_type=proposal&subject_id="+p.ID)
		wantPage(t, resp, body, p.ID[len(p.ID)-8:])
		if strings.Contains(body, "organization.create") {
			t.Error("the filter lets other subjects through")
		}
		if resp, _ = w.get(t, w.f.ApplicantA, "/portal/audit"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an applicant reads the audit log: %d", resp.StatusCode)
		}
		if resp, _ = w.get(t, w.f.Auditor, "/portal/audit?offset=-3"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("negative offset: %d", resp.StatusCode)
		}

		resp, _ = w.get(t, nil, "/portal/proposals/"+p.ID)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/login?next=%2Fportal%2Fproposals%2F"+p.ID {
			t.Errorf("no session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, nil, "/portal/static/htmx-2.0.11.min.js")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "htmx") {
			t.Errorf("htmx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

// post sends a form as u and returns the answer, not following redirects.
func (w *portalWorld) post(t *testing.T, u *pactum.User, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "s", Value: "s-" + u.ID})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPortalReview: an ethics reviewer sees the form of the review due on
// the proposal page; a review the use case refuses comes back with its
// message, the field named and what was typed kept; a good one is saved
// and shown; another applicant cannot review; the reviewer can recuse.
func TestPortalReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		referring := &mock.Screener{ScreenFn: func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			f := []pactum.Finding{{RuleID: "ethics.personal_data", Basis: "Horizon Europe ethics", Effect: pactum.EffectRefer,
				Referral: "ethics", Message: "Personal data: ethics review."}}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}}
		w := newPortalWorld(t, dialect, referring)
		sys := storetest.As(pactum.SystemUser())
		eth := &pactum.User{Email: "ethics@uni.example", Name: "Eva Ethicist", Role: pactum.RoleReviewer}
		if err := w.app.CreateUser(sys, eth); err != nil {
			t.Fatal(err)
		}
		w.users["s-"+eth.ID] = eth
		if err := w.app.UpdateReviewerProfile(storetest.As(eth), &pactum.ReviewerProfile{UserID: eth.ID, Expertise: []string{pactum.EthicsExpertise}}); err != nil {
			t.Fatal(err)
		}
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil || p.State != pactum.ProposalInReview {
			t.Fatalf("submit: %s %v", p.State, err)
		}
		if _, err := w.app.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics); err != nil {
			t.Fatal(err)
		}
		page := "/portal/proposals/" + p.ID
		resp, body := w.get(t, eth, page)
		wantPage(t, resp, body, "Your ethics review", `action="/portal/proposals/`+p.ID+`/review"`, "Accept with conditions", `name="csrf_token"`, "Recuse")

		resp, body = w.post(t, eth, page+"/review", url.Values{"recommendation": {"accept_with_conditions"}, "conditions": {"Pseudonymise the records."},
			"comments_for_applicant": {""}, "confidential_comments": {"Kept <b>typed</b>."}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "comments for applicant") ||
			!strings.Contains(body, "Pseudonymise the records.") || !strings.Contains(body, "Kept &lt;b&gt;typed&lt;/b&gt;.") {
			t.Fatalf("refused review: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = w.post(t, eth, page+"/review", url.Values{"recommendation": {"accept_with_conditions"}, "conditions": {"Pseudonymise the records.\nName a contact."},
			"comments_for_applicant": {"Acceptable with safeguards."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done=review" {
			t.Fatalf("review: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, eth, page+"?done=review")
		wantPage(t, resp, body, "Your review is saved", "Acceptable with safeguards.", "Condition: Name a contact.")
		rs, err := w.app.FindReviews(storetest.As(w.f.Manager), p.ID, pactum.ReviewFilter{})
		if err != nil || len(rs) != 1 || len(rs[0].Conditions) != 2 || rs[0].ReviewerID != eth.ID {
			t.Fatalf("stored reviews %+v %v", rs, err)
		}
		if resp, _ = w.post(t, w.f.ApplicantB, page+"/review", url.Values{"recommendation": {"accept"}, "comments_for_applicant": {"x"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another applicant reviews: %d", resp.StatusCode)
		}
		as, _, err := w.app.FindAssignments(storetest.As(w.f.Manager), pactum.AssignmentFilter{ProposalID: &p.ID, ReviewerID: &eth.ID})
		if err != nil || len(as) != 1 {
			t.Fatalf("assignments %v %v", as, err)
		}
		if resp, _ = w.post(t, eth, page+"/recuse", url.Values{"assignment": {as[0].ID}, "reason": {"My sister works there."}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("recuse: %d", resp.StatusCode)
		}
	})
}
