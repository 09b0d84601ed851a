// SPDX-License-Identifier: EUPL-1.2

package bench

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// BenchmarkScale reads a database that bench/scalegen filled with a
// federation year (PACTUM_BENCH_SCALE_DB names it; the benchmark is
// skipped without it, since making the data takes minutes to hours):
//
//   - totals: an allocation's usage summary (its totals, its users' and
//     its thresholds), as GET /api/v1/allocations/{id}/usage;
//   - user-page: the first page (50) of one cluster user's records under
//     one allocation, as GET /api/v1/allocations/{id}/usage/records;
//   - model-compute: one model's supervision record (cumulative compute
//     and energy, burn rate, thresholds, its organization's upper bound),
//     as GET /api/v1/models/{id}/compute.
//
// Each op is one query for a random allocation of the database (and one of
// its users); p50 and p99 are over the ops. Each run draws its own sample
// (the seed is logged; PACTUM_BENCH_SEED=N repeats one): with one fixed
// sample, a second run measured its queries from the cache the first had
// filled, which at 10^8 records (31 GB) is not the usual case.
//
//	go run ./bench/scalegen -db URL -records 30000000
//	PACTUM_BENCH_SCALE_DB=URL go test -run '^$' -bench Scale -benchtime 300x ./bench/
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	dsn, app, manager := scaleWorld(b)
	var allocations []string
	for _, state := range []pactum.AllocationState{pactum.AllocationActive, pactum.AllocationExhausted} {
		for offset := 0; ; offset += 1000 {
			as, _, err := app.FindAllocations(manager, pactum.AllocationFilter{State: &state, Limit: 1000, Offset: offset})
			if err != nil {
				b.Fatal(err)
			}
			for _, a := range as {
				allocations = append(allocations, a.ID)
			}
			if len(as) < 1000 {
				break
			}
		}
	}
	if len(allocations) == 0 {
		b.Fatal("the database holds no allocation: generate it with bench/scalegen")
	}
	b.ReportMetric(float64(len(allocations)), "allocations")
	if n, err := countRecords(ctx, dsn); err == nil {
		b.Logf("%d usage records, %d allocations", n, len(allocations))
	}
	var models []string
	for offset := 0; ; offset += 1000 {
		ms, _, err := app.FindModels(manager, pactum.ModelFilter{Limit: 1000, Offset: offset})
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range ms {
			models = append(models, m.ID)
		}
		if len(ms) < 1000 {
			break
		}
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PACTUM_BENCH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			b.Fatalf("PACTUM_BENCH_SEED=%q: %v", v, err)
		}
	}
	b.Logf("sample seed %d (PACTUM_BENCH_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	b.Run("totals", func(b *testing.B) {
		latencies(b, func() time.Duration {
			t0 := time.Now()
			if _, err := app.FindUsageSummary(manager, allocations[rng.IntN(len(allocations))]); err != nil {
				b.Fatal(err)
			}
			return time.Since(t0)
		})
	})
	b.Run("model-compute", func(b *testing.B) {
		if len(models) == 0 {
			b.Skip("the database holds no model: generate it with this version of bench/scalegen")
		}
		latencies(b, func() time.Duration {
			t0 := time.Now()
			mc, err := app.ModelCompute(manager, models[rng.IntN(len(models))])
			d := time.Since(t0)
			if err != nil || mc.Training.FLOP <= 0 {
				b.Fatalf("model compute: %v (training %v)", err, mc)
			}
			return d
		})
	})
	b.Run("user-page", func(b *testing.B) {
		latencies(b, func() time.Duration {
			id := allocations[rng.IntN(len(allocations))]
			sum, err := app.FindUsageSummary(manager, id)
			if err != nil {
				b.Fatal(err)
			}
			if len(sum.Users) == 0 {
				b.Fatalf("allocation %s has no usage: generate records with bench/scalegen", id)
			}
			u := sum.Users[rng.IntN(len(sum.Users))].Username
			t0 := time.Now()
			recs, _, err := app.FindUsageRecords(manager, pactum.UsageFilter{AllocationID: id, Username: &u, Limit: 50})
			d := time.Since(t0)
			if err != nil || len(recs) == 0 {
				b.Fatalf("records of %s under %s: %d, %v", u, id, len(recs), err)
			}
			return d
		})
	})
}

// latencies runs op b.N times and reports the p50 and p99 of the
// durations it returns: the part of each op that is measured.
func latencies(b *testing.B, op func() time.Duration) {
	lat := make([]time.Duration, 0, b.N)
	for range b.N {
		lat = append(lat, op())
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(0, "ns/op") // an op includes unmeasured setup
}

func countRecords(ctx context.Context, dsn string) (int64, error) {
	driver := "sqlite"
	if len(dsn) > 11 && dsn[:11] == "postgres://" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_records`).Scan(&n)
	return n, err
}

func ptr[T any](v T) *T { return &v }

// scaleWorld opens the database bench/scalegen filled that
// PACTUM_BENCH_SCALE_DB names (skipping the benchmark when it names none)
// and returns its DSN, the use cases over it, and a context acting as its
// access manager.
func scaleWorld(b *testing.B) (string, *usecase.App, context.Context) {
	b.Helper()
	dsn := os.Getenv("PACTUM_BENCH_SCALE_DB")
	if dsn == "" {
		b.Skip("PACTUM_BENCH_SCALE_DB names no database generated by bench/scalegen")
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	app := storetest.App(b, db, nil, nil)
	users, _, err := db.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Email: ptr("manager@scale.example")})
	if err != nil || len(users) != 1 {
		b.Fatalf("the scalegen manager: %v (%d found)", err, len(users))
	}
	return dsn, app, storetest.As(users[0])
}
