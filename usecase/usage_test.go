// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// allocation creates an approved fast-lane allocation of amount GPU-hours
// on LUMI-G (hosted by CSC, the fixture operator's site) for organization
// A, carrying conds as its award conditions.
func (w *world) allocation(t *testing.T, amount float64, conds ...pactum.Finding) *pactum.Allocation {
	t.Helper()
	prev := w.screener.ScreenFn
	w.screener.ScreenFn = func(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		d, err := prev(ctx, in)
		if err == nil {
			d.Findings = append(d.Findings, conds...)
		}
		return d, err
	}
	defer func() { w.screener.ScreenFn = prev }()
	p := storetest.NewProposal(w.f.Call.ID)
	p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: amount, StorageTB: 1}}
	if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	as, _, err := w.uc.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(as) != 1 {
		t.Fatalf("allocation of %s: %v %v", p.ID, as, err)
	}
	return as[0]
}

func (w *world) activate(t *testing.T, a *pactum.Allocation) {
	t.Helper()
	if _, err := w.uc.TransitionAllocation(storetest.As(w.f.Operator), a.ID, pactum.AllocationActive, "provisioned"); err != nil {
		t.Fatal(err)
	}
}

// job is a usage record input for a GPU job on account.
func job(account, id, user string, final bool, gpus, elapsed int64) pactum.UsageRecordInput {
	state := "RUNNING"
	if final {
		state = "COMPLETED"
	}
	start := t0.Add(-time.Hour)
	r := pactum.UsageRecordInput{JobID: id, Account: account, Username: user, State: state, Final: final, StartAt: &start,
		ElapsedSeconds: elapsed, GPUSeconds: gpus * elapsed, NodeSeconds: elapsed, CPUSeconds: 8 * gpus * elapsed}
	if final {
		end := start.Add(time.Duration(elapsed) * time.Second)
		r.EndAt = &end
	}
	return r
}

func statuses(res *pactum.UsageIngest) []string {
	var out []string
	for _, r := range res.Results {
		out = append(out, r.JobID+":"+string(r.Status))
	}
	return out
}

