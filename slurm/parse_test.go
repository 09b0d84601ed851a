// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pactum/pactum/slurm"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseRecords(t *testing.T) {
	tests := []struct {
		name  string
		steps bool
		in    string
		want  []slurm.Record
	}{{
		name: "completed GPU job, its steps skipped",
		in: "4|4|pactum|alloc2|root|COMPLETED|billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n" +
			"4.batch|4.batch|pactum|alloc2||COMPLETED|cpu=1,gres/gpu:sim=2,gres/gpu=2,mem=0,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n" +
			"4.extern|4.extern|pactum|alloc2||COMPLETED|cpu=1,mem=0,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n" +
			"4.0|4.0|pactum|alloc2||COMPLETED|cpu=1,mem=0,node=1|30|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:11\n",
		want: []slurm.Record{{
			Cluster: "pactum", JobID: "4", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "alloc2", User: "root", State: "COMPLETED", Final: true,
			Elapsed: 31, Submit: utc("2026-11-26T22:24:41"), Start: utc("2026-11-26T22:24:41"), End: utc("2026-11-26T22:25:12"),
			CPUs: 1, GPUs: 2, Nodes: 1, Billing: 1, AllocTRES: "billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1",
		}},
	}, {
		name:  "steps kept when asked for",
		steps: true,
		in: "7|7|c|a|u|RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:10|Unknown\n" +
			"7.batch|7.batch|c|a||RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:10|2026-01-01T00:00:10|Unknown\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "7", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "a", User: "u", State: "RUNNING",
			Elapsed: 100, Submit: utc("2026-01-01T00:00:00"), Start: utc("2026-01-01T00:00:10"),
			CPUs: 8, Nodes: 1, MemMB: 65536, AllocTRES: "cpu=8,mem=64G,node=1",
		}, {
			Cluster: "c", JobID: "7", Step: "batch", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "a", State: "RUNNING",
			Elapsed: 100, Submit: utc("2026-01-01T00:00:10"), Start: utc("2026-01-01T00:00:10"),
			CPUs: 8, Nodes: 1, MemMB: 65536, AllocTRES: "cpu=8,mem=64G,node=1",
		}},
	}, {
		name: "array task and pending range",
		in: "10|9_0|c|a|u|COMPLETED|billing=1,cpu=1,gres/gpu=1,node=1|3|2026-11-26T22:27:32|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
			"10.batch|9_0.batch|c|a||COMPLETED|cpu=1,gres/gpu=1,mem=0,node=1|3|2026-11-26T22:27:33|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
			"9|9_[3-5%2]|c|a|u|PENDING||0|2026-11-26T22:27:32|Unknown|Unknown\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "10", ArrayJobID: "9", ArrayTaskID: 0, EnergyJoules: -1, GPUUtil: -1, Account: "a", User: "u", State: "COMPLETED", Final: true,
			Elapsed: 3, Submit: utc("2026-11-26T22:27:32"), Start: utc("2026-11-26T22:27:33"), End: utc("2026-11-26T22:27:36"),
			CPUs: 1, GPUs: 1, Nodes: 1, Billing: 1, AllocTRES: "billing=1,cpu=1,gres/gpu=1,node=1",
		}, {
			Cluster: "c", JobID: "9", ArrayJobID: "9", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, ArrayTasks: "3-5%2", Account: "a", User: "u", State: "PENDING",
			Submit: utc("2026-11-26T22:27:32"),
		}},
	}, {
		name: "typed gres only are summed; untyped wins when both are there",
		in: "1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2026-02-28T23:59:59|2026-02-29T00:00:00|2026-02-29T00:01:00\n" +
			"2|2|c|a|u|FAILED|cpu=16,gres/gpu:a100=4,gres/gpu=4,node=1|60|2024-02-28T23:59:59|2024-02-29T00:00:00|2024-02-29T00:01:00\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "2", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "a", User: "u", State: "FAILED", Final: true,
			Elapsed: 60, Submit: utc("2024-02-28T23:59:59"), Start: utc("2024-02-29T00:00:00"), End: utc("2024-02-29T00:01:00"),
			CPUs: 16, GPUs: 4, Nodes: 1, AllocTRES: "cpu=16,gres/gpu:a100=4,gres/gpu=4,node=1",
		}},
	}, {
		name: "cancelled before start, CRLF and blank lines",
		in:   "\r\n5|5|c|a|u|CANCELLED by 0||0|2026-11-26T22:24:22|None|2026-11-26T22:24:39\r\n\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "5", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "a", User: "u", State: "CANCELLED", Final: true,
			Submit: utc("2026-11-26T22:24:22"), End: utc("2026-11-26T22:24:39"),
		}},
	}, {
		name: "last line without newline, typed gres alone, requeued is not final",
		in:   "6|6|c|a|u|REQUEUED|cpu=2,gres/gpu:mi250=8,node=1|5|2026-01-01T00:00:00|2026-01-01T00:00:01|2026-01-01T00:00:06",
		want: []slurm.Record{{
			Cluster: "c", JobID: "6", ArrayTaskID: -1, EnergyJoules: -1, GPUUtil: -1, Account: "a", User: "u", State: "REQUEUED",
			Elapsed: 5, Submit: utc("2026-01-01T00:00:00"), Start: utc("2026-01-01T00:00:01"), End: utc("2026-01-01T00:00:06"),
			CPUs: 2, GPUs: 8, Nodes: 1, AllocTRES: "cpu=2,gres/gpu:mi250=8,node=1",
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slurm.NewParser(strings.NewReader(header11 + tt.in))
			p.Steps = tt.steps
			var got []slurm.Record
			for p.Next() {
				got = append(got, *p.Record())
			}
			if err := p.Err(); err != nil {
				t.Fatal(err)
			}
			// The 2026-02-29 line of the typed-gres case is not a date.
			if tt.name == "typed gres only are summed; untyped wins when both are there" {
				if bad := p.Malformed(); len(bad) != 1 || bad[0].Line != 2 {
					t.Fatalf("want line 2 malformed (no 29 Feb 2026), got %v", bad)
				}
			} else if bad := p.Malformed(); len(bad) != 0 {
				t.Fatalf("unexpected malformed lines: %v", bad)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTypedGPUsAlone(t *testing.T) {
	in := header11 + "1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2026-02-28T23:59:59|2026-03-01T00:00:00|2026-03-01T00:01:00\n"
	recs, bad, err := slurm.ParseAll(strings.NewReader(in))
	if err != nil || len(bad) != 0 || len(recs) != 1 {
		t.Fatalf("recs=%v bad=%v err=%v", recs, bad, err)
	}
	r := recs[0]
	if r.GPUs != 6 || r.Nodes != 2 || r.GPUSeconds() != 360 || r.NodeSeconds() != 120 || r.CPUSeconds() != 960 || !r.Final {
		t.Errorf("got GPUs=%d Nodes=%d GPUSeconds=%d NodeSeconds=%d CPUSeconds=%d Final=%v", r.GPUs, r.Nodes, r.GPUSeconds(), r.NodeSeconds(), r.CPUSeconds(), r.Final)
	}
}

func TestParseMalformedLines(t *testing.T) {
	good := "1|1|c|a|u|COMPLETED|cpu=1,gres/gpu=1,node=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10"
	lines := []string{
		good, // 1
		"2|2|c|a|u|COMPLETED|cpu=1,node=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00",                                // 2: 10 fields
		"3|3|c|a|u|COMPLETED|cpu=1,node=1|ten|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",           // 3: elapsed
		"4|4|c|a|u|COMPLETED|cpu=1,node=1|10|2026-13-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",            // 4: month 13
		"5|5|c|a|u|COMPLETED|cpu=1,gres/gpu=x,node=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10", // 5: TRES count
		"6|6|c|a|u|COMPLETED|cpu1,node=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",             // 6: TRES pair
		"x7|7|c|a|u|COMPLETED|cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",                  // 7: JobIDRaw
		"8|8_x|c|a|u|COMPLETED|cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",                 // 8: array task
		"9|9|c|a|u||cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10",                            // 9: state
		"10|10|c|a|u|COMPLETED|cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10|extra",           // 10: 12 fields
		"garbage",                   // 11
		strings.Repeat("z", 70_000), // 12: too long
		strings.Replace(good, "1|1|", "12|12|", 1), // 13
	}
	p := slurm.NewParser(strings.NewReader(header11 + strings.Join(lines, "\n") + "\n"))
	var ids []string
	for p.Next() {
		ids = append(ids, p.Record().JobID)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "12"}, ids); diff != "" {
		t.Errorf("good records (-want +got):\n%s", diff)
	}
	var nums []int
	for _, e := range p.Malformed() {
		nums = append(nums, e.Line)
		var le *slurm.LineError
		if !errors.As(error(&e), &le) || !strings.Contains(e.Error(), "sacct line") {
			t.Errorf("LineError %v does not say its line", e)
		}
	}
	if diff := cmp.Diff([]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, nums); diff != "" {
		t.Errorf("malformed line numbers (-want +got):\n%s", diff)
	}
	if p.MalformedCount() != 11 {
		t.Errorf("MalformedCount = %d, want 11", p.MalformedCount())
	}
	if got := p.Malformed()[10].Text; len(got) != 200 {
		t.Errorf("an over-long line is kept cut to 200 bytes, got %d", len(got))
	}
}

func TestParseAllKeepsStringsPastNext(t *testing.T) {
	var b strings.Builder
	b.WriteString(header11)
	for i := range 5000 { // more than one buffer's worth
		b.WriteString(strings.Replace("N|N|c|acct|user|COMPLETED|cpu=1|1|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:01\n", "N", itoa(i), 2))
	}
	recs, bad, err := slurm.ParseAll(strings.NewReader(b.String()))
	if err != nil || len(bad) != 0 || len(recs) != 5000 {
		t.Fatalf("len=%d bad=%v err=%v", len(recs), bad, err)
	}
	for i, r := range recs {
		if r.JobID != itoa(i) || r.Account != "acct" || r.User != "user" {
			t.Fatalf("record %d = %+v", i, r)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// parse reads in with p's settings and fails the test on a read error.
func parse(t *testing.T, p *slurm.Parser) []slurm.Record {
	t.Helper()
	var got []slurm.Record
	for p.Next() {
		got = append(got, *p.Record())
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestParseColumnsByName: the header, not the position, says which field
// is which; unknown columns are ignored and names are case-insensitive.
func TestParseColumnsByName(t *testing.T) {
	const line = "4|4|pactum|alloc2|root|COMPLETED|billing=1,cpu=1,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12|5000|gres/gpuutil=90|pactum:model=m-3@1\n"
	ours := strings.ReplaceAll(slurm.SacctFormat, ",", "|") + "\n"
	want := parse(t, slurm.NewParser(strings.NewReader(ours+line)))
	if len(want) != 1 || want[0].Account != "alloc2" || want[0].User != "root" || want[0].EnergyJoules != 5000 ||
		want[0].GPUUtil != 90 || want[0].Comment != "pactum:model=m-3@1" {
		t.Fatalf("in SacctFormat: %+v", want)
	}
	// The same fields, reversed, with two columns pactum does not read.
	names := strings.Split(strings.TrimSuffix(ours, "\n"), "|")
	fields := strings.Split(strings.TrimSuffix(line, "\n"), "|")
	slices.Reverse(names)
	slices.Reverse(fields)
	names = append([]string{"partition", "NNodes"}, names...)
	fields = append([]string{"standard-g", "1"}, fields...)
	got := parse(t, slurm.NewParser(strings.NewReader(strings.ToLower(strings.Join(names, "|"))+"\n"+strings.Join(fields, "|")+"\n")))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reordered columns (-want +got):\n%s", diff)
	}

	// Account and User swapped, at the same field count: read by name,
	// the job is still charged to alloc2, not to an account named root.
	swapped := strings.Replace(header11, "Account|User", "User|Account", 1) +
		"4|4|pactum|root|alloc2|COMPLETED|cpu=1,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n"
	recs, bad, err := slurm.ParseAll(strings.NewReader(swapped))
	if err != nil || len(bad) != 0 || len(recs) != 1 || recs[0].Account != "alloc2" || recs[0].User != "root" {
		t.Errorf("swapped Account and User: %+v %v %v", recs, bad, err)
	}
}

func TestParseHeaderRefused(t *testing.T) {
	data := "4|4|pactum|alloc2|root|COMPLETED|cpu=1,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n"
	tests := []struct {
		name, header, column string
		twice                bool
	}{
		{"no header at all", "", "JobIDRaw", false},
		{"no JobIDRaw", "JobID|JobID2|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|End", "JobIDRaw", false},
		{"no Account", "JobIDRaw|JobID|Cluster|Acct|User|State|AllocTRES|ElapsedRaw|Submit|Start|End", "Account", false},
		{"no User", "JobIDRaw|JobID|Cluster|Account|UID|State|AllocTRES|ElapsedRaw|Submit|Start|End", "User", false},
		{"no State", "JobIDRaw|JobID|Cluster|Account|User|ExitCode|AllocTRES|ElapsedRaw|Submit|Start|End", "State", false},
		{"no AllocTRES", "JobIDRaw|JobID|Cluster|Account|User|State|ReqTRES|ElapsedRaw|Submit|Start|End", "AllocTRES", false},
		{"no ElapsedRaw", "JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|Elapsed|Submit|Start|End", "ElapsedRaw", false},
		{"no Cluster", "JobIDRaw|JobID|Partition|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|End", "Cluster", false},
		{"a column twice", "JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|account", "account", true},
		{"an unread column twice", "JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|NodeList|Start|nodelist", "nodelist", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := data + data
			if tt.header != "" {
				in = tt.header + "\n" + data
			}
			p := slurm.NewParser(strings.NewReader("\n" + in))
			if p.Next() {
				t.Fatalf("a record from a refused listing: %+v", p.Record())
			}
			var he *slurm.HeaderError
			if !errors.As(p.Err(), &he) || he.Column != tt.column || he.Twice != tt.twice || he.Line != 2 {
				t.Fatalf("Err() = %#v, want a HeaderError on line 2 naming %s (twice: %v)", p.Err(), tt.column, tt.twice)
			}
			if !strings.Contains(he.Error(), tt.column) {
				t.Errorf("%q does not name the column", he.Error())
			}
			if tt.header == "" && !strings.Contains(he.Error(), "--noheader") {
				t.Errorf("%q does not suspect a listing without its header", he.Error())
			}
			if _, _, err := slurm.ParseAll(strings.NewReader(in)); !errors.As(err, &he) {
				t.Errorf("ParseAll: %v", err)
			}
		})
	}
	// A default cluster makes the Cluster column optional; a value in it
	// still wins.
	p := slurm.NewParser(strings.NewReader("JobIDRaw|Account|User|State|AllocTRES|ElapsedRaw\n1|a|u|COMPLETED|cpu=1|5\n"))
	p.Cluster = "lumi"
	if got := parse(t, p); len(got) != 1 || got[0].Cluster != "lumi" || got[0].Elapsed != 5 || !got[0].Submit.IsZero() || got[0].ArrayTaskID != -1 {
		t.Errorf("default cluster: %+v", got)
	}
	p = slurm.NewParser(strings.NewReader(header11 + data + strings.Replace(data, "|pactum|", "||", 1)))
	p.Cluster = "lumi"
	if got := parse(t, p); len(got) != 2 || got[0].Cluster != "pactum" || got[1].Cluster != "lumi" {
		t.Errorf("Cluster column and default: %+v", got)
	}
	// An empty listing has nothing to refuse; the header repeated, as in
	// two listings put end to end, is not a malformed line.
	if recs, bad, err := slurm.ParseAll(strings.NewReader("\n\n")); err != nil || len(recs)+len(bad) != 0 {
		t.Errorf("empty listing: %v %v %v", recs, bad, err)
	}
	if recs, bad, err := slurm.ParseAll(strings.NewReader(header11 + data + header11 + data)); err != nil || len(recs) != 2 || len(bad) != 0 {
		t.Errorf("listings end to end: %v %v %v", recs, bad, err)
	}
	// A header too long to be one is refused, not taken for a data line.
	p = slurm.NewParser(strings.NewReader(strings.Repeat("x|", 40_000) + "\n" + header11 + data))
	var he *slurm.HeaderError
	if p.Next() || !errors.As(p.Err(), &he) || he.Line != 1 || he.Column != "" {
		t.Errorf("over-long header: %v", p.Err())
	}
}

func TestParseComment(t *testing.T) {
	const job = "1|1|c|a|u|COMPLETED|cpu=1,node=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10"
	ours := strings.ReplaceAll(slurm.SacctFormat, ",", "|") + "\n"
	tests := []struct {
		name, in string
		want     string // the comment; "!" for a malformed line, "-" for a record kept without its comment
	}{
		{"plain", ours + job + "|||pactum:model=m-3@1;phase=pre-training\n", "pactum:model=m-3@1;phase=pre-training"},
		{"with '|', last column", ours + job + "|||pactum:model=m-3@1;note=a|b||c\n", "pactum:model=m-3@1;note=a|b||c"},
		{"with '|', first column", "Comment|" + strings.TrimSuffix(header11, "\n") + "|Partition\n" + "a|b|" + job + "|standard-g\n", "a|b"},
		{"with '|', and a JobName that could hold one too", "JobName|" + strings.TrimSuffix(header11, "\n") + "|Comment\n" + "train|" + job + "|a|b\n", "!"},
		{"too few fields", ours + job + "||\n", "!"},
		{"too many fields without Comment", header11 + job + "|x\n", "!"},
		{"1024 bytes", ours + job + "|||" + strings.Repeat("é", 512) + "\n", strings.Repeat("é", 512)},
		// A user's comment must never keep the job's usage from being
		// charged: a bad one is dropped, the record kept.
		{"1025 bytes", ours + job + "|||" + strings.Repeat("x", 1025) + "\n", "-"},
		{"a tab", ours + job + "|||phase=a\tb\n", "-"},
		{"DEL", ours + job + "|||phase=a\x7f\n", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slurm.NewParser(strings.NewReader(tt.in))
			got := parse(t, p)
			if tt.want == "!" {
				if len(got) != 0 || p.MalformedCount() != 1 || p.Malformed()[0].Line != 2 {
					t.Errorf("want line 2 malformed, got %+v, %v", got, p.Malformed())
				}
				return
			}
			if len(got) != 1 || p.MalformedCount() != 0 {
				t.Fatalf("got %+v, malformed %v", got, p.Malformed())
			}
			if tt.want == "-" {
				if got[0].Comment != "" || p.DroppedComments() != 1 || got[0].Elapsed != 10 {
					t.Errorf("record %+v (%d comments dropped), want it kept without its comment", got[0], p.DroppedComments())
				}
				return
			}
			if r := got[0]; r.Comment != tt.want || r.JobID != "1" || r.Account != "a" || r.Elapsed != 10 || r.End.IsZero() {
				t.Errorf("record %+v, want comment %q", r, tt.want)
			}
		})
	}
}

func TestParseEnergy(t *testing.T) {
	hdr := "JobIDRaw|Cluster|Account|User|State|AllocTRES|ElapsedRaw|ConsumedEnergyRaw\n"
	tests := []struct {
		name, in string
		want     int64 // -2 for a malformed line
	}{
		{"ConsumedEnergyRaw", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=99,node=1|10|123456\n", 123456},
		{"empty: AllocTRES energy=", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=99,node=1|10|\n", 99},
		{"no column: AllocTRES energy=", header11 + "1|1|c|a|u|COMPLETED|cpu=1,energy=99,node=1|10|||\n", 99},
		{"0 is not measured", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|0\n", -1},
		{"0, and AllocTRES has it", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=99,node=1|10|0\n", 99},
		{"energy=0 is not measured either", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=0,node=1|10|\n", -1},
		{"neither", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|\n", -1},
		{"NO_VAL64", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=18446744073709551614,node=1|10|18446744073709551614\n", -1},
		{"the largest int64", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|9223372036854775807\n", math.MaxInt64},
		{"past int64", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|9223372036854775808\n", -2},
		{"not a number", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|12kJ\n", -2},
		{"negative", hdr + "1|c|a|u|COMPLETED|cpu=1,node=1|10|-5\n", -2},
		{"bad energy= in AllocTRES", hdr + "1|c|a|u|COMPLETED|cpu=1,energy=x,node=1|10|\n", -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slurm.NewParser(strings.NewReader(tt.in))
			got := parse(t, p)
			if tt.want == -2 {
				if len(got) != 0 || p.MalformedCount() != 1 {
					t.Errorf("want a malformed line, got %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].EnergyJoules != tt.want {
				t.Errorf("got %+v (malformed %v), want %d J", got, p.Malformed(), tt.want)
			}
		})
	}
}

// TestParseFoldSteps: with FoldSteps, an allocation's GPU utilisation is
// its steps' gpuutil weighted by their elapsed time; steps are not
// returned, and records stay valid by the usual contract.
func TestParseFoldSteps(t *testing.T) {
	in := strings.ReplaceAll(slurm.SacctFormat, ",", "|") + "\n" +
		// 4 GPUs for 100 s; the batch step keeps them 50 % busy in all for
		// 100 s, step 0 300 % for 50 s: (50·100 + 300·50) / 100 = 200.
		"10|10|c|a|u|COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|40000||pactum:model=m-3@1\n" +
		"10.batch|10.batch|c|a||COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|0|cpu=00:00:10,gres/gpumem=2000M,gres/gpuutil=50,mem=100M|\n" +
		"10.extern|10.extern|c|a||COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|0|cpu=00:00:00,mem=0|\n" +
		"10.0|10.0|c|||COMPLETED|cpu=8,gres/gpu=4,node=1|50|||||gres/gpuutil=300|\n" +
		// No step reports gpuutil.
		"11|11|c|a|u|COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|||\n" +
		"11.batch|11.batch|c|a||COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|0|cpu=00:00:10,mem=100M|\n" +
		// A step that is malformed is reported and left out; the
		// allocation is still returned: 100 % × 2 s over 3 s is 67.
		"12|9_3|c|a|u|RUNNING|cpu=8,gres/gpu=1,node=1|3|2026-01-01T00:00:00|2026-01-01T00:00:00|Unknown|||\n" +
		"12.0|9_3.0|c|a||RUNNING|cpu=8,gres/gpu=1,node=1|3|2026-01-01T00:00:00|2026-01-01T00:00:00|Unknown||gres/gpuutil=lots|\n" +
		"12.1|9_3.1|c|a||RUNNING|cpu=8,gres/gpu=1,node=1|2|2026-01-01T00:00:00|2026-01-01T00:00:00|Unknown||gres/gpuutil=100|\n" +
		// A step of another job (its allocation outside the window) is
		// ignored; an allocation without elapsed time has no mean.
		"13.0|13.0|c|a||COMPLETED|cpu=8,gres/gpu=4,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:40|0|gres/gpuutil=400|\n" +
		"14|14|c|a|u|CANCELLED by 0|cpu=8,gres/gpu=4,node=1|0|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:00|||\n" +
		"14.batch|14.batch|c|a||CANCELLED|cpu=8,gres/gpu=4,node=1|0|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:00|0|gres/gpuutil=0|\n" +
		// Steps of the last allocation, at the end of the listing.
		"15|15|c|a|u|RUNNING|cpu=8,gres/gpu=8,node=1|3|2026-01-01T00:00:00|2026-01-01T00:00:00|Unknown|||\n" +
		"15.0|15.0|c|a||RUNNING|cpu=8,gres/gpu=8,node=1|3|2026-01-01T00:00:00|2026-01-01T00:00:00|Unknown||gres/gpuutil=1000|"
	p := slurm.NewParser(strings.NewReader(in))
	p.FoldSteps = true
	p.Steps = true // FoldSteps overrides it
	var got []string
	var kept []slurm.Record
	for p.Next() {
		r := p.Record()
		u, ok := r.GPUUtilisation()
		got = append(got, fmt.Sprintf("%s %q %d %.2f %v", r.JobID, r.Step, r.GPUUtil, u, ok))
		kept = append(kept, *r)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{`10 "" 200 0.50 true`, `11 "" -1 0.00 false`, `12 "" 67 0.67 true`, `14 "" -1 0.00 false`, `15 "" 1000 1.00 true`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if r := kept[0]; r.EnergyJoules != 40000 || r.Comment != "pactum:model=m-3@1" || r.GPUs != 4 || !r.Final || kept[2].ArrayJobID != "9" || kept[2].ArrayTaskID != 3 {
		t.Errorf("records kept past Next: %+v", kept)
	}
	if bad := p.Malformed(); len(bad) != 1 || bad[0].Line != 9 || !strings.Contains(bad[0].Error(), "gpuutil") {
		t.Errorf("malformed %v, want line 9's gpuutil", bad)
	}

	// Without FoldSteps, the allocation's own line has no gpuutil.
	recs, _, err := slurm.ParseAll(strings.NewReader(in))
	if err != nil || len(recs) != 5 || recs[0].GPUUtil != -1 {
		t.Errorf("without FoldSteps: %+v %v", recs, err)
	}
}

func TestGPUUtilisation(t *testing.T) {
	for _, tt := range []struct {
		util, gpus int64
		want       float64
		ok         bool
	}{{350, 4, 0.875, true}, {0, 4, 0, true}, {900, 8, 1, true}, {1000, 8, 1, true}, {-1, 8, 0, false}, {50, 0, 0, false}} {
		r := slurm.Record{GPUUtil: tt.util, GPUs: tt.gpus}
		if u, ok := r.GPUUtilisation(); u != tt.want || ok != tt.ok {
			t.Errorf("GPUUtil %d on %d GPUs: %v %v, want %v %v", tt.util, tt.gpus, u, ok, tt.want, tt.ok)
		}
	}
}

// TestParseRecordedSacct2302 reads a dump as a Slurm 23.02 GPU site's
// sacct -P prints it (its own --format, units converted, steps included):
// gres/gpuutil in the steps' TRESUsageInTot, ConsumedEnergyRaw, comments.
// JobName beside Comment means a '|' in a comment could not be placed, so
// the file has none.
func TestParseRecordedSacct2302(t *testing.T) {
	var got []string
	bad, err := slurm.ParseFile("testdata/sacct-23.02-leonardo-gpu.txt", "", func(r *slurm.Record) error {
		u, known := r.GPUUtilisation()
		arr := ""
		if r.ArrayJobID != "" {
			arr = fmt.Sprintf("%s_%d", r.ArrayJobID, r.ArrayTaskID)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s/%s %s final=%v %ds %d GPUs %d J util=%d (%.3f %v) %q",
			r.Cluster, r.JobID, arr, r.Account, r.User, r.State, r.Final, r.Elapsed, r.GPUs, r.EnergyJoules, r.GPUUtil, u, known, r.Comment))
		return nil
	})
	if err != nil || len(bad) != 0 {
		t.Fatalf("ParseFile: %v, malformed %v", err, bad)
	}
	want := []string{
		// 1374 % over 43150 s of a 43212 s job; its batch and extern steps
		// ran no kernels.
		`leonardo 2210377  euhpc_a02_045/mrossi00 COMPLETED final=true 43212s 16 GPUs 227834112 J util=1372 (0.858 true) "pactum:model=demo-7b@1;phase=pre-training"`,
		`leonardo 2210402  euhpc_a02_045/jdoe0001 COMPLETED final=true 8302s 1 GPUs 4151000 J util=91 (0.910 true) "pactum:model=demo-7b@1;phase=fine-tuning"`,
		`leonardo 2210451 2210450_0 euhpc_a02_045/jdoe0001 COMPLETED final=true 1878s 1 GPUs 612000 J util=64 (0.640 true) "pactum:model=demo-7b@1;phase=evaluation"`,
		// On a node that measures no energy: 0 is unknown.
		`leonardo 2210452 2210450_1 euhpc_a02_045/jdoe0001 COMPLETED final=true 1777s 1 GPUs -1 J util=71 (0.710 true) "pactum:model=demo-7b@1;phase=evaluation"`,
		`leonardo 2210450 2210450_2 euhpc_a02_045/jdoe0001 COMPLETED final=true 1833s 1 GPUs 598200 J util=58 (0.580 true) "pactum:model=demo-7b@1;phase=evaluation"`,
		`leonardo 2210463  euhpc_d07_112/kvirtan1 CANCELLED final=true 3601s 8 GPUs 10371000 J util=401 (0.501 true) ""`,
		// Running: no step has statistics yet, nor the job energy.
		`leonardo 2210488  euhpc_a02_045/mrossi00 RUNNING final=false 5400s 16 GPUs -1 J util=-1 (0.000 false) "pactum:model=demo-7b@2;phase=pre-training"`,
		`leonardo 2210499  euhpc_a02_045/mrossi00 PENDING final=false 0s 0 GPUs -1 J util=-1 (0.000 false) "pactum:model=demo-13b@1;phase=pre-training"`,
		`leonardo 2210470  euhpc_d07_112/kvirtan1 TIMEOUT final=true 7222s 4 GPUs 11194100 J util=301 (0.752 true) "sweep lr=3e-4 bs=512"`,
		`leonardo 2210475  euhpc_d07_112/kvirtan1 OUT_OF_MEMORY final=true 677s 1 GPUs 387200 J util=0 (0.000 true) ""`,
		`leonardo 2210481  euhpc_a02_045/jdoe0001 FAILED final=true 45s 4 GPUs -1 J util=0 (0.000 true) "pactum:model=demo-7b@1;phase=pre-training"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	if _, err := slurm.ParseFile("testdata/no-such-file.txt", "", func(*slurm.Record) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
