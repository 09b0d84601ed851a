// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"context"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// axe-core, vendored for the tests (MPL-2.0, LICENSES/axe-core-MPL-2.0.txt).
//
//go:embed testdata/axe-4.14.1.min.js
var axeSource string

// browser starts a headless Chromium for the test, or skips without one
// unless PACTUM_REQUIRE_CHROMIUM is set (scripts/test installs Chromium
// from Debian's packages and sets it, so CI never skips).
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := os.Getenv("PACTUM_CHROMIUM")
	if bin == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		if os.Getenv("PACTUM_REQUIRE_CHROMIUM") != "" {
			t.Fatal("PACTUM_REQUIRE_CHROMIUM is set but no Chromium was found (apt-get install chromium, or set PACTUM_CHROMIUM)")
		}
		t.Skip("no Chromium: apt-get install chromium (scripts/test does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", bin, err)
	}
	return ctx
}

// screenshotDir is where page screenshots go: $PACTUM_SCREENSHOTS (CI
// keeps it), else a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("PACTUM_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// axeViolation is one accessibility rule a page breaks.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessible runs axe-core's WCAG 2.1 A and AA rules on the current
// page and fails on any serious or critical violation.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";typeof axe === 'object'"))
	if err != nil || !loaded {
		t.Fatalf("%s: load axe-core: %v", page, err)
	}
	run := `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; "))
		} else {
			t.Logf("%s: %s (%s): %s", page, v.ID, v.Impact, v.Help)
		}
	}
}

// TestPortalInBrowser opens each role's pages in Chromium at a desktop and
// a phone width: every page passes axe-core's WCAG 2.1 AA rules with no
// serious violation, the first Tab reaches the skip link, and each page's
// screenshot is written for a person to look at.
func TestPortalInBrowser(t *testing.T) {
	ctx := browser(t)
	w := newPortalWorld(t, "sqlite")
	as := storetest.As(w.f.ApplicantA)
	p := storetest.NewProposal(w.f.Call.ID)
	if err := w.app.SubmitNewProposal(as, p); err != nil {
		t.Fatal(err)
	}
	als, _, err := w.app.FindAllocations(as, pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(als) != 1 {
		t.Fatalf("allocations %v %v", als, err)
	}
	dir := screenshotDir(t)
	pages := []struct {
		name string
		user *pactum.User
		path string
	}{
		{"applicant-overview", w.f.ApplicantA, "/portal/"},
		{"applicant-proposal", w.f.ApplicantA, "/portal/proposals/" + p.ID},
		{"applicant-allocation", w.f.ApplicantA, "/portal/allocations/" + als[0].ID},
		{"reviewer-overview", w.f.Reviewer, "/portal/"},
		{"manager-overview", w.f.Manager, "/portal/"},
		{"operator-overview", w.f.Operator, "/portal/"},
		{"auditor-audit-log", w.f.Auditor, "/portal/audit"},
		{"not-found", w.f.ApplicantB, "/portal/proposals/" + p.ID},
	}
	widths := []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}}
	host := strings.TrimPrefix(w.srv.URL, "http://")
	for _, pg := range pages {
		for _, size := range widths {
			name := pg.name + "-" + size.name
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "s", Value: "s-" + pg.user.ID,
				Domain: strings.Split(host, ":")[0], Path: "/"}); err != nil {
				t.Fatalf("%s: cookie: %v", name, err)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(w.srv.URL+pg.path),
				chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
			if err != nil {
				t.Fatalf("%s: screenshot: %v", name, err)
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
			focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.textContent.trim() : ''`))
			if err != nil {
				t.Fatal(err)
			}
			if focused != "Skip to the content" {
				t.Errorf("%s: the first Tab focuses %q, want the skip link", name, focused)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, ctx, name)
			cancel()
		}
	}
	t.Logf("screenshots in %s", dir)
}
