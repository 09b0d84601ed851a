// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
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
	defer w.screener.Adding(conds...)()
	p := w.submitAsking(t, pactum.ResourceRequest{SystemID: "lumi-g", Amount: amount, StorageTB: 1})
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
		s := newIngestScenario(t, dialect)
		s.firstBatch(t)
		t.Run("Replay", s.replay)
		t.Run("RunningJobProgresses", s.runningJobProgresses)
		t.Run("FinalIsImmutable", s.finalIsImmutable)
		t.Run("OutOfOrder", s.outOfOrder)
		t.Run("Rejections", s.rejections)
		t.Run("Thresholds", s.thresholds)
		t.Run("Records", s.records)
		t.Run("MovedJob", s.movedJob)
		s.audited(t)
		// Exhausted by usage, the allocation's row is still what the log says.
		wantStateOK(t, s.verifyState(t))
	})
}

// ingestScenario is TestUsageIngest's allocation of 1 GPU-hour (3600
// GPU-seconds) on LUMI-G, active, whose usage CSC's operator posts. Each
// step adds to want, the totals expected after it.
type ingestScenario struct {
	*world
	a     *pactum.Allocation
	acct  string
	op    *pactum.User
	first []pactum.UsageRecordInput
	want  pactum.UsageTotals
}

func newIngestScenario(t *testing.T, dialect string) *ingestScenario {
	t.Helper()
	w := newWorld(t, dialect)
	s := &ingestScenario{world: w, a: w.allocation(t, 1), op: w.f.Operator}
	w.activate(t, s.a)
	s.acct = pactum.AllocationAccount(s.a.ID)
	return s
}