func (w *world) ingest(t *testing.T, u *pactum.User, recs ...pactum.UsageRecordInput) *pactum.UsageIngest {
	t.Helper()
	res, err := w.uc.IngestUsage(storetest.As(u), pactum.UsageBatch{Cluster: "lumi", Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (w *world) summary(t *testing.T, a *pactum.Allocation) *pactum.UsageSummary {
	t.Helper()
	s, err := w.uc.FindUsageSummary(storetest.As(w.f.Auditor), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) events(t *testing.T, action string) []*pactum.AuditEvent {
	t.Helper()
	evs, _, err := w.uc.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pactum.AuditEvent
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestUsageIngest drives one allocation through replays, running jobs that
// progress, finals arriving before and after their running views, the 75,
// 90 and 100 % thresholds and exhaustion, checking totals after each step.
func TestUsageIngest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.allocation(t, 1) // 1 GPU-hour: 3600 GPU-seconds
		w.activate(t, a)
		acct := pactum.AllocationAccount(a.ID)
		op := w.f.Operator

		totals := func(want pactum.UsageTotals, users map[string]int64) {
			t.Helper()
			s := w.summary(t, a)
			if diff := cmp.Diff(want, s.UsageTotals); diff != "" {
				t.Errorf("totals (-want +got):\n%s", diff)
			}
			got := map[string]int64{}
			for _, u := range s.Users {
				got[u.Username] = u.ChargeSeconds
			}
			if diff := cmp.Diff(users, got); diff != "" {
				t.Errorf("per-user charge (-want +got):\n%s", diff)
			}
		}

		first := []pactum.UsageRecordInput{
			job(acct, "101", "alice", false, 2, 100), // running: 200 GPU-s so far
			job(acct, "102", "alice", true, 1, 1000),
			job(acct, "103", "bob", true, 1, 500),
		}
		res := w.ingest(t, op, first...)
		if res.Accepted != 3 || res.Duplicate != 0 || res.Rejected != 0 {
			t.Fatalf("first batch: %+v", res)
		}
		want := pactum.UsageTotals{Jobs: 3, GPUSeconds: 1700, NodeSeconds: 1600, CPUSeconds: 8 * 1700, ChargeSeconds: 1700}
		totals(want, map[string]int64{"alice": 1200, "bob": 500})

		t.Run("Replay", func(t *testing.T) {
			for range 2 {
				res := w.ingest(t, op, first...)
				if res.Accepted != 0 || res.Duplicate != 3 {
					t.Fatalf("replay: %v", statuses(res))
				}
			}
			totals(want, map[string]int64{"alice": 1200, "bob": 500})
		})

		t.Run("RunningJobProgresses", func(t *testing.T) {
			res := w.ingest(t, op, job(acct, "101", "alice", false, 2, 200))
			if res.Accepted != 1 {
				t.Fatalf("progress: %v", statuses(res))
			}
			// A late retry of the older read changes nothing.
			res = w.ingest(t, op, job(acct, "101", "alice", false, 2, 100))
			if res.Duplicate != 1 || !strings.Contains(res.Results[0].Reason, "older") {
				t.Fatalf("stale running record: %+v", res.Results)
			}
			want.GPUSeconds, want.ChargeSeconds, want.NodeSeconds, want.CPUSeconds = 1900, 1900, 1700, 8*1900
			totals(want, map[string]int64{"alice": 1400, "bob": 500})
		})

		t.Run("FinalIsImmutable", func(t *testing.T) {
			res := w.ingest(t, op, job(acct, "101", "alice", true, 2, 300))
			if res.Accepted != 1 {
				t.Fatalf("final: %v", statuses(res))
			}
			res = w.ingest(t, op, job(acct, "101", "alice", false, 2, 250), job(acct, "101", "alice", true, 2, 300), job(acct, "101", "alice", true, 2, 301))
			if diff := cmp.Diff([]string{"101:duplicate", "101:duplicate", "101:rejected"}, statuses(res)); diff != "" {
				t.Errorf("after final (-want +got):\n%s", diff)
			}
			if !strings.Contains(res.Results[2].Reason, "never changes") {
				t.Errorf("reason: %q", res.Results[2].Reason)
			}
			want.GPUSeconds, want.ChargeSeconds, want.NodeSeconds, want.CPUSeconds = 2100, 2100, 1800, 8*2100
			totals(want, map[string]int64{"alice": 1600, "bob": 500})
		})

		t.Run("OutOfOrder", func(t *testing.T) {
			// The final record arrives first; the running view read earlier
			// arrives later and is ignored. Within one batch, a running and
			// a final view of the same job count once.
			res := w.ingest(t, op, job(acct, "104", "bob", true, 1, 100), job(acct, "105", "carol", false, 1, 10), job(acct, "105", "carol", true, 1, 50))
			if diff := cmp.Diff([]string{"104:accepted", "105:accepted", "105:accepted"}, statuses(res)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			res = w.ingest(t, op, job(acct, "104", "bob", false, 1, 60))
			if res.Duplicate != 1 {
				t.Fatalf("running after final: %v", statuses(res))
			}
			want.Jobs, want.GPUSeconds, want.ChargeSeconds, want.NodeSeconds, want.CPUSeconds = 5, 2250, 2250, 1950, 8*2250
			totals(want, map[string]int64{"alice": 1600, "bob": 600, "carol": 50})
		})

		t.Run("Rejections", func(t *testing.T) {
			bad := job(acct, "1 06", "alice", true, 1, 10)
			other := job(pactum.AllocationAccount("0190f000-0000-7000-8000-000000000000"), "107", "alice", true, 1, 10)
			foreign := job("al-5", "108", "alice", true, 1, 10)
			res := w.ingest(t, op, bad, other, foreign)
			if res.Rejected != 3 {
				t.Fatalf("rejections: %+v", res.Results)
			}
			for _, r := range res.Results[1:] {
				if !strings.Contains(r.Reason, "is not an allocation of site CSC") {
					t.Errorf("reason %q", r.Reason)
				}
			}
			totals(want, map[string]int64{"alice": 1600, "bob": 600, "carol": 50})
		})

		t.Run("Thresholds", func(t *testing.T) {
			// 2250 of 3600: below 75 % (2700).
			if s := w.summary(t, a); len(s.Thresholds) != 0 || s.State != pactum.AllocationActive || s.Percent != 62.5 {
				t.Fatalf("before: %+v", s)
			}
			w.ingest(t, op, job(acct, "110", "alice", true, 1, 500)) // 2750: 75 %
			w.ingest(t, op, job(acct, "110", "alice", true, 1, 500)) // replay
			w.ingest(t, op, job(acct, "111", "alice", true, 1, 500)) // 3250: 90 %
			s := w.summary(t, a)
			var got []int
			for _, th := range s.Thresholds {
				got = append(got, th.Percent)
			}
			if diff := cmp.Diff([]int{75, 90}, got); diff != "" || s.State != pactum.AllocationActive {
				t.Fatalf("thresholds (-want +got):\n%s state %s", diff, s.State)
			}
			w.ingest(t, op, job(acct, "112", "bob", false, 1, 350)) // 3600: the limit, by a running job
			s = w.summary(t, a)
			if len(s.Thresholds) != 3 || s.Thresholds[2].Percent != 100 || s.Thresholds[2].ChargeSeconds != 3600 || s.State != pactum.AllocationExhausted {
				t.Fatalf("at 100 %%: %+v", s)
			}
			w.ingest(t, op, job(acct, "113", "bob", true, 1, 100)) // beyond: nothing new
			if evs := w.events(t, "allocation.usage_threshold"); len(evs) != 3 {
				t.Errorf("%d threshold events, want 3", len(evs))
			}
			if evs := w.events(t, "allocation.exhaust"); len(evs) != 1 || evs[0].SubjectID != a.ID || evs[0].ActorID != op.ID {
				t.Errorf("exhaust events: %+v", evs)
			}
			if got, err := w.uc.FindAllocationByID(storetest.As(w.f.ApplicantA), a.ID); err != nil || got.State != pactum.AllocationExhausted {
				t.Errorf("allocation: %+v %v", got, err)
			}
		})

		t.Run("Records", func(t *testing.T) {
			us := w.uc
			recs, total, err := us.FindUsageRecords(storetest.As(w.f.ApplicantA), pactum.UsageFilter{AllocationID: a.ID})
			if err != nil || total != 9 || len(recs) != 9 {
				t.Fatalf("records: %d of %d, %v", len(recs), total, err)
			}
			bob := "bob"
			recs, total, err = us.FindUsageRecords(storetest.As(w.f.ApplicantA), pactum.UsageFilter{AllocationID: a.ID, Username: &bob, Limit: 2})
			if err != nil || total != 4 || len(recs) != 2 {
				t.Fatalf("bob's records: %d of %d, %v", len(recs), total, err)
			}
			running := false
			recs, total, err = us.FindUsageRecords(storetest.As(w.f.Auditor), pactum.UsageFilter{AllocationID: a.ID, Final: &running})
			if err != nil || total != 1 || recs[0].JobID != "112" || recs[0].ChargeSeconds != 350 || recs[0].Account != acct || recs[0].EndAt != nil {
				t.Fatalf("running records: %+v %d %v", recs, total, err)
			}
		})

		// One audit event per batch that changed something.
		if evs := w.events(t, "usage.ingest"); len(evs) < 8 {
			t.Errorf("%d usage.ingest events", len(evs))
		}
		if rep, err := w.uc.VerifyAudit(storetest.As(w.f.Auditor)); err != nil || !rep.OK {
			t.Errorf("audit chain: %+v %v", rep, err)
		}
	})
}

// TestUsageAuthorization: only a site's operators post its usage; the
// allocation's organization, managers and auditors read it; nobody else
// learns it exists.
func TestUsageAuthorization(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.allocation(t, 10)
		acct := pactum.AllocationAccount(a.ID)
		us := w.uc
		batch := pactum.UsageBatch{Cluster: "lumi", Records: []pactum.UsageRecordInput{job(acct, "1", "alice", true, 1, 60)}}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Manager, w.f.Auditor} {
			_, err := us.IngestUsage(storetest.As(u), batch)
			wantCode(t, err, pactum.EFORBIDDEN)
		}
		_, err := us.IngestUsage(storetest.As(w.f.Operator), pactum.UsageBatch{Cluster: "LUMI", Records: batch.Records})
		wantCode(t, err, pactum.EINVALID)
		cineca := &pactum.User{Email: "ops@cineca.example", Name: "Cineca Ops", Role: pactum.RoleSiteOperator, Site: "CINECA"}
		if err := w.uc.CreateUser(storetest.As(w.f.Manager), cineca); err != nil {
			t.Fatal(err)
		}
		res := w.ingest(t, cineca, batch.Records...)
		if res.Rejected != 1 || !strings.Contains(res.Results[0].Reason, "site CINECA") {
			t.Fatalf("another site's operator: %+v", res.Results)
		}
		if s := w.summary(t, a); s.Jobs != 0 {
			t.Fatalf("rejected usage was counted: %+v", s)
		}
		w.ingest(t, w.f.Operator, batch.Records...)

		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Manager, w.f.Auditor, w.f.Operator} {
			s, err := us.FindUsageSummary(storetest.As(u), a.ID)
			if err != nil || s.Jobs != 1 {
				t.Errorf("%s: %+v %v", u.Email, s, err)
			}
		}
		for _, u := range []*pactum.User{w.f.ApplicantB, cineca, w.f.Reviewer} {
			_, err := us.FindUsageSummary(storetest.As(u), a.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			_, _, err = us.FindUsageRecords(storetest.As(u), pactum.UsageFilter{AllocationID: a.ID})
			wantCode(t, err, pactum.ENOTFOUND)
		}
	})
}

