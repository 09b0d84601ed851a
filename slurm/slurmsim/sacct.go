// SPDX-License-Identifier: EUPL-1.2

package slurmsim

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum/slurm"
)

// SacctStats says what WriteSacct wrote.
type SacctStats struct {
	Lines       int // all lines, the header's included
	Allocations int // job (allocation) lines, what the parser returns by default
	Steps       int // step lines (.batch, .extern, .0)
	ArrayTasks  int // allocation lines that are array tasks or pending ranges
	GPUSeconds  int64
	// EnergyJoules sums the allocations' ConsumedEnergyRaw where it is
	// known (neither 0 nor empty); Energy counts them.
	EnergyJoules int64
	Energy       int
	// Comments counts the allocations with a comment, PipeComments those
	// whose comment holds a '|'.
	Comments, PipeComments int
	// GPUUtil sums, over allocations with a step that reports gpuutil,
	// what Parser.FoldSteps makes of their steps; GPUUtilJobs counts them.
	GPUUtil     int64
	GPUUtilJobs int
}

// SacctOptions says what WriteSacct writes.
type SacctOptions struct {
	Lines int    // how many lines in all
	Seed  uint64 // the same seed gives the same bytes
	// Steps adds job steps (.batch, .extern, .0, .1) after most started
	// jobs, as sacct prints without --allocations; the agent reads with
	// --allocations, so false is what it sees.
	Steps bool
	// Accounts names the accounts jobs run under, chosen at random among
	// them; empty means 500 accounts "al-0" … "al-499". Storage benchmarks
	// pass real allocation accounts so the records can be ingested.
	Accounts []string
	// Bare leaves ConsumedEnergyRaw and Comment empty, as at a site that
	// gathers no energy and whose jobs claim no model: the same jobs as
	// without it (the draws are made and dropped), for comparing the cost
	// of those columns.
	Bare bool
}

// WriteSacct writes realistic "sacct --parsable2 --noconvert" output in
// slurm.SacctFormat, its header line first, as a LUMI-G-like partition
// would produce: jobs of 1–16 nodes of 8 GPUs or part of a node, array
// tasks and pending array ranges, the usual mix of states (CANCELLED by
// UID, TIMEOUT, RUNNING with Unknown end, PENDING with Unknown start),
// typed and untyped gres/gpu in AllocTRES, memory in M, consumed energy
// on most started jobs (0 or empty on the others, as on nodes without
// energy gathering), comments on some (one in a hundred of them holding a
// '|'), and optionally steps, whose TRESUsageInTot has gres/gpuutil as
// Slurm ≥ 23.02 reports it. It is for benchmarks and for the storage tests
// that consume the records.
func WriteSacct(w io.Writer, o SacctOptions) (SacctStats, error) {
	g := &sacctWriter{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)), bw: bufio.NewWriterSize(w, 1<<16)}
	if o.Lines > 0 {
		g.bw.WriteString(strings.ReplaceAll(slurm.SacctFormat, ",", "|") + "\n")
		g.st.Lines++
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	for raw := int64(4_000_001); g.st.Lines < o.Lines; raw++ {
		j := g.job(raw, base)
		id := strconv.FormatInt(raw, 10)
		g.line(j, sacctLine{id: id, disp: j.display, user: "u" + strconv.Itoa(j.user), state: j.state, tres: j.tres,
			elapsed: j.elapsed, energy: j.energy, comment: j.comment}, j.started)
		g.st.Allocations++
		if j.started && o.Steps {
			g.steps(j, id)
		}
	}
	return g.st, g.bw.Flush()
}

// sacctWriter is WriteSacct's state: the random source, whose draws must
// stay in the same order for a seed to keep giving the same bytes, and one
// line buffer reused for every line.
type sacctWriter struct {
	o   SacctOptions
	rng *rand.Rand
	bw  *bufio.Writer
	buf []byte
	st  SacctStats
}

// sacctJob is one job (allocation) as WriteSacct draws it.
type sacctJob struct {
	acct, user        int
	nodes, gpus, cpus int
	state, display    string
	tres              string // AllocTRES, empty unless started
	final, started    bool
	submit, start     int64  // Unix seconds
	elapsed           int64  // seconds, 0 unless started
	energy            string // ConsumedEnergyRaw: joules, "0" or ""
	comment           string
}

