// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	incOccurred = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	incReported = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
)

func days(d int) time.Duration { return time.Duration(d) * 24 * time.Hour }

// TestIncidentDeadlines: each kind, severity and harm gets the deadlines
// of its legal basis, earliest first, counted from the right date.
func TestIncidentDeadlines(t *testing.T) {
	type want struct {
		basis string
		due   time.Time
	}
	cases := []struct {
		name     string
		kind     IncidentKind
		severity IncidentSeverity
		harm     IncidentHarm
		systemic bool
		want     []want
	}{
		{"security low", IncidentSecurity, SeverityLow, "", false,
			[]want{{"pactum terms", incReported.Add(days(30))}}},
		{"misuse critical", IncidentMisuse, SeverityCritical, "", false,
			[]want{{"pactum terms", incReported.Add(days(2))}}},
		{"serious, health: Art. 73(2) 15 days", IncidentSerious, SeverityModerate, HarmHealth, false,
			[]want{{"Art. 73(2)", incOccurred.Add(days(15))}, {"pactum terms", incReported.Add(days(15))}}},
		{"serious, death: Art. 73(4) 10 days", IncidentSerious, SeverityLow, HarmDeath, false,
			[]want{{"Art. 73(4)", incOccurred.Add(days(10))}, {"pactum terms", incReported.Add(days(30))}}},
		{"serious, critical infrastructure: Art. 73(3) 2 days", IncidentSerious, SeverityHigh, HarmCriticalInfrastructure, false,
			[]want{{"Art. 73(3)", incOccurred.Add(days(2))}, {"pactum terms", incReported.Add(days(5))}}},
		{"serious, widespread: Art. 73(3) 2 days", IncidentSerious, SeverityLow, HarmWidespread, false,
			[]want{{"Art. 73(3)", incOccurred.Add(days(2))}, {"pactum terms", incReported.Add(days(30))}}},
		{"security on a systemic-risk model: Art. 55(1)(c)", IncidentSecurity, SeverityModerate, "", true,
			[]want{{"Art. 55(1)(c)", incOccurred.Add(days(5))}, {"pactum terms", incReported.Add(days(15))}}},
		{"serious death on a systemic-risk model", IncidentSerious, SeverityCritical, HarmDeath, true,
			[]want{{"pactum terms", incReported.Add(days(2))}, {"Art. 73(4)", incOccurred.Add(days(10))}, {"Art. 55(1)(c)", incOccurred.Add(days(10))}}},
		{"misuse on a systemic-risk model: no Art. 55 duty", IncidentMisuse, SeverityHigh, "", true,
			[]want{{"pactum terms", incReported.Add(days(5))}}},
		{"other", IncidentOther, SeverityModerate, "", false,
			[]want{{"pactum terms", incReported.Add(days(15))}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := IncidentDeadlines(c.kind, c.severity, c.harm, c.systemic, incOccurred, incReported)
			if len(got) != len(c.want) {
				t.Fatalf("got %d deadlines %+v, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].Basis, w.basis) || !got[i].DueAt.Equal(w.due) {
					t.Errorf("deadline %d: %s due %s, want %s due %s", i, got[i].Basis, got[i].DueAt, w.basis, w.due)
				}
				if got[i].Duty == "" || got[i].Days <= 0 {
					t.Errorf("deadline %d lacks its duty or days: %+v", i, got[i])
				}
			}
			if !slices.IsSortedFunc(got, func(a, b IncidentDeadline) int { return a.DueAt.Compare(b.DueAt) }) {
				t.Errorf("not earliest first: %+v", got)
			}
		})
	}
}

func TestIncidentOverdueAndDueAt(t *testing.T) {
	i := &Incident{Kind: IncidentSerious, Severity: SeverityLow, Harm: HarmDeath, OccurredAt: incOccurred, ReportedAt: incReported,
		State: IncidentReported}
	i.SetDeadlines()
	if !i.DueAt.Equal(incOccurred.Add(days(10))) {
		t.Fatalf("due %s, want the Art. 73(4) date", i.DueAt)
	}
	if i.IsOverdue(i.DueAt) || !i.IsOverdue(i.DueAt.Add(time.Second)) {
		t.Error("overdue only after the due time")
	}
	i.State = IncidentTriaged
	if !i.IsOverdue(i.DueAt.Add(time.Hour)) {
		t.Error("a triaged incident past its deadline is overdue")
	}
	i.State = IncidentClosed
	if i.IsOverdue(i.DueAt.Add(days(100))) {
		t.Error("a closed incident is never overdue")
	}
}

