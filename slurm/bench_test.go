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

var benchKinds = []struct {
	name  string
	steps bool
}{{"allocations", false}, {"with-steps", true}}

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
// about a quarter are jobs.
func BenchmarkParse(b *testing.B) {
	for _, k := range benchKinds {
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
				n, gpuSec := 0, int64(0)
				for p.Next() {
					n++
					gpuSec += p.Record().GPUSeconds()
				}
				f.Close()
				if p.Err() != nil || n != bf.stats.Allocations || p.MalformedCount() != 0 || gpuSec != bf.stats.GPUSeconds {
					b.Fatalf("parsed %d records (want %d), %d GPU-s (want %d), %d malformed: %v",
						n, bf.stats.Allocations, gpuSec, bf.stats.GPUSeconds, p.MalformedCount(), p.Err())
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
	if sa.Lines != 20_000 || strings.Count(a.String(), "\n") != 20_000 || sa.Allocations+sa.Steps != sa.Lines {
		t.Fatalf("stats %+v", sa)
	}
	p := slurm.NewParser(strings.NewReader(a.String()))
	var n, arrays, pendingRanges, running int
	var gpuSec int64
	for p.Next() {
		r := p.Record()
		n++
		gpuSec += r.GPUSeconds()
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
	if pendingRanges == 0 || running == 0 || sa.Steps < sa.Allocations {
		t.Errorf("not realistic enough: %d pending ranges, %d running, %d steps for %d jobs", pendingRanges, running, sa.Steps, sa.Allocations)
	}
}
