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

// withScreener serves the portal with screener s.
func withScreener(s pactum.Screener) servedOption {
	return func(o *servedOptions) { o.screener = s }
}

// journey drives one person's browser through the portal, asserting what
// each page shows and keeping its screenshots.
type journey struct {
	t   *testing.T
	ctx context.Context
	sp  *servedPortal
	dir string
}

// do runs browser actions, failing the test on error.
func (j *journey) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and waits for the page's main.
func (j *journey) open(path string) {
	j.t.Helper()
	j.do("open "+path, chromedp.Navigate(j.sp.url+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// click presses the element sel and waits for the next page to show
// wait (the old page is marked, so that its elements do not count).
func (j *journey) click(sel, wait string) {
	j.t.Helper()
	if _, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`document.documentElement.dataset.old = '1'; true`)); err != nil {
		j.t.Fatal(err)
	}
	j.do("click "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS("html:not([data-old]) "+wait)))
}

// text is the text of sel (main when empty).
func (j *journey) text(sel string) string {
	j.t.Helper()
	if sel == "" {
		sel = "main"
	}
	s, err := chromedp.Run(j.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		j.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// want checks that the page's main says each of wants.
func (j *journey) want(page string, wants ...string) {
	j.t.Helper()
	main := j.text("")
	for _, w := range wants {
		if !strings.Contains(main, w) {
			j.t.Errorf("%s: no %q on the page:\n%s", page, w, main)
		}
	}
}

// shot writes the page's screenshots at a desktop and a phone width and
// runs axe-core on each.
func (j *journey) shot(name string) {
	j.t.Helper()
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		j.do(name+" viewport", chromedp.EmulateViewport(size.w, size.h))
		png, err := chromedp.Run(j.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			j.t.Fatalf("%s: screenshot: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(j.dir, "applicant-journey-"+name+"-"+size.name+".png"), png, 0o644); err != nil {
			j.t.Fatal(err)
		}
		checkAccessible(j.t, j.ctx, name+"-"+size.name)
	}
	j.do(name+" viewport", chromedp.EmulateViewport(1280, 900))
}

// TestApplicantJourney follows an applicant through the portal in
// Chromium: the open calls, a draft started from a call and filled step by
// step in the wizard (what is missing named per step, the live pre-screen
// updating as they type, the findings with their legal basis), submitted;
// the ethics review and the decision (done by the reviewer and access
// manager through the use cases); the reviews and the award on the
// proposal page; each condition acknowledged on the allocation page; usage
// against the grant; the model's compute against 10^23 and 10^25. Every
// page is screenshotted at desktop and phone width and passes axe-core.
func TestApplicantJourney(t *testing.T) {
	ctx := browser(t)
	sp := newServedPortal(t, withScreener(policyScreener(t)))
	j := &journey{t: t, ctx: ctx, sp: sp, dir: screenshotDir(t)}
	a := sp.f.ApplicantA
	as := storetest.As(a)
	sp.signIn(t, ctx, a)

	// The open calls.
	j.open("/portal/apply")
	j.want("open calls", "Calls open now", sp.f.Call.Title, "Cut-off", "fast lane", "LUMI", "Start a proposal")
	j.shot("open-calls")
	j.click(`a[href="/portal/apply/`+sp.f.Call.ID+`"]`, "#f-title")

	// Project: only a title and the mode; the draft is saved incomplete.
	j.do("project", chromedp.SendKeys(chromedp.CSS("#f-title"), "Legal LLM for Europe"),
		chromedp.SetValue(chromedp.CSS("#f-mode"), "fast_lane"))
	j.shot("wizard-new")
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=resources"]`)
	list, _, err := sp.app.FindProposals(as, pactum.ProposalFilter{})
	if err != nil || len(list) != 1 || list[0].State != pactum.ProposalDraft || list[0].Title != "Legal LLM for Europe" {
		t.Fatalf("the draft: %+v %v", list, err)
	}
	p := list[0]
	j.want("resources step", "This step still needs", "must ask for at least one system", "Time to train",
		"Pre-screen", "to complete before the proposal can be submitted", "summary", "duration months")
	j.shot("wizard-resources-empty")

	// The live pre-screen: typing an amount takes "at least one system"
	// out of the findings without saving.
	j.do("type an amount", chromedp.SendKeys(chromedp.CSS("#f-amount-lumi-g"), "20000"),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#prescreen').textContent.includes('must ask for at least one system')`,
			chromedp.WithPollingTimeout(15*time.Second)))
	if d, _ := sp.app.FindProposalByID(as, p.ID); len(d.Requests) != 0 {
		t.Error("the live pre-screen saved the draft")
	}
	j.do("gpus", chromedp.SendKeys(chromedp.CSS("#f-gpus-lumi-g"), "256"))
	j.click(`button[value="save"]`, ".notice.ok[role=status]")
	j.want("resources saved", "Draft saved.")

	// Back to the project step to complete it.
	j.open("/portal/drafts/" + p.ID + "?step=project")
	j.want("project step", "This step still needs", "summary")
	j.do("project", chromedp.SendKeys(chromedp.CSS("#f-summary"), "Continued pre-training of an open 7B model on European legal texts."),
		chromedp.SendKeys(chromedp.CSS("#f-duration"), "3"))
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=resources"]`)
	j.want("resources after the project", "Nothing is missing in this step.")

	// AI work, with personal data in the training data.
	j.open("/portal/drafts/" + p.ID + "?step=ai")
	j.want("AI work step", "must name at least one modality", "intended use")
	j.do("AI work", chromedp.SetValue(chromedp.CSS("#f-model-type"), "language_model"),
		chromedp.Click(chromedp.CSS(`input[name="input_modalities"][value="text"]`)),
		chromedp.Click(chromedp.CSS(`input[name="output_modalities"][value="text"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-params"), "7e9"), chromedp.SendKeys(chromedp.CSS("#f-tokens"), "200e9"),
		chromedp.SendKeys(chromedp.CSS("#f-flop"), "8.4e21"),
		chromedp.SendKeys(chromedp.CSS("#f-use"), "Drafting assistance for lawyers."),
		chromedp.SetValue(chromedp.CSS("#f-purpose"), "product_development"),
		chromedp.Click(chromedp.CSS(`input[name="civilian_only"]`)), chromedp.Click(chromedp.CSS(`input[name="intends_eu_market"]`)),
		chromedp.Click(chromedp.CSS(`input[name="sources"][value="public_datasets"]`)),
		chromedp.Click(chromedp.CSS(`input[name="personal_data"]`)), chromedp.Click(chromedp.CSS(`input[name="tdm_opt_outs_honoured"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-data"), "EUR-Lex and court rulings, which name people."))
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=aiact"]`)
	// The contradiction is named on the ethics step.
	j.want("AI Act step", "not answered yet (yes, no or unsure)", "Art. 5")
	j.shot("wizard-aiact")

	// The questionnaire: it generates content and talks with people.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('input[type=radio][value=no]').forEach(r => r.click()); true`)); err != nil {
		t.Fatal(err)
	}
	j.do("yes answers", chromedp.Click(chromedp.CSS(`input[name="q.generates_content"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`input[name="q.talks_with_people"][value="yes"]`)))
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=ethics"]`)
	j.want("ethics step", "personal data: yes", "must be yes when the training data contains personal data")
	j.shot("wizard-ethics")
	j.do("ethics", chromedp.Click(chromedp.CSS(`input[name="ethics.personal_data"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-eth-personal_data"), "Court rulings name people; we pseudonymise them before training."))
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=pledges"]`)
	j.do("pledges", chromedp.Click(chromedp.CSS(`input[name="governance_strategy"]`)),
		chromedp.Click(chromedp.CSS(`input[name="high_risk_mapping"]`)), chromedp.Click(chromedp.CSS(`input[name="ai_literacy"]`)))
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=team"]`)
	j.do("team", chromedp.SendKeys(chromedp.CSS("#f-team-0-name"), "Nina Novak"),
		chromedp.SendKeys(chromedp.CSS("#f-team-0-email"), "nina@aleph.example"),
		chromedp.SendKeys(chromedp.CSS("#f-team-0-org"), "Aleph Lingua GmbH"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#prescreen').textContent.includes('would go to a person')`,
			chromedp.WithPollingTimeout(15*time.Second)))
	j.shot("wizard-team")
	j.click(`button[value="next"]`, `nav.steps li.current a[href$="step=submit"]`)

	// The check before submitting: findings in plain words with their
	// legal basis.
	j.want("submit step", "it would go to a person for review first", "Goes to ethics review", "legal basis:", "Submit the proposal")
	if strings.Contains(j.text("nav.steps"), "to do") {
		t.Errorf("a step still has something to do: %s", j.text("nav.steps"))
	}
	j.shot("wizard-submit")
	j.click(`form[action$="/submit"] button`, "ol.timeline")
	j.want("submitted", p.Title, "Your proposal is submitted and screened", "Submitted", "Ethics review")
	j.shot("proposal-submitted")
	if got, err := sp.app.FindProposalByID(as, p.ID); err != nil || got.State != pactum.ProposalInReview {
		t.Fatalf("after submitting: %+v %v", got, err)
	}

	// The ethics review and the decision, by the reviewer and the access
	// manager.
	sys, mgr := storetest.As(pactum.SystemUser()), storetest.As(sp.f.Manager)
	eth := &pactum.User{Email: "ethics@uni.example", Name: "Eva Ethicist", Role: pactum.RoleReviewer}
	if err := sp.app.CreateUser(sys, eth); err != nil {
		t.Fatal(err)
	}
	if err := sp.app.UpdateReviewerProfile(storetest.As(eth), &pactum.ReviewerProfile{UserID: eth.ID, Expertise: []string{pactum.EthicsExpertise}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.AssignReviewers(mgr, sp.f.Call.ID, pactum.StageEthics); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.SubmitReview(storetest.As(eth), p.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
		Conditions: []string{"Keep the training data in the EU."}, CommentsForApplicant: "Acceptable with the pseudonymisation described."}); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.AdvanceReview(mgr, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.DecideProposal(mgr, p.ID, pactum.DecisionInput{Accept: true, Reason: "Ethics review passed with conditions."}); err != nil {
		t.Fatal(err)
	}

	// The award: the review and the decision on the proposal page.
	j.open("/portal/proposals/" + p.ID)
	j.want("decided", "Acceptable with the pseudonymisation described.", "Outcome: accepted")
	j.shot("proposal-accepted")

	// The conditions, acknowledged one by one.
	als, _, err := sp.app.FindAllocations(as, pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(als) != 1 {
		t.Fatalf("allocations %v %v", als, err)
	}
	al := als[0]
	j.open("/portal/allocations/" + al.ID)
	j.want("allocation", "Not met yet", "Keep the training data in the EU.", "How you meet this condition")
	j.shot("allocation-conditions")
	for i := 0; ; i++ {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form.ack').length`))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i > 10 {
			t.Fatalf("%d conditions still open after %d acknowledgements", n, i)
		}
		j.do("acknowledge", chromedp.SendKeys(chromedp.CSS("form.ack textarea"), "We do so from the first job on."))
		j.click("form.ack button", ".notice.ok[role=status]")
		j.want("acknowledged", "Your acknowledgement is recorded.", "We do so from the first job on.")
	}
	conds, err := sp.app.FindConditions(as, al.ID)
	if err != nil || len(conds) == 0 {
		t.Fatalf("conditions %v %v", conds, err)
	}
	for _, c := range conds {
		if !c.Met || c.Statement != "We do so from the first job on." {
			t.Errorf("condition %s: met %v, statement %q", c.RuleID, c.Met, c.Statement)
		}
	}

	// Usage: the site's accounting reports 16,000 GPU-hours of training
	// of the organization's model.
	if _, err := sp.app.TransitionAllocation(storetest.As(sp.f.Operator), al.ID, pactum.AllocationActive, "provisioned"); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.CreateModel(as, &pactum.Model{Name: "legal-llm", Version: "1", ParameterCount: 7e9}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	end := start.Add(225000 * time.Second)
	if _, err := sp.app.IngestUsage(storetest.As(sp.f.Operator), pactum.UsageBatch{Cluster: "lumi", Records: []pactum.UsageRecordInput{{
		JobID: "4242", Account: pactum.AllocationAccount(al.ID), Username: "ada", State: "COMPLETED", Final: true,
		StartAt: &start, EndAt: &end, ElapsedSeconds: 225000, GPUSeconds: 57_600_000, NodeSeconds: 32 * 225000, CPUSeconds: 1,
		Model: "legal-llm@1", Phase: pactum.PhasePreTraining}}}); err != nil {
		t.Fatal(err)
	}
	j.open("/portal/allocations/" + al.ID)
	j.want("usage", "16,000 of 20,000 GPU-hours used (80 %)", "Met")
	j.shot("allocation-usage")

	// The model against the thresholds.
	j.click(`header nav a[href="/portal/models"]`, ".model-card")
	j.want("models", "legal-llm", "of 10^23 FLOP", "of 10^25 FLOP", "16,000")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.model-card svg line.threshold').length`)); err != nil || n != 2 {
		t.Errorf("threshold lines: %d %v", n, err)
	}
	j.shot("models")

	// A second proposal, large-scale and so peer reviewed: once the
	// site's assessment and two peer reviews are in, the applicant reads
	// them, anonymised, and replies.
	pl := storetest.NewProposal(sp.f.Call.ID)
	pl.Mode, pl.Title, pl.DurationMonths = pactum.ModeLargeScale, "Legal LLM, the 70B run", 6
	pl.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 60000, StorageTB: 10}}
	if err := sp.app.SubmitNewProposal(as, pl); err != nil || pl.State != pactum.ProposalInReview {
		t.Fatalf("large-scale proposal: %s %v", pl.State, err)
	}
	if _, err := sp.app.SubmitReview(storetest.As(sp.f.Operator), pl.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAccept,
		CommentsForApplicant: "Runs on LUMI-G; the scaling data convince.",
		Systems:              []pactum.SystemAssessment{{SystemID: "lumi-g", Feasible: true, SoftwareFits: true, ScalabilityEvidence: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.app.AdvanceReview(mgr, pl.ID); err != nil {
		t.Fatal(err)
	}
	peers := map[string]*pactum.User{}
	for _, e := range []string{"peer1@uni.example", "peer2@uni.example"} {
		u := &pactum.User{Email: e, Name: strings.Split(e, "@")[0], Role: pactum.RoleReviewer}
		if err := sp.app.CreateUser(sys, u); err != nil {
			t.Fatal(err)
		}
		if err := sp.app.UpdateReviewerProfile(storetest.As(u), &pactum.ReviewerProfile{UserID: u.ID, Expertise: []string{"language_model", "text", "legal"}}); err != nil {
			t.Fatal(err)
		}
		peers[u.ID] = u
	}
	rep, err := sp.app.AssignReviewers(mgr, sp.f.Call.ID, pactum.StagePeer)
	if err != nil {
		t.Fatal(err)
	}
	for _, asg := range rep.Assignments {
		u := peers[asg.ReviewerID]
		if u == nil || asg.ProposalID != pl.ID {
			t.Fatalf("peer assignment %+v", asg)
		}
		if _, err := sp.app.SubmitReview(storetest.As(u), pl.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAccept,
			Scores: []pactum.CriterionScore{{Criterion: "excellence", Score: 4}, {Criterion: "impact", Score: 4},
				{Criterion: "implementation", Score: 4}, {Criterion: "responsibility", Score: 4}},
			CommentsForApplicant: "Solid plan; show the evaluation on held-out courts.", ConfidentialComments: "Strong team."}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sp.app.AdvanceReview(mgr, pl.ID); err != nil {
		t.Fatal(err)
	}
	j.open("/portal/proposals/" + pl.ID)
	j.want("reply stage", "Your reply", "Reviewer 1", "Solid plan; show the evaluation on held-out courts.", "Runs on LUMI-G")
	if strings.Contains(j.text(""), "Strong team.") || strings.Contains(j.text(""), "peer1") {
		t.Error("the applicant's view of the reviews is not anonymised")
	}
	j.do("reply", chromedp.SendKeys(chromedp.CSS("#reply-text"), "We will add an evaluation on courts held out of training."))
	j.shot("proposal-reply")
	j.click(`form[action$="/reply"] button`, ".notice.ok[role=status]")
	j.want("replied", "Your reply is saved.")
	if rp, err := sp.app.FindReply(as, pl.ID); err != nil || rp.Text != "We will add an evaluation on courts held out of training." {
		t.Errorf("stored reply %+v %v", rp, err)
	}
	t.Logf("screenshots in %s", j.dir)
}
