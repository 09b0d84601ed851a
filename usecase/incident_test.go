// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

func (w *world) report(t *testing.T, u *pactum.User, in pactum.IncidentInput) *pactum.Incident {
	t.Helper()
	inc, err := w.uc.ReportIncident(storetest.As(u), in)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func securityIncident(allocationID string) pactum.IncidentInput {
	return pactum.IncidentInput{AllocationID: allocationID, Kind: pactum.IncidentSecurity, Severity: pactum.SeverityHigh,
		Title: "Leaked SSH key", Description: "A project member's SSH key was published in a public repository.",
		OccurredAt: t0.Add(-2 * time.Hour)}
}

// TestIncidentLifecycle: the holder and the hosting site report, access
// managers triage and close, every change is audit-logged with the whole
// incident and notified, retries change nothing, and overdue incidents
// are listed until closed.
func TestIncidentLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)

		inc := w.report(t, w.f.ApplicantA, securityIncident(al.ID))
		if inc.State != pactum.IncidentReported || inc.CallID != w.f.Call.ID || inc.OrganizationID != w.f.OrgA.ID ||
			inc.ReporterRole != pactum.RoleApplicant || inc.SystemicRisk || len(inc.Deadlines) != 1 ||
			!inc.DueAt.Equal(t0.Add(5*24*time.Hour)) || inc.Overdue {
			t.Fatalf("reported: %+v", inc)
		}
		if n := w.countKind(t, w.f.Manager, pactum.NotifyIncident); n != 1 {
			t.Errorf("access manager got %d incident notices, want 1", n)
		}
		byOps := w.report(t, w.f.Operator, pactum.IncidentInput{AllocationID: al.ID, Kind: pactum.IncidentSerious,
			Severity: pactum.SeverityCritical, Harm: pactum.HarmCriticalInfrastructure, Title: "Grid controller misfired",
			Description: "A model trained here drove a grid controller into an unsafe state.", OccurredAt: t0.Add(-time.Hour)})
		if byOps.ReporterRole != pactum.RoleSiteOperator || byOps.Deadlines[0].Basis != "AI Act Art. 73(3)" ||
			!byOps.DueAt.Equal(t0.Add(-time.Hour).Add(48*time.Hour)) {
			t.Fatalf("reported by the site: %+v", byOps)
		}
		if n, err := w.uc.CountOpenIncidents(storetest.As(w.f.ApplicantA), al.ID); err != nil || n != 2 {
			t.Fatalf("open incidents %d, %v; want 2", n, err)
		}

		// Only access managers triage and close.
		tri := pactum.TriageInput{Note: "Confirmed with the site; key revoked.", Severity: pactum.SeverityCritical}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Operator, w.f.Auditor} {
			if _, err := w.uc.TriageIncident(storetest.As(u), inc.ID, tri); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
				t.Errorf("%s triaged: %v", u.Role, err)
			}
		}
		if _, err := w.uc.CloseIncident(storetest.As(w.f.Manager), inc.ID, "Closed."); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("closed before triage: %v", err)
		}
		if _, err := w.uc.TriageIncident(storetest.As(w.f.Manager), inc.ID, pactum.TriageInput{Note: "ok\x1b[31m"}); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("control characters in the note: %v", err)
		}
		w.clock.Advance(time.Hour)
		got, err := w.uc.TriageIncident(storetest.As(w.f.Manager), inc.ID, tri)
		if err != nil || got.State != pactum.IncidentTriaged || got.TriagedBy != w.f.Manager.ID || got.Severity != pactum.SeverityCritical ||
			!got.DueAt.Equal(t0.Add(2*24*time.Hour)) || got.Version != 2 {
			t.Fatalf("triaged: %+v %v", got, err)
		}
		again, err := w.uc.TriageIncident(storetest.As(w.f.Manager), inc.ID, tri)
		if err != nil || again.Version != 2 {
			t.Fatalf("a retried triage changed it: %+v %v", again, err)
		}
		if _, err := w.uc.TriageIncident(storetest.As(w.f.Manager), inc.ID, pactum.TriageInput{Note: "Something else."}); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("triaged twice differently: %v", err)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyIncident); n != 1 {
			t.Errorf("the reporter got %d notices after triage, want 1", n)
		}

		// Overdue: past the earliest deadline and not closed.
		w.clock.Advance(3 * 24 * time.Hour)
		over, n, err := w.uc.FindOverdueIncidents(storetest.As(w.f.Auditor), 50, 0)
		if err != nil || n != 2 || len(over) != 2 || over[0].ID != byOps.ID || !over[0].Overdue {
			t.Fatalf("overdue: %d %v", n, err)
		}
		if _, _, err := w.uc.FindOverdueIncidents(storetest.As(w.f.ApplicantA), 50, 0); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("an applicant listed overdue incidents: %v", err)
		}
		if list, n, err := w.uc.FindIncidents(storetest.As(w.f.ApplicantA), pactum.IncidentFilter{Overdue: true}); err != nil || n != 2 || !list[0].Overdue {
			t.Errorf("the holder's overdue incidents: %d %v", n, err)
		}
		if _, n, err := w.uc.FindIncidents(storetest.As(w.f.ApplicantB), pactum.IncidentFilter{Overdue: true}); err != nil || n != 0 {
			t.Errorf("another organization sees %d overdue incidents: %v", n, err)
		}
		if got, _ := w.uc.FindIncident(storetest.As(w.f.ApplicantA), inc.ID); !got.Overdue {
			t.Error("show does not say overdue")
		}

		closed, err := w.uc.CloseIncident(storetest.As(w.f.Manager), inc.ID, "Key revoked, access logs reviewed: no misuse found.")
		if err != nil || closed.State != pactum.IncidentClosed || closed.ClosedAt == nil || closed.Overdue || closed.Version != 3 {
			t.Fatalf("closed: %+v %v", closed, err)
		}
		if again, err := w.uc.CloseIncident(storetest.As(w.f.Manager), inc.ID, "Another outcome."); err != nil || again.Outcome != closed.Outcome || again.Version != 3 {
			t.Fatalf("a retried close changed it: %+v %v", again, err)
		}
		if _, err := w.uc.TriageIncident(storetest.As(w.f.Manager), inc.ID, pactum.TriageInput{Note: "late"}); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("triaged a closed incident: %v", err)
		}
		if _, n, _ := w.uc.FindOverdueIncidents(storetest.As(w.f.Manager), 50, 0); n != 1 {
			t.Errorf("%d overdue after closing one, want 1", n)
		}
		if n, _ := w.uc.CountOpenIncidents(storetest.As(w.f.Manager), al.ID); n != 1 {
			t.Errorf("%d open after closing one, want 1", n)
		}
		if n := w.countKind(t, w.f.ApplicantA, pactum.NotifyIncident); n != 2 {
			t.Errorf("the reporter got %d notices, want 2 (triage, close)", n)
		}

		// The audit log has every change, each with the whole incident.
		for action, want := range map[string]int{"incident.report": 2, "incident.triage": 1, "incident.close": 1} {
			evs := w.events(t, action)
			if len(evs) != want {
				t.Fatalf("%d %s events, want %d", len(evs), action, want)
			}
			var snap pactum.Incident
			if err := json.Unmarshal(evs[0].After, &snap); err != nil || snap.ID == "" || snap.Description == "" || len(snap.Deadlines) == 0 {
				t.Errorf("%s snapshot: %+v %v", action, snap, err)
			}
		}
		// audit verify --state proves the incidents table from the log,
		// and finds a row changed behind its back.
		wantStateOK(t, w.verifyState(t))
		if _, err := w.raw(t).Exec(`UPDATE incidents SET outcome = 'nothing happened' WHERE id = '` + inc.ID + `'`); err != nil {
			t.Fatal(err)
		}
		if r := w.verifyState(t); r.OK || r.State == nil || r.State.First == nil || r.State.First.Table != "incidents" || r.State.First.Field != "outcome" {
			t.Errorf("a tampered incident: %+v", r.State)
		}
	})
}

