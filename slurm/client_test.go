// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
)

// reply is what the fake runner answers to one command.
type reply struct {
	stdout, stderr string
	code           int
}

// fakeRunner records every command and answers from a function of it.
type fakeRunner struct {
	mu     sync.Mutex
	calls  []string
	answer func(cmd string) reply
}

func (f *fakeRunner) Run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	cmd := name + " " + strings.Join(args, " ")
	f.mu.Lock()
	f.calls = append(f.calls, cmd)
	f.mu.Unlock()
	r := reply{}
	if f.answer != nil {
		r = f.answer(cmd)
	}
	if _, err := io.WriteString(stdout, r.stdout); err != nil {
		return err
	}
	if r.code != 0 {
		return &slurm.ExecError{Name: name, Args: args, ExitCode: r.code, Stderr: r.stderr, Err: fmt.Errorf("exit status %d", r.code)}
	}
	return nil
}

func newClient(answer func(string) reply) (*slurm.Client, *fakeRunner) {
	f := &fakeRunner{answer: answer}
	return &slurm.Client{Runner: f, Cluster: "lumi"}, f
}

func TestAccountingCommands(t *testing.T) {
	ctx := context.Background()
	c, f := newClient(func(cmd string) reply {
		switch {
		case strings.HasPrefix(cmd, "sacctmgr show assoc where account=al-1"):
			return reply{stdout: "al-1|org-b||||\nal-1||alice|||\n"}
		case strings.HasPrefix(cmd, "sacctmgr show user"):
			return reply{stdout: "al-1|al-1\nal-1|other\n"} // al-1 is alice's default; she has another account
		}
		return reply{}
	})
	steps := []func() error{
		func() error {
			return c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "al-1", Parent: "org-a", Description: "Allocation 1", Organization: "Org A"},
				Limits: slurm.TRES{"gres/gpu": 600, "cpu": slurm.NoLimit}, Suspended: true})
		},
		func() error { return c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "pactum"}}) },
		func() error {
			p, d := "org-b", "New"
			return c.ModifyAccount(ctx, "al-1", slurm.AccountUpdate{Parent: &p, Description: &d})
		},
		func() error { return c.SetLimits(ctx, "al-1", slurm.TRES{"gres/gpu": 1200, "node": -1}) },
		func() error { return c.Suspend(ctx, "al-1") },
		func() error { return c.Resume(ctx, "al-1") },
		func() error { return c.EnsureUser(ctx, "al-1", "alice") },
		func() error { return c.RemoveUser(ctx, "al-1", "alice") },
		func() error { return c.RemoveAccount(ctx, "al-1") },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{
		"sacctmgr -i add account al-1 parent=org-a description=allocation 1 organization=org a cluster=lumi GrpTRESMins=gres/gpu=600 GrpJobs=0 GrpSubmitJobs=0",
		"sacctmgr -i add account pactum cluster=lumi",
		"sacctmgr -i modify account where name=al-1 cluster=lumi set parent=org-b",
		"sacctmgr -i modify account where name=al-1 cluster=lumi set description=new",
		"sacctmgr -i modify account where name=al-1 cluster=lumi set GrpTRESMins=gres/gpu=1200,node=-1",
		"sacctmgr -i modify account where name=al-1 cluster=lumi set GrpJobs=0 GrpSubmitJobs=0",
		"sacctmgr -i modify account where name=al-1 cluster=lumi set GrpJobs=-1 GrpSubmitJobs=-1",
		"sacctmgr -i add user alice account=al-1 cluster=lumi",
		// Removing alice's default account: her other one becomes it first.
		"sacctmgr show assoc where account=al-1 cluster=lumi withsubaccounts format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader",
		"sacctmgr show user withassoc where name=alice cluster=lumi format=DefaultAccount,Account --parsable2 --noheader",
		"sacctmgr -i modify user where name=alice cluster=lumi set defaultaccount=other",
		"sacctmgr -i remove user where name=alice cluster=lumi account=al-1",
		"sacctmgr show assoc where account=al-1 cluster=lumi withsubaccounts format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader",
		"sacctmgr show user withassoc where name=alice cluster=lumi format=DefaultAccount,Account --parsable2 --noheader",
		"sacctmgr -i modify user where name=alice cluster=lumi set defaultaccount=other",
		"sacctmgr -i remove user where name=alice cluster=lumi account=al-1",
		"sacctmgr -i remove account where name=al-1 cluster=lumi",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestAccountingValidatesFirst(t *testing.T) {
	ctx := context.Background()
	c, f := newClient(nil)
	errs := []error{
		c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "Bad"}}),
		c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "ok", Parent: "a,b"}}),
		c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "ok"}, Limits: slurm.TRES{"gpu": 1}}),
		c.SetLimits(ctx, "ok", slurm.TRES{"gres/gpu": -5}),
		c.EnsureUser(ctx, "ok", "Robert'); DROP"),
		c.RemoveUser(ctx, "o k", "bob"),
		c.RemoveAccount(ctx, "root"),
		c.Suspend(ctx, ""),
	}
	for i, err := range errs {
		if pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("call %d: %v, want EINVALID", i, err)
		}
	}
	if len(f.calls) != 0 {
		t.Errorf("commands ran despite invalid input: %v", f.calls)
	}
}