// job draws the job with raw id raw, submitted in the 30 days after base.
func (g *sacctWriter) job(raw, base int64) sacctJob {
	rng := g.rng
	// Users work in teams: each account's jobs come from its own four
	// users (2000 in all), as on a real cluster, where a project's
	// members rarely share another's account.
	j := sacctJob{acct: rng.IntN(500)}
	j.user = j.acct*4 + rng.IntN(4)
	if rng.IntN(3) == 0 {
		j.nodes, j.gpus = 1, 1+rng.IntN(4) // part of a node
	} else {
		j.nodes = 1 << rng.IntN(5)
		j.gpus = 8 * j.nodes
	}
	j.cpus = 7 * j.gpus
	memM := 60000 * j.gpus
	j.state, j.final = drawState(rng, j.user)
	j.submit = base + rng.Int64N(30*86400)
	j.start = j.submit + rng.Int64N(7200)
	j.elapsed = rng.Int64N(48 * 3600)
	j.started = j.state != "PENDING"
	// Array tasks: one job in ten; the pending ones as a range.
	j.display = strconv.FormatInt(raw, 10)
	if rng.IntN(10) == 0 {
		g.st.ArrayTasks++
		arr := strconv.FormatInt(raw-int64(rng.IntN(50)), 10)
		if !j.started {
			lo := rng.IntN(100)
			j.display = arr + "_[" + strconv.Itoa(lo) + "-" + strconv.Itoa(lo+1+rng.IntN(200)) + "%4]"
		} else {
			j.display = arr + "_" + strconv.Itoa(rng.IntN(1000))
		}
	}
	if j.started {
		j.tres = "billing=" + strconv.Itoa(j.cpus) + ",cpu=" + strconv.Itoa(j.cpus) +
			",gres/gpu:mi250=" + strconv.Itoa(j.gpus) + ",gres/gpu=" + strconv.Itoa(j.gpus) +
			",mem=" + strconv.Itoa(memM) + "M,node=" + strconv.Itoa(j.nodes)
		g.st.GPUSeconds += int64(j.gpus) * j.elapsed
	} else {
		j.elapsed = 0
	}
	g.energy(&j)
	g.comment(&j)
	if g.o.Bare {
		g.bare(&j)
	}
	return j
}

// bare drops j's energy and comment, and their counts.
func (g *sacctWriter) bare(j *sacctJob) {
	if e, err := strconv.ParseInt(j.energy, 10, 64); err == nil && e > 0 {
		g.st.EnergyJoules -= e
		g.st.Energy--
	}
	if j.comment != "" {
		g.st.Comments--
		if strings.Contains(j.comment, "|") {
			g.st.PipeComments--
		}
	}
	j.energy, j.comment = "", ""
}

// energy draws j's ConsumedEnergyRaw: joules at 300–550 W per GPU (the
// node's share included) on six started jobs in ten, "0" on two (nodes
// that do not measure it) and empty on the rest, as in pending jobs.
func (g *sacctWriter) energy(j *sacctJob) {
	switch p := g.rng.IntN(10); {
	case !j.started || p >= 8:
	case p >= 6:
		j.energy = "0"
	default:
		e := j.elapsed * int64(j.gpus) * int64(300+g.rng.IntN(250))
		if e == 0 {
			j.energy = "0"
			return
		}
		j.energy = strconv.FormatInt(e, 10)
		g.st.EnergyJoules += e
		g.st.Energy++
	}
}

// comment draws j's comment: pactum's model mark on two jobs in five, one
// in a hundred of those with a free-text note holding a '|'.
func (g *sacctWriter) comment(j *sacctJob) {
	if g.rng.IntN(5) >= 2 {
		return
	}
	phases := [...]string{"pre-training", "fine-tuning", "evaluation", "inference"}
	j.comment = "pactum:model=m-" + strconv.Itoa(j.acct%40) + "@1;phase=" + phases[j.acct%len(phases)]
	g.st.Comments++
	if g.rng.IntN(100) == 0 {
		j.comment += ";note=lr 3e-4|warmup 2k"
		g.st.PipeComments++
	}
}

// drawState draws a job's state in the proportions of a busy GPU
// partition, and whether it is final.
func drawState(rng *rand.Rand, user int) (string, bool) {
	switch p := rng.IntN(100); {
	case p < 70:
		return "COMPLETED", true
	case p < 78:
		return "FAILED", true
	case p < 84:
		return "CANCELLED by " + strconv.Itoa(10000+user), true
	case p < 89:
		return "TIMEOUT", true
	case p < 94:
		return "RUNNING", false
	case p < 98:
		return "PENDING", false
	case p < 99:
		return "OUT_OF_MEMORY", true
	default:
		return "NODE_FAIL", true
	}
}