// TestIncidentSystemicRisk: an incident naming a model at 10^25 FLOP
// names the Art. 55(1)(c) duty; a model of another organization is not
// found.
func TestIncidentSystemicRisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)
		w.activate(t, al)
		big := w.model(t, w.f.ApplicantA, pactum.Model{Name: "big", Version: "1", PriorTrainingFLOP: 9.95e24})
		small := w.model(t, w.f.ApplicantA, pactum.Model{Name: "small", Version: "1"})
		other := w.model(t, w.f.ApplicantB, pactum.Model{Name: "other", Version: "1"})
		w.ingest(t, w.f.Operator, labelled(job(pactum.AllocationAccount(al.ID), "1", "ada", true, 1024, 30*86400), "big@1", pactum.PhasePreTraining))

		in := securityIncident(al.ID)
		in.ModelID = big.ID
		inc := w.report(t, w.f.ApplicantA, in)
		if !inc.SystemicRisk || inc.Model != "big@1" || len(inc.Deadlines) != 2 || !strings.Contains(inc.Deadlines[0].Basis, "Art. 55(1)(c)") {
			t.Fatalf("systemic-risk incident: %+v", inc)
		}
		in.ModelID = small.ID
		if inc := w.report(t, w.f.ApplicantA, in); inc.SystemicRisk || len(inc.Deadlines) != 1 {
			t.Fatalf("small model: %+v", inc)
		}
		in.ModelID = other.ID
		if _, err := w.uc.ReportIncident(storetest.As(w.f.ApplicantA), in); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another organization's model: %v", err)
		}
	})
}

