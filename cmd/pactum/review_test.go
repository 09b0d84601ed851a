// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// TestCLIReviewAndAllocate drives the review workflow and an allocation run
// with the CLI against a served database: the technical assessment, reviewer
// profiles, assignment with a conflict, peer reviews, the reply, the panel,
// `allocate --check` against cbc, and publishing.
func TestCLIReviewAndAllocate(t *testing.T) {
	w := reviewWorld(t)
	w.submitLargeScale(t)
	w.assessAndPeerReview(t)
	w.replyAndPanel(t)
	run := w.allocateChecked(t)
	w.whatIf(t, run)
	w.publish(t, run)
}

// whatIf runs a what-if of run with Leonardo cut below the one proposal's
// minimum: the proposal is refused, the output says what changed, and
// `allocate diff` shows the same; a malformed --capacity is refused
// before anything is sent.
func (w *reviewFlow) whatIf(t *testing.T, run string) {
	if code, _, stderr := cli(t, w.mgr, "allocate", "--base-run", run, "--capacity", "leonardo-booster"); code != exitInvalid || !strings.Contains(stderr, "--capacity") {
		t.Errorf("malformed --capacity: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, w.mgr, "allocate", "--base-run", run, "--capacity", "mn5-acc=10"); code != exitInvalid || !strings.Contains(stderr, "capacities.mn5-acc") {
		t.Errorf("a system the call does not offer: %d %s", code, stderr)
	}
	var res struct {
		Run struct {
			ID        string `json:"id"`
			BaseRunID string `json:"base_run_id"`
			Warm      bool   `json:"warm"`
		} `json:"run"`
		Diff struct {
			BeforeID  string `json:"before_id"`
			Proposals []struct {
				OutcomeBefore string `json:"outcome_before"`
				OutcomeAfter  string `json:"outcome_after"`
			} `json:"proposals"`
		} `json:"diff"`
	}
	cliJSON(t, w.mgr, &res, "allocate", "--base-run", run, "--capacity", "leonardo-booster=1_000", "--json")
	if res.Run.BaseRunID != run || !res.Run.Warm || res.Diff.BeforeID != run || len(res.Diff.Proposals) != 1 ||
		res.Diff.Proposals[0].OutcomeBefore != "full" || res.Diff.Proposals[0].OutcomeAfter != "refused" {
		t.Errorf("what-if: %+v", res)
	}
	if code, out, stderr := cli(t, w.mgr, "allocate", "diff", res.Run.ID); code != 0 || !strings.Contains(out, "What changed from run "+run) ||
		!strings.Contains(out, "-80,000") {
		t.Errorf("allocate diff: %d %s %s", code, out, stderr)
	}
}

// reviewFlow is what TestCLIReviewAndAllocate's steps share.
type reviewFlow struct {
	mgr, app, ops map[string]string
	org, call     string
	// revs are the reviewers' environments and revIDs their IDs; the
	// third works at the applicant.
	revs     []map[string]string
	revIDs   []string
	proposal string
	cutoff   time.Time
}

// reviewWorld registers the applicant's organization, a large-scale call
// on Leonardo, the applicant, CINECA's operator and three reviewers, who
// write their profiles.
func reviewWorld(t *testing.T) *reviewFlow {
	w := &reviewFlow{mgr: serveFresh(t)}
	w.org = createAleph(t, w.mgr)
	var call struct {
		ID string `json:"id"`
	}
	// Large scale is not rolling: the panel ranks only after the cut-off,
	// which the test sets a few seconds ahead and waits for.
	w.cutoff = time.Now().Add(10 * time.Second).UTC().Truncate(time.Second)
	cliJSON(t, w.mgr, &call, "calls", "create", "--title", "Large scale 2026-B", "--cutoff", w.cutoff.Format(time.RFC3339), "--mode", "large_scale",
		"--system", "leonardo-booster", "--json")
	w.call = call.ID
	w.app, _ = as(t, w.mgr, "ada@aleph.example", "applicant", "--org", w.org)
	w.ops, _ = as(t, w.mgr, "ops@cineca.example", "site_operator", "--site", "CINECA")
	for _, e := range []string{"r1@uni.example", "r2@uni.example", "inside@uni.example"} {
		env, id := as(t, w.mgr, e, "reviewer")
		w.revs, w.revIDs = append(w.revs, env), append(w.revIDs, id)
	}
	for i, env := range w.revs {
		args := []string{"reviewers", "update", w.revIDs[i], "--expertise", "language_model,text,legal"}
		if i == 2 {
			args = append(args, "--affiliation", "Aleph Lingua GmbH,id="+w.org+",from=2024-01-01")
		}
		if code, out, stderr := cli(t, env, args...); code != 0 || !strings.Contains(out, "language_model") {
			t.Fatalf("reviewers update: %d %s %s", code, out, stderr)
		}
	}
	return w
}

// submitLargeScale has the applicant submit Lex-70B, 80,000 GPU-hours in
// large scale: it goes to review, starting with the technical stage.
func (w *reviewFlow) submitLargeScale(t *testing.T) {
	p := lexProposal(w.call)
	p["mode"], p["title"], p["summary"], p["duration_months"], p["min_viable_fraction"] = "large_scale", "Lex-70B", "Legal LLM at scale.", 6, 0.5
	p["requests"] = []map[string]any{{"system_id": "leonardo-booster", "amount": 80000, "storage_tb": 10}}
	var prop struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	cliJSON(t, w.app, &prop, "proposals", "create", "--file", jsonFile(t, p), "--submit", "--json")
	if prop.State != "in_review" {
		t.Fatalf("large-scale proposal: %s", prop.State)
	}
	w.proposal = prop.ID
	if code, out, _ := cli(t, w.app, "reviews", "status", prop.ID); code != 0 || !strings.Contains(out, "[technical] → peer → reply → panel → decision") {
		t.Fatalf("reviews status: %d %s", code, out)
	}
}

// assessAndPeerReview: CINECA assesses, peer reviewers are assigned with
// the conflicted one kept out, and the two others review.
func (w *reviewFlow) assessAndPeerReview(t *testing.T) {
	if code, out, stderr := cli(t, w.ops, "reviews", "submit", w.proposal, "--assess", "leonardo-booster=feasible", "--recommend", "accept",
		"--comments", "Runs on Leonardo."); code != 0 || !strings.Contains(out, "software fits yes") {
		t.Fatalf("technical assessment: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := cli(t, w.mgr, "reviews", "advance", w.proposal); code != 0 || !strings.Contains(out, "stage:") || !strings.Contains(out, "[peer]") {
		t.Fatalf("advance: %d %s %s", code, out, stderr)
	}
	code, out, stderr := cli(t, w.mgr, "reviews", "assign", "--call", w.call, "--stage", "peer")
	if code != 0 || !strings.Contains(out, "2 assignment(s)") || !strings.Contains(out, "same_organization") {
		t.Fatalf("assign: %d %s %s", code, out, stderr)
	}
	// The conflicted reviewer cannot open the proposal.
	if code, _, stderr := cli(t, w.revs[2], "proposals", "show", w.proposal); code != exitNotFound || !strings.Contains(stderr, "not found") {
		t.Errorf("conflicted reviewer: %d %s", code, stderr)
	}
	for _, env := range w.revs[:2] {
		var as struct {
			Items []struct {
				ProposalID string `json:"proposal_id"`
			} `json:"items"`
		}
		cliJSON(t, env, &as, "reviews", "assignments", "--json")
		if len(as.Items) != 1 || as.Items[0].ProposalID != w.proposal {
			t.Fatalf("assignments: %+v", as)
		}
		if code, out, stderr := cli(t, env, "reviews", "submit", w.proposal, "--score", "excellence=4", "--score", "impact=4",
			"--score", "implementation=4", "--score", "responsibility=4", "--recommend", "accept", "--comments", "Sound plan.",
			"--confidential", "Strong team."); code != 0 || !strings.Contains(out, "4.00 of 5") {
			t.Fatalf("peer review: %d %s %s", code, out, stderr)
		}
	}
}

// replyAndPanel: the applicant is notified, reads anonymised reviews and
// replies; the panel ranks the proposal.
func (w *reviewFlow) replyAndPanel(t *testing.T) {
	if code, _, stderr := cli(t, w.mgr, "reviews", "advance", w.proposal); code != 0 {
		t.Fatalf("advance to reply: %s", stderr)
	}
	if code, out, _ := cli(t, w.app, "notifications", "list", "--unread"); code != 0 || !strings.Contains(out, "Reviews of") {
		t.Errorf("notifications: %d %s", code, out)
	}
	code, out, _ := cli(t, w.app, "reviews", "list", w.proposal)
	if code != 0 || !strings.Contains(out, "Reviewer 2") || strings.Contains(out, "Strong team") || strings.Contains(out, w.revIDs[0]) {
		t.Errorf("applicant's reviews: %d %s", code, out)
	}
	if code, out, stderr := cli(t, w.app, "reviews", "reply", w.proposal, "--text", "We will add the requested ablations."); code != 0 || !strings.Contains(out, "ablations") {
		t.Fatalf("reply: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cli(t, w.mgr, "reviews", "advance", w.proposal); code != 0 {
		t.Fatalf("advance to panel: %s", stderr)
	}
	if time.Until(w.cutoff) > time.Second {
		if code, _, stderr := cli(t, w.mgr, "reviews", "panel", "--call", w.call); code == 0 || !strings.Contains(stderr, "cut-off") {
			t.Errorf("panel before the cut-off: exit %d %s", code, stderr)
		}
	}
	time.Sleep(time.Until(w.cutoff) + 100*time.Millisecond)
	if code, out, stderr := cli(t, w.mgr, "reviews", "panel", "--call", w.call); code != 0 || !strings.Contains(out, "Lex-70B") {
		t.Fatalf("panel: %d %s %s", code, out, stderr)
	}
}

// allocateChecked solves the run, cross-checked with cbc when it is
// installed (it must be with PACTUM_REQUIRE_CBC=1), and returns its ID.
func (w *reviewFlow) allocateChecked(t *testing.T) string {
	var res struct {
		Run struct {
			ID        string  `json:"id"`
			State     string  `json:"state"`
			Objective float64 `json:"objective"`
		} `json:"run"`
		Check *struct {
			ServerObjective float64 `json:"server_objective"`
			LocalObjective  float64 `json:"local_objective"`
			CBCObjective    float64 `json:"cbc_objective"`
			BoundHolds      bool    `json:"bound_holds"`
		} `json:"check"`
	}
	_, cbcErr := exec.LookPath("cbc")
	if cbcErr == nil {
		cliJSON(t, w.mgr, &res, "allocate", "--call", w.call, "--check", "--json")
		c := res.Check
		if c == nil || c.LocalObjective != c.ServerObjective || math.Abs(c.CBCObjective-c.LocalObjective) > 1e-6*c.CBCObjective || !c.BoundHolds {
			t.Errorf("check: %+v", c)
		}
	} else if os.Getenv("PACTUM_REQUIRE_CBC") == "1" {
		t.Fatal("PACTUM_REQUIRE_CBC=1 but cbc is not installed")
	} else {
		cliJSON(t, w.mgr, &res, "allocate", "--call", w.call, "--json")
	}
	if res.Run.State != "draft" || res.Run.Objective != 4*80000 {
		t.Errorf("run %+v", res.Run)
	}
	return res.Run.ID
}

// publish: a run cbc could not confirm is not published; the checked one
// is, and the applicant sees the allocation.
func (w *reviewFlow) publish(t *testing.T, run string) {
	if code, _, stderr := cli(t, w.mgr, "allocate", "--call", w.call, "--check", "--cbc", "/nonexistent/cbc", "--publish"); code != exitOther ||
		!strings.Contains(stderr, "cbc is not installed") || !strings.Contains(stderr, "not published") {
		t.Errorf("missing cbc: %d %s", code, stderr)
	}
	if code, out, _ := cli(t, w.mgr, "allocate", "list", "--call", w.call); code != 0 || strings.Count(out, "draft") != 3 {
		t.Errorf("allocate list: %d %s", code, out)
	}
	if code, out, stderr := cli(t, w.mgr, "allocate", "publish", run); code != 0 || !strings.Contains(out, "Published") || !strings.Contains(out, "Granted in full") {
		t.Fatalf("publish: %d %s %s", code, out, stderr)
	}
	if code, out, _ := cli(t, w.app, "allocations", "list"); code != 0 || !strings.Contains(out, "80,000 GPU-h") {
		t.Errorf("allocations: %d %s", code, out)
	}
	if code, out, _ := cli(t, w.mgr, "reviews", "conflicts", "--proposal", w.proposal); code != 0 || !strings.Contains(out, "same_organization") {
		t.Errorf("conflicts: %d %s", code, out)
	}
}

// TestReviewConditionDays: --condition-days pairs with --condition in
// order, and a miscount is refused before anything is sent.
func TestReviewConditionDays(t *testing.T) {
	parse := func(args ...string) (client.ReviewInput, error) {
		cmd := newReviewsSubmitCmd(&env{})
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		return reviewInputFromFlags(cmd)
	}
	in, err := parse("--recommend", "accept_with_conditions", "--condition", "Keep the data in the EU.",
		"--condition", "Publish a model card.", "--condition-days", "0", "--condition-days", "60")
	if err != nil || in.ConditionDueDays == nil || !slices.Equal(*in.ConditionDueDays, []int{0, 60}) || len(deref(in.Conditions)) != 2 {
		t.Fatalf("parsed %+v, %v", in, err)
	}
	if _, err := parse("--condition", "Keep the data in the EU.", "--condition-days", "30,40"); pactum.ErrorCode(err) != pactum.EINVALID ||
		!strings.Contains(err.Error(), "--condition-days") {
		t.Errorf("miscount: %v", err)
	}
	if in, err := parse("--condition", "Keep the data in the EU."); err != nil || in.ConditionDueDays != nil {
		t.Errorf("no days: %+v %v", in.ConditionDueDays, err)
	}
}
