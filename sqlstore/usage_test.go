// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestUsageBulkShapes stores, reads back and totals more records than one
// multi-row statement and one lookup hold, so that every chunk shape of the
// bulk statements runs on both engines: 1,500 records are chunks of 1,024,
// 256, 128, 64, 16, 8 and 4 rows, and 1,600 job ids three full lookups and
// a padded one.
func TestUsageBulkShapes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		_, a := s.approved(t)
		const n = 1500
		start := t0.Add(-time.Hour)
		var recs []*pactum.UsageRecord
		var jobs []string
		for i := range n {
			r := &pactum.UsageRecord{Cluster: "leonardo", AllocationID: a.ID, UsageRecordInput: pactum.UsageRecordInput{
				JobID: fmt.Sprintf("%07d", i), Account: pactum.AllocationAccount(a.ID), Username: fmt.Sprintf("user%d", i%3),
				State: "COMPLETED", Final: true, StartAt: &start, ElapsedSeconds: int64(i), GPUSeconds: 4 * int64(i)}}
			recs = append(recs, r)
			jobs = append(jobs, r.JobID)
		}
		for i := range 100 {
			jobs = append(jobs, fmt.Sprintf("x%06d", i)) // never stored
		}
		err := pactum.Update(ctx, s.db, s.f.Operator, func(tx pactum.Tx) error {
			if err := tx.LockUsageCluster(ctx, "leonardo"); err != nil {
				return err
			}
			if err := tx.PutUsageRecords(ctx, recs); err != nil {
				return err
			}
			stored, err := tx.GetUsageRecords(ctx, "leonardo", jobs)
			if err != nil {
				return err
			}
			if len(stored) != n {
				return fmt.Errorf("read back %d of %d records", len(stored), n)
			}
			for _, r := range recs {
				got := stored[r.JobID]
				if got == nil || got.AllocationID != a.ID || got.Username != r.Username || got.GPUSeconds != r.GPUSeconds ||
					!got.Final || got.StartAt == nil || !got.StartAt.Equal(start) {
					return fmt.Errorf("job %s read back as %+v", r.JobID, got)
				}
			}
			var users []pactum.UsageDelta
			total := pactum.UsageTotals{}
			for u := range 3 {
				d := pactum.UsageDelta{AllocationID: a.ID, Username: fmt.Sprintf("user%d", u)}
				for _, r := range recs[u:] {
					if r.Username == d.Username {
						d.Add(r, 1)
					}
				}
				users = append(users, d)
				total.Plus(d.UsageTotals)
			}
			after, err := tx.AddUsageTotals(ctx, users, []pactum.UsageDelta{{AllocationID: a.ID, UsageTotals: total}}, tx.Now())
			if err != nil {
				return err
			}
			if after[a.ID] != total.ChargeSeconds {
				return fmt.Errorf("charge after: %d, want %d", after[a.ID], total.ChargeSeconds)
			}
			return tx.AddClusterRecords(ctx, "leonardo", n, tx.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := s.db.GetUsageTotals(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wantGPU int64
		for i := range n {
			wantGPU += 4 * int64(i)
		}
		if sum.Jobs != n || sum.GPUSeconds != wantGPU || len(sum.Users) != 3 {
			t.Fatalf("totals: %d jobs, %d GPU-s, %d users; want %d, %d, 3", sum.Jobs, sum.GPUSeconds, len(sum.Users), n, wantGPU)
		}
		page, total, err := s.db.ListUsageRecords(ctx, pactum.UsageFilter{AllocationID: a.ID, Limit: 10})
		if err != nil || total != n || len(page) != 10 {
			t.Fatalf("records page: %d of %d (%v)", len(page), total, err)
		}
	})
}

// TestUsageReplaceInOneTransaction writes the same jobs three times in one
// transaction — without a lookup, again, and after one — as
// PutUsageRecords' contract allows: each job keeps one record, the last
// written, wherever its partition is (on PostgreSQL a write forgets where
// it put the jobs, so the next one finds them again).
func TestUsageReplaceInOneTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		_, a := s.approved(t)
		version := func(v int64) []*pactum.UsageRecord {
			var recs []*pactum.UsageRecord
			for i := range 5 {
				// Later versions start a month earlier: the job moves to
				// another partition only if a write loses track of it.
				start := t0.Add(-time.Hour - time.Duration(v)*31*24*time.Hour)
				recs = append(recs, &pactum.UsageRecord{Cluster: "leonardo", AllocationID: a.ID, UsageRecordInput: pactum.UsageRecordInput{
					JobID: fmt.Sprintf("j%d", i), Account: pactum.AllocationAccount(a.ID), Username: "user",
					State: "RUNNING", StartAt: &start, ElapsedSeconds: 10 * v, GPUSeconds: 40 * v}})
			}
			return recs
		}
		jobs := []string{"j0", "j1", "j2", "j3", "j4"}
		err := pactum.Update(ctx, s.db, s.f.Operator, func(tx pactum.Tx) error {
			if err := tx.LockUsageCluster(ctx, "leonardo"); err != nil {
				return err
			}
			if err := tx.PutUsageRecords(ctx, version(1)); err != nil {
				return err
			}
			if err := tx.PutUsageRecords(ctx, version(2)); err != nil {
				return err
			}
			if _, err := tx.GetUsageRecords(ctx, "leonardo", jobs); err != nil {
				return err
			}
			return tx.PutUsageRecords(ctx, version(3))
		})
		if err != nil {
			t.Fatal(err)
		}
		page, total, err := s.db.ListUsageRecords(ctx, pactum.UsageFilter{AllocationID: a.ID, Limit: 100})
		if err != nil || total != 5 || len(page) != 5 {
			t.Fatalf("records: %d of %d (%v); want 5", len(page), total, err)
		}
		for _, r := range page {
			if r.GPUSeconds != 120 {
				t.Errorf("job %s: %d GPU-seconds, want the last version's 120", r.JobID, r.GPUSeconds)
			}
		}
	})
}
