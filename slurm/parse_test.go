// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"errors"
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
			Cluster: "pactum", JobID: "4", ArrayTaskID: -1, Account: "alloc2", User: "root", State: "COMPLETED", Final: true,
			Elapsed: 31, Submit: utc("2026-11-26T22:24:41"), Start: utc("2026-11-26T22:24:41"), End: utc("2026-11-26T22:25:12"),
			CPUs: 1, GPUs: 2, Nodes: 1, Billing: 1, AllocTRES: "billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1",
		}},
	}, {
		name:  "steps kept when asked for",
		steps: true,
		in: "7|7|c|a|u|RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:10|Unknown\n" +
			"7.batch|7.batch|c|a||RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:10|2026-01-01T00:00:10|Unknown\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "7", ArrayTaskID: -1, Account: "a", User: "u", State: "RUNNING",
			Elapsed: 100, Submit: utc("2026-01-01T00:00:00"), Start: utc("2026-01-01T00:00:10"),
			CPUs: 8, Nodes: 1, MemMB: 65536, AllocTRES: "cpu=8,mem=64G,node=1",
		}, {
			Cluster: "c", JobID: "7", Step: "batch", ArrayTaskID: -1, Account: "a", State: "RUNNING",
			Elapsed: 100, Submit: utc("2026-01-01T00:00:10"), Start: utc("2026-01-01T00:00:10"),
			CPUs: 8, Nodes: 1, MemMB: 65536, AllocTRES: "cpu=8,mem=64G,node=1",
		}},
	}, {
		name: "array task and pending range",
		in: "10|9_0|c|a|u|COMPLETED|billing=1,cpu=1,gres/gpu=1,node=1|3|2026-11-26T22:27:32|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
			"10.batch|9_0.batch|c|a||COMPLETED|cpu=1,gres/gpu=1,mem=0,node=1|3|2026-11-26T22:27:33|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
			"9|9_[3-5%2]|c|a|u|PENDING||0|2026-11-26T22:27:32|Unknown|Unknown\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "10", ArrayJobID: "9", ArrayTaskID: 0, Account: "a", User: "u", State: "COMPLETED", Final: true,
			Elapsed: 3, Submit: utc("2026-11-26T22:27:32"), Start: utc("2026-11-26T22:27:33"), End: utc("2026-11-26T22:27:36"),
			CPUs: 1, GPUs: 1, Nodes: 1, Billing: 1, AllocTRES: "billing=1,cpu=1,gres/gpu=1,node=1",
		}, {
			Cluster: "c", JobID: "9", ArrayJobID: "9", ArrayTaskID: -1, ArrayTasks: "3-5%2", Account: "a", User: "u", State: "PENDING",
			Submit: utc("2026-11-26T22:27:32"),
		}},
	}, {
		name: "typed gres only are summed; untyped wins when both are there",
		in: "1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2026-02-28T23:59:59|2026-02-29T00:00:00|2026-02-29T00:01:00\n" +
			"2|2|c|a|u|FAILED|cpu=16,gres/gpu:a100=4,gres/gpu=4,node=1|60|2024-02-28T23:59:59|2024-02-29T00:00:00|2024-02-29T00:01:00\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "2", ArrayTaskID: -1, Account: "a", User: "u", State: "FAILED", Final: true,
			Elapsed: 60, Submit: utc("2024-02-28T23:59:59"), Start: utc("2024-02-29T00:00:00"), End: utc("2024-02-29T00:01:00"),
			CPUs: 16, GPUs: 4, Nodes: 1, AllocTRES: "cpu=16,gres/gpu:a100=4,gres/gpu=4,node=1",
		}},
	}, {
		name: "cancelled before start, CRLF and blank lines",
		in:   "\r\n5|5|c|a|u|CANCELLED by 0||0|2026-11-26T22:24:22|None|2026-11-26T22:24:39\r\n\n",
		want: []slurm.Record{{
			Cluster: "c", JobID: "5", ArrayTaskID: -1, Account: "a", User: "u", State: "CANCELLED", Final: true,
			Submit: utc("2026-11-26T22:24:22"), End: utc("2026-11-26T22:24:39"),
		}},
	}, {
		name: "last line without newline, typed gres alone, requeued is not final",
		in:   "6|6|c|a|u|REQUEUED|cpu=2,gres/gpu:mi250=8,node=1|5|2026-01-01T00:00:00|2026-01-01T00:00:01|2026-01-01T00:00:06",
		want: []slurm.Record{{
			Cluster: "c", JobID: "6", ArrayTaskID: -1, Account: "a", User: "u", State: "REQUEUED",
			Elapsed: 5, Submit: utc("2026-01-01T00:00:00"), Start: utc("2026-01-01T00:00:01"), End: utc("2026-01-01T00:00:06"),
			CPUs: 2, GPUs: 8, Nodes: 1, AllocTRES: "cpu=2,gres/gpu:mi250=8,node=1",
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slurm.NewParser(strings.NewReader(tt.in))
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
				if bad := p.Malformed(); len(bad) != 1 || bad[0].Line != 1 {
					t.Fatalf("want line 1 malformed (no 29 Feb 2026), got %v", bad)
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
	in := "1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2026-02-28T23:59:59|2026-03-01T00:00:00|2026-03-01T00:01:00\n"
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
	p := slurm.NewParser(strings.NewReader(strings.Join(lines, "\n") + "\n"))
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
	if diff := cmp.Diff([]int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, nums); diff != "" {
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
