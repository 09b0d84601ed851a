// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

var oblT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func oblAllocation() *pactum.Allocation {
	return &pactum.Allocation{ID: "al", OrganizationID: "org", StartsAt: oblT0, EndsAt: oblT0.AddDate(0, 12, 0),
		Conditions: []pactum.Finding{
			{RuleID: "ethics.review", Message: "Publish the data-protection impact assessment."},
			{RuleID: "gpai.doc", Message: "Keep the documentation."},
			{RuleID: "ethics.review", Message: "Name a contact for the ethics board."},
		}}
}

// TestNewObligations: each template becomes an obligation with its due
// date; the ethics template one per ethics condition; no terms, none.
func TestNewObligations(t *testing.T) {
	m := &pactum.ModeObligations{Mode: pactum.ModeLargeScale, BreachAfterDays: 30, Templates: []pactum.ObligationTemplate{
		{Kind: pactum.ObligationProgressReport, Title: "Progress", Fraction: 0.5},
		{Kind: pactum.ObligationFinalReport, Title: "Final", DaysAfterEnd: 60},
		{Kind: pactum.ObligationAcknowledgement, Title: "Ack", DaysAfterEnd: 180},
		{Kind: pactum.ObligationEthicsCondition, Title: "Ethics", DaysAfterStart: 30},
	}}
	n := 0
	ids := func() string { n++; return fmt.Sprint("o", n) }
	al := oblAllocation()
	obls := pactum.NewObligations(al, m, oblT0, ids)
	if len(obls) != 5 {
		t.Fatalf("%d obligations, want 5", len(obls))
	}
	want := []struct {
		kind   pactum.ObligationKind
		due    time.Time
		detail string
	}{
		{pactum.ObligationProgressReport, oblT0.Add(al.EndsAt.Sub(al.StartsAt) / 2), ""},
		{pactum.ObligationFinalReport, al.EndsAt.AddDate(0, 0, 60), ""},
		{pactum.ObligationAcknowledgement, al.EndsAt.AddDate(0, 0, 180), ""},
		{pactum.ObligationEthicsCondition, oblT0.AddDate(0, 0, 30), "Publish the data-protection impact assessment."},
		{pactum.ObligationEthicsCondition, oblT0.AddDate(0, 0, 30), "Name a contact for the ethics board."},
	}
	for i, w := range want {
		o := obls[i]
		if o.Kind != w.kind || !o.DueAt.Equal(w.due) || o.Detail != w.detail || o.State != pactum.ObligationOpen ||
			o.AllocationID != "al" || o.OrganizationID != "org" || o.BreachAfterDays != 30 || o.Version != 1 {
			t.Errorf("obligation %d: %+v, want %v due %s %q", i, o, w.kind, w.due, w.detail)
		}
	}
	if got := pactum.NewObligations(al, nil, oblT0, ids); got != nil {
		t.Errorf("no terms: %v", got)
	}
}

