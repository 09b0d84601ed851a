// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// BenchmarkOpsPages renders the site operator's and the auditor's pages
// (ops.go) on each engine, on the demo's data a hundredfold placed at one
// site: benchProposals proposals of benchOrgs/8 organizations on lumi-g
// (CSC), each an allocation with a job record, 100 drift reports, a
// transparency report over them; it reports the 95th percentile (p95-ms)
// beside the mean. The checkpoint and report verifications walk the whole
// audit log: they are measured, but they are verifications, not pages.
//
//	go test -run '^$' -bench OpsPages -benchtime 50x ./web/
func BenchmarkOpsPages(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchOpsPages(b, dialect) })
	}
}

func benchOpsPages(b *testing.B, dialect string) {
	w := newPortalWorld(b, dialect, nil)
	start := time.Now()
	applicants := benchApplicants(b, w, benchOrgs/8, "DE", "FR", "FI", "IT")
	ops := storetest.As(w.f.Operator)
	var recs []pactum.UsageRecordInput
	jobStart := time.Now().Add(-3 * time.Hour).UTC()
	jobEnd := jobStart.Add(time.Hour)
	for i := range benchProposals {
		p := storetest.NewProposal(w.f.Call.ID)
		p.Title = fmt.Sprintf("Bench model %04d", i)
		p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 200, StorageTB: 1}}
		if err := w.app.SubmitNewProposal(storetest.As(applicants[i%len(applicants)]), p); err != nil {
			b.Fatal(err)
		}
		als, _, err := w.app.FindAllocations(ops, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) != 1 {
			b.Fatal(als, err)
		}
		recs = append(recs, pactum.UsageRecordInput{JobID: fmt.Sprint(1000 + i), Account: pactum.AllocationAccount(als[0].ID), Username: "ada",
			State: "COMPLETED", Final: true, StartAt: &jobStart, EndAt: &jobEnd, ElapsedSeconds: 3600, GPUSeconds: 4 * 3600, NodeSeconds: 3600, CPUSeconds: 3600})
		if i%10 == 0 {
			if err := w.app.ReportDrift(ops, "CSC", pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{
				{Account: pactum.AllocationAccount(als[0].ID), Action: "set_limits gres/gpu=12000", Found: "GrpTRESMins=gres/gpu=999999"}}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := w.app.IngestUsage(ops, pactum.UsageBatch{Cluster: "lumi", Records: recs}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.app.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: "lumi", Holder: "uan01:1", Result: "ok"}); err != nil {
		b.Fatal(err)
	}
	y := time.Now().UTC().Year()
	rep, err := w.app.CreateTransparencyReport(storetest.As(w.f.Manager), pactum.ReportInput{Period: fmt.Sprintf("%d-01-01..%d-12-31", y, y), K: 5})
	if err != nil {
		b.Fatal(err)
	}
	evs, total, err := w.app.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{Limit: 1, Offset: 1000})
	if err != nil || len(evs) != 1 {
		b.Fatal(evs, err)
	}
	priv, pub, _ := audit.NewKey()
	cp, _ := audit.Sign(priv, evs[0].Seq, evs[0].Hash, time.Now())
	cpText, _ := json.Marshal(cp)
	b.Logf("%s: %d organizations, %d proposals at CSC, %d audit events, seeded in %s", dialect, len(applicants), benchProposals, total+1001,
		time.Since(start).Round(time.Millisecond))
	form := url.Values{"checkpoints": {string(cpText)}, "trusted": {pub}}.Encode()
	benchPages(b, w.srv.Config.Handler, []benchPage{
		{"operator-site", w.f.Operator, "/portal/sites/CSC", ""},
		{"manager-site", w.f.Manager, "/portal/sites/CSC", ""},
		{"checkpoints-form", w.f.Auditor, "/portal/audit/checkpoints", ""},
		{"transparency-list", w.f.Auditor, "/portal/transparency", ""},
		{"transparency-report", w.f.Auditor, "/portal/transparency/" + rep.ID, ""},
		{"checkpoints-verify", w.f.Auditor, "/portal/audit/checkpoints", form},
		{"transparency-verify", w.f.Auditor, "/portal/transparency/" + rep.ID + "?verify=1", ""},
	})
}
