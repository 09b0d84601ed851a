// SPDX-License-Identifier: EUPL-1.2

package bench

import (
	"context"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

// BenchmarkTransparency reads a database that bench/scalegen filled
// (PACTUM_BENCH_SCALE_DB names it, a SQLite file or a PostgreSQL URL: run
// it once with each to measure both engines; skipped without it):
//
//   - report: a transparency report of the generator's year, computed and
//     stored as POST /api/v1/reports/transparency does. It reads the
//     proposals submitted in the period (one scan of proposals, decoding
//     each one's screening, decision and the content's declared size)
//     and the running totals of model usage of their allocations
//     (model_usage): never the usage records, so their number does not
//     matter to it;
//
//   - verify: the report's verification, replaying the audit log to its
//     position (every event, the usage batches' too) and recomputing;
//
//   - time-to-access: the distributions per mode and call over every
//     submitted proposal, as GET /api/v1/reports/time-to-access.
//
//     go run ./bench/scalegen -db /tmp/scale.db -proposals 100000 -records 10000000
//     PACTUM_BENCH_SCALE_DB=/tmp/scale.db go test -run '^$' -bench Transparency -benchtime 5x ./bench/
func BenchmarkTransparency(b *testing.B) {
	ctx := context.Background()
	dsn, app, manager := scaleWorld(b)
	if n, err := countRecords(ctx, dsn); err == nil {
		b.Logf("%d usage records", n)
	}
	// The generator's proposals are all submitted within a few hours of
	// its run: a period of the run's year and the next covers them.
	year := time.Now().UTC().Year()
	period := pactum.Period{From: pactum.MustDate(time.Date(year-1, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)),
		Until: pactum.MustDate(time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))}
	in := pactum.ReportInput{Period: period.From.String() + ".." + pactum.DateOf(period.Until.Time().AddDate(0, 0, -1)).String()}
	// Once: fill the facts of proposals submitted before migration 00190
	// (a database scalegen made with an older pactum), which the first
	// report or time to access does (fillProposalFacts).
	if _, err := app.TimeToAccess(manager, ""); err != nil {
		b.Fatal(err)
	}
	b.Run("report", func(b *testing.B) {
		var r *pactum.TransparencyReport
		var err error
		cpu := cpuTime()
		for b.Loop() {
			if r, err = app.CreateTransparencyReport(manager, in); err != nil {
				b.Fatal(err)
			}
		}
		total := r.Tables[0].Total
		if total.Proposals == nil || *total.Proposals == 0 {
			b.Fatalf("the report counts no proposal: %+v", total)
		}
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(*total.Proposals), "proposals")
		if total.GPUHoursUsed != nil {
			b.ReportMetric(*total.GPUHoursUsed, "gpu-hours-used")
		}
	})
	b.Run("verify", func(b *testing.B) {
		r, err := app.CreateTransparencyReport(manager, in)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			v, err := app.VerifyTransparencyReport(manager, r.ID)
			if err != nil || !v.OK {
				b.Fatalf("verify: %+v %v", v, err)
			}
		}
		b.ReportMetric(float64(r.AuditSeq), "events")
	})
	b.Run("time-to-access", func(b *testing.B) {
		var r *pactum.TimeToAccessReport
		var err error
		cpu := cpuTime()
		for b.Loop() {
			if r, err = app.TimeToAccess(manager, ""); err != nil {
				b.Fatal(err)
			}
		}
		n := 0
		for _, d := range r.ByMode {
			n += d.Decided + d.Undecided
		}
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(n), "proposals")
	})
}
