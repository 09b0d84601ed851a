// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
	"time"
)

// TestReportsCLI: time to access and the transparency report through the
// command line: create, show in each format, the public read refused
// until publish and allowed after, publish once, verify; exit codes.
func TestReportsCLI(t *testing.T) {
	mgr := serveFresh(t)
	if out := clu(t, mgr, nil, "proposals", "overdue"); !strings.Contains(out, "No proposal is past its target") {
		t.Errorf("proposals overdue: %s", out)
	}
	if out := clu(t, mgr, nil, "reports", "time-to-access"); !strings.Contains(out, "WITHIN TARGET") || !strings.Contains(out, "holidays") {
		t.Errorf("time-to-access: %s", out)
	}
	if out := clu(t, mgr, nil, "reports", "time-to-access", "--format", "csv"); !strings.HasPrefix(out, "proposal_id,call_id,mode") {
		t.Errorf("time-to-access CSV: %s", out)
	}
	if code, _, stderr := cli(t, mgr, "reports", "time-to-access", "--call", "nope"); code != exitNotFound {
		t.Errorf("unknown call: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, mgr, "reports", "transparency", "create", "--period", "2026-Q5"); code != exitInvalid || !strings.Contains(stderr, "period") {
		t.Errorf("bad period: %d %s", code, stderr)
	}
	var rep struct {
		ID       string `json:"id"`
		AuditSeq int    `json:"audit_seq"`
	}
	year := time.Now().UTC().Format("2006")
	clu(t, mgr, &rep, "reports", "transparency", "create", "--period", year, "--k", "3", "--json")
	if rep.ID == "" || rep.AuditSeq == 0 {
		t.Fatalf("create: %+v", rep)
	}
	if out := clu(t, mgr, nil, "reports", "transparency", "show", rep.ID, "--format", "csv"); !strings.HasPrefix(out, "dimension,value,suppressed") {
		t.Errorf("show csv: %s", out)
	}
	if out := clu(t, mgr, nil, "reports", "transparency", "show", rep.ID, "--format", "html"); !strings.Contains(out, "<h1>Transparency report") ||
		strings.Contains(out, "<script") {
		t.Errorf("show html: %s", out)
	}
	anon := map[string]string{"PACTUM_SERVER": mgr["PACTUM_SERVER"]}
	if code, _, stderr := cli(t, anon, "reports", "transparency", "show", rep.ID, "--public"); code != exitNotFound {
		t.Errorf("public show before publishing: %d %s", code, stderr)
	}
	if out := clu(t, mgr, nil, "reports", "transparency", "publish", rep.ID); !strings.Contains(out, "Published") {
		t.Errorf("publish: %s", out)
	}
	if code, _, _ := cli(t, mgr, "reports", "transparency", "publish", rep.ID); code != exitConflict {
		t.Errorf("publish twice: %d", code)
	}
	var pub struct {
		ID          string  `json:"id"`
		PublishedAt *string `json:"published_at"`
	}
	clu(t, anon, &pub, "reports", "transparency", "show", rep.ID, "--public")
	if pub.ID != rep.ID || pub.PublishedAt == nil {
		t.Errorf("public show: %+v", pub)
	}
	if out := clu(t, mgr, nil, "reports", "transparency", "list"); !strings.Contains(out, rep.ID) {
		t.Errorf("list: %s", out)
	}
	if out := clu(t, mgr, nil, "reports", "transparency", "verify", rep.ID); !strings.Contains(out, "agree with the audit log") {
		t.Errorf("verify: %s", out)
	}
	if code, _, _ := cli(t, mgr, "reports", "transparency", "show", rep.ID, "--format", "pdf"); code != exitInvalid {
		t.Errorf("bad format: %d", code)
	}
}