// TestAccountingNamesItsCluster: without a cluster no sacctmgr command
// runs, since an unnamed one acts on every cluster of the slurmdbd; an
// account name held by an account pactum does not own is not reused.
func TestAccountingNamesItsCluster(t *testing.T) {
	ctx := context.Background()
	c, f := newClient(func(cmd string) reply {
		if strings.HasPrefix(cmd, "sacctmgr show account") {
			return reply{stdout: "al-1|theirs|physics\n"}
		}
		return reply{}
	})
	c.Cluster = ""
	for i, err := range []error{
		c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "al-1"}}),
		c.RemoveAccount(ctx, "al-1"), c.Suspend(ctx, "al-1"), c.EnsureUser(ctx, "al-1", "bob"),
		func() error { _, err := c.Associations(ctx, "pactum"); return err }(),
	} {
		if pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("call %d without a cluster: %v, want EINVALID", i, err)
		}
	}
	if len(f.calls) != 0 {
		t.Errorf("commands ran without a cluster: %v", f.calls)
	}
	c.Cluster = "lumi"
	err := c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "al-1", Description: "pactum:csc x", Organization: "pactum:csc"}})
	if pactum.ErrorCode(err) != pactum.ECONFLICT {
		t.Errorf("EnsureAccount over a foreign account: %v, want ECONFLICT", err)
	}
	if len(f.calls) != 1 {
		t.Errorf("commands = %v, want only the look-up", f.calls)
	}
}

func TestAccountingIdempotentAnswers(t *testing.T) {
	ctx := context.Background()
	exists := true
	c, f := newClient(func(cmd string) reply {
		switch {
		case strings.HasPrefix(cmd, "sacctmgr -i add"):
			return reply{stdout: " Nothing new added.\n", code: 1}
		case strings.HasPrefix(cmd, "sacctmgr -i remove"):
			return reply{stdout: " Nothing deleted\n", code: 1}
		case strings.HasPrefix(cmd, "sacctmgr -i modify"):
			return reply{stdout: " Nothing modified\n", code: 1}
		case strings.HasPrefix(cmd, "sacctmgr show assoc") && exists:
			return reply{stdout: "al-1|org-a||gres/gpu=60||\n"}
		}
		return reply{}
	})
	if err := c.EnsureAccount(ctx, slurm.AccountSpec{Account: slurm.Account{Name: "al-1"}}); err != nil {
		t.Errorf("existing account: %v", err)
	}
	if err := c.EnsureUser(ctx, "al-1", "bob"); err != nil {
		t.Errorf("existing user: %v", err)
	}
	if err := c.RemoveAccount(ctx, "gone"); err != nil {
		t.Errorf("absent account: %v", err)
	}
	if err := c.RemoveUser(ctx, "al-1", "gone"); err != nil {
		t.Errorf("absent user: %v", err)
	}
	if err := c.SetLimits(ctx, "al-1", slurm.TRES{"gres/gpu": 60}); err != nil {
		t.Errorf("unchanged limit: %v", err)
	}
	// Slurm says "Nothing modified" for an unknown account too: the client
	// must look before it calls that success.
	exists = false
	if err := c.Suspend(ctx, "nosuch"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
		t.Errorf("suspend unknown account: %v, want ENOTFOUND", err)
	}
	if got := f.calls[len(f.calls)-1]; got != "sacctmgr show assoc where account=nosuch cluster=lumi withsubaccounts format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader" {
		t.Errorf("existence check = %q", got)
	}
}

func TestAccountingErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(func(cmd string) reply {
		switch {
		case strings.Contains(cmd, "add user"):
			return reply{stderr: " This account 'nosuch' doesn't exist.\n        Contact your admin to add this account.", code: 1}
		case strings.Contains(cmd, "remove account"):
			return reply{stderr: " Error with request: Job(s) active, cancel job(s) before remove", code: 1}
		case strings.Contains(cmd, "show assoc where account=busy"):
			return reply{}
		case strings.Contains(cmd, "show assoc where account=pactum"):
			return reply{stderr: "sacctmgr: error: slurm_persist_conn_open_without_init: failed to open persistent connection to host:127.0.0.1:6819: Connection refused\nsacctmgr: error: Sending PersistInit msg: Connection refused", code: 1}
		}
		return reply{stderr: "sacctmgr: error: slurmdb_format_tres_str: no TRES known by type gres/fpga", code: 1}
	})
	err := c.EnsureUser(ctx, "nosuch", "bob")
	if pactum.ErrorCode(err) != pactum.ENOTFOUND || !strings.Contains(err.Error(), "doesn't exist") {
		t.Errorf("EnsureUser: %v", err)
	}
	err = c.RemoveAccount(ctx, "busy")
	if pactum.ErrorCode(err) != pactum.ECONFLICT || slurm.IsTransient(err) {
		t.Errorf("RemoveAccount: %v", err)
	}
	_, err = c.Associations(ctx, "pactum")
	if !slurm.IsTransient(err) || !strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("Associations with slurmdbd down: %v, want a transient error keeping stderr", err)
	}
	err = c.SetLimits(ctx, "al-1", slurm.TRES{"gres/fpga": 5})
	var ee *slurm.ExecError
	if !errors.As(err, &ee) || ee.ExitCode != 1 || slurm.IsTransient(err) || !strings.Contains(err.Error(), "no TRES known") {
		t.Errorf("SetLimits: %v", err)
	}
}

func TestAssociationsAndAccounts(t *testing.T) {
	c, f := newClient(func(cmd string) reply {
		if strings.HasPrefix(cmd, "sacctmgr show assoc") {
			return reply{stdout: "pactum|root||||\norg-a|pactum||||\nal-1|org-a||gres/gpu=600,cpu=10|0|0\nal-1||alice|||\nal-1||bob|||\n"}
		}
		return reply{stdout: "root|default root account|root\npactum|pactum|pactum\norg-a|org a|org a\nal-1|allocation 1|org a\nother|x|y\n"}
	})
	o, err := slurm.Observe(context.Background(), c, "pactum")
	if err != nil {
		t.Fatal(err)
	}
	want := &slurm.Observed{Root: "pactum", Accounts: map[string]*slurm.ObservedAccount{
		"pactum": {Account: slurm.Account{Name: "pactum", Parent: "root", Description: "pactum", Organization: "pactum"}, Limits: slurm.TRES{}, GrpJobs: -1, GrpSubmitJobs: -1},
		"org-a":  {Account: slurm.Account{Name: "org-a", Parent: "pactum", Description: "org a", Organization: "org a"}, Limits: slurm.TRES{}, GrpJobs: -1, GrpSubmitJobs: -1},
		"al-1": {Account: slurm.Account{Name: "al-1", Parent: "org-a", Description: "allocation 1", Organization: "org a"}, Users: []string{"alice", "bob"},
			Limits: slurm.TRES{"gres/gpu": 600, "cpu": 10}, GrpJobs: 0, GrpSubmitJobs: 0},
	}}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"sacctmgr show assoc where account=pactum cluster=lumi withsubaccounts format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader",
		"sacctmgr show assoc where account=pactum cluster=lumi withsubaccounts format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader",
		"sacctmgr show account where name=pactum,org-a,al-1 format=Account,Description,Organization --parsable2 --noheader",
	}, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if _, err := slurm.ParseAssociations([]byte("a|b|c\n")); err == nil {
		t.Error("short association line accepted")
	}
	if _, err := slurm.ParseAssociations([]byte("a|b||gres/gpu=x||\n")); err == nil {
		t.Error("bad GrpTRESMins accepted")
	}
}