// TestUsageConcurrentIngest posts the same records from several agents at
// once, as retries after a timeout would: each job is counted once. 2500
// records take every bulk statement shape, up to the 1024-row one.
func TestUsageConcurrentIngest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.allocation(t, 1e6)
		w.activate(t, a)
		acct := pactum.AllocationAccount(a.ID)
		var recs []pactum.UsageRecordInput
		var want pactum.UsageTotals
		const n = 2500
		for i := range n {
			r := job(acct, fmt.Sprint(5000+i), fmt.Sprintf("user%d", i%7), i%3 != 0, int64(1+i%4), int64(60+i))
			recs = append(recs, r)
		}
		// The final truth: every job ended.
		for i := range recs {
			recs[i] = job(acct, recs[i].JobID, recs[i].Username, true, recs[i].GPUSeconds/recs[i].ElapsedSeconds, recs[i].ElapsedSeconds)
			want.Jobs++
			want.GPUSeconds += recs[i].GPUSeconds
			want.NodeSeconds += recs[i].NodeSeconds
			want.CPUSeconds += recs[i].CPUSeconds
		}
		want.ChargeSeconds = want.GPUSeconds
		us := w.uc
		var wg sync.WaitGroup
		errs := make(chan error, 12)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range 3 {
					// Overlapping windows, in different orders.
					part := slices.Clone(recs[(g*400+k*200)%n:])
					if g%2 == 1 {
						slices.Reverse(part)
					}
					if _, err := us.IngestUsage(storetest.As(w.f.Operator), pactum.UsageBatch{Cluster: "lumi", Records: part}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		w.ingest(t, w.f.Operator, recs...)
		if diff := cmp.Diff(want, w.summary(t, a).UsageTotals); diff != "" {
			t.Errorf("totals after concurrent replays (-want +got):\n%s", diff)
		}
		if got := count(t, w.raw(t), "usage_records"); got != n {
			t.Errorf("%d records stored, want %d", got, n)
		}
		var users int64
		for _, u := range w.summary(t, a).Users {
			users += u.GPUSeconds
		}
		if users != want.GPUSeconds {
			t.Errorf("per-user totals sum to %d, want %d", users, want.GPUSeconds)
		}
	})
}

