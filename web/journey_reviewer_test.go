// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestReviewerJourneyInBrowser is the reviewer's review with a conflict
// kept out, in Chromium: Eva declares a conflict with Aleph Lingua on her
// page; Aleph's large-scale proposal reaches peer review and assignment
// keeps Eva off it (it is not in her queue, and its page is not found for
// her), while Fay scores it through the form against the call's rubric;
// the access manager sees Eva's conflict on the conflicts page and the
// review progress on the call page. Every page passes axe-core at a
// desktop and a phone width, and its screenshot is written.
func TestReviewerJourneyInBrowser(t *testing.T) {
	ctx := browser(t)
	w := newServedPortal(t)
	sys := storetest.As(pactum.SystemUser())
	mk := func(email, name string) *pactum.User {
		u := &pactum.User{Email: email, Name: name, Role: pactum.RoleReviewer}
		if err := w.app.CreateUser(sys, u); err != nil {
			t.Fatal(err)
		}
		if err := w.app.UpdateReviewerProfile(storetest.As(u), &pactum.ReviewerProfile{UserID: u.ID, Expertise: []string{"language_model", "text"}}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	eva, fay := mk("eva@uni.example", "Eva Evers"), mk("fay@uni.example", "Fay Fairweather")
	dir := screenshotDir(t)
	shoot := func(name, path, wantMain string) {
		t.Helper()
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
			n := "reviewer-journey-" + name + "-" + size.name
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			if err := chromedp.Do(cctx, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(w.url+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			main, err := chromedp.Run(cctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil || !strings.Contains(main, wantMain) {
				t.Errorf("%s: no %q in the page: %q %v", n, wantMain, main, err)
			}
			shot, err := chromedp.Run(cctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", n, err)
			}
			if err := os.WriteFile(filepath.Join(dir, n+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, cctx, n)
			cancel()
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// Eva declares her conflict with Aleph Lingua on her page.
	w.signIn(t, ctx, eva)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.url+"/portal/"),
		chromedp.Click(chromedp.CSS(`nav a[href="/portal/reviewer"]`)), chromedp.WaitVisible(chromedp.CSS("#declare-org")),
		chromedp.SendKeys(chromedp.CSS("#declare-org"), "Aleph Lingua GmbH"),
		chromedp.SendKeys(chromedp.CSS("#declare-reason"), "My brother is its CTO."),
		chromedp.Click(chromedp.CSS("form.declare button")), chromedp.WaitVisible(chromedp.CSS(".notice.ok"))); err != nil {
		t.Fatal(err)
	}
	if m := text("main"); !strings.Contains(m, "Aleph Lingua GmbH") || !strings.Contains(m, "My brother is its CTO.") {
		t.Errorf("the declaration is not listed: %q", m)
	}
	shoot("declared", "/portal/reviewer?done=declared", "Conflicts you declared")

	// Aleph's large-scale proposal on LUMI passes the technical stage
	// (CSC's operator) and reaches peer review.
	p := storetest.NewProposal(w.f.Call.ID)
	p.Mode, p.Title, p.DurationMonths, p.MinViableFraction = pactum.ModeLargeScale, "Legal LLM continued pre-training", 6, 0.9
	p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 5000, StorageTB: 10}}
	if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil || p.State != pactum.ProposalInReview {
		t.Fatalf("submit: %s %v", p.State, err)
	}
	if _, err := w.app.SubmitReview(storetest.As(w.f.Operator), p.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAccept,
		CommentsForApplicant: "Runs on LUMI-G.", Systems: []pactum.SystemAssessment{{SystemID: "lumi-g", Feasible: true, SoftwareFits: true, ScalabilityEvidence: true}}}); err != nil {
		t.Fatal(err)
	}
	mgr := storetest.As(w.f.Manager)
	if tr, err := w.app.AdvanceReview(mgr, p.ID); err != nil || tr.Stage != pactum.StagePeer {
		t.Fatalf("advance: %+v %v", tr, err)
	}
	rep, err := w.app.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rep.Assignments {
		if a.ReviewerID == eva.ID {
			t.Fatal("the conflicted reviewer was assigned")
		}
	}
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].ReviewerID != eva.ID || rep.Conflicts[0].Reason != pactum.ConflictDeclared {
		t.Fatalf("conflicts at assignment: %+v", rep.Conflicts)
	}

	// Eva does not see it, and its page is not found for her.
	shoot("conflicted-queue", "/portal/", "No review is due")
	if m := text("main"); strings.Contains(m, p.Title) {
		t.Error("the conflicted reviewer's queue shows the proposal")
	}
	shoot("conflicted-not-found", "/portal/proposals/"+p.ID, "not found")
	if m := text("main"); strings.Contains(m, p.Title) {
		t.Error("the conflicted reviewer reads the proposal")
	}

	// Fay reviews it through the form, against the rubric.
	w.signIn(t, ctx, fay)
	shoot("queue", "/portal/", p.Title)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.url+"/portal/"),
		chromedp.Click(chromedp.CSS(`a[href="/portal/proposals/`+p.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS("form.review"))); err != nil {
		t.Fatal(err)
	}
	shoot("review-form", "/portal/proposals/"+p.ID, "Your peer review")
	rubric, err := w.app.FindRubric(mgr, w.f.Call.ID)
	if err != nil {
		t.Fatal(err)
	}
	var fill []chromedp.Action[chromedp.Void]
	for _, c := range rubric.Criteria {
		fill = append(fill, chromedp.SetValue(chromedp.CSS("#score-"+c.ID), "4"))
	}
	fill = append(fill, chromedp.Click(chromedp.CSS("#rec-accept")), chromedp.SendKeys(chromedp.CSS("#comments"), "Sound plan; the scaling data convince."),
		chromedp.Click(chromedp.CSS("form.review button")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if err := chromedp.Do(ctx, fill...); err != nil {
		t.Fatal(err)
	}
	rs, err := w.app.FindReviews(mgr, p.ID, pactum.ReviewFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var peer *pactum.Review
	for _, r := range rs {
		if r.Stage == pactum.StagePeer {
			peer = r
		}
	}
	if peer == nil || peer.ReviewerID != fay.ID || len(peer.Scores) != len(rubric.Criteria) || peer.Scores[0].Score != 4 {
		t.Fatalf("Fay's peer review: %+v", peer)
	}
	shoot("reviewed-queue", "/portal/", "Done")

	// The manager sees Eva's conflict and the review progress.
	w.signIn(t, ctx, w.f.Manager)
	shoot("manager-conflicts", "/portal/conflicts", "Eva Evers")
	if m := text("main"); !strings.Contains(m, "My brother is its CTO.") || !strings.Contains(m, "cannot be waived") {
		t.Errorf("the conflicts page: %q", m)
	}
	shoot("manager-call", "/portal/calls/"+w.f.Call.ID+"?mode=large_scale", "Review progress")
	if c := text("section[aria-labelledby=call-conflicts-h]"); !strings.Contains(c, "Eva Evers") || !strings.Contains(c, "1 active conflict") {
		t.Errorf("the call page's conflicts: %q", c)
	}
	progress := text("section[aria-labelledby=progress-h] tbody")
	if !strings.Contains(progress, "peer") {
		t.Errorf("review progress: %q", progress)
	}
	t.Logf("screenshots in %s; peer progress %q", dir, progress)
}
