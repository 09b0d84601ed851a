// SPDX-License-Identifier: EUPL-1.2

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmsim"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// sacctLines is the size of the usage benchmark's sacct file: a million job
// allocations, as the agent reads them (sacct --allocations).
// PACTUM_BENCH_SACCT_LINES overrides it for quick profiling runs.
func sacctLines() int {
	if n, err := strconv.Atoi(os.Getenv("PACTUM_BENCH_SACCT_LINES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// sacctAllocations is how many allocations the file's jobs are spread over.
const sacctAllocations = 500

// sacctWorld is a sacct file whose jobs run under real allocation accounts
// and a closed database holding those allocations, which each storing run
// copies (storetest.CopyDSN).
type sacctWorld struct {
	dir      string
	file     string
	size     int64
	template string
	// bareFile holds the same jobs without energy or model claims, as a
	// site that gathers neither reports them.
	bareFile string
	bareSize int64
	operator *pactum.User
	stats    slurmsim.SacctStats
}

func newSacctWorld(b *testing.B, dialect string) *sacctWorld {
	b.Helper()
	w := &sacctWorld{dir: b.TempDir()}
	w.template = storetest.DSN(b, dialect)
	db, err := sqlstore.Open(context.Background(), w.template, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f := storetest.Seed(b, db, time.Now())
	w.operator = f.Operator // CSC, which hosts LUMI-G
	props := storetest.App(b, db, nil, nil)
	allocs := props
	accounts := make([]string, 0, sacctAllocations)
	for i := range sacctAllocations {
		p := storetest.NewProposal(f.Call.ID)
		p.Title = fmt.Sprintf("Benchmark allocation %d", i)
		p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 5000, StorageTB: 1}}
		if err := props.SubmitNewProposal(storetest.As(f.ApplicantA), p); err != nil {
			b.Fatalf("proposal %d: %v", i, err)
		}
		as, _, err := allocs.FindAllocations(storetest.As(f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(as) != 1 {
			b.Fatalf("allocation of proposal %d: %v", i, err)
		}
		if _, err := allocs.TransitionAllocation(storetest.As(f.Operator), as[0].ID, pactum.AllocationActive, "bench"); err != nil {
			b.Fatal(err)
		}
		accounts = append(accounts, pactum.AllocationAccount(as[0].ID))
	}
	w.file, w.size, w.stats = writeSacct(b, filepath.Join(w.dir, "sacct.txt"), accounts, false)
	w.bareFile, w.bareSize, _ = writeSacct(b, filepath.Join(w.dir, "sacct-bare.txt"), accounts, true)
	return w
}

// writeSacct writes the benchmark's sacct file at path: the same jobs,
// bare or with energy and model claims (slurmsim.SacctOptions.Bare).
func writeSacct(b *testing.B, path string, accounts []string, bare bool) (string, int64, slurmsim.SacctStats) {
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	stats, err := slurmsim.WriteSacct(out, slurmsim.SacctOptions{Lines: sacctLines(), Seed: 1, Accounts: accounts, Bare: bare})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, fi.Size(), stats
}

// oneOp skips a run asked for many iterations (-benchtime 20000x, meant
// for the submission benchmarks): one op here is a million records.
func oneOp(b *testing.B) {
	if b.N > 10 {
		b.Skipf("one iteration is %d records; run with -benchtime 1x", sacctLines())
	}
}

func rates(b *testing.B, records int) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(records)*float64(b.N)/s, "records/s")
	b.ReportMetric(0, "ns/op") // one op is the whole file
}

// BenchmarkSacct reads, parses, and parses and stores a 1,000,000-record
// sacct file (job arrays, AllocTRES with typed and untyped gres/gpu, every
// common state, elapsed times up to two days) with realistic fields:
//
//   - read: the file line by line, the floor;
//   - parse: slurm.Parser into records, as the agent does;
//   - store: parse, convert (agent.UsageInput, the agent's own mapping)
//     and ingest into a fresh database, SQLite (store, store-2) and
//     PostgreSQL when PACTUM_TEST_POSTGRES names one (postgres/store,
//     postgres/store-2), through
//     usecase.App.IngestUsage, the code path behind
//     POST /api/v1/usage, in batches of pactum.MaxUsageBatch, with the
//     totals, thresholds and exhaustion that come with it.
//
// Run: go test -run '^$' -bench Sacct -benchtime 1x ./bench/
func BenchmarkSacct(b *testing.B) {
	oneOp(b)
	sacct := newSacctWorld(b, sqlstore.SQLite)
	b.Run("read", func(b *testing.B) {
		oneOp(b)
		b.SetBytes(sacct.size)
		for range b.N {
			f, err := os.Open(sacct.file)
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				n++
			}
			f.Close()
			if sc.Err() != nil || n != sacct.stats.Lines {
				b.Fatalf("read %d lines: %v", n, sc.Err())
			}
		}
		rates(b, sacct.stats.Allocations)
	})
	b.Run("parse", func(b *testing.B) {
		oneOp(b)
		b.SetBytes(sacct.size)
		for range b.N {
			f, err := os.Open(sacct.file)
			if err != nil {
				b.Fatal(err)
			}
			p := slurm.NewParser(f)
			n := 0
			for p.Next() {
				n++
			}
			f.Close()
			if p.Err() != nil || n != sacct.stats.Allocations || p.MalformedCount() != 0 {
				b.Fatalf("parsed %d records: %v", n, p.Err())
			}
		}
		rates(b, sacct.stats.Allocations)
	})
	// store: one batch in flight, as one agent posts; store-2: two, as
	// the server takes posts from two agents (or one that pipelines):
	// preparing one batch then overlaps with writing the other;
	// store-bare: one, of the same jobs without energy or model claims.
	stores := func(b *testing.B, w *sacctWorld) {
		for _, inflight := range []int{1, 2} {
			name := "store"
			if inflight > 1 {
				name = fmt.Sprintf("store-%d", inflight)
			}
			b.Run(name, func(b *testing.B) { benchStore(b, w, w.file, w.size, inflight) })
		}
		b.Run("store-bare", func(b *testing.B) { benchStore(b, w, w.bareFile, w.bareSize, 1) })
	}
	stores(b, sacct)
	b.Run(sqlstore.Postgres, func(b *testing.B) {
		oneOp(b)
		stores(b, newSacctWorld(b, sqlstore.Postgres))
	})
}

func benchStore(b *testing.B, sacct *sacctWorld, file string, size int64, inflight int) {
	oneOp(b)
	b.SetBytes(size)
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		db, err := sqlstore.Open(context.Background(), storetest.CopyDSN(b, sacct.template), sqlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		usage := storetest.App(b, db, nil, nil)
		ctx := storetest.As(sacct.operator)
		b.StartTimer()
		cpu0 := cpuTime()

		// The agent reads while the server stores, so parsing runs
		// beside the writer: one goroutine parses into batches, the
		// others ingest them.
		batches := make(chan []pactum.UsageRecordInput, 2)
		errc := make(chan error, 1+inflight)
		go func() {
			defer close(batches)
			f, err := os.Open(file)
			if err != nil {
				errc <- err
				return
			}
			defer f.Close()
			p := slurm.NewParser(f)
			recs := make([]pactum.UsageRecordInput, 0, pactum.MaxUsageBatch)
			for p.Next() {
				recs = append(recs, agent.UsageInput(p.Record()))
				if len(recs) == pactum.MaxUsageBatch {
					batches <- recs
					recs = make([]pactum.UsageRecordInput, 0, pactum.MaxUsageBatch)
				}
			}
			if len(recs) > 0 {
				batches <- recs
			}
			errc <- p.Err()
		}()
		var mu sync.Mutex
		accepted := 0
		var wg sync.WaitGroup
		for range inflight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for recs := range batches {
					res, err := usage.IngestUsage(ctx, pactum.UsageBatch{Cluster: "lumi", Records: recs})
					if err == nil && res.Accepted != len(recs) {
						err = fmt.Errorf("accepted %d of %d: %+v", res.Accepted, len(recs), firstProblem(res))
					}
					if err != nil {
						errc <- err
						for range batches {
						}
						return
					}
					mu.Lock()
					accepted += res.Accepted
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				b.Fatal(err)
			}
		}

		b.StopTimer()
		cpu += cpuTime() - cpu0
		if accepted != sacct.stats.Allocations {
			b.Fatalf("stored %d of %d records", accepted, sacct.stats.Allocations)
		}
		db.Close()
		b.StartTimer()
	}
	rates(b, sacct.stats.Allocations)
	// CPU time (the process's, all cores) per record: on a shared machine
	// wall time also counts waiting for a core, which this does not.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(sacct.stats.Allocations*b.N), "cpu-ns/record")
}

func firstProblem(res *pactum.UsageIngest) pactum.UsageResult {
	for _, r := range res.Results {
		if r.Status != pactum.UsageAccepted {
			return r
		}
	}
	return pactum.UsageResult{}
}
