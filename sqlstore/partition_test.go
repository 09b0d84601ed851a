// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// On PostgreSQL usage records go to the partition of their job's start
// month (or of the month they were first stored, for a job not started),
// stay there when replaced, partitions are made on demand for any month
// (a historical import) and ahead of time at open, and two instances that
// need the same new month at once both write. On SQLite the same writes
// give the same records in its one table.
func TestUsagePartitions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		clock := &storetest.Clock{T: t0} // November 2026
		db, dsn := storetest.OpenDSN(t, dialect, sqlstore.Options{Now: clock.Now})
		f := storetest.Seed(t, db, t0)
		uc := storetest.App(t, db, nil, clock.Now)
		a := approvedAllocation(t, uc, f)

		rec := func(job string, start *time.Time, gpu int64) *pactum.UsageRecord {
			return &pactum.UsageRecord{Cluster: "leonardo", AllocationID: a.ID, UsageRecordInput: pactum.UsageRecordInput{
				JobID: job, Account: pactum.AllocationAccount(a.ID), Username: "u1", State: "RUNNING",
				StartAt: start, GPUSeconds: gpu}}
		}
		at := func(s string) *time.Time { v := pactum.MustDate(s).Time(); return &v }
		put := func(db *sqlstore.DB, lookUp bool, recs ...*pactum.UsageRecord) error {
			return pactum.Update(ctx, db, f.Operator, func(tx pactum.Tx) error {
				if err := tx.LockUsageCluster(ctx, recs[0].Cluster); err != nil {
					return err
				}
				if lookUp {
					var jobs []string
					for _, r := range recs {
						jobs = append(jobs, r.JobID)
					}
					if _, err := tx.GetUsageRecords(ctx, recs[0].Cluster, jobs); err != nil {
						return err
					}
				}
				return tx.PutUsageRecords(ctx, recs)
			})
		}
		if err := put(db, true, rec("100", at("2026-01-15"), 10), rec("101", at("2026-06-30"), 20), rec("102", nil, 30),
			rec("103", at("2019-03-01"), 40)); err != nil {
			t.Fatal(err)
		}
		// The pending job starts in December and is read again; another
		// record is replaced without a lookup first.
		if err := put(db, true, rec("102", at("2026-12-01"), 31)); err != nil {
			t.Fatal(err)
		}
		if err := put(db, false, rec("100", at("2026-01-15"), 11)); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, dialect, dsn)
		got := map[string]string{}
		gpu := map[string]int64{}
		where := `'one table'`
		if dialect == sqlstore.Postgres {
			where = `tableoid::regclass::text`
		}
		rows, err := raw.QueryContext(ctx, `SELECT job_id, `+where+`, gpu_seconds FROM usage_records`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var job, part string
			var g int64
			if err := rows.Scan(&job, &part, &g); err != nil {
				t.Fatal(err)
			}
			if got[job] != "" {
				t.Errorf("job %s stored twice: %s and %s", job, got[job], part)
			}
			got[job], gpu[job] = part, g
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		want := map[string]string{"100": "usage_records_2026_01", "101": "usage_records_2026_06",
			"102": "usage_records_2026_11", "103": "usage_records_2019_03"}
		for job, part := range want {
			if dialect == sqlstore.SQLite {
				part = "one table"
			}
			if got[job] != part {
				t.Errorf("job %s in %q, want %q", job, got[job], part)
			}
		}
		if len(got) != 4 || gpu["100"] != 11 || gpu["102"] != 31 {
			t.Errorf("records %v, GPU-seconds %v", got, gpu)
		}
		if dialect != sqlstore.Postgres {
			return
		}

		// Opened in January 2027, a server makes December to March ahead.
		clock.T = time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
		db2, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		parts := partitions(t, raw)
		for _, p := range []string{"usage_records_2026_12", "usage_records_2027_01", "usage_records_2027_02", "usage_records_2027_03"} {
			if !parts[p] {
				t.Errorf("no partition %s after opening in January 2027: %v", p, parts)
			}
		}
		// An auditor with read-only credentials still opens the database
		// (to verify the chain) in a month with no partition made ahead.
		ro := "ro_" + strings.TrimPrefix(dsn[strings.LastIndex(dsn, "/")+1:strings.Index(dsn, "?")], "pactum_")
		for _, q := range []string{`CREATE ROLE ` + ro + ` LOGIN`, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ` + ro} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for _, q := range []string{`DROP OWNED BY ` + ro, `DROP ROLE ` + ro} {
				if _, err := raw.ExecContext(context.Background(), q); err != nil {
					t.Log(err)
				}
			}
		})
		clock.T = time.Date(2030, 7, 1, 0, 0, 0, 0, time.UTC)
		auditor, err := sqlstore.Open(ctx, strings.Replace(dsn, "postgres@", ro+"@", 1), sqlstore.Options{Now: clock.Now})
		if err != nil {
			t.Fatalf("read-only open: %v", err)
		}
		auditor.Close()
		if partitions(t, raw)["usage_records_2030_07"] {
			t.Error("a read-only user made a partition")
		}
		clock.T = time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
		// Two instances store jobs of the same new month at once, on two
		// clusters (so not in turns on one cluster's lock).
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, inst := range []*sqlstore.DB{db, db2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rec(fmt.Sprint(200+i), at("2031-05-05"), 1)
				r.Cluster = fmt.Sprint("cluster-", i)
				errs[i] = put(inst, true, r)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
		}
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_records_2031_05`).Scan(&n); err != nil || n != 2 {
			t.Errorf("May 2031 holds %d records (%v), want 2", n, err)
		}
	})
}

// approvedAllocation submits a fast-lane proposal, approved at submission,
// and returns its allocation.
func approvedAllocation(t *testing.T, uc interface {
	pactum.ProposalService
	pactum.AllocationService
}, f *storetest.Fixture) *pactum.Allocation {
	t.Helper()
	p := storetest.NewProposal(f.Call.ID)
	if err := uc.SubmitNewProposal(storetest.As(f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	as, _, err := uc.FindAllocations(storetest.As(f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(as) != 1 {
		t.Fatalf("allocation: %v, %v", as, err)
	}
	return as[0]
}

func rawDB(t *testing.T, dialect, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func partitions(t *testing.T, raw *sql.DB) map[string]bool {
	t.Helper()
	rows, err := raw.Query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'usage_records'::regclass`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out[name] = true
	}
	return out
}
