// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// policyScreener is the ruleset in force, with its questionnaire.
func policyScreener(t testing.TB) pactum.Screener {
	t.Helper()
	rs, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	return policy.NewScreener(rs)
}

// TestPortalWizard: the applicant sees the open call, starts a draft with
// only a title, which is saved incomplete; each step lists what it still
// needs, named by field; the live pre-screen answers a fragment with the
// missing fields, then, once complete, the findings with their legal
// basis; a malformed value is refused with the field named and the typed
// value kept; submitting an incomplete draft is refused, a complete one
// goes through; another organization cannot open the draft.
func TestPortalWizard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, policyScreener(t))
		a := w.f.ApplicantA
		resp, body := w.get(t, a, "/portal/apply")
		wantPage(t, resp, body, "Calls open now", w.f.Call.Title, "Start a proposal", `href="/portal/apply/`+w.f.Call.ID+`"`, "fast lane")

		resp, body = w.get(t, a, "/portal/apply/"+w.f.Call.ID)
		wantPage(t, resp, body, `action="/portal/apply/`+w.f.Call.ID+`"`, `name="title"`)
		resp, _ = w.post(t, a, "/portal/apply/"+w.f.Call.ID, url.Values{"csrf_token": {"csrf-s-" + a.ID}, "step": {"project"}, "title": {"Legal LLM"}, "go": {"next"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/drafts/") || !strings.HasSuffix(loc, "?step=resources") {
			t.Fatalf("create draft: %d %q", resp.StatusCode, loc)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/portal/drafts/"), "?step=resources")
		p, err := w.app.FindProposalByID(storetest.As(a), id)
		if err != nil || p.State != pactum.ProposalDraft || p.Title != "Legal LLM" {
			t.Fatalf("draft %+v %v", p, err)
		}
		draft := "/portal/drafts/" + id
		resp, body = w.get(t, a, "/portal/proposals/"+id)
		wantPage(t, resp, body, `href="/portal/drafts/`+id+`"`, "Continue the draft")
		resp, body = w.get(t, a, draft+"?step=project")
		wantPage(t, resp, body, "This step still needs", `data-field="summary"`, `data-field="mode"`, "to do)", `hx-post="`+draft+`/prescreen"`)
		resp, body = w.get(t, a, draft+"?step=resources")
		wantPage(t, resp, body, "must ask for at least one system", "leonardo-booster", "Time to train")
		if resp, _ = w.get(t, w.f.ApplicantB, draft); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another organization opens the draft: %d", resp.StatusCode)
		}

		// A malformed value is refused, named, and kept.
		resp, body = w.post(t, a, draft, url.Values{"step": {"project"}, "title": {"Legal LLM"}, "duration_months": {"99"}, "summary": {"Kept text"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "duration months") || !strings.Contains(body, "Kept text") {
			t.Fatalf("malformed step: %d\n%s", resp.StatusCode, body)
		}
		// Submitting now is refused with what is missing.
		resp, body = w.post(t, a, draft+"/submit", url.Values{"step": {"submit"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not complete yet") {
			t.Fatalf("incomplete submit: %d", resp.StatusCode)
		}

		// The live pre-screen: the project step as typed, nothing saved.
		resp, body = w.post(t, a, draft+"/prescreen", url.Values{"step": {"project"}, "title": {"Legal LLM"}, "summary": {"A summary."}, "mode": {"fast_lane"}, "duration_months": {"6"}})
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, "to complete before the proposal can be submitted") ||
			strings.Contains(body, "<strong>summary</strong>") || !strings.Contains(body, "Resources") {
			t.Fatalf("prescreen fragment: %d\n%s", resp.StatusCode, body)
		}
		if p, _ := w.app.FindProposalByID(storetest.As(a), id); p.Summary != "" {
			t.Error("the pre-screen saved the draft")
		}

		// Complete the draft through the use case, then answer the
		// questionnaire through its step.
		full := storetest.NewProposal(w.f.Call.ID)
		full.ID, full.Questionnaire = id, nil
		if err := w.app.UpdateProposal(storetest.As(a), full); err != nil {
			t.Fatal(err)
		}
		q, err := w.app.Questionnaire(storetest.As(a))
		if err != nil {
			t.Fatal(err)
		}
		resp, body = w.get(t, a, draft+"?step=aiact")
		wantPage(t, resp, body, q.Questions[0].Text, q.Questions[0].Basis, "not answered yet (yes, no or unsure)")
		form := url.Values{"step": {"aiact"}, "go": {"next"}}
		for _, x := range q.Questions {
			form.Set("q."+x.ID, "no")
		}
		form.Set("q."+q.Questions[0].ID, "unsure")
		if resp, _ = w.post(t, a, draft, form); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "step=ethics") {
			t.Fatalf("save questionnaire: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, a, draft+"?step=submit")
		wantPage(t, resp, body, "it would go to a person for review first", "legal basis: "+q.Questions[0].Basis, "answered unsure")
		resp, _ = w.post(t, a, draft+"/submit", url.Values{"step": {"submit"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/proposals/"+id+"?done=submitted" {
			t.Fatalf("submit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if p, _ := w.app.FindProposalByID(storetest.As(a), id); p.State != pactum.ProposalInReview {
			t.Errorf("submitted: %s", p.State)
		}
		if resp, _ = w.get(t, a, draft); resp.StatusCode != http.StatusConflict {
			t.Errorf("the wizard of a submitted proposal: %d", resp.StatusCode)
		}
		resp, body = w.get(t, a, "/portal/models")
		wantPage(t, resp, body, "registered no model yet")
	})
}

// TestPortalAcknowledgeAndModels: the applicant acknowledges an award's
// condition on the allocation page (an empty statement is refused with
// the form kept, another organization gets not found, a reviewer may not);
// the models page draws each model against 10^23 and 10^25 with its text
// alternative, and shows another organization none of them.
func TestPortalAcknowledgeAndModels(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, policyScreener(t))
		a := w.f.ApplicantA
		as := storetest.As(a)
		p := storetest.NewProposal(w.f.Call.ID) // talks with people, generates content: Art. 50 conditions
		if err := w.app.SubmitNewProposal(as, p); err != nil || p.State != pactum.ProposalApproved {
			t.Fatalf("submit: %s %v", p.State, err)
		}
		als, _, err := w.app.FindAllocations(as, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) != 1 {
			t.Fatalf("allocations %v %v", als, err)
		}
		al := als[0]
		conds, err := w.app.FindConditions(as, al.ID)
		if err != nil || len(conds) == 0 {
			t.Fatalf("conditions %v %v", conds, err)
		}
		page := "/portal/allocations/" + al.ID
		resp, body := w.get(t, a, page)
		wantPage(t, resp, body, "Not met yet", `action="`+page+`/acknowledge"`, `value="`+conds[0].RuleID+`"`, "How you meet this condition")
		resp, body = w.get(t, w.f.Manager, page)
		wantPage(t, resp, body, "Not met yet")
		if strings.Contains(body, "/acknowledge") {
			t.Error("an access manager is offered the applicant's acknowledgement form")
		}

		resp, body = w.post(t, a, page+"/acknowledge", url.Values{"rule_id": {conds[0].RuleID}, "statement": {" "}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("empty statement: %d", resp.StatusCode)
		}
		if resp, _ = w.post(t, w.f.ApplicantB, page+"/acknowledge", url.Values{"rule_id": {conds[0].RuleID}, "statement": {"Mine now."}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another organization acknowledges: %d", resp.StatusCode)
		}
		resp, _ = w.post(t, a, page+"/acknowledge", url.Values{"rule_id": {conds[0].RuleID}, "statement": {"A banner says so."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done=acknowledged" {
			t.Fatalf("acknowledge: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, a, page+"?done=acknowledged")
		wantPage(t, resp, body, "Your acknowledgement is recorded.", "A banner says so.")
		if got, _ := w.app.FindConditions(as, al.ID); !got[0].Met || got[0].Statement != "A banner says so." {
			t.Errorf("stored condition %+v", got[0])
		}

		if _, err := w.app.CreateModel(as, &pactum.Model{Name: "aleph-7b", Version: "2", BaseModel: "open-7b", BaseModelFLOP: 5e22}); err != nil {
			t.Fatal(err)
		}
		resp, body = w.get(t, a, "/portal/models")
		wantPage(t, resp, body, "aleph-7b", "version 2", `role="img"`, `class="threshold"`, "cumulative training compute 5.0e&#43;22 FLOP",
			"50 % of 10^23 FLOP", "0.5 % of 10^25 FLOP", "10²³ general-purpose", "10²⁵ systemic risk")
		resp, body = w.get(t, w.f.ApplicantB, "/portal/models")
		wantPage(t, resp, body, "registered no model yet")
	})
}
