// SPDX-License-Identifier: EUPL-1.2

package agent_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmsim"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// world is a pactum server in-process over SQLite, a fake LUMI cluster at
// CSC, and an agent between them.
type world struct {
	t        *testing.T
	clock    *clock
	db       *sqlstore.DB
	f        *storetest.Fixture
	url      string
	cluster  *slurmsim.Cluster
	screener *mock.Screener
	uc       *usecase.App
	opToken  string
	stateDir string
	logs     *syncBuffer
}

// clock is a settable clock shared by the server, the fake cluster and
// the agent.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	real bool // follow the wall clock (the real cluster's tests)
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return c.t
}
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newWorld(t *testing.T) *world { return newWorldAt(t, &clock{t: t0}) }

func newWorldAt(t *testing.T, c *clock) *world {
	t.Helper()
	w := &world{t: t, clock: c, screener: mock.Approving(), stateDir: t.TempDir(), logs: &syncBuffer{}}
	w.db = storetest.Open(t, sqlstore.SQLite, sqlstore.Options{Now: w.clock.Now})
	w.f = storetest.Seed(t, w.db, c.Now())
	w.uc = storetest.App(t, w.db, w.screener, w.clock.Now)
	users := w.uc
	cfg := pactumhttp.Config{Now: w.clock.Now}
	cfg.Serve(w.uc)
	srv, err := pactumhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w.url = srv.URL()
	if _, w.opToken, err = users.CreateToken(storetest.As(w.f.Operator), w.f.Operator.ID, "agent", nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := users.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	w.cluster = slurmsim.New("lumi", w.clock.Now)
	w.cluster.Safe = true
	w.cluster.User = "ada"
	return w
}

// allocation awards amount GPU-hours on LUMI-G to organization A.
func (w *world) allocation(amount float64, conds ...pactum.Finding) *pactum.Allocation {
	w.t.Helper()
	defer w.screener.Adding(conds...)()
	p := storetest.NewProposal(w.f.Call.ID)
	p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: amount, StorageTB: 1}}
	if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
		w.t.Fatal(err)
	}
	as, _, err := w.uc.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(as) != 1 {
		w.t.Fatalf("allocation: %v %v", as, err)
	}
	return as[0]
}

