// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestOpsJourneyInBrowser: the site operator opens their site's page from
// the navigation; the auditor pastes signed checkpoints and reads the
// result, lists the transparency reports and verifies one. Each page is
// checked with axe-core (WCAG 2.1 AA, no serious violation) at a desktop
// and a phone width, and its screenshot written.
func TestOpsJourneyInBrowser(t *testing.T) {
	ctx := browser(t)
	w := newServedPortal(t)
	seedSite(t, w.app, w.f)
	if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantB), storetest.NewProposal(w.f.Call.ID)); err != nil {
		t.Fatal(err)
	}
	y := time.Now().UTC().Year()
	rep, err := w.app.CreateTransparencyReport(storetest.As(w.f.Manager), pactum.ReportInput{Period: fmt.Sprintf("%d-01-01..%d-12-31", y, y), K: 2})
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := w.app.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{Limit: 2})
	if err != nil || len(evs) != 2 {
		t.Fatal(evs, err)
	}
	priv, pub, _ := audit.NewKey()
	other, _, _ := audit.NewKey()
	good, _ := audit.Sign(priv, evs[1].Seq, evs[1].Hash, time.Now())
	foreign, _ := audit.Sign(other, evs[0].Seq, evs[0].Hash, time.Now())
	cps, _ := json.MarshalIndent([]*audit.Checkpoint{good, foreign}, "", "  ")

	dir := screenshotDir(t)
	widths := []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}}
	// shoot checks the page the browser shows at each width.
	shoot := func(name string, open ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for _, size := range widths {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			if err := chromedp.Do(ctx, append(append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(size.w, size.h)}, open...), chromedp.WaitVisible(chromedp.CSS("main")))...); err != nil {
				t.Fatalf("%s-%s: %v", name, size.name, err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+"-"+size.name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, ctx, name+"-"+size.name)
			cancel()
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}

	// The operator follows the navigation to the site.
	w.signIn(t, ctx, w.f.Operator)
	if err := chromedp.Do(ctx, chromedp.Navigate(w.url+"/portal/"), chromedp.Click(chromedp.CSS(`header nav a[href="/portal/sites/CSC"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ingest-h"))); err != nil {
		t.Fatal(err)
	}
	shoot("operator-site", chromedp.Navigate(w.url+"/portal/sites/CSC"))
	if main := text("main"); !strings.Contains(main, "to be created") || !strings.Contains(main, "GrpTRESMins=gres/gpu=999999") ||
		!strings.Contains(main, "uan01:4242") {
		t.Errorf("the site page: %s", main)
	}

	// The auditor holds checkpoints to the chain.
	w.signIn(t, ctx, w.f.Auditor)
	shoot("auditor-checkpoints-form", chromedp.Navigate(w.url+"/portal/audit/checkpoints"))
	shoot("auditor-checkpoints-result", chromedp.Navigate(w.url+"/portal/audit/checkpoints"), chromedp.WaitVisible(chromedp.CSS("#cp-text")),
		chromedp.SetValue(chromedp.CSS("#cp-text"), string(cps)), chromedp.SetValue(chromedp.CSS("#cp-key"), pub),
		chromedp.Click(chromedp.CSS("form.review button")), chromedp.WaitVisible(chromedp.CSS("main table")))
	if main := text("main table"); !strings.Contains(main, "holds") || !strings.Contains(main, "not the trusted key") {
		t.Errorf("the checkpoints' result: %s", main)
	}
	shoot("auditor-transparency-list", chromedp.Navigate(w.url+"/portal/transparency"))
	shoot("auditor-transparency-verified", chromedp.Navigate(w.url+"/portal/transparency/"+rep.ID+"?verify=1"))
	if main := text("main"); !strings.Contains(main, "Verified: the audit log up to event") || !strings.Contains(main, "matches") {
		t.Errorf("the verified report: %s", main)
	}
	t.Logf("screenshots in %s", dir)
}
