// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestDriftReports: a report an agent posts is kept and listed newest
// first to the site's operators, access managers and auditors; another
// site's operator and an unknown site get ENOTFOUND, an applicant
// EFORBIDDEN, a bad limit EINVALID.
func TestDriftReports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ops := storetest.As(w.f.Operator)
		first := pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{{Account: "p_a1", Action: "set_limits gres/gpu=6000", Found: "GrpTRESMins=gres/gpu=999999"}}}
		second := pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{{Account: "p_a2", Action: "resume", Found: "suspended"},
			{Account: "p_a3", Action: "add_user ada", Found: "users="}}}
		if err := w.uc.ReportDrift(ops, "CSC", first); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Minute)
		if err := w.uc.ReportDrift(ops, "CSC", second); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*pactum.User{w.f.Operator, w.f.Manager, w.f.Auditor} {
			ds, n, err := w.uc.FindDriftReports(storetest.As(u), "CSC", 0)
			if err != nil || n != 2 || len(ds) != 2 {
				t.Fatalf("%s: %d of %d, %v", u.Role, len(ds), n, err)
			}
			if d := ds[0]; d.Site != "CSC" || d.Cluster != "lumi" || len(d.Items) != 2 || d.Items[1].Action != "add_user ada" ||
				d.ReportedBy != w.f.Operator.ID || !d.ReportedAt.Equal(t0.Add(time.Minute)) || d.ID == "" {
				t.Errorf("newest: %+v", d)
			}
			if ds[1].Items[0].Found != "GrpTRESMins=gres/gpu=999999" || !ds[1].ReportedAt.Equal(t0) {
				t.Errorf("oldest: %+v", ds[1])
			}
		}
		ds, n, err := w.uc.FindDriftReports(ops, "CSC", 1)
		if err != nil || n != 2 || len(ds) != 1 || ds[0].Items[0].Account != "p_a2" {
			t.Errorf("limit 1: %+v %d %v", ds, n, err)
		}
		other := &pactum.User{Email: "ops@cineca.example", Name: "Cora", Role: pactum.RoleSiteOperator, Site: "CINECA"}
		if err := w.uc.CreateUser(storetest.As(pactum.SystemUser()), other); err != nil {
			t.Fatal(err)
		}
		_, _, err = w.uc.FindDriftReports(storetest.As(other), "CSC", 0)
		wantCode(t, err, pactum.ENOTFOUND)
		if ds, n, err := w.uc.FindDriftReports(storetest.As(other), "CINECA", 0); err != nil || n != 0 || len(ds) != 0 {
			t.Errorf("CINECA: %v %d %v", ds, n, err)
		}
		_, _, err = w.uc.FindDriftReports(storetest.As(w.f.ApplicantA), "CSC", 0)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, _, err = w.uc.FindDriftReports(storetest.As(w.f.Manager), "Nowhere", 0)
		wantCode(t, err, pactum.ENOTFOUND)
		_, _, err = w.uc.FindDriftReports(ops, "CSC", pactum.MaxDriftList+1)
		wantCode(t, err, pactum.EINVALID)
	})
}

