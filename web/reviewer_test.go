// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/web"
)

// byTitle screens by the proposal's title: "refer…" goes to ethics review
// (rule ethics.personal_data), "deny…" is denied (rule gpai.systemic),
// anything else passes.
var byTitle = &mock.Screener{ScreenFn: func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
	var f []pactum.Finding
	switch {
	case strings.HasPrefix(in.Proposal.Title, "refer"):
		f = []pactum.Finding{{RuleID: "ethics.personal_data", Basis: "Horizon Europe ethics", Effect: pactum.EffectRefer, Referral: "ethics", Message: "Personal data."}}
	case strings.HasPrefix(in.Proposal.Title, "deny"):
		f = []pactum.Finding{{RuleID: "gpai.systemic", Basis: "AI Act", Effect: pactum.EffectDeny, Message: "Too large."}}
	}
	return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
}}

// TestPortalCallFiltersAndPaging: the call page lists proposals by
// screening outcome, decision outcome and fired rule (filtered by the
// store), 50 a page with the total and next/previous links that keep the
// filters, and refuses a bad filter naming it; on both engines.
func TestPortalCallFiltersAndPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, byTitle)
		ids := map[string]string{}
		submit := func(title string) {
			p := storetest.NewProposal(w.f.Call.ID)
			p.Title = title
			if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
				t.Fatal(err)
			}
			ids[title] = p.ID
		}
		submit("refer one")
		submit("deny one")
		for i := range 53 {
			submit(fmt.Sprintf("pass %02d", i))
		}
		page := "/portal/calls/" + w.f.Call.ID
		has := func(body string, titles ...string) bool {
			for _, ti := range titles {
				if !strings.Contains(body, `/portal/proposals/`+ids[ti]+`">`+ti+`<`) {
					return false
				}
			}
			return true
		}
		resp, body := w.get(t, w.f.Manager, page+"?outcome=refer")
		wantPage(t, resp, body, "1 proposal match", "Review progress")
		if !has(body, "refer one") || has(body, "deny one") || has(body, "pass 00") {
			t.Errorf("outcome=refer:\n%s", body)
		}
		resp, body = w.get(t, w.f.Manager, page+"?outcome=deny")
		wantPage(t, resp, body, "1 proposal match")
		if !has(body, "deny one") || has(body, "refer one") {
			t.Errorf("outcome=deny lists the wrong proposals")
		}
		resp, body = w.get(t, w.f.Manager, page+"?rule=ethics.personal_data")
		wantPage(t, resp, body, "1 proposal match", `value="ethics.personal_data"`)
		if !has(body, "refer one") || has(body, "deny one") {
			t.Errorf("rule filter lists the wrong proposals")
		}
		resp, body = w.get(t, w.f.Manager, page+"?rule=gpai.systemic&outcome=refer")
		wantPage(t, resp, body, "0 proposals match")
		// Decided: the 53 that passed were approved automatically.
		resp, body = w.get(t, w.f.Manager, page+"?outcome=accepted&mode=fast_lane")
		wantPage(t, resp, body, "53 proposals match; 1 to 50 are shown", "Next page", `selected>decision: accepted`)
		if has(body, "refer one") || has(body, "deny one") || !has(body, "pass 52") || has(body, "pass 02") {
			t.Errorf("first page of accepted (newest first):\n%s", body)
		}
		next := "/portal/calls/" + w.f.Call.ID + "?mode=fast_lane&amp;offset=50&amp;outcome=accepted"
		if !strings.Contains(body, `href="`+next+`" rel="next"`) || strings.Contains(body, `rel="prev"`) {
			t.Errorf("the next link does not keep the filters, or there is a previous one:\n%s", body)
		}
		resp, body = w.get(t, w.f.Manager, strings.ReplaceAll(next, "&amp;", "&"))
		wantPage(t, resp, body, "53 proposals match; 51 to 53 are shown", `rel="prev"`)
		if !has(body, "pass 00", "pass 01", "pass 02") || has(body, "pass 03") || strings.Contains(body, `rel="next"`) {
			t.Errorf("second page:\n%s", body)
		}
		resp, body = w.get(t, w.f.Manager, page)
		wantPage(t, resp, body, "55 proposals; 1 to 50 are shown")
		for _, bad := range []string{"outcome=maybe", "rule=%01x", "offset=-1", "offset=x"} {
			resp, body = w.get(t, w.f.Manager, page+"?"+bad)
			field := strings.SplitN(bad, "=", 2)[0]
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, field) {
				t.Errorf("%s: %d", bad, resp.StatusCode)
			}
		}
	})
}

