// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/slurm"
)

// sacctSeeds are real sacct lines (from the tests above and the simulated
// cluster) and the malformed ones the parser must skip.
var sacctSeeds = []string{
	"4|4|pactum|alloc2|root|COMPLETED|billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n" +
		"4.batch|4.batch|pactum|alloc2||COMPLETED|cpu=1,gres/gpu:sim=2,gres/gpu=2,mem=0,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n",
	"7|7|c|a|u|RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:10|Unknown\n",
	"10|9_0|c|a|u|COMPLETED|billing=1,cpu=1,gres/gpu=1,node=1|3|2026-11-26T22:27:32|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
		"9|9_[3-5%2]|c|a|u|PENDING||0|2026-11-26T22:27:32|Unknown|Unknown\n",
	"1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2024-02-28T23:59:59|2024-02-29T00:00:00|2024-02-29T00:01:00\n",
	"\r\n5|5|c|a|u|CANCELLED by 0||0|2026-11-26T22:24:22|None|2026-11-26T22:24:39\r\n\n",
	"6|6|c|a|u|REQUEUED|cpu=2,gres/gpu:mi250=8,node=1|5|2026-01-01T00:00:00|2026-01-01T00:00:01|2026-01-01T00:00:06",
	"3|3|c|a|u|COMPLETED|cpu=1,node=1|ten|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	"5|5|c|a|u|COMPLETED|cpu=1,mem=1.5K,node=1|10|2026-12-31T23:59:60|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	"11|11|c|a|u|COMPLETED|cpu=4096,gres/gpu=9999999999,node=512|999999999999|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	"12|12|c|a|u|COMPLETED|gres/gpu:a=4611686018427387903,gres/gpu:b=4611686018427387903|1|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	"8|8_x|c|a|u|COMPLETED|cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\ngarbage\n",
}

// FuzzSacct parses arbitrary sacct output. Properties: no panic; every
// record is well-formed (a numeric job id, counts and usage that are not
// negative — no overflow —, UTC times); the parser's caches change nothing
// (each line parsed alone gives the same records); and a record written
// back as a sacct line parses to itself.
func FuzzSacct(f *testing.F) {
	for _, s := range sacctSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, steps bool) {
		all := parseAll(t, in, steps)
		var alone []slurm.Record
		for _, line := range strings.SplitAfter(in, "\n") {
			alone = append(alone, parseAll(t, line, steps)...)
		}
		if len(alone) != len(all) {
			t.Fatalf("%d records parsed together, %d line by line", len(all), len(alone))
		}
		for i, r := range all {
			checkRecord(t, r)
			if !sameRecord(r, alone[i]) {
				t.Fatalf("record %d differs parsed alone:\n%+v\n%+v", i, r, alone[i])
			}
			back := parseAll(t, formatRecord(r), true)
			if len(back) != 1 || !sameRecord(r, back[0]) {
				t.Fatalf("record %+v written as %q parses to %+v", r, formatRecord(r), back)
			}
		}
	})
}

func parseAll(t *testing.T, in string, steps bool) []slurm.Record {
	t.Helper()
	p := slurm.NewParser(strings.NewReader(in))
	p.Steps = steps
	var out []slurm.Record
	for p.Next() {
		out = append(out, *p.Record())
	}
	if err := p.Err(); err != nil {
		t.Fatalf("reading a string failed: %v", err)
	}
	for _, e := range p.Malformed() {
		if e.Line < 1 || e.Err == nil || len(e.Text) > 200 {
			t.Fatalf("bad LineError %+v", e)
		}
	}
	return out
}