// TestNewObligationsReviewerDeadline: an ethics condition whose review set
// its own deadline is due then, with or without the mode's ethics
// template, and even when the mode has no terms; the others keep the
// template's date.
func TestNewObligationsReviewerDeadline(t *testing.T) {
	n := 0
	ids := func() string { n++; return fmt.Sprint("o", n) }
	al := oblAllocation()
	al.Conditions[2].DueDays = 10
	withTemplate := &pactum.ModeObligations{Mode: pactum.ModeFastLane, Templates: []pactum.ObligationTemplate{
		{Kind: pactum.ObligationEthicsCondition, Title: "Ethics", DaysAfterStart: 30}}}
	without := &pactum.ModeObligations{Mode: pactum.ModeFastLane, BreachAfterDays: 7, Templates: []pactum.ObligationTemplate{
		{Kind: pactum.ObligationFinalReport, Title: "Final", DaysAfterEnd: 60}}}
	type got struct {
		detail, title string
		due           time.Time
	}
	cases := []struct {
		name string
		m    *pactum.ModeObligations
		want []got
	}{
		{"template", withTemplate, []got{
			{"Publish the data-protection impact assessment.", "Ethics", oblT0.AddDate(0, 0, 30)},
			{"Name a contact for the ethics board.", "Ethics", oblT0.AddDate(0, 0, 10)}}},
		{"no ethics template", without, []got{
			{"Name a contact for the ethics board.", pactum.DefaultEthicsConditionTitle, oblT0.AddDate(0, 0, 10)}}},
		{"no terms", nil, []got{
			{"Name a contact for the ethics board.", pactum.DefaultEthicsConditionTitle, oblT0.AddDate(0, 0, 10)}}},
	}
	for _, c := range cases {
		var ethics []got
		for _, o := range pactum.NewObligations(al, c.m, oblT0, ids) {
			if o.Kind == pactum.ObligationEthicsCondition {
				ethics = append(ethics, got{o.Detail, o.Title, o.DueAt})
			}
		}
		if !slices.Equal(ethics, c.want) {
			t.Errorf("%s: ethics obligations %v, want %v", c.name, ethics, c.want)
		}
	}
}

// TestEthicsConditionsDeadline: a review's deadlines pair with its
// conditions; a condition two reviews set keeps the earlier deadline.
func TestEthicsConditionsDeadline(t *testing.T) {
	r1 := &pactum.Review{Stage: pactum.StageEthics, Recommendation: pactum.RecommendAcceptWithConditions,
		Conditions: []string{"A", "B", "C"}, ConditionDueDays: []int{0, 40, 20}}
	r2 := &pactum.Review{Stage: pactum.StageEthics, Recommendation: pactum.RecommendAcceptWithConditions,
		Conditions: []string{"B", "A", "C", "D"}, ConditionDueDays: []int{30, 15, 0, 5}}
	r3 := &pactum.Review{Stage: pactum.StageEthics, Recommendation: pactum.RecommendAcceptWithConditions, Conditions: []string{"E"}}
	var got []string
	for _, f := range pactum.EthicsConditions([]*pactum.Review{r1, r2, r3}) {
		got = append(got, fmt.Sprint(f.Message, f.DueDays))
	}
	if want := []string{"A15", "B30", "C20", "D5", "E0"}; !slices.Equal(got, want) {
		t.Errorf("conditions %v, want %v", got, want)
	}
}

// TestObligationNotices: the most urgent reminder whose day has come, once
// pending; overdue past the due date; breach after the grace period when
// the terms set one; nothing once submitted or accepted.
func TestObligationNotices(t *testing.T) {
	due := oblT0.AddDate(0, 2, 0)
	o := &pactum.Obligation{DueAt: due, State: pactum.ObligationOpen, BreachAfterDays: 30}
	days := []int{14, 3}
	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{due.AddDate(0, 0, -20), nil},
		{due.AddDate(0, 0, -14), []string{"reminder_14"}},
		{due.AddDate(0, 0, -4), []string{"reminder_14"}},
		{due.AddDate(0, 0, -3), []string{"reminder_3"}},
		{due.Add(-time.Second), []string{"reminder_3"}},
		{due, []string{pactum.NoticeOverdue}},
		{due.AddDate(0, 0, 29), []string{pactum.NoticeOverdue}},
		{due.AddDate(0, 0, 30), []string{pactum.NoticeOverdue, pactum.NoticeBreach}},
	} {
		if got := pactum.ObligationNotices(o, days, c.at); !slices.Equal(got, c.want) {
			t.Errorf("at due%+v: %v, want %v", c.at.Sub(due), got, c.want)
		}
	}
	never := *o
	never.BreachAfterDays = 0
	if got := pactum.ObligationNotices(&never, days, due.AddDate(1, 0, 0)); !slices.Equal(got, []string{pactum.NoticeOverdue}) {
		t.Errorf("no grace: %v", got)
	}
	returned := *o
	returned.State = pactum.ObligationReturned
	if got := pactum.ObligationNotices(&returned, days, due); !slices.Equal(got, []string{pactum.NoticeOverdue}) {
		t.Errorf("returned: %v", got)
	}
	for _, s := range []pactum.ObligationState{pactum.ObligationSubmitted, pactum.ObligationAccepted} {
		x := *o
		x.State = s
		if got := pactum.ObligationNotices(&x, days, due.AddDate(0, 3, 0)); got != nil {
			t.Errorf("%s: %v", s, got)
		}
	}
}

