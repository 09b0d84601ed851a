// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pactum/pactum/slurm"
)

// sacctSeeds are real sacct listings (from the tests above, the simulated
// cluster and the 23.02 fixture), headers reordered, short of columns or
// naming one twice, listings without a header, and the malformed lines
// the parser must skip.
var sacctSeeds = []string{
	header11 + "4|4|pactum|alloc2|root|COMPLETED|billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n" +
		"4.batch|4.batch|pactum|alloc2||COMPLETED|cpu=1,gres/gpu:sim=2,gres/gpu=2,mem=0,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n",
	header11 + "7|7|c|a|u|RUNNING|cpu=8,mem=64G,node=1|100|2026-01-01T00:00:00|2026-01-01T00:00:10|Unknown\n",
	header11 + "10|9_0|c|a|u|COMPLETED|billing=1,cpu=1,gres/gpu=1,node=1|3|2026-11-26T22:27:32|2026-11-26T22:27:33|2026-11-26T22:27:36\n" +
		"9|9_[3-5%2]|c|a|u|PENDING||0|2026-11-26T22:27:32|Unknown|Unknown\n",
	header11 + "1|1|c|a|u|TIMEOUT|cpu=16,gres/gpu:a100=4,gres/gpu:h100=2,node=2|60|2024-02-28T23:59:59|2024-02-29T00:00:00|2024-02-29T00:01:00\n",
	"\r\n" + strings.Replace(header11, "\n", "\r\n", 1) + "5|5|c|a|u|CANCELLED by 0||0|2026-11-26T22:24:22|None|2026-11-26T22:24:39\r\n\n",
	header11 + "6|6|c|a|u|REQUEUED|cpu=2,gres/gpu:mi250=8,node=1|5|2026-01-01T00:00:00|2026-01-01T00:00:01|2026-01-01T00:00:06",
	header11 + "3|3|c|a|u|COMPLETED|cpu=1,node=1|ten|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	header11 + "5|5|c|a|u|COMPLETED|cpu=1,mem=1.5K,node=1|10|2026-12-31T23:59:60|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	header11 + "11|11|c|a|u|COMPLETED|cpu=4096,gres/gpu=9999999999,node=512|999999999999|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	header11 + "12|12|c|a|u|COMPLETED|gres/gpu:a=4611686018427387903,gres/gpu:b=4611686018427387903|1|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\n",
	header11 + "8|8_x|c|a|u|COMPLETED|cpu=1|10|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:00:10\ngarbage\n",
	// SacctFormat: energy, gpuutil on steps, comments with '|'.
	"JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Submit|Start|End|ConsumedEnergyRaw|TRESUsageInTot|Comment\n" +
		"4000001|4000001|lumi|al-1|u4|COMPLETED|billing=56,cpu=56,gres/gpu:mi250=8,gres/gpu=8,mem=480000M,node=1|3600|2026-03-01T00:00:00|2026-03-01T00:10:00|2026-03-01T01:10:00|12096000||pactum:model=m-3@1;phase=pre-training\n" +
		"4000001.batch|4000001.batch|lumi|al-1||COMPLETED|cpu=56,gres/gpu:mi250=8,gres/gpu=8,mem=0,node=1|3600|2026-03-01T00:10:00|2026-03-01T00:10:00|2026-03-01T01:10:00|0|cpu=05:10:00,energy=0,gres/gpuutil=640,mem=168000M|\n" +
		"4000001.extern|4000001.extern|lumi|al-1||COMPLETED|cpu=56,gres/gpu:mi250=8,gres/gpu=8,mem=0,node=1|3600|2026-03-01T00:10:00|2026-03-01T00:10:00|2026-03-01T01:10:00|0|cpu=00:00:00,mem=0|\n" +
		"4000002|4000002|lumi|al-2|u9|RUNNING|cpu=7,gres/gpu=1,node=1|60|2026-03-01T00:00:00|2026-03-01T00:00:10|Unknown|0||note=a|b||c\n" +
		"4000003|4000003|lumi|al-2|u9|COMPLETED|cpu=7,energy=18446744073709551614,gres/gpu=1,node=1|60|2026-03-01T00:00:00|2026-03-01T00:00:10|2026-03-01T00:01:10|9223372036854775807|gres/gpuutil=18446744073709551614|\n",
	// Reordered, in lower case, with columns pactum does not read.
	"comment|elapsedraw|alloctres|state|user|account|cluster|jobid|jobidraw|Partition|NodeList\n" +
		"pactum:model=demo-7b@1;phase=evaluation|42|cpu=4,gres/gpu=1,node=1|FAILED|ada|al-3|leonardo|77_2|78|boost_usr_prod|lrdn0001\n" +
		"a|b|5|cpu=1|COMPLETED|bob|al-3|leonardo|79|79|boost_usr_prod|lrdn0002\n",
	// Short of a required column; a column twice; no header at all.
	"JobIDRaw|JobID|Account|User|State|AllocTRES|Submit|Start|End\n1|1|a|u|COMPLETED|cpu=1|||\n",
	"JobIDRaw|JobID|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Account\n1|1|c|a|u|COMPLETED|cpu=1|5|b\n",
	"4|4|pactum|alloc2|root|COMPLETED|billing=1,cpu=1,gres/gpu:sim=2,gres/gpu=2,node=1|31|2026-11-26T22:24:41|2026-11-26T22:24:41|2026-11-26T22:25:12\n",
	// A free-text column beside Comment: a '|' cannot be placed.
	"JobIDRaw|JobName|Cluster|Account|User|State|AllocTRES|ElapsedRaw|Comment\n1|train|x|c|a|u|COMPLETED|cpu=1|5|note\n",
}