func TestSubmit(t *testing.T) {
	ctx := context.Background()
	c, f := newClient(func(cmd string) reply {
		switch {
		case strings.Contains(cmd, "--account=nomember"):
			return reply{stderr: "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified", code: 1}
		case strings.Contains(cmd, "--account=suspended"):
			return reply{stderr: "sbatch: error: AssocGrpSubmitJobsLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)", code: 1}
		case strings.Contains(cmd, "--account=down"):
			return reply{stderr: "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)", code: 1}
		}
		return reply{stdout: "42;lumi\n"}
	})
	id, err := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Script: "/home/a/train.sh", Args: []string{"--epochs", "3"}, GPUs: 8, Time: 90*time.Minute + time.Second, Name: "train", Output: "/tmp/o-%j", Dir: "/home/a", Partition: "standard-g", Comment: "pactum:model=demo-7b@1;phase=pre-training"})
	if err != nil || id != "42" {
		t.Fatalf("Submit = %q, %v", id, err)
	}
	if want := "sbatch --parsable --account=al-1 --gres=gpu:8 --time=91 --job-name=train --output=/tmp/o-%j --chdir=/home/a --partition=standard-g --comment=pactum:model=demo-7b@1;phase=pre-training /home/a/train.sh --epochs 3"; f.calls[0] != want {
		t.Errorf("command\n got %q\nwant %q", f.calls[0], want)
	}
	if _, err := c.Submit(ctx, slurm.SubmitRequest{Account: "al-1", Wrap: "sleep 1"}); err != nil || f.calls[1] != "sbatch --parsable --account=al-1 --wrap=sleep 1" {
		t.Errorf("wrap: %v %q", err, f.calls[1])
	}
	for acct, code := range map[string]string{"nomember": pactum.EFORBIDDEN, "suspended": pactum.ECONFLICT} {
		_, err := c.Submit(ctx, slurm.SubmitRequest{Account: acct, Wrap: "true"})
		if pactum.ErrorCode(err) != code {
			t.Errorf("%s: %v, want %s", acct, err, code)
		}
	}
	if _, err := c.Submit(ctx, slurm.SubmitRequest{Account: "down", Wrap: "true"}); !slurm.IsTransient(err) {
		t.Errorf("controller down: %v, want transient", err)
	}
	n := len(f.calls)
	for _, bad := range []slurm.SubmitRequest{
		{Account: "al-1"},
		{Account: "al-1", Script: "a", Wrap: "b"},
		{Account: "AL", Wrap: "true"},
		{Account: "al-1", Script: "--uid=0"},
		{Account: "al-1", Wrap: "x", Args: []string{"y"}},
		{Account: "al-1", Wrap: "x", GPUs: -1},
		{Account: "al-1", Wrap: "x", Comment: "phase=a\nb"},
		{Account: "al-1", Wrap: "x", Comment: strings.Repeat("c", slurm.MaxComment+1)},
	} {
		if _, err := c.Submit(ctx, bad); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", bad, err)
		}
	}
	if len(f.calls) != n {
		t.Errorf("invalid requests ran sbatch: %v", f.calls[n:])
	}
}