// agent starts an agent on the world's state directory.
func (w *world) agent(opts ...func(*agent.Config)) *agent.Agent {
	w.t.Helper()
	api, err := client.New(w.url, w.opToken)
	if err != nil {
		w.t.Fatal(err)
	}
	noWait := func(context.Context, time.Duration) error { return nil }
	cfg := agent.Config{API: api, Cluster: w.cluster, Site: "CSC", ClusterName: "lumi", StateDir: w.stateDir, Now: w.clock.Now,
		Overlap: 10 * time.Minute, Reconcile: &retry.Policy{Sleep: noWait, Attempts: 20}, APIPolicy: &retry.Policy{Sleep: noWait, Attempts: 3},
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(a.Close)
	return a
}

func (w *world) cycle(a *agent.Agent) *agent.Report {
	w.t.Helper()
	rep, err := a.Cycle(context.Background())
	if err != nil {
		w.t.Fatalf("cycle: %v\nlogs:\n%s", err, w.logs)
	}
	return rep
}

func (w *world) state(a *pactum.Allocation) pactum.AllocationState {
	w.t.Helper()
	got, err := w.uc.FindAllocationByID(storetest.As(w.f.Manager), a.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got.State
}

func (w *world) summary(a *pactum.Allocation) *pactum.UsageSummary {
	w.t.Helper()
	s, err := w.uc.FindUsageSummary(storetest.As(w.f.Manager), a.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func (w *world) assoc(account string) (slurm.Association, []string) {
	w.t.Helper()
	as, err := w.cluster.Associations(context.Background(), account)
	if err != nil || len(as) == 0 {
		w.t.Fatalf("no account %s: %v", account, err)
	}
	var users []string
	for _, x := range as[1:] {
		if x.Account == account {
			users = append(users, x.User)
		}
	}
	return as[0], users
}

func (w *world) submit(account string, gpus int, limit time.Duration) (string, error) {
	return w.cluster.Submit(context.Background(), slurm.SubmitRequest{Account: account, GPUs: gpus, Time: limit, Wrap: "train.sh"})
}

func TestProvisionActivateIdempotent(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	a := w.agent()
	rep := w.cycle(a)
	acct := pactum.AllocationAccount(al.ID)
	if rep.Allocations != 1 || len(rep.Applied) != 4 || !slices.Equal(rep.Activated, []string{al.ID}) || len(rep.Drift) != 0 {
		t.Fatalf("first cycle: %+v", rep)
	}
	root, _ := w.assoc("pactum")
	if root.Parent != "root" {
		t.Errorf("pactum root under %q", root.Parent)
	}
	assoc, users := w.assoc(acct)
	if assoc.Parent != pactum.OrganizationAccount(w.f.OrgA.ID) || assoc.GrpTRESMins.String() != "gres/gpu=6000" || assoc.GrpJobs != slurm.NoLimit ||
		!slices.Equal(users, []string{"ada"}) {
		t.Errorf("allocation account: %+v users %v", assoc, users)
	}
	if got := w.state(al); got != pactum.AllocationActive {
		t.Errorf("allocation %s, want active", got)
	}
	for range 2 {
		w.clock.Advance(time.Minute)
		rep = w.cycle(a)
		if len(rep.Applied) != 0 || len(rep.Activated) != 0 || len(rep.Drift) != 0 {
			t.Fatalf("a cycle with nothing to do did something: %+v", rep)
		}
	}
	// The account tree and the agent's state agree: nothing was applied
	// twice (the fake, like Slurm, would have said "Nothing new added").
	if n := w.cluster.Calls["EnsureAccount"]; n != 3 {
		t.Errorf("EnsureAccount called %d times, want 3 (root, organization, allocation)", n)
	}
}

func TestDriftRestoredAndReported(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent()
	w.cycle(a)

	// An administrator raises the limit by hand and removes Ada.
	if err := w.cluster.SetByHand(acct, slurm.TRES{"gres/gpu": 999999, "cpu": 5}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.cluster.RemoveUser(context.Background(), acct, "ada"); err != nil {
		t.Fatal(err)
	}
	rep := w.cycle(a)
	if len(rep.Drift) != 2 || rep.Drift[0].Found != "GrpTRESMins=cpu=5,gres/gpu=999999" || rep.Drift[1].Found != "users changed by hand" {
		t.Fatalf("drift: %+v", rep.Drift)
	}
	if assoc, users := w.assoc(acct); assoc.GrpTRESMins.String() != "gres/gpu=6000" || !slices.Equal(users, []string{"ada"}) {
		t.Errorf("not restored: %+v %v", assoc, users)
	}
	if !strings.Contains(w.logs.String(), "drift restored") {
		t.Errorf("drift not logged:\n%s", w.logs)
	}
	evs, _, err := w.uc.FindAuditEvents(storetest.As(w.f.Auditor), pactum.AuditFilter{SubjectType: ptr("site")})
	if err != nil || len(evs) != 1 || evs[0].Action != "site.drift" || !strings.Contains(string(evs[0].After), "999999") {
		t.Errorf("drift report on the server: %+v %v", evs, err)
	}

	// A change of the award is not drift: the manager suspends, the
	// agent applies it without complaint, and resumes it later.
	if _, err := w.uc.TransitionAllocation(storetest.As(w.f.Manager), al.ID, pactum.AllocationSuspended, "incident"); err != nil {
		t.Fatal(err)
	}
	rep = w.cycle(a)
	if len(rep.Drift) != 0 || !slices.Equal(rep.Applied, []string{"suspend " + acct + " (drift: found GrpJobs=-1 GrpSubmitJobs=-1)"}) {
		t.Fatalf("suspension: %+v", rep)
	}
	if _, err := w.submit(acct, 1, time.Minute); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("submit while suspended: %v", err)
	}
	if _, err := w.uc.TransitionAllocation(storetest.As(w.f.Manager), al.ID, pactum.AllocationActive, "resolved"); err != nil {
		t.Fatal(err)
	}
	if rep = w.cycle(a); len(rep.Drift) != 0 || len(rep.Applied) != 1 {
		t.Fatalf("resumption: %+v", rep)
	}
	if _, err := w.submit(acct, 1, time.Minute); err != nil {
		t.Errorf("submit after resumption: %v", err)
	}
}

func TestUsageAccountedOnceUpToExhaustion(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(2.0 / 60) // 2 GPU-minutes, like the real-cluster test
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent()
	w.cycle(a)

	// A 2-GPU job runs 45 s (90 GPU-s); the agent reads it while running,
	// then ended.
	j1, err := w.submit(acct, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(20 * time.Second)
	if err := w.cluster.Progress(j1, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	rep := w.cycle(a)
	if rep.Records != 1 || rep.Accepted != 1 || w.summary(al).ChargeSeconds != 40 {
		t.Fatalf("running job: %+v, charge %d", rep, w.summary(al).ChargeSeconds)
	}
	w.clock.Advance(25 * time.Second)
	if err := w.cluster.Finish(j1, 45*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	rep = w.cycle(a)
	if rep.Accepted != 1 || w.summary(al).ChargeSeconds != 90 {
		t.Fatalf("ended job: %+v, charge %d", rep, w.summary(al).ChargeSeconds)
	}
	// The overlapping window reads it again: a duplicate.
	w.clock.Advance(time.Minute)
	if rep = w.cycle(a); rep.Duplicate != 1 || rep.Accepted != 0 || w.summary(al).ChargeSeconds != 90 {
		t.Fatalf("re-read: %+v", rep)
	}

	// With safe enforcement a 2-GPU job no longer fits (1 minute left); a
	// 1-GPU job does, and runs 31 s: usage reaches the 120 GPU-s limit.
	big, _ := w.submit(acct, 2, time.Minute)
	if st, _ := w.cluster.JobStatus(context.Background(), big); st.Reason != "AssocGrpGRESMinutes" {
		t.Fatalf("2-GPU job with one minute left: %+v", st)
	}
	if err := w.cluster.Cancel(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	j2, _ := w.submit(acct, 1, time.Minute)
	w.clock.Advance(31 * time.Second)
	if err := w.cluster.Finish(j2, 31*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	w.cycle(a)
	s := w.summary(al)
	if s.ChargeSeconds != 121 || s.State != pactum.AllocationExhausted || len(s.Thresholds) != 3 || s.Jobs != 3 {
		t.Fatalf("at the limit: %+v", s)
	}
	// Slurm holds the next job with its limit reason; the account stays
	// provisioned and unsuspended.
	j3, err := w.submit(acct, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := w.cluster.JobStatus(context.Background(), j3); st.State != "PENDING" || st.Reason != "AssocGrpGRESMinutes" {
		t.Errorf("next job: %+v", st)
	}
	if rep = w.cycle(a); len(rep.Applied) != 0 {
		t.Errorf("an exhausted allocation changed the cluster: %v", rep.Applied)
	}
}

func TestConditionsHoldJobsOnTheCluster(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100, pactum.Finding{RuleID: "gpai.docs", Basis: "AI Act Art. 53", Effect: pactum.EffectCondition, Message: "Document."})
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent()
	w.cycle(a)
	if assoc, _ := w.assoc(acct); assoc.GrpSubmitJobs != 0 || w.state(al) != pactum.AllocationActive {
		t.Fatalf("unmet condition: account %+v, allocation %s", assoc, w.state(al))
	}
	if _, err := w.submit(acct, 1, time.Minute); pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("submit with an unmet condition: %v", err)
	}
	if _, err := w.uc.AcknowledgeCondition(storetest.As(w.f.ApplicantA), al.ID, "gpai.docs", "The model card is kept current."); err != nil {
		t.Fatal(err)
	}
	if rep := w.cycle(a); len(rep.Drift) != 0 || len(rep.Applied) != 1 {
		t.Fatalf("after acknowledgement: %+v", rep)
	}
	if _, err := w.submit(acct, 1, time.Minute); err != nil {
		t.Errorf("submit after acknowledgement: %v", err)
	}
}

func TestExpiryRemovesAfterJobsEnd(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	w.clock.Advance(30 * 24 * time.Hour)
	keep := w.allocation(50) // same organization, ends a month later
	acct := pactum.AllocationAccount(al.ID)
	a := w.agent()
	w.cycle(a)
	w.cluster.Safe = false // the job outlives the period, so it outgrows the grant
	started := w.clock.Now()
	j, err := w.submit(acct, 1, 100*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.t = al.EndsAt.Add(time.Minute)
	// A job still runs: Slurm refuses the removal, so the account is kept
	// suspended and the allocation expires.
	rep := w.cycle(a)
	if !slices.Equal(rep.Deferred, []string{acct}) || !slices.Contains(rep.Expired, al.ID) || !slices.Equal(rep.Applied, []string{"suspend " + acct + " (drift: found GrpJobs=-1 GrpSubmitJobs=-1)"}) {
		t.Fatalf("with a running job: %+v\nlogs:\n%s", rep, w.logs)
	}
	if assoc, _ := w.assoc(acct); assoc.GrpSubmitJobs != 0 || w.state(al) != pactum.AllocationExpired {
		t.Fatalf("deferred removal: %+v %s", assoc, w.state(al))
	}
	ran := w.clock.Now().Sub(started)
	if err := w.cluster.Finish(j, ran, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	rep = w.cycle(a)
	if as, _ := w.cluster.Associations(context.Background(), acct); len(as) != 0 {
		t.Fatalf("account still there: %+v (%+v)", as, rep)
	}
	// The job's usage, which ended after the allocation's period, is
	// still accounted: expired allocations stay readable for a while.
	if s := w.summary(al); s.Jobs != 1 || s.GPUSeconds != int64(ran/time.Second) {
		t.Errorf("usage of the expired allocation: %+v", s)
	}
	// The other allocation of the organization is untouched.
	if assoc, users := w.assoc(pactum.AllocationAccount(keep.ID)); assoc.GrpSubmitJobs != slurm.NoLimit || len(users) != 1 || w.state(keep) != pactum.AllocationActive {
		t.Errorf("the other allocation: %+v %v %s", assoc, users, w.state(keep))
	}
}

// TestOutageAndRestart stops the cluster in the middle of a reconciliation
// and of a usage read, restarts the agent on its state directory, and
// checks that everything converges with nothing lost or doubled.
func TestOutageAndRestart(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	// The cluster goes down after the organization account is created and
	// comes back after three failed attempts.
	var mu sync.Mutex
	ensures, failures := 0, 0
	w.cluster.Fail = func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		if op == "EnsureAccount" {
			ensures++
			if ensures == 2 && failures == 0 {
				failures++
				return &slurm.ExecError{Name: "sacctmgr", ExitCode: 1, Err: errors.New("exit status 1"), Stderr: "sacctmgr: error: Sending PersistInit msg: Connection refused"}
			}
		}
		return nil
	}
	a := w.agent()
	rep := w.cycle(a)
	if failures != 1 || !slices.Equal(rep.Activated, []string{al.ID}) {
		t.Fatalf("after an outage mid-reconciliation: %d failures, %+v", failures, rep)
	}
	if as, _ := w.cluster.Associations(context.Background(), "pactum"); len(as) != 4 { // root, org, allocation, ada
		t.Fatalf("associations: %+v", as)
	}

	j1, _ := w.submit(acct, 4, time.Hour)
	w.clock.Advance(10 * time.Minute)
	if err := w.cluster.Finish(j1, 10*time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	// slurmdbd is down while the agent reads: the cycle fails, the cursor
	// stays, and nothing reaches the server.
	w.cluster.Down()
	before := a.State().Cursor
	if _, err := a.Cycle(context.Background()); err == nil {
		t.Fatal("cycle succeeded with the cluster down")
	}
	if got := a.State().Cursor; !got.Equal(before) || w.summary(al).Jobs != 0 {
		t.Fatalf("cursor moved to %v (was %v) or usage posted", got, before)
	}
	w.cluster.Up()

	// The agent restarts (a new process on the same state directory); the
	// job is accounted once.
	a.Close()
	w.clock.Advance(time.Minute)
	b := w.agent()
	if got := b.State().Cursor; !got.Equal(before) {
		t.Fatalf("restarted with cursor %v, want %v", got, before)
	}
	rep = w.cycle(b)
	if rep.Accepted != 1 || w.summary(al).GPUSeconds != 4*600 {
		t.Fatalf("after restart: %+v, usage %+v", rep, w.summary(al))
	}
	// Restarted once more within the overlap, the agent reads the job
	// again: a duplicate.
	b.Close()
	w.clock.Advance(time.Minute)
	b = w.agent()
	if rep = w.cycle(b); rep.Duplicate != 1 || w.summary(al).GPUSeconds != 4*600 || w.summary(al).Jobs != 1 {
		t.Fatalf("again: %+v", rep)
	}
	// A second agent on the same state directory is refused.
	api, _ := client.New(w.url, w.opToken)
	if _, err := agent.New(agent.Config{API: api, Cluster: w.cluster, Site: "CSC", ClusterName: "lumi", StateDir: w.stateDir}); err == nil ||
		!strings.Contains(err.Error(), "in use") {
		t.Errorf("second agent on one state directory: %v", err)
	}
	// And a state directory of another cluster is refused too.
	b.Close()
	if _, err := agent.New(agent.Config{API: api, Cluster: w.cluster, Site: "CSC", ClusterName: "other", StateDir: w.stateDir}); err == nil ||
		!strings.Contains(err.Error(), "belongs to") {
		t.Errorf("state of another cluster: %v", err)
	}
}

// sacctText is the fake cluster whose usage comes from sacct output, run
// through the real parser.
type sacctText struct {
	*slurmsim.Cluster
	text string
}

func (s sacctText) Usage(ctx context.Context, q slurm.Query, fn func(*slurm.Record) error) ([]slurm.LineError, error) {
	p := slurm.NewParser(strings.NewReader(s.text))
	for p.Next() {
		if err := fn(p.Record()); err != nil {
			return p.Malformed(), err
		}
	}
	return p.Malformed(), p.Err()
}

func TestMalformedLineSkipped(t *testing.T) {
	w := newWorld(t)
	al := w.allocation(100)
	acct := pactum.AllocationAccount(al.ID)
	text := "JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|End\n" +
		"501|501|lumi|" + acct + "|ada|COMPLETED|billing=8,cpu=8,gres/gpu=2,mem=64000M,node=1|600|2026-11-26T08:00:00|2026-11-26T08:00:10|2026-11-26T08:10:10\n" +
		"502|502|lumi|" + acct + "|ada|COMPLETED|cpu=8,gres/gpu=two,node=1|600|2026-11-26T08:00:00|2026-11-26T08:00:10|2026-11-26T08:10:10\n" +
		"503|503|lumi|" + acct + "|ada|RUNNING|cpu=4,gres/gpu=1,node=1|60|2026-11-26T08:58:00|2026-11-26T08:59:00|Unknown\n" +
		"504|504|lumi|a-stranger|ada|COMPLETED|cpu=4,gres/gpu=1,node=1|60|2026-11-26T08:58:00|2026-11-26T08:59:00|2026-11-26T09:00:00\n"
	a := w.agent(func(c *agent.Config) { c.Cluster = sacctText{Cluster: w.cluster, text: text} })
	rep := w.cycle(a)
	if rep.Malformed != 1 || rep.Records != 2 || rep.Accepted != 2 {
		t.Fatalf("report: %+v", rep)
	}
	if !strings.Contains(w.logs.String(), "malformed sacct line skipped") || !strings.Contains(w.logs.String(), "line=3") {
		t.Errorf("the malformed line is not logged with its number:\n%s", w.logs)
	}
	if s := w.summary(al); s.GPUSeconds != 2*600+60 || s.Jobs != 2 {
		t.Errorf("usage: %+v", s)
	}
}

func TestTree(t *testing.T) {
	st := &pactum.SiteState{Site: "CSC", Root: "pactum", Allocations: []pactum.DesiredAllocation{
		{AllocationID: "1", Account: "a1", OrganizationAccount: "o1", OrganizationName: "Org One", Title: "LLM", Amount: 1000, Unit: pactum.UnitGPUHours, Users: []string{"ada"}},
		{AllocationID: "2", Account: "a2", OrganizationAccount: "o1", OrganizationName: "Org One", Amount: 10.5, Unit: pactum.UnitNodeHours, Users: []string{}, Suspended: true},
		{AllocationID: "3", Account: "a3", OrganizationAccount: "o2", OrganizationName: "Org Two", Amount: 5, Unit: pactum.UnitGPUHours, Remove: true},
	}}
	d, err := agent.Tree(st, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range d.Accounts {
		got = append(got, x.Name+"<"+x.Parent+" "+x.Limits.String()+" "+strings.Join(x.Users, ",")+func() string {
			if x.Suspended {
				return " suspended"
			}
			return ""
		}())
	}
	want := []string{"o1<pactum  ", "a1<o1 gres/gpu=60000 ada", "a2<o1 node=630  suspended"}
	if !slices.Equal(got, want) || d.Root.Parent != "root" {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
	// Every account carries the site's mark; the title follows it.
	if d.Owner != "pactum:csc" || d.Accounts[1].Description != "pactum:csc llm" || d.Root.Description != "pactum:csc pactum" {
		t.Errorf("marks: owner %q, a1 %q, root %q", d.Owner, d.Accounts[1].Description, d.Root.Description)
	}
	d, _ = agent.Tree(st, 128)
	if d.Accounts[2].Limits.String() != "cpu=80640" {
		t.Errorf("node-hours as cpu minutes: %v", d.Accounts[2].Limits)
	}
}

func ptr[T any](v T) *T { return &v }
