// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

func TestMergeUsage(t *testing.T) {
	at := func(s int64) *time.Time { x := time.Unix(s, 0).UTC(); return &x }
	running := func(elapsed int64) *pactum.UsageRecord {
		return &pactum.UsageRecord{UsageRecordInput: pactum.UsageRecordInput{State: "RUNNING", ElapsedSeconds: elapsed, GPUSeconds: 4 * elapsed, StartAt: at(1000)}}
	}
	final := func(elapsed int64) *pactum.UsageRecord {
		return &pactum.UsageRecord{UsageRecordInput: pactum.UsageRecordInput{State: "COMPLETED", Final: true, ElapsedSeconds: elapsed, GPUSeconds: 4 * elapsed,
			StartAt: at(1000), EndAt: at(1000 + elapsed)}}
	}
	sub := final(60)
	sub.EndAt = func() *time.Time { x := time.Unix(1060, 400).UTC(); return &x }() // the same second
	cases := []struct {
		name         string
		stored, in   *pactum.UsageRecord
		want         pactum.UsageStatus
		reasonSubstr string
	}{
		{"new job", nil, running(10), pactum.UsageAccepted, ""},
		{"running progresses", running(10), running(20), pactum.UsageAccepted, ""},
		{"running replayed", running(10), running(10), pactum.UsageDuplicate, ""},
		{"older running view", running(20), running(10), pactum.UsageDuplicate, "older"},
		{"final replaces running", running(20), final(30), pactum.UsageAccepted, ""},
		{"final replaces a later-looking running view", running(50), final(30), pactum.UsageAccepted, ""},
		{"running after final", final(30), running(40), pactum.UsageDuplicate, "ended"},
		{"final replayed", final(30), final(30), pactum.UsageDuplicate, ""},
		{"final replayed, sub-second times", final(60), sub, pactum.UsageDuplicate, ""},
		{"different final", final(30), final(31), pactum.UsageRejected, "never changes"},
	}
	for _, tc := range cases {
		got, reason := pactum.MergeUsage(tc.stored, tc.in)
		if got != tc.want || !strings.Contains(reason, tc.reasonSubstr) {
			t.Errorf("%s: got %s %q, want %s with %q", tc.name, got, reason, tc.want, tc.reasonSubstr)
		}
	}
}

func TestLimitAndThresholds(t *testing.T) {
	cases := []struct {
		amount float64
		limit  int64
	}{
		{1, 3600}, {1000, 3_600_000}, {2.0 / 60, 120}, {0.5 / 60, 0}, {1.999, 7140}, {0, 0},
	}
	for _, tc := range cases {
		a := &pactum.Allocation{Amount: tc.amount, Unit: pactum.UnitGPUHours}
		if got := a.LimitSeconds(); got != tc.limit {
			t.Errorf("LimitSeconds(%v) = %d, want %d", tc.amount, got, tc.limit)
		}
		// The limit is what slurm.LimitsFor enforces, in seconds.
		lim, err := slurm.LimitsFor(tc.amount, pactum.UnitGPUHours)
		if err != nil || lim[slurm.TRESGPU]*60 != tc.limit {
			t.Errorf("LimitsFor(%v) = %v %v, want %d minutes", tc.amount, lim, err, tc.limit/60)
		}
	}
	th := []struct {
		used, limit int64
		want        []int
	}{
		{0, 3600, nil}, {2699, 3600, nil}, {2700, 3600, []int{75}}, {3239, 3600, []int{75}},
		{3240, 3600, []int{75, 90}}, {3599, 3600, []int{75, 90}}, {3600, 3600, []int{75, 90, 100}},
		{9999, 3600, []int{75, 90, 100}}, {1, 0, []int{75, 90, 100}}, {0, 0, nil},
	}
	for _, tc := range th {
		if got := pactum.ThresholdsReached(tc.used, tc.limit); !cmp.Equal(got, tc.want) {
			t.Errorf("ThresholdsReached(%d, %d) = %v, want %v", tc.used, tc.limit, got, tc.want)
		}
	}
	if got := pactum.ChargeSeconds(pactum.UnitNodeHours, 800, 100); got != 100 {
		t.Errorf("node-hours charge %d", got)
	}
	if got := pactum.ChargeSeconds(pactum.UnitGPUHours, 800, 100); got != 800 {
		t.Errorf("GPU-hours charge %d", got)
	}
}

