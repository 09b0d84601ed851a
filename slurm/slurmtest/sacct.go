// SPDX-License-Identifier: EUPL-1.2

package slurmtest

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// SacctStats says what WriteSacct wrote.
type SacctStats struct {
	Lines       int // all lines
	Allocations int // job (allocation) lines, what the parser returns by default
	Steps       int // step lines (.batch, .extern, .0)
	ArrayTasks  int // allocation lines that are array tasks or pending ranges
	GPUSeconds  int64
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
}

// WriteSacct writes realistic "sacct --parsable2 --noheader --noconvert"
// output in slurm.SacctFormat, as a LUMI-G-like partition would produce:
// jobs of 1–16 nodes of 8 GPUs or part of a node, array tasks and pending
// array ranges, the usual mix of states (CANCELLED by UID, TIMEOUT,
// RUNNING with Unknown end, PENDING with Unknown start), typed and untyped
// gres/gpu in AllocTRES, memory in M, and optionally steps. It is for
// benchmarks and for the storage tests that consume the records.
func WriteSacct(w io.Writer, o SacctOptions) (SacctStats, error) {
	lines := o.Lines
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<16)
	var st SacctStats
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	raw := int64(4_000_000)
	var buf []byte
	ts := func(sec int64) {
		buf = time.Unix(sec, 0).UTC().AppendFormat(buf, "2006-01-02T15:04:05")
	}
	for st.Lines < lines {
		raw++
		// Who and what.
		// Users work in teams: each account's jobs come from its own four
		// users (2000 in all), as on a real cluster, where a project's
		// members rarely share another's account.
		acct := rng.IntN(500)
		user := acct*4 + rng.IntN(4)
		var nodes, gpus int
		if rng.IntN(3) == 0 {
			nodes, gpus = 1, 1+rng.IntN(4) // part of a node
		} else {
			nodes = 1 << rng.IntN(5)
			gpus = 8 * nodes
		}
		cpus := 7 * gpus
		memM := 60000 * gpus
		state, final := "COMPLETED", true
		switch p := rng.IntN(100); {
		case p < 70:
		case p < 78:
			state = "FAILED"
		case p < 84:
			state = "CANCELLED by " + strconv.Itoa(10000+user)
		case p < 89:
			state = "TIMEOUT"
		case p < 94:
			state, final = "RUNNING", false
		case p < 98:
			state, final = "PENDING", false
		case p < 99:
			state = "OUT_OF_MEMORY"
		default:
			state = "NODE_FAIL"
		}
		submit := base + rng.Int64N(30*86400)
		start := submit + rng.Int64N(7200)
		elapsed := rng.Int64N(48 * 3600)
		started := state != "PENDING"
		// Array tasks: one job in ten; the pending ones as a range.
		display := strconv.FormatInt(raw, 10)
		array := rng.IntN(10) == 0
		if array {
			st.ArrayTasks++
			arr := strconv.FormatInt(raw-int64(rng.IntN(50)), 10)
			if !started {
				lo := rng.IntN(100)
				display = arr + "_[" + strconv.Itoa(lo) + "-" + strconv.Itoa(lo+1+rng.IntN(200)) + "%4]"
			} else {
				display = arr + "_" + strconv.Itoa(rng.IntN(1000))
			}
		}
		tres := ""
		if started {
			tres = "billing=" + strconv.Itoa(cpus) + ",cpu=" + strconv.Itoa(cpus) +
				",gres/gpu:mi250=" + strconv.Itoa(gpus) + ",gres/gpu=" + strconv.Itoa(gpus) +
				",mem=" + strconv.Itoa(memM) + "M,node=" + strconv.Itoa(nodes)
			st.GPUSeconds += int64(gpus) * elapsed
		} else {
			elapsed = 0
		}
		line := func(id, disp, user, state, tres string, startT, endT int64, known bool) {
			buf = buf[:0]
			buf = append(buf, id...)
			buf = append(buf, '|')
			buf = append(buf, disp...)
			if len(o.Accounts) > 0 {
				buf = append(buf, "|lumi|"...)
				buf = append(buf, o.Accounts[acct%len(o.Accounts)]...)
			} else {
				buf = append(buf, "|lumi|al-"...)
				buf = strconv.AppendInt(buf, int64(acct), 10)
			}
			buf = append(buf, '|')
			buf = append(buf, user...)
			buf = append(buf, '|')
			buf = append(buf, state...)
			buf = append(buf, '|')
			buf = append(buf, tres...)
			buf = append(buf, '|')
			buf = strconv.AppendInt(buf, elapsed, 10)
			buf = append(buf, '|')
			ts(submit)
			buf = append(buf, '|')
			if known {
				ts(startT)
			} else {
				buf = append(buf, "Unknown"...)
			}
			buf = append(buf, '|')
			if known && final {
				ts(endT)
			} else {
				buf = append(buf, "Unknown"...)
			}
			buf = append(buf, '\n')
			bw.Write(buf)
			st.Lines++
		}
		id := strconv.FormatInt(raw, 10)
		line(id, display, "u"+strconv.Itoa(user), state, tres, start, start+elapsed, started)
		st.Allocations++
		if !started || !o.Steps {
			continue
		}
		// Steps: batch and extern for most jobs, srun steps for some.
		stepState := state
		if len(stepState) > 9 && stepState[:9] == "CANCELLED" {
			stepState = "CANCELLED"
		}
		stepTRES := "cpu=" + strconv.Itoa(cpus) + ",gres/gpu:mi250=" + strconv.Itoa(gpus) + ",gres/gpu=" + strconv.Itoa(gpus) + ",mem=0,node=" + strconv.Itoa(nodes)
		for _, s := range [...]string{".batch", ".extern", ".0", ".1"} {
			if st.Lines >= lines || rng.IntN(4) == 0 {
				continue
			}
			line(id+s, display+s, "", stepState, stepTRES, start, start+elapsed, true)
			st.Steps++
		}
	}
	return st, bw.Flush()
}