// FuzzSacct parses arbitrary sacct output. Properties: no panic; a
// refused header gives no record; every record is well-formed (a numeric
// job id, counts and usage that are not negative — no overflow —, UTC
// times, energy and utilisation -1 or in range, a comment Slurm could
// keep); the parser's caches change nothing (each line parsed alone under
// the header gives the same records); steps, returned or folded, change
// no allocation but its GPU utilisation; and a record written back as a
// sacct line, under a header in an order that order shuffles, parses to
// itself: every field comes from its own column.
func FuzzSacct(f *testing.F) {
	for i, s := range sacctSeeds {
		f.Add(s, false, uint64(i))
		f.Add(s, true, uint64(i)*7919)
	}
	f.Fuzz(func(t *testing.T, in string, steps bool, order uint64) {
		all, herr := parseMode(t, in, steps, false)
		if herr != nil && len(all) != 0 {
			t.Fatalf("%d records from a refused listing", len(all))
		}
		header, rest := splitHeader(in)
		var alone []slurm.Record
		for _, line := range rest {
			recs, _ := parseMode(t, header+line, steps, false)
			alone = append(alone, recs...)
		}
		if len(alone) != len(all) {
			t.Fatalf("%d records parsed together, %d line by line", len(all), len(alone))
		}
		for i, r := range all {
			checkRecord(t, r)
			if !cmp.Equal(r, alone[i]) {
				t.Fatalf("record %d differs parsed alone:\n%+v\n%+v", i, r, alone[i])
			}
			names := shuffledFormat(order)
			back, _ := parseMode(t, strings.Join(names, "|")+"\n"+formatRecord(r, names), true, false)
			if len(back) != 1 || !cmp.Equal(r, back[0]) {
				t.Fatalf("record %+v written under %v as %q parses to %+v", r, names, formatRecord(r, names), back)
			}
		}
		// The allocations are the same whether steps are skipped, returned
		// or folded; folding may only give them a GPU utilisation.
		var allocs []slurm.Record
		for _, r := range all {
			if r.Step == "" {
				allocs = append(allocs, r)
			}
		}
		plain, _ := parseMode(t, in, false, false)
		folded, _ := parseMode(t, in, false, true)
		if len(plain) != len(allocs) || len(folded) != len(allocs) {
			t.Fatalf("%d allocations with steps skipped, %d folded, %d among the steps", len(plain), len(folded), len(allocs))
		}
		for i := range allocs {
			checkRecord(t, folded[i])
			g := folded[i]
			g.GPUUtil = allocs[i].GPUUtil
			if !cmp.Equal(plain[i], allocs[i]) || !cmp.Equal(g, allocs[i]) {
				t.Fatalf("allocation %d differs:\n%+v\n%+v\n%+v", i, plain[i], allocs[i], folded[i])
			}
		}
	})
}