// totals checks the allocation's totals against s.want, and its charge
// per user against users.
func (s *ingestScenario) totals(t *testing.T, users map[string]int64) {
	t.Helper()
	sum := s.summary(t, s.a)
	if diff := cmp.Diff(s.want, sum.UsageTotals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	got := map[string]int64{}
	for _, u := range sum.Users {
		got[u.Username] = u.ChargeSeconds
	}
	if diff := cmp.Diff(users, got); diff != "" {
		t.Errorf("per-user charge (-want +got):\n%s", diff)
	}
}

// job is a usage record input for a GPU job on the scenario's account.
func (s *ingestScenario) job(id, user string, final bool, gpus, elapsed int64) pactum.UsageRecordInput {
	return job(s.acct, id, user, final, gpus, elapsed)
}

func (s *ingestScenario) firstBatch(t *testing.T) {
	s.first = []pactum.UsageRecordInput{
		s.job("101", "alice", false, 2, 100), // running: 200 GPU-s so far
		s.job("102", "alice", true, 1, 1000),
		s.job("103", "bob", true, 1, 500),
	}
	res := s.ingest(t, s.op, s.first...)
	if res.Accepted != 3 || res.Duplicate != 0 || res.Rejected != 0 {
		t.Fatalf("first batch: %+v", res)
	}
	s.want = pactum.UsageTotals{Jobs: 3, GPUSeconds: 1700, NodeSeconds: 1600, CPUSeconds: 8 * 1700, ChargeSeconds: 1700}
	s.totals(t, map[string]int64{"alice": 1200, "bob": 500})
}

func (s *ingestScenario) replay(t *testing.T) {
	for range 2 {
		res := s.ingest(t, s.op, s.first...)
		if res.Accepted != 0 || res.Duplicate != 3 {
			t.Fatalf("replay: %v", statuses(res))
		}
	}
	s.totals(t, map[string]int64{"alice": 1200, "bob": 500})
}

func (s *ingestScenario) runningJobProgresses(t *testing.T) {
	res := s.ingest(t, s.op, s.job("101", "alice", false, 2, 200))
	if res.Accepted != 1 {
		t.Fatalf("progress: %v", statuses(res))
	}
	// A late retry of the older read changes nothing.
	res = s.ingest(t, s.op, s.job("101", "alice", false, 2, 100))
	if res.Duplicate != 1 || !strings.Contains(res.Results[0].Reason, "older") {
		t.Fatalf("stale running record: %+v", res.Results)
	}
	s.want.GPUSeconds, s.want.ChargeSeconds, s.want.NodeSeconds, s.want.CPUSeconds = 1900, 1900, 1700, 8*1900
	s.totals(t, map[string]int64{"alice": 1400, "bob": 500})
}

func (s *ingestScenario) finalIsImmutable(t *testing.T) {
	res := s.ingest(t, s.op, s.job("101", "alice", true, 2, 300))
	if res.Accepted != 1 {
		t.Fatalf("final: %v", statuses(res))
	}
	res = s.ingest(t, s.op, s.job("101", "alice", false, 2, 250), s.job("101", "alice", true, 2, 300), s.job("101", "alice", true, 2, 301))
	if diff := cmp.Diff([]string{"101:duplicate", "101:duplicate", "101:rejected"}, statuses(res)); diff != "" {
		t.Errorf("after final (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Results[2].Reason, "never changes") {
		t.Errorf("reason: %q", res.Results[2].Reason)
	}
	s.want.GPUSeconds, s.want.ChargeSeconds, s.want.NodeSeconds, s.want.CPUSeconds = 2100, 2100, 1800, 8*2100
	s.totals(t, map[string]int64{"alice": 1600, "bob": 500})
}

// outOfOrder: the final record arrives first; the running view read
// earlier arrives later and is ignored. Within one batch, a running and a
// final view of the same job count once.
func (s *ingestScenario) outOfOrder(t *testing.T) {
	res := s.ingest(t, s.op, s.job("104", "bob", true, 1, 100), s.job("105", "carol", false, 1, 10), s.job("105", "carol", true, 1, 50))
	if diff := cmp.Diff([]string{"104:accepted", "105:accepted", "105:accepted"}, statuses(res)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	res = s.ingest(t, s.op, s.job("104", "bob", false, 1, 60))
	if res.Duplicate != 1 {
		t.Fatalf("running after final: %v", statuses(res))
	}
	s.want.Jobs, s.want.GPUSeconds, s.want.ChargeSeconds, s.want.NodeSeconds, s.want.CPUSeconds = 5, 2250, 2250, 1950, 8*2250
	s.totals(t, map[string]int64{"alice": 1600, "bob": 600, "carol": 50})
}

func (s *ingestScenario) rejections(t *testing.T) {
	bad := s.job("1 06", "alice", true, 1, 10)
	other := job(pactum.AllocationAccount("0190f000-0000-7000-8000-000000000000"), "107", "alice", true, 1, 10)
	foreign := job("al-5", "108", "alice", true, 1, 10)
	res := s.ingest(t, s.op, bad, other, foreign)
	if res.Rejected != 3 {
		t.Fatalf("rejections: %+v", res.Results)
	}
	for _, r := range res.Results[1:] {
		if !strings.Contains(r.Reason, "is not an allocation of site CSC") {
			t.Errorf("reason %q", r.Reason)
		}
	}
	s.totals(t, map[string]int64{"alice": 1600, "bob": 600, "carol": 50})
}

// thresholds crosses 75 and 90 %, then reaches 100 % with a running job,
// which exhausts the allocation; usage beyond adds no threshold.
func (s *ingestScenario) thresholds(t *testing.T) {
	a, op := s.a, s.op
	// 2250 of 3600: below 75 % (2700).
	if sum := s.summary(t, a); len(sum.Thresholds) != 0 || sum.State != pactum.AllocationActive || sum.Percent != 62.5 {
		t.Fatalf("before: %+v", sum)
	}
	s.ingest(t, op, s.job("110", "alice", true, 1, 500)) // 2750: 75 %
	s.ingest(t, op, s.job("110", "alice", true, 1, 500)) // replay
	s.ingest(t, op, s.job("111", "alice", true, 1, 500)) // 3250: 90 %
	sum := s.summary(t, a)
	var got []int
	for _, th := range sum.Thresholds {
		got = append(got, th.Percent)
	}
	if diff := cmp.Diff([]int{75, 90}, got); diff != "" || sum.State != pactum.AllocationActive {
		t.Fatalf("thresholds (-want +got):\n%s state %s", diff, sum.State)
	}
	s.ingest(t, op, s.job("112", "bob", false, 1, 350)) // 3600: the limit, by a running job
	sum = s.summary(t, a)
	if len(sum.Thresholds) != 3 || sum.Thresholds[2].Percent != 100 || sum.Thresholds[2].ChargeSeconds != 3600 || sum.State != pactum.AllocationExhausted {
		t.Fatalf("at 100 %%: %+v", sum)
	}
	s.ingest(t, op, s.job("113", "bob", true, 1, 100)) // beyond: nothing new
	if evs := s.events(t, "allocation.usage_threshold"); len(evs) != 3 {
		t.Errorf("%d threshold events, want 3", len(evs))
	}
	if evs := s.events(t, "allocation.exhaust"); len(evs) != 1 || evs[0].SubjectID != a.ID || evs[0].ActorID != op.ID {
		t.Errorf("exhaust events: %+v", evs)
	}
	var notes []string // newest first
	for _, n := range s.noticesOf(t, s.f.ApplicantA, pactum.NotifyUsageThreshold) {
		notes = append(notes, n.Subject)
	}
	if len(notes) != 3 || !strings.Contains(notes[0], "100 %") || !strings.Contains(notes[1], "90 %") || !strings.Contains(notes[2], "75 %") {
		t.Errorf("the organization's threshold notices: %q", notes)
	}
	if got, err := s.uc.FindAllocationByID(storetest.As(s.f.ApplicantA), a.ID); err != nil || got.State != pactum.AllocationExhausted {
		t.Errorf("allocation: %+v %v", got, err)
	}
}

func (s *ingestScenario) records(t *testing.T) {
	us, a := s.uc, s.a
	recs, total, err := us.FindUsageRecords(storetest.As(s.f.ApplicantA), pactum.UsageFilter{AllocationID: a.ID})
	if err != nil || total != 9 || len(recs) != 9 {
		t.Fatalf("records: %d of %d, %v", len(recs), total, err)
	}
	bob := "bob"
	recs, total, err = us.FindUsageRecords(storetest.As(s.f.ApplicantA), pactum.UsageFilter{AllocationID: a.ID, Username: &bob, Limit: 2})
	if err != nil || total != 4 || len(recs) != 2 {
		t.Fatalf("bob's records: %d of %d, %v", len(recs), total, err)
	}
	running := false
	recs, total, err = us.FindUsageRecords(storetest.As(s.f.Auditor), pactum.UsageFilter{AllocationID: a.ID, Final: &running})
	if err != nil || total != 1 || recs[0].JobID != "112" || recs[0].ChargeSeconds != 350 || recs[0].Account != s.acct || recs[0].EndAt != nil {
		t.Fatalf("running records: %+v %d %v", recs, total, err)
	}
}

// movedJob replaces bob's running job 112 by its final record under
// carol: the job is listed once, under carol, and each user's page counts
// what listing all the records finds.
func (s *ingestScenario) movedJob(t *testing.T) {
	res := s.ingest(t, s.op, s.job("112", "carol", true, 1, 350))
	if res.Accepted != 1 {
		t.Fatalf("112 ended under carol: %+v", res)
	}
	as := storetest.As(s.f.ApplicantA)
	all, total, err := s.uc.FindUsageRecords(as, pactum.UsageFilter{AllocationID: s.a.ID, Limit: 1000})
	if err != nil || total != len(all) || total != 9 {
		t.Fatalf("records: %d listed of %d, %v; want 9", len(all), total, err)
	}
	listed := map[string]int{}
	for _, r := range all {
		listed[r.Username]++
	}
	if listed["bob"] != 3 || listed["carol"] != 2 {
		t.Errorf("records by user: %v; want bob 3 and carol 2", listed)
	}
	for _, user := range []string{"alice", "bob", "carol", "nobody"} {
		page, total, err := s.uc.FindUsageRecords(as, pactum.UsageFilter{AllocationID: s.a.ID, Username: &user, Limit: 1})
		if err != nil || total != listed[user] || len(page) != min(1, listed[user]) {
			t.Errorf("%s's records: %d of %d, %v; want 1 of %d", user, len(page), total, err, listed[user])
		}
	}
}

// audited: one audit event per batch that changed something, in a chain
// that verifies.
func (s *ingestScenario) audited(t *testing.T) {
	if evs := s.events(t, "usage.ingest"); len(evs) < 8 {
		t.Errorf("%d usage.ingest events", len(evs))
	}
	if rep, err := s.uc.VerifyAudit(storetest.As(s.f.Auditor)); err != nil || !rep.OK {
		t.Errorf("audit chain: %+v %v", rep, err)
	}
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

// TestUsageIngestAfterResume: ingest keeps the allocations it reads
// before its transaction (App.hostedAllocations). Usage of a suspended
// allocation is counted while it is suspended; once an access manager
// resumes it, the next batch that reaches the grant must see it active and
// exhaust it, not the suspended state the earlier batch read.
func TestUsageIngestAfterResume(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		a := w.allocation(t, 1) // 3600 GPU-seconds
		w.activate(t, a)
		acct := pactum.AllocationAccount(a.ID)
		for _, to := range []pactum.AllocationState{pactum.AllocationSuspended, pactum.AllocationActive} {
			if to == pactum.AllocationActive {
				w.ingest(t, w.f.Operator, job(acct, "1", "alice", true, 1, 1000)) // a job that ran before the suspension
				if s := w.summary(t, a); s.ChargeSeconds != 1000 || s.State != pactum.AllocationSuspended {
					t.Fatalf("while suspended: %+v", s)
				}
			}
			if _, err := w.uc.TransitionAllocation(storetest.As(w.f.Manager), a.ID, to, "test"); err != nil {
				t.Fatal(err)
			}
		}
		w.ingest(t, w.f.Operator, job(acct, "2", "alice", true, 1, 2600)) // 3600: the grant
		if s := w.summary(t, a); s.ChargeSeconds != 3600 || s.State != pactum.AllocationExhausted {
			t.Fatalf("at the grant after the resumption: %+v", s)
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