// TestIncidentVisibility: the holding organization, the hosting site,
// access managers and auditors see incidents; reviewers and other
// organizations never, not even that they exist (ENOTFOUND); only the
// holder and the site report; hostile input is refused by field.
func TestIncidentVisibility(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)
		inc := w.report(t, w.f.ApplicantA, securityIncident(al.ID))

		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Operator, w.f.Manager, w.f.Auditor} {
			if _, err := w.uc.FindIncident(storetest.As(u), inc.ID); err != nil {
				t.Errorf("%s cannot see it: %v", u.Email, err)
			}
			if list, n, err := w.uc.FindIncidents(storetest.As(u), pactum.IncidentFilter{AllocationID: &al.ID}); err != nil || n != 1 || len(list) != 1 {
				t.Errorf("%s lists %d: %v", u.Email, n, err)
			}
		}
		for _, u := range []*pactum.User{w.f.Reviewer, w.f.ApplicantB} {
			if _, err := w.uc.FindIncident(storetest.As(u), inc.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s: show gave %v, want ENOTFOUND", u.Email, err)
			}
			if _, _, err := w.uc.FindIncidents(storetest.As(u), pactum.IncidentFilter{AllocationID: &al.ID}); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s: list of the allocation gave %v, want ENOTFOUND", u.Email, err)
			}
			if list, n, err := w.uc.FindIncidents(storetest.As(u), pactum.IncidentFilter{}); err != nil || n != 0 || len(list) != 0 {
				t.Errorf("%s lists %d incidents: %v", u.Email, n, err)
			}
			if _, err := w.uc.CountOpenIncidents(storetest.As(u), al.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s counted: %v", u.Email, err)
			}
			if _, err := w.uc.ReportIncident(storetest.As(u), securityIncident(al.ID)); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s reported on another's allocation: %v", u.Email, err)
			}
		}
		for _, u := range []*pactum.User{w.f.Manager, w.f.Auditor} {
			if _, err := w.uc.ReportIncident(storetest.As(u), securityIncident(al.ID)); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
				t.Errorf("%s reported: %v", u.Email, err)
			}
		}
		// A site operator of another site sees nothing.
		other := &pactum.User{ID: "ops-x", Email: "ops@cineca.example", Role: pactum.RoleSiteOperator, Site: "CINECA"}
		if _, err := w.uc.FindIncident(storetest.As(other), inc.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another site's operator: %v", err)
		}

		// Hostile input.
		hostile := securityIncident(al.ID)
		hostile.OccurredAt = t0.Add(48 * time.Hour)
		hostile.Title = "bad\x1b]0;pwned\x07"
		hostile.Description = strings.Repeat("x", pactum.MaxIncidentDescription+1)
		_, err := w.uc.ReportIncident(storetest.As(w.f.ApplicantA), hostile)
		wantCode(t, err, pactum.EINVALID)
		fields := map[string]bool{}
		for _, f := range pactum.ErrorFields(err) {
			fields[f.Field] = true
		}
		if !fields["occurred_at"] || !fields["title"] || !fields["description"] {
			t.Errorf("fields named: %v", fields)
		}
		if _, err := w.uc.ReportIncident(storetest.As(w.f.ApplicantA), securityIncident("no-such-allocation")); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("unknown allocation: %v", err)
		}
		if n := len(w.events(t, "incident.report")); n != 1 {
			t.Errorf("%d report events, want 1 (refusals write nothing)", n)
		}
	})
}
