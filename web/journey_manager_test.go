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

// TestManagerJourney is the access manager's journey in Chromium: opening a
// call with the form; then from the overview to a call whose proposals
// the panel ranked, to its allocation runs; a run; a what-if with Leonardo cut to 20,000 GPU-hours that shows
// what changed and the new proven gap; publishing it. Every page is
// checked for its content, passes axe-core's WCAG 2.1 AA rules with no
// serious violation, and is shot at a desktop and a phone width.
func TestManagerJourney(t *testing.T) {
	ctx := browser(t)
	w := newServedPortal(t)
	call, props := rankedCall(t, w.app, w.f, 6)
	dir := screenshotDir(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	// shoot checks the page in view at both widths and writes its
	// screenshots; it leaves the browser at the desktop width.
	shoot := func(name string) {
		t.Helper()
		for _, size := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, "manager-journey-"+name+"-"+size.name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, ctx, name+"-"+size.name)
		}
	}
	// main returns the text of the page's main element.
	main := func(step string, wants ...string) string {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s: no %q on the page:\n%s", step, want, text)
			}
		}
		return text
	}

	w.signIn(t, ctx, w.f.Manager)
	// Open a call from the overview: large scale with its default terms
	// on the systems the form offers, ticked by default.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.url+"/portal/"),
		chromedp.Click(chromedp.CSS(`main a[href="/portal/calls/new"]`)), chromedp.WaitVisible(chromedp.CSS("#c-title"))); err != nil {
		t.Fatalf("open the call form: %v", err)
	}
	main("call form", "Open a call", "large scale", "Systems offered")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#c-title"), "Large-scale AI 2027"),
		chromedp.SendKeys(chromedp.CSS("#c-description"), "Foundation models in European languages."),
		chromedp.Click(chromedp.CSS(`input[name="mode"][value="large_scale"]`))); err != nil {
		t.Fatalf("fill the call form: %v", err)
	}
	shoot("open-call")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.call-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[role="status"]`))); err != nil {
		t.Fatalf("open the call: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`details.terms summary`))); err != nil {
		t.Fatalf("the call's terms: %v", err)
	}
	main("call opened", "The call is open on the terms below", "Large-scale AI 2027", "large scale", "ranked after the cut-off", "50,000 to no cap")
	shoot("call-opened")
	opened, n, err := w.app.FindCalls(storetest.As(w.f.Manager), pactum.CallFilter{Limit: 1})
	if err != nil || n == 0 || opened[0].Title != "Large-scale AI 2027" || len(opened[0].Modes) != 1 || opened[0].Modes[0].Mode != pactum.ModeLargeScale ||
		opened[0].Modes[0].MinGPUHours != 50000 {
		t.Fatalf("the opened call: %+v %v", opened, err)
	}

	// The overview lists the ranked call; its page shows the panel's ranking.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.url+"/portal/"),
		chromedp.Click(chromedp.CSS(`main a[href="/portal/calls/`+call.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS("#ranking-h"))); err != nil {
		t.Fatalf("open the call: %v", err)
	}
	main("call", "Development access 2027", "The panel's ranking", "Allocation runs", props[0].Title)
	ranking, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`section[aria-labelledby="ranking-h"] tbody`)))
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.Index(ranking, "Legal-domain model 1"); first < 0 || first > strings.Index(ranking, "Speech recogniser 2") ||
		strings.Index(ranking, "Speech recogniser 2") > strings.Index(ranking, "Code assistant 3") {
		t.Errorf("the ranking is not by score (5, 4, 3):\n%s", ranking)
	}
	shoot("call")

	// The call's runs: none yet; run one with the defaults.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/portal/calls/`+call.ID+`/runs"]`)), chromedp.WaitVisible(chromedp.CSS("#runs-h"))); err != nil {
		t.Fatal(err)
	}
	main("runs", "Run an allocation", "No run yet.")
	shoot("runs")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/runs"] button`)), chromedp.WaitVisible(chromedp.CSS("#outcomes-h"))); err != nil {
		t.Fatalf("run: %v", err)
	}
	main("run", "Allocation run: Development access 2027", "4 full, 0 cut, 2 refused", "Proven gap", "leonardo-booster", "Granted in full")
	shoot("run")

	// What if Leonardo had only 20,000 GPU-hours?
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#cap-leonardo-booster"), "20000"),
		chromedp.Click(chromedp.CSS(`form[action$="/whatif"] button`)), chromedp.WaitVisible(chromedp.CSS("#changes-h"))); err != nil {
		t.Fatalf("what-if: %v", err)
	}
	main("what-if", "What-if run: Development access 2027", "What changed", "(warm start)", "leonardo-booster set to 20,000 GPU-hours",
		"1 full, 2 cut, 3 refused", "3 proposals changed", "−16,000", "Proven gap")
	gap, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#gap")))
	if err != nil || !strings.HasSuffix(gap, "%") {
		t.Errorf("the what-if's proven gap: %q %v", gap, err)
	}
	shoot("whatif")

	// Publish the what-if: the proposals are decided as it says.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/publish"] button`)), chromedp.WaitVisible(chromedp.CSS(`[role="status"]`))); err != nil {
		t.Fatalf("publish: %v", err)
	}
	text := main("published", "Published: the proposals are decided", "published")
	if strings.Contains(text, "Publish this run") {
		t.Error("a published run still offers to publish")
	}
	shoot("published")
	decided := 0
	for _, p := range props {
		got, err := w.app.FindProposalByID(storetest.As(w.f.Manager), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Decision != nil {
			decided++
		}
	}
	if decided != len(props) {
		t.Errorf("%d of %d proposals decided after publishing", decided, len(props))
	}
	t.Logf("screenshots in %s", dir)
}