func TestHasSystemicRisk(t *testing.T) {
	at := func(subject string, th, fr float64) ComputeAlert {
		return ComputeAlert{Subject: subject, Threshold: th, Fraction: fr}
	}
	if HasSystemicRisk("model:1", nil, false) {
		t.Error("no alert, no hold")
	}
	if !HasSystemicRisk("model:1", nil, true) {
		t.Error("held")
	}
	if HasSystemicRisk("model:1", []ComputeAlert{at("model:1", SystemicRiskThresholdFLOP, 0.9), at("model:1", GPAIThresholdFLOP, 1)}, false) {
		t.Error("90 % of 10^25, or the GPAI threshold, is not systemic risk")
	}
	if HasSystemicRisk("model:1", []ComputeAlert{at("org:x", SystemicRiskThresholdFLOP, 1)}, false) {
		t.Error("the organization's upper bound is not the model's")
	}
	if !HasSystemicRisk("model:1", []ComputeAlert{at("model:1", SystemicRiskThresholdFLOP, 1)}, false) {
		t.Error("10^25 met")
	}
}

func TestValidateIncident(t *testing.T) {
	now := incReported
	ok := IncidentInput{AllocationID: "a1", Kind: IncidentSecurity, Severity: SeverityHigh, Title: "Leaked key",
		Description: "An SSH key of a project member was found on a public repository.", OccurredAt: now.Add(-time.Hour)}
	if err := ValidateIncident(&ok, now); err != nil {
		t.Fatal(err)
	}
	bad := func(name string, mut func(*IncidentInput), field string) {
		t.Helper()
		in := ok
		mut(&in)
		err := ValidateIncident(&in, now)
		if ErrorCode(err) != EINVALID || !slices.ContainsFunc(ErrorFields(err), func(f FieldError) bool { return f.Field == field }) {
			t.Errorf("%s: got %v, want EINVALID on %s", name, err, field)
		}
	}
	bad("no allocation", func(i *IncidentInput) { i.AllocationID = "" }, "allocation_id")
	bad("kind", func(i *IncidentInput) { i.Kind = "spooky" }, "kind")
	bad("severity", func(i *IncidentInput) { i.Severity = "apocalyptic" }, "severity")
	bad("serious without harm", func(i *IncidentInput) { i.Kind = IncidentSerious }, "harm")
	bad("harm on security", func(i *IncidentInput) { i.Harm = HarmDeath }, "harm")
	bad("escape in title", func(i *IncidentInput) { i.Title = "ok\x1b[2Jcleared" }, "title")
	bad("newline in title", func(i *IncidentInput) { i.Title = "two\nlines" }, "title")
	bad("bidi in description", func(i *IncidentInput) { i.Description = "harmless text \u202e reversed" }, "description")
	bad("huge description", func(i *IncidentInput) { i.Description = strings.Repeat("x", MaxIncidentDescription+1) }, "description")
	bad("huge title", func(i *IncidentInput) { i.Title = strings.Repeat("x", MaxIncidentTitle+1) }, "title")
	bad("future", func(i *IncidentInput) { i.OccurredAt = now.Add(25 * time.Hour) }, "occurred_at")
	bad("ancient", func(i *IncidentInput) { i.OccurredAt = now.AddDate(-11, 0, 0) }, "occurred_at")
	bad("huge id", func(i *IncidentInput) { i.AllocationID = strings.Repeat("a", 101) }, "allocation_id")
	in := ok
	in.OccurredAt = time.Time{} // left out: the time of the report
	if err := ValidateIncident(&in, now); err != nil {
		t.Errorf("no time: %v", err)
	}
	in.OccurredAt = now.Add(23 * time.Hour) // within a day: clocks differ
	if err := ValidateIncident(&in, now); err != nil {
		t.Errorf("less than a day ahead: %v", err)
	}
	in = ok
	in.Description = "Line one.\nLine two,\twith a tab."
	if err := ValidateIncident(&in, now); err != nil {
		t.Errorf("multi-line description: %v", err)
	}
	if ValidateIncidentNote("note", " ") == nil || ValidateIncidentNote("outcome", strings.Repeat("x", MaxIncidentNote+1)) == nil ||
		ValidateIncidentNote("note", "bell\a") == nil || ValidateIncidentNote("note", "Confirmed; key revoked.") != nil {
		t.Error("note validation")
	}
}

func TestCanReportIncident(t *testing.T) {
	a := &Allocation{OrganizationID: "org-a"}
	for _, c := range []struct {
		u    *User
		want bool
	}{
		{&User{Role: RoleApplicant, OrganizationID: "org-a"}, true},
		{&User{Role: RoleApplicant, OrganizationID: "org-b"}, false},
		{&User{Role: RoleSiteOperator, Site: "CSC"}, true},
		{&User{Role: RoleSiteOperator, Site: "CINECA"}, false},
		{&User{Role: RoleAccessManager}, false},
		{&User{Role: RoleAuditor}, false},
		{&User{Role: RoleReviewer}, false},
		{nil, false},
	} {
		if got := CanReportIncident(c.u, a, "CSC"); got != c.want {
			t.Errorf("%+v: got %v", c.u, got)
		}
	}
}