// TestPortalConflicts: a reviewer declares a conflict with an
// organization on their page; assignment then keeps them off its
// proposal, which goes to the other reviewer; the conflicted one does not
// see it in their queue and gets not-found on its page; the manager sees
// both the declared conflict and an apparent one (a past affiliation) on
// the conflicts page, waives the apparent one with a reason and cannot
// waive the real one; the call page shows the review progress.
func TestPortalConflicts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, byTitle)
		sys := storetest.As(pactum.SystemUser())
		mk := func(email, name string, prof pactum.ReviewerProfile) *pactum.User {
			u := &pactum.User{Email: email, Name: name, Role: pactum.RoleReviewer}
			if err := w.app.CreateUser(sys, u); err != nil {
				t.Fatal(err)
			}
			w.users["s-"+u.ID] = u
			prof.UserID = u.ID
			if err := w.app.UpdateReviewerProfile(storetest.As(u), &prof); err != nil {
				t.Fatal(err)
			}
			return u
		}
		eva := mk("eva@uni.example", "Eva Ethicist", pactum.ReviewerProfile{Expertise: []string{pactum.EthicsExpertise}})
		// Fay left Bora Vision a year ago: an apparent conflict there.
		fay := mk("fay@uni.example", "Fay Fairweather", pactum.ReviewerProfile{Expertise: []string{pactum.EthicsExpertise},
			Affiliations: []pactum.Affiliation{{Organization: "Bora Vision SAS", From: pactum.MustDate("2019-01-01"),
				Until: pactum.DateOf(time.Now().UTC().AddDate(-1, 0, 0))}}})

		resp, body := w.get(t, eva, "/portal/reviewer")
		wantPage(t, resp, body, "Your reviews", "You have declared no conflict", `action="/portal/reviewer/conflicts"`)
		resp, body = w.post(t, eva, "/portal/reviewer/conflicts", url.Values{"organization": {"Aleph Lingua GmbH"}, "reason": {""}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "reason") || !strings.Contains(body, `value="Aleph Lingua GmbH"`) {
			t.Fatalf("declaration without a reason: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = w.post(t, eva, "/portal/reviewer/conflicts", url.Values{"organization": {"Aleph Lingua GmbH"}, "reason": {"My brother is its CTO."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/reviewer?done=declared" {
			t.Fatalf("declare: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, eva, "/portal/reviewer?done=declared")
		wantPage(t, resp, body, "Your declaration is saved", "Aleph Lingua GmbH", "My brother is its CTO.")

		pa := storetest.NewProposal(w.f.Call.ID)
		pa.Title = "refer Aleph"
		if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantA), pa); err != nil {
			t.Fatal(err)
		}
		pb := storetest.NewProposal(w.f.Call.ID)
		pb.Title = "refer Bora"
		if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantB), pb); err != nil {
			t.Fatal(err)
		}
		rep, err := w.app.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics)
		if err != nil {
			t.Fatal(err)
		}
		who := map[string]string{}
		for _, a := range rep.Assignments {
			who[a.ProposalID] = a.ReviewerID
		}
		if who[pa.ID] != fay.ID || who[pb.ID] != eva.ID {
			t.Fatalf("assignments %v: want Aleph's to Fay, Bora's to Eva", who)
		}
		resp, body = w.get(t, eva, "/portal/")
		wantPage(t, resp, body, "refer Bora", "Reviews due")
		if strings.Contains(body, pa.ID) || strings.Contains(body, "refer Aleph") {
			t.Error("the conflicted reviewer's queue shows the proposal")
		}
		if resp, body = w.get(t, eva, "/portal/proposals/"+pa.ID); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "refer Aleph") {
			t.Errorf("the conflicted reviewer reads the proposal: %d", resp.StatusCode)
		}

		// A year on, Fay's review is past the decision target: overdue.
		late, err := web.New(web.Config{Services: w.app, Now: func() time.Time { return time.Now().AddDate(1, 0, 0) },
			Session: func(*http.Request) (*pactum.User, string, error) { return fay, "csrf", nil }})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		late.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/", nil))
		if b := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(b, "<dt>Overdue</dt><dd>1</dd>") ||
			!strings.Contains(b, `<tr class="overdue"><td><a href="/portal/proposals/`+pa.ID+`">refer Aleph</a>`) || !strings.Contains(b, "(overdue)") {
			t.Errorf("a year on, Fay's queue does not mark the review overdue: %d\n%s", rec.Code, b)
		}
		resp, body = w.get(t, fay, "/portal/")
		wantPage(t, resp, body, "<dt>Overdue</dt><dd>0</dd>", "refer Aleph")
		if strings.Contains(body, "(overdue)") {
			t.Error("a review due next year is marked overdue")
		}

		resp, body = w.get(t, w.f.Manager, "/portal/conflicts")
		wantPage(t, resp, body, "Eva Ethicist", "declared", "My brother is its CTO.", "Fay Fairweather", "recent organization", "cannot be waived", "2 conflicts")
		cs, _, err := w.app.FindConflicts(storetest.As(w.f.Manager), pactum.ConflictFilter{ReviewerID: &fay.ID})
		if err != nil || len(cs) != 1 || cs[0].Severity != pactum.SeverityApparent {
			t.Fatalf("Fay's conflicts %+v %v", cs, err)
		}
		ecs, _, err := w.app.FindConflicts(storetest.As(w.f.Manager), pactum.ConflictFilter{ReviewerID: &eva.ID})
		if err != nil || len(ecs) != 1 {
			t.Fatalf("Eva's conflicts %+v %v", ecs, err)
		}
		if !strings.Contains(body, `action="/portal/conflicts/`+cs[0].ID+`/waive"`) || strings.Contains(body, `action="/portal/conflicts/`+ecs[0].ID+`/waive"`) {
			t.Error("the waiver form is not offered for the apparent conflict only")
		}
		if resp, body = w.post(t, w.f.Manager, "/portal/conflicts/"+ecs[0].ID+"/waive", url.Values{"reason": {"x"}}); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(body, "cannot be waived") {
			t.Errorf("waiving a real conflict: %d", resp.StatusCode)
		}
		if resp, _ = w.post(t, w.f.Auditor, "/portal/conflicts/"+cs[0].ID+"/waive", url.Values{"reason": {"x"}}); resp.StatusCode == http.StatusSeeOther {
			t.Error("an auditor waives a conflict")
		}
		resp, _ = w.post(t, w.f.Manager, "/portal/conflicts/"+cs[0].ID+"/waive", url.Values{"reason": {"Left long before the project began."}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("waive: %d", resp.StatusCode)
		}
		resp, body = w.get(t, w.f.Manager, "/portal/conflicts?status=waived")
		wantPage(t, resp, body, "1 conflict", "Left long before the project began.", "Fay Fairweather")
		if strings.Contains(body, "Eva Ethicist") {
			t.Error("the status filter lets an active conflict through")
		}
		if resp, _ = w.get(t, eva, "/portal/conflicts"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a reviewer reads all conflicts: %d", resp.StatusCode)
		}
		if resp, _ = w.get(t, w.f.Manager, "/portal/reviewer"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the reviewer page for a manager: %d", resp.StatusCode)
		}

		// Fay reviews; the call page counts the ethics stage.
		if _, err := w.app.SubmitReview(storetest.As(fay), pa.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAccept, CommentsForApplicant: "Fine."}); err != nil {
			t.Fatal(err)
		}
		resp, body = w.get(t, w.f.Manager, "/portal/calls/"+w.f.Call.ID)
		wantPage(t, resp, body, "Review progress", `<th scope="row">ethics</th><td>2</td><td>1</td><td>1</td><td>0</td>`,
			"1 active conflict on the call", "Eva Ethicist", "My brother is its CTO.", `href="/portal/conflicts?call=`+w.f.Call.ID+`"`)
		if strings.Contains(body, "Fay Fairweather") {
			t.Error("the call page lists the waived conflict as active")
		}
		resp, body = w.get(t, w.f.Manager, "/portal/conflicts?call="+w.f.Call.ID)
		wantPage(t, resp, body, "2 conflicts", w.f.Call.Title, `name="call" value="`+w.f.Call.ID+`"`)
		if resp, _ = w.get(t, w.f.Manager, "/portal/conflicts?call=nope"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("conflicts of an unknown call: %d", resp.StatusCode)
		}
		// Another call has no conflicts.
		other := &pactum.Call{Title: "Another call", Description: "d", OpensAt: w.f.Call.OpensAt, CutoffAt: w.f.Call.CutoffAt,
			Modes: w.f.Call.Modes, SystemIDs: w.f.Call.SystemIDs}
		if err := w.app.CreateCall(storetest.As(w.f.Manager), other); err != nil {
			t.Fatal(err)
		}
		resp, body = w.get(t, w.f.Manager, "/portal/conflicts?call="+other.ID)
		wantPage(t, resp, body, "0 conflicts")
		resp, body = w.get(t, fay, "/portal/")
		wantPage(t, resp, body, "<dt>Assigned</dt><dd>1</dd>", "<dt>Done</dt><dd>1</dd>", "<dt>Due</dt><dd>0</dd>")
	})
}