func TestUsernames(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		u, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, "ada")
		if err != nil || u.Username != "ada" {
			t.Fatalf("set: %+v %v", u, err)
		}
		got, err := w.uc.FindUserByID(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID)
		if err != nil || got.Username != "ada" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		_, err = w.uc.SetUsername(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID, "ada2")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "Ada")
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "ada")
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.SetUsername(mgr, "nobody", "x")
		wantCode(t, err, pactum.ENOTFOUND)
		nu := &pactum.User{Email: "cy@aleph.example", Name: "Cy", Role: pactum.RoleApplicant, OrganizationID: w.f.OrgA.ID, Username: "ada"}
		wantCode(t, w.uc.CreateUser(mgr, nu), pactum.ECONFLICT)
		nu.Username = "cy"
		if err := w.uc.CreateUser(mgr, nu); err != nil {
			t.Fatal(err)
		}
		if u, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, ""); err != nil || u.Username != "" {
			t.Fatalf("clear: %+v %v", u, err)
		}
		// Cleared names are free again, and the changes are in the log.
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		if evs := w.events(t, "user.set_username"); len(evs) != 3 {
			t.Errorf("%d set_username events, want 3", len(evs))
		}
	})
}

var gpaiCondition = pactum.Finding{RuleID: "gpai.docs", Basis: "AI Act Art. 53(1)(a)", Effect: pactum.EffectCondition,
	Message: "Keep the model's technical documentation up to date."}

