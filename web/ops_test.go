// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// siteWorld gives the fixture's site CSC an allocation on lumi-g, an
// agent that reported, drift it restored and a batch of usage.
func siteWorld(t testing.TB, w *portalWorld) *pactum.Allocation {
	t.Helper()
	return seedSite(t, w.app, w.f)
}

// seedSite is siteWorld on any app over the fixture world f.
func seedSite(t testing.TB, app *usecase.App, f *storetest.Fixture) *pactum.Allocation {
	t.Helper()
	w := struct {
		app *usecase.App
		f   *storetest.Fixture
	}{app, f}
	p := storetest.NewProposal(w.f.Call.ID)
	p.Title = "Lumi fine-tune"
	p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 1000, StorageTB: 1}}
	if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	als, _, err := w.app.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(als) != 1 {
		t.Fatalf("allocations %v %v", als, err)
	}
	ops := storetest.As(w.f.Operator)
	if _, err := w.app.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: "lumi", Holder: "uan01:4242", Result: "ok: 1 allocations, 0 changes, 1 drift, 2 records"}); err != nil {
		t.Fatal(err)
	}
	acct := pactum.AllocationAccount(als[0].ID)
	if err := w.app.ReportDrift(ops, "CSC", pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{
		{Account: acct, Action: "set_limits gres/gpu=60000", Found: "GrpTRESMins=gres/gpu=999999"}}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Hour).UTC()
	end := start.Add(time.Hour)
	rec := func(id string) pactum.UsageRecordInput {
		return pactum.UsageRecordInput{JobID: id, Account: acct, Username: "ada", State: "COMPLETED", Final: true, StartAt: &start, EndAt: &end,
			ElapsedSeconds: 3600, GPUSeconds: 4 * 3600 * 50, NodeSeconds: 3600, CPUSeconds: 3600}
	}
	if _, err := w.app.IngestUsage(ops, pactum.UsageBatch{Cluster: "lumi", Records: []pactum.UsageRecordInput{rec("101"), rec("102")}}); err != nil {
		t.Fatal(err)
	}
	return als[0]
}

// TestPortalSite: the site page shows the operator each allocation's
// Slurm account and what the scheduler must do with it, the usage, the
// agent's last contact, the drift it restored and the last usage batch;
// access managers see it too; another site, another role and an unknown
// site are refused as the use cases refuse them.
func TestPortalSite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		al := siteWorld(t, w)
		acct := pactum.AllocationAccount(al.ID)
		resp, body := w.get(t, w.f.Operator, "/portal/sites/CSC")
		wantPage(t, resp, body, "Site CSC", `href="/portal/sites/CSC" aria-current="page"`,
			"<code>"+acct+"</code>", "to be created", "pending provisioning", "40 % of 1,000 GPU-hours",
			"uan01:4242", "ok: 1 allocations", "GrpTRESMins=gres/gpu=999999", "set_limits gres/gpu=60000",
			"<td>lumi</td><td>2</td>", "<dt>Drift reports</dt><dd>1</dd>", "<dt>pending provisioning</dt><dd>1</dd>")
		if strings.Contains(body, "none yet") {
			t.Error("the ingest table says no batch yet")
		}
		// Once the agent activates it, the account is open.
		if _, err := w.app.TransitionAllocation(storetest.As(w.f.Operator), al.ID, pactum.AllocationActive, "provisioned"); err != nil {
			t.Fatal(err)
		}
		resp, body = w.get(t, w.f.Manager, "/portal/sites/CSC")
		wantPage(t, resp, body, "Site CSC", "<td>open</td>", "<dt>pending provisioning</dt><dd>0</dd>", "<dt>active</dt><dd>1</dd>")
		resp, body = w.get(t, w.f.Operator, "/portal/")
		wantPage(t, resp, body, `<a href="/portal/sites/CSC">Site CSC: its allocations`)
		if resp, _ = w.get(t, w.f.Operator, "/portal/sites/CINECA"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another site's page for CSC's operator: %d", resp.StatusCode)
		}
		if resp, _ = w.get(t, w.f.ApplicantA, "/portal/sites/CSC"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an applicant reads the site page: %d", resp.StatusCode)
		}
		if resp, _ = w.get(t, w.f.Auditor, "/portal/sites/Atlantis"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown site: %d", resp.StatusCode)
		}
	})
}

