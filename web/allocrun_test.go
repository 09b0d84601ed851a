// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// rankedCall opens a development-access call on Leonardo and MN5 (a
// rolling mode that is peer reviewed, so it can be ranked and allocated
// before its cut-off) and takes n proposals of the fixture's two
// applicants through the whole review with the use cases: technical
// assessment by each site, peer review by two reviewers (proposal i
// scored 5 − i%3 on every criterion), the applicant's reply, and the
// panel. It returns the call and the proposals.
func rankedCall(t testing.TB, app *usecase.App, f *storetest.Fixture, n int) (*pactum.Call, []*pactum.Proposal) {
	t.Helper()
	sys, mgr := storetest.As(pactum.SystemUser()), storetest.As(f.Manager)
	modes, err := catalog.Modes()
	if err != nil {
		t.Fatal(err)
	}
	var dev []pactum.CallMode
	for _, m := range modes {
		if m.Mode == pactum.ModeDevelopment {
			dev = append(dev, m)
		}
	}
	now := time.Now().UTC()
	call := &pactum.Call{Title: "Development access 2027", Description: "Rolling development access on Leonardo and MN5.",
		OpensAt: now.Add(-time.Hour), CutoffAt: now.Add(90 * 24 * time.Hour), Modes: dev, SystemIDs: []string{"leonardo-booster", "mn5-acc"}}
	if err := app.CreateCall(mgr, call); err != nil {
		t.Fatal(err)
	}
	ops := map[string]*pactum.User{}
	for _, site := range []string{"CINECA", "BSC"} {
		u := &pactum.User{Email: "ops@" + strings.ToLower(site) + ".example", Name: "Operator " + site, Role: pactum.RoleSiteOperator, Site: site}
		if err := app.CreateUser(sys, u); err != nil {
			t.Fatal(err)
		}
		ops[site] = u
	}
	reviewers := map[string]*pactum.User{f.Reviewer.ID: f.Reviewer}
	for _, e := range []string{"rev1@uni.example", "rev2@uni.example"} {
		u := &pactum.User{Email: e, Name: "Reviewer " + e[:4], Role: pactum.RoleReviewer}
		if err := app.CreateUser(sys, u); err != nil {
			t.Fatal(err)
		}
		if err := app.UpdateReviewerProfile(storetest.As(u), &pactum.ReviewerProfile{UserID: u.ID, Expertise: []string{"language_model", "text"}}); err != nil {
			t.Fatal(err)
		}
		reviewers[u.ID] = u
	}
	var props []*pactum.Proposal
	score := map[string]int{}
	for i := range n {
		p := storetest.NewProposal(call.ID)
		p.Mode, p.DurationMonths, p.MinViableFraction = pactum.ModeDevelopment, 6, 0.5
		p.Title = fmt.Sprintf("%s %d", []string{"Legal-domain model", "Speech recogniser", "Code assistant"}[i%3], i+1)
		p.Requests = []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 8000 + 1000*float64(i%4), StorageTB: 5}}
		if i%2 == 1 {
			p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: "mn5-acc", Amount: 6000, StorageTB: 5})
		}
		applicant := f.ApplicantA
		if i%2 == 1 {
			applicant = f.ApplicantB
		}
		if err := app.SubmitNewProposal(storetest.As(applicant), p); err != nil {
			t.Fatal(err)
		}
		props = append(props, p)
		score[p.ID] = 5 - i%3
		for site, sysID := range map[string]string{"CINECA": "leonardo-booster", "BSC": "mn5-acc"} {
			if p.Request(sysID) == nil {
				continue
			}
			in := pactum.ReviewInput{Recommendation: pactum.RecommendAccept, CommentsForApplicant: "Runs on our system.",
				Systems: []pactum.SystemAssessment{{SystemID: sysID, Feasible: true, SoftwareFits: true, ScalabilityEvidence: true}}}
			if _, err := app.SubmitReview(storetest.As(ops[site]), p.ID, in); err != nil {
				t.Fatalf("technical review: %v", err)
			}
		}
		if _, err := app.AdvanceReview(mgr, p.ID); err != nil {
			t.Fatalf("to peer review: %v", err)
		}
	}
	rep, err := app.AssignReviewers(mgr, call.ID, pactum.StagePeer)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rep.Assignments {
		u := reviewers[a.ReviewerID]
		if u == nil {
			t.Fatalf("assigned an unexpected reviewer %s", a.ReviewerID)
		}
		s := score[a.ProposalID]
		in := pactum.ReviewInput{Recommendation: pactum.RecommendAccept, CommentsForApplicant: "Solid plan.",
			Scores: []pactum.CriterionScore{{Criterion: "excellence", Score: s}, {Criterion: "impact", Score: s},
				{Criterion: "implementation", Score: s}, {Criterion: "responsibility", Score: s}}}
		if _, err := app.SubmitReview(storetest.As(u), a.ProposalID, in); err != nil {
			t.Fatalf("peer review: %v", err)
		}
	}
	for i, p := range props {
		if _, err := app.AdvanceReview(mgr, p.ID); err != nil {
			t.Fatalf("to reply: %v", err)
		}
		applicant := f.ApplicantA
		if i%2 == 1 {
			applicant = f.ApplicantB
		}
		if _, err := app.SubmitReply(storetest.As(applicant), p.ID, "Thank you; we will share the checkpoints."); err != nil {
			t.Fatalf("reply: %v", err)
		}
		if _, err := app.AdvanceReview(mgr, p.ID); err != nil {
			t.Fatalf("to panel: %v", err)
		}
	}
	if _, err := app.RankPanel(mgr, call.ID, pactum.PanelInput{}); err != nil {
		t.Fatal(err)
	}
	return call, props
}