// parseMode parses in with steps returned or folded, and returns the
// records and the *HeaderError, if the header was refused; any other error
// fails the test.
func parseMode(t *testing.T, in string, steps, fold bool) ([]slurm.Record, error) {
	t.Helper()
	p := slurm.NewParser(strings.NewReader(in))
	p.Steps, p.FoldSteps = steps, fold
	var out []slurm.Record
	for p.Next() {
		out = append(out, *p.Record())
	}
	var he *slurm.HeaderError
	if err := p.Err(); err != nil && !errors.As(err, &he) {
		t.Fatalf("reading a string failed: %v", err)
	}
	for _, e := range p.Malformed() {
		if e.Line < 1 || e.Err == nil || len(e.Text) > 200 {
			t.Fatalf("bad LineError %+v", e)
		}
	}
	if he != nil {
		return out, he
	}
	return out, nil
}

// splitHeader returns in's header line, the first that is not empty, with
// what comes before it, and the lines after it.
func splitHeader(in string) (string, []string) {
	lines := strings.SplitAfter(in, "\n")
	for i, l := range lines {
		if strings.TrimRight(l, "\r\n") != "" {
			return strings.Join(lines[:i+1], ""), lines[i+1:]
		}
	}
	return in, nil
}

// shuffledFormat returns SacctFormat's columns in an order, and a case,
// that order picks.
func shuffledFormat(order uint64) []string {
	names := strings.Split(slurm.SacctFormat, ",")
	rng := rand.New(rand.NewPCG(order, order>>32))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for i := range names {
		if rng.IntN(4) == 0 {
			names[i] = strings.ToUpper(names[i])
		}
	}
	return names
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
	if r.EnergyJoules == 0 || r.EnergyJoules < -1 || r.GPUUtil < -1 {
		t.Fatalf("energy %d J, GPU utilisation %d", r.EnergyJoules, r.GPUUtil)
	}
	if u, ok := r.GPUUtilisation(); u < 0 || u > 1 || math.IsNaN(u) || ok != (r.GPUUtil >= 0 && r.GPUs > 0) {
		t.Fatalf("GPUUtilisation() = %v, %v for %d on %d GPUs", u, ok, r.GPUUtil, r.GPUs)
	}
	if len(r.Comment) > slurm.MaxComment || strings.ContainsFunc(r.Comment, func(c rune) bool { return c < ' ' || c == 0x7f }) {
		t.Fatalf("comment %q", r.Comment)
	}
}

// formatRecord writes r as sacct would, its columns in the order of names
// (SacctFormat's, in any order and case).
func formatRecord(r slurm.Record, names []string) string {
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
	energy, usage := "", ""
	if r.EnergyJoules > 0 {
		energy = strconv.FormatInt(r.EnergyJoules, 10)
	}
	if r.GPUUtil >= 0 {
		usage = "cpu=00:00:01,gres/gpuutil=" + strconv.FormatInt(r.GPUUtil, 10) + ",mem=0"
	}
	value := map[string]string{"jobidraw": raw, "jobid": id, "cluster": r.Cluster, "account": r.Account, "user": r.User,
		"state": r.State, "alloctres": r.AllocTRES, "elapsedraw": strconv.FormatInt(r.Elapsed, 10),
		"submit": tm(r.Submit), "start": tm(r.Start), "end": tm(r.End),
		"consumedenergyraw": energy, "tresusageintot": usage, "comment": r.Comment}
	fields := make([]string, len(names))
	for i, n := range names {
		fields[i] = value[strings.ToLower(n)]
	}
	return strings.Join(fields, "|") + "\n"
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
