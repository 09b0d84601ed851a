// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmtest"
)

// benchLines is the size of the benchmark's sacct file.
const benchLines = 1_000_000

// benchFile is written once per test binary run and removed by TestMain.
var benchFile struct {
	once  sync.Once
	dir   string
	path  string
	stats slurmtest.SacctStats
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFile.dir != "" {
		os.RemoveAll(benchFile.dir)
	}
	os.Exit(code)
}

func sacctFile(b *testing.B) (string, slurmtest.SacctStats) {
	b.Helper()
	benchFile.once.Do(func() {
		if benchFile.dir, benchFile.err = os.MkdirTemp("", "pactum-sacct-bench-"); benchFile.err != nil {
			return
		}
		benchFile.path = filepath.Join(benchFile.dir, "sacct.txt")
		f, err := os.Create(benchFile.path)
		if err != nil {
			benchFile.err = err
			return
		}
		benchFile.stats, benchFile.err = slurmtest.WriteSacct(f, benchLines, 1)
		if err := f.Close(); benchFile.err == nil {
			benchFile.err = err
		}
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.path, benchFile.stats
}

func report(b *testing.B, lines, records int) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(lines)*float64(b.N)/s, "lines/s")
	b.ReportMetric(float64(records)*float64(b.N)/s, "records/s")
	b.ReportMetric(0, "ns/op") // one op is a whole file; the rates say more
}

// BenchmarkReadFile only reads the file line by line: the floor that
// parsing is measured against.
func BenchmarkReadFile(b *testing.B) {
	path, st := sacctFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
		}
		f.Close()
		if sc.Err() != nil || n != st.Lines {
			b.Fatalf("read %d lines, want %d: %v", n, st.Lines, sc.Err())
		}
	}
	report(b, st.Lines, st.Allocations)
}

// BenchmarkParse parses the file into allocation records, skipping steps,
// as the agent does.
func BenchmarkParse(b *testing.B) {
	path, st := sacctFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
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
		if p.Err() != nil || n != st.Allocations || p.MalformedCount() != 0 || gpuSec != st.GPUSeconds {
			b.Fatalf("parsed %d records (want %d), %d GPU-s (want %d), %d malformed: %v", n, st.Allocations, gpuSec, st.GPUSeconds, p.MalformedCount(), p.Err())
		}
	}
	report(b, st.Lines, st.Allocations)
}

// BenchmarkParseSteps parses every line, steps included, into records.
func BenchmarkParseSteps(b *testing.B) {
	path, st := sacctFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p := slurm.NewParser(f)
		p.Steps = true
		n := 0
		for p.Next() {
			n++
		}
		f.Close()
		if p.Err() != nil || n != st.Lines || p.MalformedCount() != 0 {
			b.Fatalf("parsed %d records, want %d; %d malformed: %v", n, st.Lines, p.MalformedCount(), p.Err())
		}
	}
	report(b, st.Lines, st.Lines)
}

func TestWriteSacct(t *testing.T) {
	var a, b strings.Builder
	sa, err := slurmtest.WriteSacct(&a, 20_000, 7)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := slurmtest.WriteSacct(&b, 20_000, 7)
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