func TestJobStatus(t *testing.T) {
	ctx := context.Background()
	c, f := newClient(func(cmd string) reply {
		switch {
		case cmd == "squeue -h -j 7 -o %T|%r":
			return reply{stdout: "PENDING|AssocGrpGRESMinutes\n"}
		case strings.HasPrefix(cmd, "squeue"):
			return reply{stderr: "slurm_load_jobs error: Invalid job id specified", code: 1}
		case strings.Contains(cmd, "-j 8 "):
			return reply{stdout: "CANCELLED by 0|AssocGrpJobsLimit\n"}
		}
		return reply{}
	})
	st, err := c.JobStatus(ctx, "7")
	if err != nil || st != (slurm.JobStatus{ID: "7", State: "PENDING", Reason: "AssocGrpGRESMinutes"}) {
		t.Errorf("7: %+v %v", st, err)
	}
	st, err = c.JobStatus(ctx, "8")
	if err != nil || st != (slurm.JobStatus{ID: "8", State: "CANCELLED", Reason: "AssocGrpJobsLimit"}) {
		t.Errorf("8: %+v %v", st, err)
	}
	if _, err := c.JobStatus(ctx, "9"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
		t.Errorf("9: %v", err)
	}
	if _, err := c.JobStatus(ctx, "9; rm"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("bad id: %v", err)
	}
	if got := f.calls[2]; got != "sacct -X -n -P -j 8 -o State,Reason --clusters=lumi" {
		t.Errorf("fallback = %q", got)
	}
}

func TestUsageQuery(t *testing.T) {
	w := slurm.NextWindow(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 12, 0, 0, 500, time.UTC), time.Hour)
	if w.Start != time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) || w.End != time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) {
		t.Errorf("window %v", w)
	}
	if w := slurm.NextWindow(time.Time{}, time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), time.Hour); !w.Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("zero cursor window %v", w)
	}
	args, err := slurm.Query{Window: w, Accounts: []string{"al-1", "al-2"}}.Args("lumi")
	if err != nil {
		t.Fatal(err)
	}
	want := "--allusers --parsable2 --noconvert --allocations --starttime=2026-11-26T09:00:00 --endtime=2026-11-26T12:00:00 --accounts=al-1,al-2 --clusters=lumi --format=JobIDRaw,JobID,Cluster,Account,User,State,AllocTRES,ElapsedRaw,Submit,Start,End,ConsumedEnergyRaw,TRESUsageInTot,Comment"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}
	args, err = slurm.Query{Window: w, StepStats: true}.Args("")
	if err != nil || slices.Contains(args, "--allocations") || slices.Contains(args, "--noheader") {
		t.Errorf("StepStats args %v, %v: want the steps, and the header", args, err)
	}
	if _, err := (slurm.Query{Window: w, Steps: true, StepStats: true}).Args(""); err == nil {
		t.Error("Steps with StepStats accepted")
	}
	if _, err := (slurm.Query{}).Args(""); err == nil {
		t.Error("empty window accepted")
	}
	if _, err := (slurm.Query{Window: w, Accounts: []string{"a,b"}}).Args(""); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("bad account: %v", err)
	}
}

// header11 is the header of sacct's listing in the eleven columns pactum
// asked for before it read energy, GPU utilisation and comments.
const header11 = "JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|End\n"