func TestAccountNames(t *testing.T) {
	ids := []string{"0190f3c2-7b1a-7c3d-9e4f-0123456789ab", "0190F3C2-7B1A-7C3D-9E4F-0123456789AB", "system", "org-42", ""}
	seen := map[string]string{}
	for _, id := range ids[2:] {
		seen[pactum.AllocationAccount(id)] = id
	}
	for _, id := range ids {
		a, o := pactum.AllocationAccount(id), pactum.OrganizationAccount(id)
		if !slurm.ValidAccountName(a) || !slurm.ValidAccountName(o) || !pactum.ValidAccountName(a) || a == o || len(a) != 33 {
			t.Errorf("%q: accounts %q and %q", id, a, o)
		}
		if a != pactum.AllocationAccount(id) {
			t.Errorf("%q: not deterministic", id)
		}
	}
	uuid := ids[0]
	if a := pactum.AllocationAccount(uuid); a != "a0190f3c27b1a7c3d9e4f0123456789ab" || a != pactum.AllocationAccount(ids[1]) {
		t.Errorf("UUID account %q", a)
	}
	if back, ok := pactum.AllocationIDFromAccount(pactum.AllocationAccount(uuid)); !ok || back != uuid {
		t.Errorf("inverse: %q %v", back, ok)
	}
	if len(seen) != 3 {
		t.Errorf("hashed names collide: %v", seen)
	}
	for _, bad := range []string{"al-5", "o0190f3c27b1a7c3d9e4f0123456789ab", "a0190f3c27b1a7c3d9e4f0123456789aZ", "a0190"} {
		if _, ok := pactum.AllocationIDFromAccount(bad); ok {
			t.Errorf("%q parsed as an allocation account", bad)
		}
	}
}

func TestUsernamesAndRecords(t *testing.T) {
	for _, s := range []string{"ada", "_svc", "a.b-c_1", "root", strings.Repeat("a", 32)} {
		if !pactum.ValidUsername(s) || !slurm.ValidUserName(s) {
			t.Errorf("%q should be valid", s)
		}
	}
	for _, s := range []string{"", "Ada", "1ada", "a b", "a,b", strings.Repeat("a", 33), "-x"} {
		if pactum.ValidUsername(s) || slurm.ValidUserName(s) {
			t.Errorf("%q should be invalid", s)
		}
	}
	u := pactum.User{Email: "a@b.example", Name: "A", Role: pactum.RoleApplicant, OrganizationID: "o", Username: "Bad Name"}
	if err := u.Validate(); err == nil || pactum.ErrorFields(err)[0].Field != "username" {
		t.Errorf("user with a bad username: %v", err)
	}
	start, end := time.Unix(100, 0), time.Unix(50, 0)
	ok := pactum.UsageRecordInput{JobID: "9_1", Account: "a1", Username: "ada", State: "COMPLETED", ElapsedSeconds: 10}
	if r := ok.Validate(); r != "" {
		t.Errorf("valid record: %s", r)
	}
	for name, mut := range map[string]func(*pactum.UsageRecordInput){
		"job id":   func(r *pactum.UsageRecordInput) { r.JobID = "1 2" },
		"account":  func(r *pactum.UsageRecordInput) { r.Account = "" },
		"username": func(r *pactum.UsageRecordInput) { r.Username = "" },
		"state":    func(r *pactum.UsageRecordInput) { r.State = "CANCELLED by 0" },
		"seconds":  func(r *pactum.UsageRecordInput) { r.GPUSeconds = -1 },
		"times":    func(r *pactum.UsageRecordInput) { r.StartAt, r.EndAt = &start, &end },
	} {
		r := ok
		mut(&r)
		if r.Validate() == "" {
			t.Errorf("%s: accepted %+v", name, r)
		}
	}
}