func TestConditionsAndAdmission(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		aw := w.uc
		a := w.allocation(t, 100, gpaiCondition)
		ctxA := storetest.As(w.f.ApplicantA)

		ad, err := aw.Admission(ctxA, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ad.Allowed || len(ad.Reasons) != 3 || !slices.Equal(ad.Unmet, []string{"gpai.docs"}) || ad.Account != pactum.AllocationAccount(a.ID) {
			t.Fatalf("pending, unmet, no username: %+v", ad)
		}
		w.activate(t, a)
		if _, err := w.uc.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		// The username reaches the caller with their next authentication;
		// here the context carries a refreshed user.
		ada := *w.f.ApplicantA
		ada.Username = "ada"
		ctxA = storetest.As(&ada)
		ad, _ = aw.Admission(ctxA, a.ID)
		if ad.Allowed || len(ad.Reasons) != 1 || !strings.Contains(ad.Reasons[0], "gpai.docs") || ad.Username != "ada" {
			t.Fatalf("active, unmet: %+v", ad)
		}

		_, err = aw.AcknowledgeCondition(storetest.As(w.f.ApplicantB), a.ID, "gpai.docs", "We document.")
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = aw.AcknowledgeCondition(storetest.As(w.f.Manager), a.ID, "gpai.docs", "We document.")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", " ")
		wantCode(t, err, pactum.EINVALID)
		_, err = aw.AcknowledgeCondition(ctxA, a.ID, "no.such.rule", "We document.")
		wantCode(t, err, pactum.ENOTFOUND)
		c, err := aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", "Model card v1 is published at docs.example and updated per release.")
		if err != nil || !c.Met || c.AcknowledgedBy != w.f.ApplicantA.ID || c.AcknowledgedAt == nil || c.RuleID != "gpai.docs" {
			t.Fatalf("acknowledge: %+v %v", c, err)
		}
		again, err := aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", "Something else.")
		if err != nil || again.Statement != c.Statement {
			t.Fatalf("second acknowledgement: %+v %v", again, err)
		}
		conds, err := aw.FindConditions(storetest.As(w.f.Auditor), a.ID)
		if err != nil || len(conds) != 1 || !conds[0].Met || conds[0].Statement != c.Statement {
			t.Fatalf("conditions: %+v %v", conds, err)
		}
		ad, _ = aw.Admission(ctxA, a.ID)
		if !ad.Allowed || len(ad.Reasons) != 0 {
			t.Fatalf("all met: %+v", ad)
		}
		// Others may read the admission but are not members.
		ad, err = aw.Admission(storetest.As(w.f.Operator), a.ID)
		if err != nil || ad.Allowed {
			t.Fatalf("operator admission: %+v %v", ad, err)
		}
		if evs := w.events(t, "allocation.acknowledge_condition"); len(evs) != 1 {
			t.Errorf("%d acknowledgement events, want 1", len(evs))
		}
	})
}