func TestUsageStreams(t *testing.T) {
	lines := header11 + "1|1|c|a|u|COMPLETED|cpu=1,gres/gpu=2,node=1|30|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:30\n" +
		"1.batch|1.batch|c|a||COMPLETED|cpu=1,gres/gpu=2,node=1|30|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:30\n" +
		"bad line\n" +
		"2|2|c|a|u|RUNNING|cpu=1,gres/gpu=1,node=1|12|2026-01-01T00:00:00|2026-01-01T00:00:01|Unknown\n"
	c, f := newClient(func(string) reply { return reply{stdout: lines} })
	q := slurm.Query{Window: slurm.Window{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}}
	var got []string
	bad, err := c.Usage(context.Background(), q, func(r *slurm.Record) error {
		got = append(got, fmt.Sprintf("%s %d %v", r.JobID, r.GPUSeconds(), r.Final))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 60 true", "2 12 false"}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(bad) != 1 || bad[0].Line != 4 {
		t.Errorf("malformed = %v, want line 4", bad)
	}
	if !strings.HasPrefix(f.calls[0], "sacct --allusers") {
		t.Errorf("command %q", f.calls[0])
	}
	stop := errors.New("server said no")
	_, err = c.Usage(context.Background(), q, func(*slurm.Record) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
	c2, _ := newClient(func(string) reply {
		return reply{stderr: "sacct: error: Problem talking to the database: Connection refused", code: 1}
	})
	if _, err := c2.Usage(context.Background(), q, func(*slurm.Record) error { return nil }); !slurm.IsTransient(err) {
		t.Errorf("sacct with slurmdbd down: %v, want transient", err)
	}
	// A listing whose header lacks a column is refused whole, and says
	// which column.
	c3, _ := newClient(func(string) reply { return reply{stdout: strings.Replace(lines, "|Account|", "|", 1)} })
	n := 0
	_, err = c3.Usage(context.Background(), q, func(*slurm.Record) error { n++; return nil })
	var he *slurm.HeaderError
	if !errors.As(err, &he) || he.Column != "Account" || n != 0 || slurm.IsTransient(err) {
		t.Errorf("header without Account: %v after %d records", err, n)
	}
}

// TestUsageStepStats: with StepStats, sacct lists steps and Usage returns
// each allocation once, with its steps' GPU utilisation, also when Runs
// holds a record back.
func TestUsageStepStats(t *testing.T) {
	lines := strings.ReplaceAll(slurm.SacctFormat, ",", "|") + "\n" +
		"7|7|c|a|u|REQUEUED|cpu=1,gres/gpu=2,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|||\n" +
		"7.batch|7.batch|c|a||CANCELLED|cpu=1,gres/gpu=2,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|0|cpu=00:01:00,gres/gpuutil=150,mem=10M||\n" +
		"7|7|c|a|u|COMPLETED|cpu=1,gres/gpu=2,node=1|50|2026-01-01T00:00:00|2026-01-01T00:02:00|2026-01-01T00:02:50|||\n" +
		"7.batch|7.batch|c|a||COMPLETED|cpu=1,gres/gpu=2,node=1|50|2026-01-01T00:00:00|2026-01-01T00:02:00|2026-01-01T00:02:50|0|cpu=00:00:50,mem=10M||\n" +
		"7.0|7.0|c|a||COMPLETED|cpu=1,gres/gpu=2,node=1|25|2026-01-01T00:00:00|2026-01-01T00:02:05|2026-01-01T00:02:30|0|cpu=00:00:25,gres/gpuutil=199,mem=10M||\n" +
		"8|8|c|a|u|RUNNING|cpu=1,gres/gpu=2,node=1|12|2026-01-01T00:00:00|2026-01-01T00:00:01|Unknown|||\n" +
		"8.extern|8.extern|c|a||RUNNING|cpu=1,gres/gpu=2,node=1|12|2026-01-01T00:00:00|2026-01-01T00:00:01|Unknown|0|cpu=00:00:00,mem=0||\n"
	c, f := newClient(func(string) reply { return reply{stdout: lines} })
	q := slurm.Query{Window: slurm.Window{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}, Runs: true, StepStats: true}
	var got []string
	if _, err := c.Usage(context.Background(), q, func(r *slurm.Record) error {
		got = append(got, fmt.Sprintf("%s %d %d", r.JobID, r.Elapsed, r.GPUUtil))
		r.JobID, r.GPUUtil = "scribbled", 9 // the caller may change the record it is lent
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Job 7's second run: 199 × 25 s over 50 s is 99.5, rounded up.
	want := []string{"7+1767225600 100 150", "7 50 100", "8 12 -1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if strings.Contains(f.calls[0], "--allocations") {
		t.Errorf("command %q asks for allocations only", f.calls[0])
	}
}

func TestExecRunner(t *testing.T) {
	r := slurm.NewExecRunner("/x/slurm.conf")
	r.Path = map[string]string{"sacctmgr": "/bin/sh"}
	var out strings.Builder
	err := r.Run(context.Background(), &out, "sacctmgr", "-c", `echo "$SLURM_CONF $TZ"; echo " Nothing modified"; echo oops >&2; exit 3`)
	var ee *slurm.ExecError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || ee.Stderr != "oops" || ee.Name != "sacctmgr" {
		t.Fatalf("err = %#v", err)
	}
	if out.String() != "/x/slurm.conf UTC\n Nothing modified\n" {
		t.Errorf("stdout = %q", out.String())
	}
	if !strings.Contains(err.Error(), "exit status 3: oops") {
		t.Errorf("Error() = %q", err.Error())
	}
	err = r.Run(context.Background(), io.Discard, "sacctmgr", "-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; echo 'Connection refused' >&2; exit 1")
	if !errors.As(err, &ee) || len(ee.Stderr) > 4096 || slurm.IsTransient(err) {
		t.Errorf("long stderr: len=%d transient=%v (the mark is past the kept part)", len(ee.Stderr), slurm.IsTransient(err))
	}
	err = r.Run(context.Background(), io.Discard, "no-such-binary-pactum")
	if !errors.As(err, &ee) || ee.ExitCode != -1 || slurm.IsTransient(err) {
		t.Errorf("missing binary: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = r.Run(ctx, io.Discard, "sacctmgr", "-c", "sleep 5")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
}

// TestUsageRuns: with Runs, every run of a requeued job is its own ended
// record (each used its GPUs), keyed stably, and the last keeps the job id.
func TestUsageRuns(t *testing.T) {
	lines := header11 + "7|7|c|a|u|REQUEUED|cpu=1,gres/gpu=1,node=1|20|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:20\n" +
		"7|7|c|a|u|NODE_FAIL|cpu=1,gres/gpu=1,node=1|15|2026-01-01T00:00:00|2026-01-01T00:01:00|2026-01-01T00:01:15\n" +
		"7|7|c|a|u|COMPLETED|cpu=1,gres/gpu=1,node=1|30|2026-01-01T00:00:00|2026-01-01T00:02:00|2026-01-01T00:02:30\n" +
		"8|8|c|a|u|RUNNING|cpu=1,gres/gpu=2,node=1|12|2026-01-01T00:00:00|2026-01-01T00:00:01|Unknown\n"
	c, f := newClient(func(string) reply { return reply{stdout: lines} })
	q := slurm.Query{Window: slurm.Window{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}, Runs: true}
	var got []string
	if _, err := c.Usage(context.Background(), q, func(r *slurm.Record) error {
		got = append(got, fmt.Sprintf("%s %d %v", r.JobID, r.GPUSeconds(), r.Final))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"7+1767225600 20 true", "7+1767225660 15 true", "7 30 true", "8 24 false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !strings.Contains(f.calls[0], " --duplicates ") {
		t.Errorf("command %q lacks --duplicates", f.calls[0])
	}
}

// TestPermissionDeniedNotRetried: a refusal such as a missing
// AdminLevel is not an outage: Reconcile gives up at once, with Slurm's
// own text.
func TestPermissionDeniedNotRetried(t *testing.T) {
	c, f := newClient(func(cmd string) reply {
		return reply{stderr: "sacctmgr: error: Access/permission denied", code: 1}
	})
	d := slurm.Desired{Owner: "pactum:csc", Root: slurm.Account{Name: "pactum", Description: "pactum:csc"}}
	r, err := slurm.Reconcile(context.Background(), c, d, retry.Policy{Attempts: 10, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "Access/permission denied") || r.Attempts != 1 || len(f.calls) != 1 {
		t.Errorf("permission denied: %v after %d attempts, %d commands", err, r.Attempts, len(f.calls))
	}
}