func TestUsageCheckTimes(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(t time.Time) *time.Time { return &t }
	for _, tc := range []struct {
		start, end *time.Time
		want       string
	}{
		{nil, nil, ""},
		{at(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), at(now.Add(24 * time.Hour)), ""},
		{at(time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)), nil, "start_at is before 2000"},
		{nil, at(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), "end_at is before 2000"},
		{at(now.Add(24*time.Hour + time.Second)), nil, "start_at is more than a day in the future"},
		{at(now), at(now.Add(30 * 24 * time.Hour)), ""}, // an end ahead of the clock files nothing
		{at(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)), nil, "start_at is more than a day in the future"},
	} {
		r := pactum.UsageRecordInput{StartAt: tc.start, EndAt: tc.end}
		if got := r.CheckTimes(now); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("start %v end %v: %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

func TestAdmitAndDesire(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a := &pactum.Allocation{ID: "0190f3c2-7b1a-7c3d-9e4f-0123456789ab", OrganizationID: "org", SystemID: "lumi-g", Amount: 10,
		Unit: pactum.UnitGPUHours, State: pactum.AllocationActive, StartsAt: now.AddDate(0, -1, 0), EndsAt: now.AddDate(0, 2, 0)}
	cond := pactum.ConditionStatus{Finding: pactum.Finding{RuleID: "r1", Basis: "Art. 53", Effect: pactum.EffectCondition, Message: "Do X."}}
	member := &pactum.User{Role: pactum.RoleApplicant, OrganizationID: "org", Username: "ada"}
	if ad := pactum.Admit(a, nil, member, now); !ad.Allowed || ad.Username != "ada" || ad.Account != pactum.AllocationAccount(a.ID) {
		t.Errorf("member of an active allocation: %+v", ad)
	}
	for name, tc := range map[string]struct {
		state  pactum.AllocationState
		conds  []pactum.ConditionStatus
		caller *pactum.User
		at     time.Time
		reason string
	}{
		"pending":    {pactum.AllocationPending, nil, member, now, "not yet provisioned"},
		"suspended":  {pactum.AllocationSuspended, nil, member, now, "suspended"},
		"exhausted":  {pactum.AllocationExhausted, nil, member, now, "exhausted"},
		"expired":    {pactum.AllocationExpired, nil, member, now, "expired"},
		"ended":      {pactum.AllocationActive, nil, member, a.EndsAt, "period ended"},
		"unmet":      {pactum.AllocationActive, []pactum.ConditionStatus{cond}, member, now, "pactum allocations conditions ack"},
		"no name":    {pactum.AllocationActive, nil, &pactum.User{Role: pactum.RoleApplicant, OrganizationID: "org"}, now, "no cluster username"},
		"other org":  {pactum.AllocationActive, nil, &pactum.User{Role: pactum.RoleApplicant, OrganizationID: "x", Username: "x"}, now, "Only applicants"},
		"a reviewer": {pactum.AllocationActive, nil, &pactum.User{Role: pactum.RoleReviewer}, now, "Only applicants"},
	} {
		b := *a
		b.State = tc.state
		ad := pactum.Admit(&b, tc.conds, tc.caller, tc.at)
		if ad.Allowed || len(ad.Reasons) != 1 || !strings.Contains(ad.Reasons[0], tc.reason) {
			t.Errorf("%s: %+v", name, ad)
		}
	}

	d := pactum.Desire(a, "Org", "Title", []pactum.ConditionStatus{cond}, []string{"bob", "ada", "bob"}, now)
	if !d.Suspended || d.Remove || !cmp.Equal(d.Users, []string{"ada", "bob"}) || d.OrganizationAccount != pactum.OrganizationAccount("org") {
		t.Errorf("unmet condition: %+v", d)
	}
	cond.Met = true
	if d := pactum.Desire(a, "Org", "Title", []pactum.ConditionStatus{cond}, nil, now); d.Suspended || d.Users == nil {
		t.Errorf("met condition: %+v", d)
	}
	ex := *a
	ex.State = pactum.AllocationExhausted
	if d := pactum.Desire(&ex, "", "", nil, nil, now); d.Suspended || d.Remove {
		t.Errorf("exhausted stays provisioned, held by its limit: %+v", d)
	}
	if d := pactum.Desire(a, "", "", nil, nil, a.EndsAt); !d.Remove {
		t.Errorf("ended: %+v", d)
	}
}