// TestPortalCheckpoints: an auditor pastes a checkpoint signed with the
// trusted key and one signed with another key; the page shows each with
// its key id and result; text that is not a checkpoint comes back with
// the message and the text kept; an applicant is refused.
func TestPortalCheckpoints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		resp, body := w.get(t, w.f.Auditor, "/portal/audit")
		wantPage(t, resp, body, `href="/portal/audit/checkpoints"`)
		resp, body = w.get(t, w.f.Auditor, "/portal/audit/checkpoints")
		wantPage(t, resp, body, `action="/portal/audit/checkpoints"`, `name="csrf_token"`, "Trusted public key")
		evs, _, err := w.app.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{Limit: 2})
		if err != nil || len(evs) != 2 {
			t.Fatal(evs, err)
		}
		priv, pub, _ := audit.NewKey()
		other, _, _ := audit.NewKey()
		good, _ := audit.Sign(priv, evs[1].Seq, evs[1].Hash, time.Now())
		foreign, _ := audit.Sign(other, evs[0].Seq, evs[0].Hash, time.Now())
		text, _ := json.Marshal([]*audit.Checkpoint{good, foreign})
		resp, body = w.post(t, w.f.Auditor, "/portal/audit/checkpoints", url.Values{"checkpoints": {string(text)}, "trusted": {pub}})
		wantPage(t, resp, body, "Not every checkpoint holds", "<code>"+usecase.KeyID(pub)+"</code>", "<code>"+usecase.KeyID(foreign.PublicKey)+"</code>",
			"holds</td>", "not the trusted key", fmt.Sprintf("<td>%d</td>", good.Seq))
		one, _ := json.Marshal(good)
		resp, body = w.post(t, w.f.Auditor, "/portal/audit/checkpoints", url.Values{"checkpoints": {string(one)}, "trusted": {pub}})
		wantPage(t, resp, body, "Every checkpoint holds")
		resp, body = w.post(t, w.f.Auditor, "/portal/audit/checkpoints", url.Values{"checkpoints": {"not <json>"}, "trusted": {pub}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "not &lt;json&gt;") {
			t.Errorf("bad checkpoints: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ = w.post(t, w.f.ApplicantA, "/portal/audit/checkpoints", url.Values{"checkpoints": {string(one)}, "trusted": {pub}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an applicant verifies checkpoints: %d", resp.StatusCode)
		}
	})
}

// TestPortalTransparency: an access manager computes a report through the
// form, verifies it figure by figure and publishes it; then an applicant
// reads it without the verify link; a bad period comes back with the
// field named; an auditor may not create one.
func TestPortalTransparency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		siteWorld(t, w)
		// A second organization, so that k = 2 shows figures.
		if err := w.app.SubmitNewProposal(storetest.As(w.f.ApplicantB), storetest.NewProposal(w.f.Call.ID)); err != nil {
			t.Fatal(err)
		}
		y := time.Now().UTC().Year()
		period := fmt.Sprintf("%d-01-01..%d-12-31", y, y)
		resp, body := w.get(t, w.f.Manager, "/portal/transparency")
		wantPage(t, resp, body, "No report has been made yet", `action="/portal/transparency"`)
		resp, body = w.post(t, w.f.Manager, "/portal/transparency", url.Values{"period": {"last year"}, "k": {"2"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="last year"`) {
			t.Errorf("bad period: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = w.post(t, w.f.Manager, "/portal/transparency", url.Values{"period": {period}, "k": {"2"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/transparency/") || !strings.HasSuffix(loc, "?done=created") {
			t.Fatalf("create: %d %q", resp.StatusCode, loc)
		}
		page := strings.TrimSuffix(loc, "?done=created")
		resp, body = w.get(t, w.f.Manager, loc)
		wantPage(t, resp, body, "computed and stored", "Publish the report", "By mode", `<th scope="row">Total</th>`, "?verify=1")
		resp, body = w.get(t, w.f.Auditor, page+"?verify=1")
		wantPage(t, resp, body, "Verified: the audit log up to event", `class="mark mark-matches"`, `class="mark mark-not_reproduced"`)
		if strings.Contains(body, "mark-differs") || strings.Contains(body, "Publish the report") || strings.Contains(body, "%!") {
			t.Error("a verified report shows a difference, or an auditor a publish button")
		}
		resp, body = w.get(t, w.f.Auditor, "/portal/transparency")
		wantPage(t, resp, body, page, "not yet", period)
		if strings.Contains(body, `action="/portal/transparency"`) {
			t.Error("an auditor is offered the create form")
		}
		if resp, _ = w.post(t, w.f.Auditor, "/portal/transparency", url.Values{"period": {period}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an auditor creates a report: %d", resp.StatusCode)
		}
		if resp, _ = w.get(t, w.f.ApplicantA, page); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an applicant reads an unpublished report: %d", resp.StatusCode)
		}
		resp, _ = w.post(t, w.f.Manager, page+"/publish", url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done=published" {
			t.Fatalf("publish: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = w.get(t, w.f.ApplicantA, page)
		wantPage(t, resp, body, "By mode")
		if strings.Contains(body, "verify=1") || strings.Contains(body, "Publish the report") {
			t.Error("an applicant is offered verification or publication")
		}
		resp, body = w.post(t, w.f.Manager, page+"/publish", url.Values{})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `role="alert"`) {
			t.Errorf("publish twice: %d", resp.StatusCode)
		}
	})
}