func TestDesiredState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		aw := w.uc
		mgr := storetest.As(w.f.Manager)
		plain := w.allocation(t, 100)
		conditioned := w.allocation(t, 200, gpaiCondition)
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "bob"); err != nil { // another organization's
			t.Fatal(err)
		}
		ops := storetest.As(w.f.Operator)
		st, err := aw.DesiredState(ops, "CSC", nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Root != pactum.SchedulerRoot || len(st.Allocations) != 2 {
			t.Fatalf("state: %+v", st)
		}
		byID := map[string]pactum.DesiredAllocation{}
		for _, d := range st.Allocations {
			byID[d.AllocationID] = d
		}
		p := byID[plain.ID]
		if p.Account != pactum.AllocationAccount(plain.ID) || p.OrganizationAccount != pactum.OrganizationAccount(w.f.OrgA.ID) ||
			!slices.Equal(p.Users, []string{"ada"}) || p.Suspended || p.Remove || p.Amount != 100 || p.Unit != pactum.UnitGPUHours ||
			p.OrganizationName != "Aleph Lingua GmbH" || p.Title == "" || p.State != pactum.AllocationPending {
			t.Errorf("plain: %+v", p)
		}
		if c := byID[conditioned.ID]; !c.Suspended || !slices.Equal(c.Reasons, []string{"condition gpai.docs not met"}) {
			t.Errorf("conditioned: %+v", c)
		}
		system := "leonardo-booster"
		if st, err := aw.DesiredState(ops, "CSC", &system); err != nil || len(st.Allocations) != 0 {
			t.Errorf("filtered by another site's system: %+v %v", st, err)
		}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Reviewer} {
			_, err := aw.DesiredState(storetest.As(u), "CSC", nil)
			wantCode(t, err, pactum.EFORBIDDEN)
		}
		_, err = aw.DesiredState(ops, "CINECA", nil)
		wantCode(t, err, pactum.EFORBIDDEN)
		if _, err := aw.DesiredState(storetest.As(w.f.Auditor), "CSC", nil); err != nil {
			t.Error(err)
		}

		// Suspended by a manager; at the end of the period marked for
		// removal; expired ones stay listed for the grace period.
		w.activate(t, plain)
		if _, err := w.uc.TransitionAllocation(mgr, plain.ID, pactum.AllocationSuspended, "audit"); err != nil {
			t.Fatal(err)
		}
		st, _ = aw.DesiredState(ops, "CSC", nil)
		for _, d := range st.Allocations {
			if d.AllocationID == plain.ID && (!d.Suspended || d.Remove) {
				t.Errorf("suspended: %+v", d)
			}
		}
		w.clock.T = plain.EndsAt.Add(time.Minute)
		st, _ = aw.DesiredState(ops, "CSC", nil)
		for _, d := range st.Allocations {
			if !d.Remove {
				t.Errorf("past the period: %+v", d)
			}
		}
		if _, err := w.uc.TransitionAllocation(ops, plain.ID, pactum.AllocationExpired, "removed"); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(pactum.RemovalGrace - time.Hour)
		if st, _ = aw.DesiredState(ops, "CSC", nil); len(st.Allocations) != 2 {
			t.Errorf("within the grace period: %d allocations", len(st.Allocations))
		}
		w.clock.Advance(2 * time.Hour)
		if st, _ = aw.DesiredState(ops, "CSC", nil); len(st.Allocations) != 1 || st.Allocations[0].AllocationID != conditioned.ID {
			t.Errorf("after the grace period: %+v", st.Allocations)
		}

		// Drift reports land in the audit log, from the site's operators.
		rep := pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{{Account: "a1", Action: "set_limits gres/gpu=6000", Found: "GrpTRESMins=gres/gpu=999999"}}}
		if err := aw.ReportDrift(ops, "CSC", rep); err != nil {
			t.Fatal(err)
		}
		wantCode(t, aw.ReportDrift(mgr, "CSC", rep), pactum.EFORBIDDEN)
		wantCode(t, aw.ReportDrift(ops, "CSC", pactum.DriftReport{Cluster: "lumi"}), pactum.EINVALID)
		if evs := w.events(t, "site.drift"); len(evs) != 1 || evs[0].SubjectID != "CSC" || !strings.Contains(string(evs[0].After), "999999") {
			t.Errorf("drift events: %+v", evs)
		}
	})
}
