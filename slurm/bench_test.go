// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmsim"
)

// benchLines is the size of the benchmark's sacct files.
const benchLines = 1_000_000

// benchFile is a generated sacct file, written once per test binary run
// and removed by TestMain.
type benchFile struct {
	once  sync.Once
	path  string
	size  int64
	stats slurmsim.SacctStats
	err   error
}

var (
	benchDir   string
	benchFiles = map[bool]*benchFile{false: {}, true: {}} // keyed by Steps
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func sacctFile(b *testing.B, steps bool) *benchFile {
	b.Helper()
	bf := benchFiles[steps]
	bf.once.Do(func() {
		if benchDir == "" {
			if benchDir, bf.err = os.MkdirTemp("", "pactum-sacct-bench-"); bf.err != nil {
				return
			}
		}
		bf.path = filepath.Join(benchDir, fmt.Sprintf("sacct-steps-%v.txt", steps))
		f, err := os.Create(bf.path)
		if err != nil {
			bf.err = err
			return
		}
		bf.stats, bf.err = slurmsim.WriteSacct(f, slurmsim.SacctOptions{Lines: benchLines, Seed: 1, Steps: steps})
		if err := f.Close(); bf.err == nil {
			bf.err = err
		}
		if fi, err := os.Stat(bf.path); err == nil {
			bf.size = fi.Size()
		}
	})
	if bf.err != nil {
		b.Fatal(bf.err)
	}
	return bf
}

func report(b *testing.B, lines, records int) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(lines)*float64(b.N)/s, "lines/s")
	b.ReportMetric(float64(records)*float64(b.N)/s, "records/s")
	b.ReportMetric(0, "ns/op") // one op is a whole file; the rates say more
}

// benchKind is a file to read and how: with steps in it, folded or not.
type benchKind struct {
	name        string
	steps, fold bool
}

var benchKinds = []benchKind{{"allocations", false, false}, {"with-steps", true, false}}

// BenchmarkReadFile only reads each file line by line: the floor that
// parsing is measured against.
func BenchmarkReadFile(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			bf := sacctFile(b, k.steps)
			b.SetBytes(bf.size)
			b.ResetTimer()
			for b.Loop() {
				f, err := os.Open(bf.path)
				if err != nil {
					b.Fatal(err)
				}
				sc := bufio.NewScanner(f)
				n := 0
				for sc.Scan() {
					n++
				}
				f.Close()
				if sc.Err() != nil || n != bf.stats.Lines {
					b.Fatalf("read %d lines, want %d: %v", n, bf.stats.Lines, sc.Err())
				}
			}
			report(b, bf.stats.Lines, bf.stats.Allocations)
		})
	}
}

// BenchmarkParse parses each file into allocation records as the agent
// does (steps skipped): "allocations" is what sacct --allocations gives
// the agent, 1,000,000 records; "with-steps" has 1,000,000 lines of which
// about a quarter are jobs; "with-steps-folded" reads the same lines with
// FoldSteps, as the agent does with Query.StepStats.
func BenchmarkParse(b *testing.B) {
	for _, k := range append(benchKinds, benchKind{"with-steps-folded", true, true}) {
		b.Run(k.name, func(b *testing.B) {
			bf := sacctFile(b, k.steps)
			b.SetBytes(bf.size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := os.Open(bf.path)
				if err != nil {
					b.Fatal(err)
				}
				p := slurm.NewParser(f)
				p.FoldSteps = k.fold
				n, gpuSec, util := 0, int64(0), int64(0)
				for p.Next() {
					n++
					r := p.Record()
					gpuSec += r.GPUSeconds()
					util += max(r.GPUUtil, 0)
				}
				f.Close()
				if p.Err() != nil || n != bf.stats.Allocations || p.MalformedCount() != 0 || gpuSec != bf.stats.GPUSeconds ||
					k.fold && util != bf.stats.GPUUtil {
					b.Fatalf("parsed %d records (want %d), %d GPU-s (want %d), GPU utilisation %d (want %d), %d malformed: %v",
						n, bf.stats.Allocations, gpuSec, bf.stats.GPUSeconds, util, bf.stats.GPUUtil, p.MalformedCount(), p.Err())
				}
			}
			report(b, bf.stats.Lines, bf.stats.Allocations)
		})
	}
}

func TestWriteSacct(t *testing.T) {
	var a, b strings.Builder
	o := slurmsim.SacctOptions{Lines: 20_000, Seed: 7, Steps: true}
	sa, err := slurmsim.WriteSacct(&a, o)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := slurmsim.WriteSacct(&b, o)
	if a.String() != b.String() || sa != sb {
		t.Fatal("the same seed gave different output")
	}
	if sa.Lines != 20_000 || strings.Count(a.String(), "\n") != 20_000 || 1+sa.Allocations+sa.Steps != sa.Lines {
		t.Fatalf("stats %+v", sa)
	}
	if !strings.HasPrefix(a.String(), strings.ReplaceAll(slurm.SacctFormat, ",", "|")+"\n") {
		t.Fatalf("no header line: %.200q", a.String())
	}
	p := slurm.NewParser(strings.NewReader(a.String()))
	p.FoldSteps = true
	var n, arrays, pendingRanges, running, energy, comments, pipes, utilJobs int
	var gpuSec, joules, util int64
	for p.Next() {
		r := p.Record()
		n++
		gpuSec += r.GPUSeconds()
		if r.EnergyJoules > 0 {
			energy++
			joules += r.EnergyJoules
		}
		if r.Comment != "" {
			comments++
		}
		if strings.Contains(r.Comment, "|") {
			pipes++
		}
		if r.GPUUtil >= 0 {
			utilJobs++
			util += r.GPUUtil
		}
		if r.ArrayJobID != "" {
			arrays++
		}
		if r.ArrayTasks != "" {
			pendingRanges++
		}
		if r.State == "RUNNING" && !r.Final && r.End.IsZero() {
			running++
		}
	}
	if p.MalformedCount() != 0 || n != sa.Allocations || gpuSec != sa.GPUSeconds || arrays != sa.ArrayTasks {
		t.Fatalf("parsed %d/%d records, %d/%d GPU-s, %d/%d array tasks, %d malformed: %v",
			n, sa.Allocations, gpuSec, sa.GPUSeconds, arrays, sa.ArrayTasks, p.MalformedCount(), p.Malformed())
	}
	if energy != sa.Energy || joules != sa.EnergyJoules || comments != sa.Comments || pipes != sa.PipeComments || utilJobs != sa.GPUUtilJobs || util != sa.GPUUtil {
		t.Fatalf("parsed %d/%d energies, %d/%d J, %d/%d comments, %d/%d with '|', %d/%d GPU utilisations summing to %d/%d",
			energy, sa.Energy, joules, sa.EnergyJoules, comments, sa.Comments, pipes, sa.PipeComments, utilJobs, sa.GPUUtilJobs, util, sa.GPUUtil)
	}
	if pendingRanges == 0 || running == 0 || sa.Steps < sa.Allocations || sa.Energy == 0 || sa.Energy == sa.Allocations || sa.PipeComments == 0 || sa.GPUUtilJobs == 0 {
		t.Errorf("not realistic enough: %d pending ranges, %d running, %d steps, %d energies, %d comments with '|', %d GPU utilisations for %d jobs",
			pendingRanges, running, sa.Steps, sa.Energy, sa.PipeComments, sa.GPUUtilJobs, sa.Allocations)
	}
}