func checkRecord(t *testing.T, r slurm.Record) {
	t.Helper()
	if _, err := strconv.ParseUint(r.JobID, 10, 64); err != nil {
		t.Fatalf("job id %q is not a number", r.JobID)
	}
	if r.State == "" || strings.Contains(r.State, " ") {
		t.Fatalf("state %q", r.State)
	}
	for name, v := range map[string]int64{"elapsed": r.Elapsed, "cpus": r.CPUs, "gpus": r.GPUs, "nodes": r.Nodes,
		"billing": r.Billing, "mem": r.MemMB, "gpu-seconds": r.GPUSeconds(), "node-seconds": r.NodeSeconds(), "cpu-seconds": r.CPUSeconds()} {
		if v < 0 {
			t.Fatalf("%s = %d in %+v", name, v, r)
		}
	}
	for _, n := range []int64{r.GPUs, r.Nodes, r.CPUs} {
		if n != 0 && n*r.Elapsed/n != r.Elapsed {
			t.Fatalf("usage overflows: %d × %d s in %+v", n, r.Elapsed, r)
		}
	}
	if h := slurm.GPUHours(r.GPUSeconds()); math.IsInf(h, 0) || math.IsNaN(h) {
		t.Fatalf("GPU-hours %v", h)
	}
	for _, tm := range []time.Time{r.Submit, r.Start, r.End} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", tm)
		}
	}
	if r.ArrayTaskID < -1 || (r.ArrayTaskID >= 0 || r.ArrayTasks != "") && r.ArrayJobID == "" {
		t.Fatalf("array fields %+v", r)
	}
}

func sameRecord(a, b slurm.Record) bool {
	return a.Submit.Equal(b.Submit) && a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
		fmt.Sprint(a.Cluster, a.JobID, a.ArrayJobID, a.ArrayTaskID, a.ArrayTasks, a.Step, a.Account, a.User, a.State, a.Final,
			a.Elapsed, a.CPUs, a.GPUs, a.Nodes, a.Billing, a.MemMB, a.AllocTRES) ==
			fmt.Sprint(b.Cluster, b.JobID, b.ArrayJobID, b.ArrayTaskID, b.ArrayTasks, b.Step, b.Account, b.User, b.State, b.Final,
				b.Elapsed, b.CPUs, b.GPUs, b.Nodes, b.Billing, b.MemMB, b.AllocTRES)
}

// formatRecord writes r as sacct would, in SacctFormat.
func formatRecord(r slurm.Record) string {
	id := r.JobID
	switch {
	case r.ArrayTasks != "":
		id = r.ArrayJobID + "_[" + r.ArrayTasks + "]"
	case r.ArrayJobID != "":
		id = r.ArrayJobID + "_" + strconv.FormatInt(r.ArrayTaskID, 10)
	}
	raw := r.JobID
	if r.Step != "" {
		raw, id = raw+"."+r.Step, id+"."+r.Step
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return "Unknown"
		}
		return t.Format("2006-01-02T15:04:05")
	}
	return strings.Join([]string{raw, id, r.Cluster, r.Account, r.User, r.State, r.AllocTRES, strconv.FormatInt(r.Elapsed, 10),
		tm(r.Submit), tm(r.Start), tm(r.End)}, "|") + "\n"
}

// FuzzAssociations parses arbitrary "sacctmgr show assoc" output.
// Properties: no panic; limits are counts or NoLimit; and the associations
// written back as sacctmgr lines parse to themselves.
func FuzzAssociations(f *testing.F) {
	f.Add("pactum|root||||\norg-a|pactum||||\nal-1|org-a||gres/gpu=600,cpu=10|0|0\nal-1||alice|||\nal-1||bob|||\n")
	f.Add("a|b|c\n")
	f.Add("a|b||gres/gpu=x||\n")
	f.Add("al-2|org-a||mem=64G,node=12|-1|5\r\n")
	f.Add("al-3|org-a||cpu=1|-7|+3\n")
	f.Fuzz(func(t *testing.T, in string) {
		as, err := slurm.ParseAssociations([]byte(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, a := range as {
			if a.GrpJobs < slurm.NoLimit || a.GrpSubmitJobs < slurm.NoLimit {
				t.Fatalf("job limits below NoLimit: %+v", a)
			}
			for k, v := range a.GrpTRESMins {
				if k == "" || v < 0 {
					t.Fatalf("TRES %q=%d", k, v)
				}
			}
			fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s\n", a.Account, a.Parent, a.User, a.GrpTRESMins, limit(a.GrpJobs), limit(a.GrpSubmitJobs))
		}
		back, err := slurm.ParseAssociations([]byte(b.String()))
		if err != nil {
			t.Fatalf("written back as %q: %v", b.String(), err)
		}
		if fmt.Sprint(back) != fmt.Sprint(as) {
			t.Fatalf("round trip:\n%v\n%v", as, back)
		}
	})
}

func limit(n int64) string {
	if n == slurm.NoLimit {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