var runLink = regexp.MustCompile(`/portal/runs/([0-9a-zA-Z_-]+)`)

// TestPortalAllocationRuns: the manager reaches the runs from the call
// page, runs an allocation, sees its outcomes, systems and proven gap,
// runs a what-if with Leonardo cut to 20,000 GPU-h and sees what changed;
// a refused what-if keeps the form and names the field; an auditor reads
// but gets no forms; an applicant is refused; publishing decides the
// proposals and cannot be repeated.
func TestPortalAllocationRuns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		call, props := rankedCall(t, w.app, w.f, 6)
		callPage := "/portal/calls/" + call.ID
		resp, body := w.get(t, w.f.Manager, callPage)
		wantPage(t, resp, body, "Ranked by panel score", callPage+"/runs", props[0].Title)

		resp, body = w.get(t, w.f.Manager, callPage+"/runs")
		wantPage(t, resp, body, "Run the allocation", "No run yet.", `name="org_cap_share" inputmode="decimal" value="25"`)
		resp, _ = w.post(t, w.f.Manager, callPage+"/runs", url.Values{"org_cap_share": {"100"}, "reserved_share": {"0"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create run: %d", resp.StatusCode)
		}
		runPage := resp.Header.Get("Location")
		resp, body = w.get(t, w.f.Manager, runPage)
		wantPage(t, resp, body, "Allocation run: Development access 2027", "Proven gap", "4 full, 0 cut, 2 refused",
			"leonardo-booster", "Run the what-if", "Publish this run", `name="capacity.leonardo-booster"`)

		// A what-if the use case refuses: the form comes back with the
		// field named and what was typed.
		resp, body = w.post(t, w.f.Manager, runPage+"/whatif", url.Values{"capacity.leonardo-booster": {"-5"}, "capacity.mn5-acc": {"abc"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "capacity.mn5-acc") || !strings.Contains(body, `value="abc"`) {
			t.Errorf("refused what-if: %d\n%s", resp.StatusCode, body)
		}
		resp, body = w.post(t, w.f.Manager, runPage+"/whatif", url.Values{"capacity.leonardo-booster": {"-5"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "capacities.leonardo-booster") || !strings.Contains(body, `value="-5"`) {
			t.Errorf("refused what-if capacity: %d\n%s", resp.StatusCode, body)
		}

		// Leonardo cut to 20,000 GPU-h: 6 proposals asked 8,000–11,000 each.
		resp, _ = w.post(t, w.f.Manager, runPage+"/whatif", url.Values{"capacity.leonardo-booster": {"20000"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("what-if: %d", resp.StatusCode)
		}
		whatIfPage := strings.TrimSuffix(resp.Header.Get("Location"), "#changes")
		resp, body = w.get(t, w.f.Manager, whatIfPage)
		wantPage(t, resp, body, "What-if run: Development access 2027", "What changed", "(warm start)",
			"leonardo-booster set to 20,000 GPU-hours", "Proposals refused")
		if strings.Count(body, "refused") < 3 {
			t.Errorf("the what-if refuses nobody:\n%s", body)
		}
		run, _, err := w.app.FindAllocationRuns(storetest.As(w.f.Manager), pactum.AllocationRunFilter{CallID: &call.ID, Limit: 1})
		if err != nil || len(run) != 1 || run[0].BaseRunID == "" || run[0].Params.Capacities["leonardo-booster"] != 20000 {
			t.Fatalf("newest run %+v %v", run, err)
		}
		if run[0].Params.OrgCapGPUHours == 0 || run[0].Params.ReservedShare != 0 {
			t.Errorf("the what-if did not keep the base run's parameters: %+v", run[0].Params)
		}

		// The auditor reads without forms; an applicant is refused.
		resp, body = w.get(t, w.f.Auditor, whatIfPage)
		wantPage(t, resp, body, "What changed")
		if strings.Contains(body, "Run the what-if") || strings.Contains(body, "Publish this run") {
			t.Error("the auditor is offered the manager's forms")
		}
		if resp, _ = w.get(t, w.f.ApplicantA, whatIfPage); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an applicant on a run: %d", resp.StatusCode)
		}
		if resp, _ = w.post(t, w.f.Auditor, whatIfPage+"/publish", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an auditor publishing: %d", resp.StatusCode)
		}

		resp, _ = w.post(t, w.f.Manager, whatIfPage+"/publish", url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", resp.StatusCode)
		}
		resp, body = w.get(t, w.f.Manager, resp.Header.Get("Location"))
		wantPage(t, resp, body, "Published: the proposals are decided")
		if strings.Contains(body, "Publish this run") {
			t.Error("a published run offers to publish again")
		}
		// The base run's inputs changed: publishing it is refused, on its page.
		resp, body = w.post(t, w.f.Manager, runPage+"/publish", url.Values{})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "changed since allocation run") {
			t.Errorf("publishing a stale run: %d", resp.StatusCode)
		}
		accepted := 0
		for _, p := range props {
			got, err := w.app.FindProposalByID(storetest.As(w.f.Manager), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == pactum.ProposalAccepted {
				accepted++
			}
		}
		if accepted == 0 || accepted == len(props) {
			t.Errorf("%d of %d accepted after publishing the what-if", accepted, len(props))
		}
		if runs := runLink.FindAllString(body, -1); len(runs) == 0 {
			t.Error("the run page links no run")
		}
	})
}