// TestUsageIngestStatus: a cluster's status counts the records kept and
// describes the last batch that wrote any; a batch of duplicates leaves it
// as it was; a leased cluster with no usage yet is listed empty; another
// site's operator is refused.
func TestUsageIngestStatus(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.allocation(t, 100)
		w.activate(t, a)
		acct := pactum.AllocationAccount(a.ID)
		ops := storetest.As(w.f.Operator)
		st, err := w.uc.UsageIngestStatus(ops, "CSC")
		if err != nil || len(st) != 0 {
			t.Fatalf("before any usage: %+v %v", st, err)
		}
		w.ingest(t, w.f.Operator, job(acct, "1", "alice", true, 1, 60), job(acct, "2", "alice", false, 1, 60))
		w.clock.Advance(time.Minute)
		w.ingest(t, w.f.Operator, job(acct, "2", "alice", true, 1, 90), job(acct, "3", "bob", true, 1, 30))
		w.clock.Advance(time.Minute)
		w.ingest(t, w.f.Operator, job(acct, "3", "bob", true, 1, 30)) // a replay: nothing written
		if _, err := w.uc.Heartbeat(ops, "CSC", pactum.AgentHeartbeat{Cluster: "lumi-c", Holder: "login1:1", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*pactum.User{w.f.Operator, w.f.Auditor} {
			st, err = w.uc.UsageIngestStatus(storetest.As(u), "CSC")
			if err != nil || len(st) != 2 {
				t.Fatalf("%s: %+v %v", u.Role, st, err)
			}
			c := st[0]
			if c.Cluster != "lumi" || c.Site != "CSC" || c.Records != 3 || c.LastBatchAt == nil || !c.LastBatchAt.Equal(t0.Add(time.Minute)) ||
				c.LastWritten != 2 || c.LastNew != 1 {
				t.Errorf("lumi: %+v", c)
			}
			if c := st[1]; c.Cluster != "lumi-c" || c.Records != 0 || c.LastBatchAt != nil {
				t.Errorf("leased, no usage: %+v", c)
			}
		}
		other := &pactum.User{Email: "ops@cineca.example", Name: "Cora", Role: pactum.RoleSiteOperator, Site: "CINECA"}
		if err := w.uc.CreateUser(storetest.As(pactum.SystemUser()), other); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.UsageIngestStatus(storetest.As(other), "CSC")
		wantCode(t, err, pactum.ENOTFOUND)
		if st, err := w.uc.UsageIngestStatus(storetest.As(other), "CINECA"); err != nil || len(st) != 0 {
			t.Errorf("CINECA sees %+v %v", st, err)
		}
	})
}

// TestSiteAllocations: pages of a site's desired state agree with
// DesiredState, in order, with the count by state; the rules of
// FindDriftReports apply, and a bad limit or offset is EINVALID.
func TestSiteAllocations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		for range 5 {
			w.allocation(t, 100)
		}
		ops := storetest.As(w.f.Operator)
		all, err := w.uc.DesiredState(ops, "CSC", nil)
		if err != nil || len(all.Allocations) != 5 {
			t.Fatalf("desired state %v %v", all, err)
		}
		w.activate(t, &pactum.Allocation{ID: all.Allocations[1].AllocationID})
		all, _ = w.uc.DesiredState(ops, "CSC", nil)
		var got []pactum.DesiredAllocation
		for off := 0; off < 6; off += 2 {
			p, err := w.uc.SiteAllocations(ops, "CSC", 2, off)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 5 || p.ByState[pactum.AllocationPending] != 4 || p.ByState[pactum.AllocationActive] != 1 {
				t.Errorf("offset %d: total %d by state %v", off, p.Total, p.ByState)
			}
			got = append(got, p.Allocations...)
		}
		if len(got) != 5 {
			t.Fatalf("%d allocations over the pages", len(got))
		}
		for i := range got {
			if got[i].AllocationID != all.Allocations[i].AllocationID || got[i].State != all.Allocations[i].State || got[i].Account != all.Allocations[i].Account {
				t.Errorf("%d: %+v, want %+v", i, got[i], all.Allocations[i])
			}
		}
		if p, err := w.uc.SiteAllocations(storetest.As(w.f.Auditor), "CSC", 10, 0); err != nil || len(p.Allocations) != 5 {
			t.Errorf("auditor: %v %v", p, err)
		}
		_, err = w.uc.SiteAllocations(storetest.As(w.f.ApplicantA), "CSC", 10, 0)
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.SiteAllocations(ops, "CINECA", 10, 0)
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.SiteAllocations(ops, "CSC", 0, 0)
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.SiteAllocations(ops, "CSC", 10, -1)
		wantCode(t, err, pactum.EINVALID)
	})
}