// steps writes j's steps: batch and extern for most jobs, srun steps for
// some, never past the line count.
func (g *sacctWriter) steps(j sacctJob, id string) {
	stepState := j.state
	if len(stepState) > 9 && stepState[:9] == "CANCELLED" {
		stepState = "CANCELLED"
	}
	stepTRES := "cpu=" + strconv.Itoa(j.cpus) + ",gres/gpu:mi250=" + strconv.Itoa(j.gpus) + ",gres/gpu=" + strconv.Itoa(j.gpus) + ",mem=0,node=" + strconv.Itoa(j.nodes)
	var sum int64 // Σ gpuutil × elapsed over the steps that report it
	folded := false
	for _, s := range [...]string{".batch", ".extern", ".0", ".1"} {
		if g.st.Lines >= g.o.Lines || g.rng.IntN(4) == 0 {
			continue
		}
		// The extern step holds the allocation and runs nothing; the
		// others run for part of it and keep its GPUs busy some of the
		// time.
		l := sacctLine{id: id + s, disp: j.display + s, state: stepState, tres: stepTRES, elapsed: j.elapsed, energy: "0"}
		util := int64(-1)
		if s != ".extern" {
			l.elapsed = j.elapsed * int64(1+g.rng.IntN(100)) / 100
			util = int64(j.gpus) * int64(g.rng.IntN(101))
			l.energy = strconv.FormatInt(l.elapsed*int64(j.gpus)*350, 10)
		}
		l.usage = stepUsage(l.elapsed, j.gpus, util)
		if util >= 0 {
			sum += util * l.elapsed
			folded = true
		}
		g.line(j, l, true)
		g.st.Steps++
	}
	if folded && j.elapsed > 0 {
		q, rem := sum/j.elapsed, sum%j.elapsed
		if 2*rem >= j.elapsed {
			q++
		}
		g.st.GPUUtil += q
		g.st.GPUUtilJobs++
	}
}

// stepUsage is a step's TRESUsageInTot as Slurm 23.02 with NVML prints
// it (--noconvert), gres/gpuutil left out when util < 0.
func stepUsage(elapsed int64, gpus int, util int64) string {
	cpu := elapsed * int64(gpus) * 7 / 2
	u := "cpu=" + time.Unix(cpu%86400, 0).UTC().Format("15:04:05") + ",energy=0,fs/disk=" + strconv.FormatInt(elapsed*104857, 10)
	if util >= 0 {
		u += ",gres/gpumem=" + strconv.Itoa(gpus*48000) + "M,gres/gpuutil=" + strconv.FormatInt(util, 10)
	}
	return u + ",mem=" + strconv.Itoa(gpus*21000) + "M,pages=0,vmem=" + strconv.Itoa(gpus*23000) + "M"
}

// sacctLine is what differs between the lines of one job.
type sacctLine struct {
	id, disp, user, state, tres string
	elapsed                     int64
	energy, usage, comment      string
}

// line writes line l of j in slurm.SacctFormat's order: JobIDRaw, JobID,
// Cluster, Account, User, State, AllocTRES, ElapsedRaw, Submit, Start,
// End, ConsumedEnergyRaw, TRESUsageInTot, Comment; start and end are
// Unknown unless known (and end unless j is final).
func (g *sacctWriter) line(j sacctJob, l sacctLine, known bool) {
	buf := append(g.buf[:0], l.id...)
	buf = append(buf, '|')
	buf = append(buf, l.disp...)
	if len(g.o.Accounts) > 0 {
		buf = append(buf, "|lumi|"...)
		buf = append(buf, g.o.Accounts[j.acct%len(g.o.Accounts)]...)
	} else {
		buf = append(buf, "|lumi|al-"...)
		buf = strconv.AppendInt(buf, int64(j.acct), 10)
	}
	for _, f := range [...]string{l.user, l.state, l.tres} {
		buf = append(buf, '|')
		buf = append(buf, f...)
	}
	buf = append(buf, '|')
	buf = strconv.AppendInt(buf, l.elapsed, 10)
	buf = append(buf, '|')
	buf = appendStamp(buf, j.submit)
	buf = append(buf, '|')
	if known {
		buf = appendStamp(buf, j.start)
	} else {
		buf = append(buf, "Unknown"...)
	}
	buf = append(buf, '|')
	if known && j.final {
		buf = appendStamp(buf, j.start+l.elapsed)
	} else {
		buf = append(buf, "Unknown"...)
	}
	for _, f := range [...]string{l.energy, l.usage, l.comment} {
		buf = append(buf, '|')
		buf = append(buf, f...)
	}
	buf = append(buf, '\n')
	g.bw.Write(buf)
	g.buf = buf
	g.st.Lines++
}

// appendStamp appends sacct's form of the Unix time sec.
func appendStamp(buf []byte, sec int64) []byte {
	return time.Unix(sec, 0).UTC().AppendFormat(buf, "2006-01-02T15:04:05")
}