// TestAssessCompliance counts obligations by standing and names every
// reason an allocation is not compliant.
func TestAssessCompliance(t *testing.T) {
	al := oblAllocation()
	now := oblT0.AddDate(0, 3, 0)
	obls := []*pactum.Obligation{
		{ID: "late", Title: "Late", DueAt: now.Add(-time.Hour), State: pactum.ObligationOpen},
		{ID: "soon", DueAt: now.Add(time.Hour), State: pactum.ObligationOpen},
		{ID: "sub", DueAt: now.Add(-time.Hour), State: pactum.ObligationSubmitted},
		{ID: "done", DueAt: now.Add(-time.Hour), State: pactum.ObligationAccepted},
		{ID: "back", Title: "Back", DueAt: now.Add(-time.Hour), State: pactum.ObligationReturned},
	}
	conds := []pactum.ConditionStatus{{Finding: pactum.Finding{RuleID: "gpai.doc"}, Met: false}}
	b := &pactum.Breach{Reason: "no final report"}
	c := pactum.AssessCompliance(al, conds, obls, b, 2, now)
	if c.Due != 1 || c.Overdue != 2 || c.Submitted != 1 || c.Done != 1 || c.ConditionsMet || !c.Breached || c.Compliant || len(c.Reasons) != 5 {
		t.Errorf("compliance %+v", c)
	}
	cleared := now
	b.ClearedAt = &cleared
	c = pactum.AssessCompliance(al, nil, obls[1:4], b, 0, now)
	if !c.Compliant || c.Breached || !c.ConditionsMet || len(c.Reasons) != 0 || c.Breach == nil {
		t.Errorf("compliant allocation: %+v", c)
	}
}

// TestDesireBreach: a breach in force suspends the allocation at its site
// with a reason; a cleared one does not.
func TestDesireBreach(t *testing.T) {
	al := oblAllocation()
	al.State, al.Conditions = pactum.AllocationActive, nil
	sa := pactum.SiteAllocation{Allocation: al, Breach: &pactum.Breach{AllocationID: "al", Reason: "no final report"}}
	st := pactum.DesireSite("CSC", []pactum.SiteAllocation{sa}, oblT0.AddDate(0, 1, 0))
	if d := st.Allocations[0]; !d.Suspended || !slices.Contains(d.Reasons, "breach declared: no final report") {
		t.Errorf("breach in force: %+v", d)
	}
	now := oblT0
	sa.Breach.ClearedAt = &now
	st = pactum.DesireSite("CSC", []pactum.SiteAllocation{sa}, oblT0.AddDate(0, 1, 0))
	if d := st.Allocations[0]; d.Suspended || len(d.Reasons) != 0 {
		t.Errorf("breach cleared: %+v", d)
	}
}

// TestSubmissionInput refuses empty and hostile submissions by field.
func TestSubmissionInput(t *testing.T) {
	for _, in := range []pactum.SubmissionInput{{Report: " "}, {Report: "ok\x00"}, {Report: "fine", OutcomeID: "a\nb"}} {
		if err := in.Validate(); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%q accepted", in.Report)
		}
	}
	if err := (&pactum.SubmissionInput{Report: "We trained the model.\nResults below."}).Validate(); err != nil {
		t.Error(err)
	}
	if err := pactum.ValidateReason(""); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Error("empty reason accepted")
	}
}
