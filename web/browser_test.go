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

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pactum/pactum"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
	"github.com/pactum/pactum/web"
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

// servedPortal is the API server with the portal mounted, signing in
// through one-time sign-in links (as the demo does).
type servedPortal struct {
	f   *storetest.Fixture
	app *usecase.App
	url string
}

// servedOption changes what newServedPortal serves.
type servedOption func(*servedOptions)

// servedOptions are newServedPortal's settings.
type servedOptions struct {
	// screener replaces the test's screener (withScreener).
	screener pactum.Screener
}

func newServedPortal(t *testing.T, opts ...servedOption) *servedPortal {
	t.Helper()
	var o servedOptions
	for _, opt := range opts {
		opt(&o)
	}
	db := storetest.Open(t, "sqlite", sqlstore.Options{})
	// Proposals on personal data go to ethics review; the rest pass.
	screener := &mock.Screener{ScreenFn: func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		f := []pactum.Finding{}
		if in.Proposal.Ethics.PersonalData.Yes {
			f = append(f, pactum.Finding{RuleID: "ethics.personal_data", Basis: "Horizon Europe ethics", Effect: pactum.EffectRefer,
				Referral: "ethics", Message: "Personal data: ethics review."})
		}
		return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
	}}
	var sc pactum.Screener = screener
	if o.screener != nil {
		sc = o.screener
	}
	sp := &servedPortal{f: storetest.Seed(t, db, time.Now().UTC()), app: storetest.App(t, db, sc, nil)}
	cfg := pactumhttp.Config{SignIn: &pactumhttp.SignInConfig{Sessions: sp.app, Links: sp.app}}
	cfg.Serve(sp.app)
	srv, err := pactumhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := web.New(web.Config{Services: sp.app, Session: srv.SessionUser})
	if err != nil {
		t.Fatal(err)
	}
	srv.HandlePortal(web.Prefix, p)
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sp.url = srv.URL()
	return sp
}

// signIn signs the browser in as u through a sign-in link: open the
// link's page, press the button, land in the portal.
func (sp *servedPortal) signIn(t *testing.T, ctx context.Context, u *pactum.User) {
	t.Helper()
	_, code, err := sp.app.CreateSignInLink(storetest.As(pactum.SystemUser()), u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(sp.url+"/auth/link?code="+code), chromedp.Click(chromedp.CSS("form button")),
		chromedp.WaitVisible(chromedp.CSS("header .who"))); err != nil {
		t.Fatalf("sign in as %s: %v", u.Email, err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header .who")))
	if err != nil || !strings.Contains(who, u.Name) {
		t.Fatalf("signed in as %q, want %s (%v)", who, u.Name, err)
	}
}

// TestPortalInBrowser opens each role's pages in Chromium at a desktop and
// a phone width, signed in through a one-time link as the demo's people
// are: every page passes axe-core's WCAG 2.1 AA rules with no serious
// violation, the first Tab reaches the skip link, and each page's
// screenshot is written for a person to look at. Signing out ends the
// session.
func TestPortalInBrowser(t *testing.T) {
	ctx := browser(t)
	w := newServedPortal(t)
	as := storetest.As(w.f.ApplicantA)
	p := storetest.NewProposal(w.f.Call.ID)
	if err := w.app.SubmitNewProposal(as, p); err != nil {
		t.Fatal(err)
	}
	als, _, err := w.app.FindAllocations(as, pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(als) != 1 {
		t.Fatalf("allocations %v %v", als, err)
	}
	// A second proposal, on personal data, waits for its ethics review.
	eth := &pactum.User{Email: "ethics@uni.example", Name: "Eva Ethicist", Role: pactum.RoleReviewer}
	if err := w.app.CreateUser(storetest.As(pactum.SystemUser()), eth); err != nil {
		t.Fatal(err)
	}
	if err := w.app.UpdateReviewerProfile(storetest.As(eth), &pactum.ReviewerProfile{UserID: eth.ID, Expertise: []string{pactum.EthicsExpertise}}); err != nil {
		t.Fatal(err)
	}
	p2 := storetest.NewProposal(w.f.Call.ID)
	p2.Title = "Clinical-notes summariser"
	p2.Ethics.PersonalData.Yes, p2.Ethics.PersonalData.Details = true, "Pseudonymised clinical notes."
	if err := w.app.SubmitNewProposal(as, p2); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics); err != nil {
		t.Fatal(err)
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
		{"reviewer-overview", eth, "/portal/"},
		{"reviewer-review-form", eth, "/portal/proposals/" + p2.ID},
		{"manager-overview", w.f.Manager, "/portal/"},
		{"manager-call", w.f.Manager, "/portal/calls/" + w.f.Call.ID},
		{"operator-overview", w.f.Operator, "/portal/"},
		{"auditor-audit-log", w.f.Auditor, "/portal/audit"},
		{"not-found", w.f.ApplicantB, "/portal/proposals/" + p.ID},
	}
	widths := []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}}
	var signedIn *pactum.User
	for _, pg := range pages {
		if pg.user != signedIn {
			w.signIn(t, ctx, pg.user)
			signedIn = pg.user
		}
		for _, size := range widths {
			name := pg.name + "-" + size.name
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(w.url+pg.path),
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
	// Signing out ends the session: the portal then wants a sign-in.
	// (Chromium shows the plain-text answer in a pre.)
	if err := chromedp.Do(ctx, chromedp.Navigate(w.url+"/portal/"), chromedp.Click(chromedp.CSS("header .who button")),
		chromedp.WaitVisible(chromedp.CSS("pre"))); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil || !strings.Contains(body, "signed out") {
		t.Errorf("after sign-out: %q %v", body, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(w.url+"/portal/"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	if body, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); err != nil || !strings.Contains(body, "not signed in") {
		t.Errorf("the portal after sign-out: %q %v", body, err)
	}
	t.Logf("screenshots in %s", dir)
}
