// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// Usage is stored for bulk: a batch of thousands of job records is a
// handful of multi-row statements (bulk.go), so that a site's backlog of a
// million jobs loads in seconds (bench.BenchmarkSacct). Records are kept in
// buckets, one per (allocation, cluster user), whose running totals sit
// beside them; a record names its bucket by a small integer id.

// bucketKey names a bucket: one cluster user's jobs under one allocation.
type bucketKey struct{ alloc, user string }

// bucketCache caches bucket ids both ways. A bucket, once committed, is
// never deleted nor renumbered, so an id read or created by a committed use
// case stays true; ids enter the cache only after their use case's commit
// (Tx.onCommit), so a rolled-back bucket can never be cached.
type bucketCache struct {
	mu    sync.RWMutex
	ids   map[bucketKey]int64
	keys  map[int64]bucketKey
	limit int
}

// maxCachedBuckets bounds the bucket cache; beyond it the cache starts over.
const maxCachedBuckets = 1 << 20

func newBucketCache() bucketCache {
	return bucketCache{ids: map[bucketKey]int64{}, keys: map[int64]bucketKey{}, limit: maxCachedBuckets}
}

func (c *bucketCache) remember(found map[bucketKey]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ids)+len(found) > c.limit {
		c.ids, c.keys = map[bucketKey]int64{}, map[int64]bucketKey{}
	}
	for k, id := range found {
		c.ids[k], c.keys[id] = id, k
	}
}

// LockUsageCluster takes the cluster's row: on PostgreSQL its lock makes
// concurrent batches of one cluster take turns (SQLite has one writer
// anyway). The no-op update takes the lock without changing anything, so a
// batch of duplicates leaves no trace.
func (tx *Tx) LockUsageCluster(ctx context.Context, cluster string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_clusters (cluster, records, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (cluster) DO UPDATE SET records = usage_clusters.records`, cluster, tx.now); err != nil {
		return fmt.Errorf("lock cluster %s: %w", cluster, err)
	}
	return nil
}

// GetUsageRecords returns the stored records of cluster among jobIDs, with
// their allocation and user. Job ids above the cluster's greatest stored
// one cannot be stored: in a backlog of new jobs, which arrive in id
// order, that spares the lookup of nearly every key.
func (tx *Tx) GetUsageRecords(ctx context.Context, cluster string, jobIDs []string) (_ map[string]*pactum.UsageRecord, err error) {
	out := map[string]*pactum.UsageRecord{}
	// Whatever this returns, the jobs asked about and not found are new:
	// the caller holds the cluster's lock (LockUsageCluster), so none can
	// be stored before PutUsageRecords, which copies them in without a
	// conflict check (putUsageRecordsPG). SQLite's upsert needs no such
	// bookkeeping.
	var places map[string]int32
	if tx.dialect == Postgres {
		places = tx.placesOf(cluster, len(jobIDs))
		defer func() {
			if err != nil {
				delete(tx.usagePlaces, cluster) // the lookup is incomplete: nothing is known new
				return
			}
			for _, j := range jobIDs {
				if out[j] == nil {
					places[j] = periodNew
				}
			}
		}()
	}
	var maxKey sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(job_id) FROM usage_records WHERE cluster = $1`, cluster).Scan(&maxKey); err != nil {
		return nil, fmt.Errorf("look up usage records: %w", err)
	}
	if !maxKey.Valid {
		return out, nil
	}
	var old []string
	for _, k := range jobIDs {
		if k <= maxKey.String {
			old = append(old, k)
		}
	}
	bucketOf := map[string]int64{}
	err = lookup(ctx, tx, bulkStatements[tx.db.dialect].lookupRecords, []any{cluster}, old, func(rows *sql.Rows) error {
		r := &pactum.UsageRecord{Cluster: cluster}
		var bucket int64
		var start, end sql.NullInt64
		var claim int64
		var util sql.NullFloat64
		var energy sql.NullInt64
		var period int32
		if err := rows.Scan(&r.JobID, &bucket, &r.State, &r.Final, &start, &end, &r.ElapsedSeconds,
			&r.GPUSeconds, &r.NodeSeconds, &r.CPUSeconds, &claim, &util, &energy, &period); err != nil {
			return err
		}
		r.StartAt, r.EndAt = unixPtr(start), unixPtr(end)
		setClaim(&r.UsageRecordInput, &r.ModelNum, claim, util, energy)
		out[r.JobID], bucketOf[r.JobID] = r, bucket
		if places != nil {
			places[r.JobID] = period
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up usage records: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	keys, err := tx.bucketKeys(ctx, bucketOf)
	if err != nil {
		return nil, err
	}
	for job, r := range out {
		k, ok := keys[bucketOf[job]]
		if !ok {
			return nil, fmt.Errorf("usage record %s/%s: bucket %d does not exist", cluster, job, bucketOf[job])
		}
		r.AllocationID, r.Username = k.alloc, k.user
	}
	return out, nil
}

// bucketKeys resolves the buckets of stored records: from the cache, else
// by id.
func (tx *Tx) bucketKeys(ctx context.Context, bucketOf map[string]int64) (map[int64]bucketKey, error) {
	keys := map[int64]bucketKey{}
	var unknown []int64
	c := &tx.db.buckets
	c.mu.RLock()
	for _, id := range bucketOf {
		if k, ok := c.keys[id]; ok {
			keys[id] = k
		} else if _, seen := keys[id]; !seen {
			unknown = append(unknown, id)
			keys[id] = bucketKey{} // placeholder: dedupes unknown
		}
	}
	c.mu.RUnlock()
	for _, id := range unknown {
		delete(keys, id)
	}
	if len(unknown) == 0 {
		return keys, nil
	}
	err := lookup(ctx, tx, bulkStatements[tx.db.dialect].bucketsByID, nil, unknown, func(rows *sql.Rows) error {
		var id int64
		var k bucketKey
		if err := rows.Scan(&id, &k.alloc, &k.user); err != nil {
			return err
		}
		keys[id] = k
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage buckets: %w", err)
	}
	return keys, nil
}

// bucketIDs returns the id of every bucket in need, creating the missing
// ones; they are cached once the transaction commits.
func (tx *Tx) bucketIDs(ctx context.Context, need []bucketKey) (map[bucketKey]int64, error) {
	ids := make(map[bucketKey]int64, len(need))
	c := &tx.db.buckets
	c.mu.RLock()
	for _, k := range need {
		if id, ok := c.ids[k]; ok {
			ids[k] = id
		}
	}
	c.mu.RUnlock()
	missingAllocs := func() []string {
		set := map[string]bool{}
		for _, k := range need {
			if _, ok := ids[k]; !ok {
				set[k.alloc] = true
			}
		}
		return slices.Sorted(maps.Keys(set))
	}
	allocs := missingAllocs()
	if len(allocs) == 0 {
		return ids, nil
	}
	found := map[bucketKey]int64{}
	read := func(rows *sql.Rows) error {
		var id int64
		var k bucketKey
		if err := rows.Scan(&id, &k.alloc, &k.user); err != nil {
			return err
		}
		found[k] = id
		ids[k] = id
		return nil
	}
	bulk := bulkStatements[tx.db.dialect]
	if err := lookup(ctx, tx, bulk.lookupBuckets, nil, allocs, read); err != nil {
		return nil, fmt.Errorf("usage buckets: %w", err)
	}
	var create []bucketKey // need holds each key once
	for _, k := range need {
		if _, ok := ids[k]; !ok {
			create = append(create, k)
		}
	}
	if len(create) > 0 {
		args := make([]any, 0, 2*maxBulkRows)
		err := chunks(len(create), bulk.newBuckets, func(stmt string, from, to int) error {
			args = args[:0]
			for _, k := range create[from:to] {
				args = append(args, k.alloc, k.user)
			}
			_, err := tx.ExecContext(ctx, stmt, args...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("create usage buckets: %w", err)
		}
		if err := lookup(ctx, tx, bulk.lookupBuckets, nil, missingAllocs(), read); err != nil {
			return nil, fmt.Errorf("usage buckets: %w", err)
		}
	}
	for _, k := range need {
		if _, ok := ids[k]; !ok {
			return nil, fmt.Errorf("usage bucket %s/%s was not created", k.alloc, k.user)
		}
	}
	tx.onCommit(func() { c.remember(found) })
	return ids, nil
}

// PutUsageRecords stores records whole, replacing any stored record of
// the same job.
func (tx *Tx) PutUsageRecords(ctx context.Context, recs []*pactum.UsageRecord) error {
	if len(recs) == 0 {
		return nil
	}
	// A batch holds few buckets, and a job's records mostly follow each
	// other: look a key up only when it changes.
	bucket := make([]int, len(recs)) // recs[i]'s bucket, an index into need
	var need []bucketKey
	seen := map[bucketKey]int{}
	for i, r := range recs {
		if i > 0 && r.AllocationID == recs[i-1].AllocationID && r.Username == recs[i-1].Username {
			bucket[i] = bucket[i-1]
			continue
		}
		k := bucketKey{r.AllocationID, r.Username}
		b, ok := seen[k]
		if !ok {
			b = len(need)
			seen[k] = b
			need = append(need, k)
		}
		bucket[i] = b
	}
	ids, err := tx.bucketIDs(ctx, need)
	if err != nil {
		return err
	}
	idOf := make([]int64, len(need))
	for b, k := range need {
		idOf[b] = ids[k]
	}
	if tx.dialect == Postgres {
		return tx.putUsageRecordsPG(ctx, recs, func(i int) int64 { return idOf[bucket[i]] })
	}
	upsert := recs
	args := make([]any, 0, nRecordCols*maxBulkRows)
	bulk := bulkStatements[tx.db.dialect]
	err = chunks(len(upsert), bulk.records, func(stmt string, from, to int) error {
		args = args[:0]
		bare := allBare(upsert[from:to])
		if bare {
			stmt = bulk.recordsBare[bits.Len(uint(to-from))-1]
		}
		for i, r := range upsert[from:to] {
			args = append(args, r.Cluster, r.JobID, idOf[bucket[from+i]], r.State, r.Final,
				unixArg(r.StartAt), unixArg(r.EndAt), r.ElapsedSeconds, r.GPUSeconds, r.NodeSeconds, r.CPUSeconds)
			if !bare {
				args = append(args, claimOf(r), utilArg(r.GPUUtil), energyArg(r.EnergyJoules))
			}
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("write usage records: %w", mapError(err))
	}
	return nil
}

// bare reports whether r has no claim and no measurement, so that its
// record is written without those columns (bulkSQL.recordsBare).
func bare(r *pactum.UsageRecord) bool {
	return r.ModelNum == 0 && r.Phase == pactum.PhaseNone && r.GPUUtil == nil && r.EnergyJoules <= 0
}

func allBare(recs []*pactum.UsageRecord) bool {
	for _, r := range recs {
		if !bare(r) {
			return false
		}
	}
	return true
}

// usageRecordColumns are usage_records' columns, in the order the bulk
// statements write them.
var usageRecordColumns = []string{"cluster", "job_id", "bucket", "state", "final", "start_at", "end_at", "elapsed",
	"gpu_seconds", "node_seconds", "cpu_seconds", "claim", "gpu_util", "energy_raw"}

// putUsageRecordsPG writes recs on PostgreSQL, each to its month's
// partition (partition.go) by COPY: binary rows, no statement to parse or
// plan, where multi-row INSERTs with bound parameters, as on SQLite, cost
// PostgreSQL a parse and plan of thousands of parameters each. A stored
// job's record is first deleted from the partition GetUsageRecords found
// it in, and goes back to that partition. A new job's record was looked up
// in this transaction under the cluster's lock and found missing, so
// nothing else can store it meanwhile; should it be stored after all in
// the same month, the key conflict fails the batch rather than double-count
// it. bucketOf(i) is recs[i]'s bucket.
func (tx *Tx) putUsageRecordsPG(ctx context.Context, recs []*pactum.UsageRecord, bucketOf func(i int) int64) error {
	periods, err := tx.placeRecords(ctx, recs)
	if err != nil {
		return err
	}
	type place struct {
		cluster string
		period  int32
	}
	stale := map[place][]string{}
	for i, r := range recs {
		if p := periods[i]; p != periodNew {
			stale[place{r.Cluster, p}] = append(stale[place{r.Cluster, p}], r.JobID)
		} else {
			periods[i] = usagePeriod(r, tx.now)
		}
	}
	if err := tx.ensurePartitions(ctx, periods); err != nil {
		return err
	}
	places := slices.SortedFunc(maps.Keys(stale), func(a, b place) int {
		if c := strings.Compare(a.cluster, b.cluster); c != 0 {
			return c
		}
		return int(a.period) - int(b.period)
	})
	for _, pl := range places {
		jobs := stale[pl]
		res, err := tx.ExecContext(ctx, `DELETE FROM usage_records WHERE period = $1 AND cluster = $2 AND job_id = ANY($3)`,
			pl.period, pl.cluster, jobs)
		if err != nil {
			return fmt.Errorf("replace usage records: %w", mapError(err))
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(jobs)) {
			return fmt.Errorf("replace usage records: %d of %d found in %s (%v)", n, len(jobs), partitionName(pl.period), err)
		}
	}
	cols := usageRecordColumns
	plain := allBare(recs) // every record bare: copied without those columns
	if plain {
		cols = append(cols[:nBareRecordCols:nBareRecordCols], "period")
	} else {
		cols = append(cols[:len(cols):len(cols)], "period")
	}
	// One row's values at a time: pgx encodes a row before it asks for
	// the next, so the slice is reused.
	vals := make([]any, 0, len(cols))
	err = tx.copyFrom(ctx, "usage_records", cols, len(recs), func(i int) []any {
		r := recs[i]
		vals = append(vals[:0], r.Cluster, r.JobID, bucketOf(i), r.State, r.Final, unixArg(r.StartAt), unixArg(r.EndAt),
			r.ElapsedSeconds, r.GPUSeconds, r.NodeSeconds, r.CPUSeconds)
		if !plain {
			vals = append(vals, claimOf(r), utilArg(r.GPUUtil), energyArg(r.EnergyJoules))
		}
		return append(vals, periods[i])
	})
	if err != nil {
		return fmt.Errorf("write usage records: %w", err)
	}
	// Stored now, and placed: forgotten rather than updated job by job,
	// which was a fifth of the ingest's own work; a later write in this
	// transaction looks them up again (placeRecords).
	for _, r := range recs {
		delete(tx.usagePlaces, r.Cluster)
	}
	return nil
}

// placeRecords returns where each of recs' jobs is stored: its partition
// month, or periodNew for a job not stored. Jobs GetUsageRecords looked up
// in this transaction are known (one map lookup each); the others are
// looked up across the partitions. The ingest always looks up first; this
// keeps PutUsageRecords' contract, to replace any stored record, for every
// caller.
func (tx *Tx) placeRecords(ctx context.Context, recs []*pactum.UsageRecord) ([]int32, error) {
	out := make([]int32, len(recs))
	unknown := map[string][]int{} // by cluster, indexes into recs
	var where map[string]int32
	for i, r := range recs {
		if i == 0 || r.Cluster != recs[i-1].Cluster {
			where = tx.usagePlaces[r.Cluster]
		}
		p, ok := where[r.JobID]
		if !ok {
			unknown[r.Cluster] = append(unknown[r.Cluster], i)
		}
		out[i] = p
	}
	for _, cluster := range slices.Sorted(maps.Keys(unknown)) {
		idx := unknown[cluster]
		jobs := make([]string, len(idx))
		for k, i := range idx {
			jobs[k] = recs[i].JobID
		}
		rows, err := tx.QueryContext(ctx, `SELECT job_id, period FROM usage_records WHERE cluster = $1 AND job_id = ANY($2)`, cluster, jobs)
		if err != nil {
			return nil, fmt.Errorf("look up usage records: %w", mapError(err))
		}
		found := map[string]int32{}
		for rows.Next() {
			var job string
			var period int32
			if err := rows.Scan(&job, &period); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up usage records: %w", err)
			}
			found[job] = period
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("look up usage records: %w", err)
		}
		for _, i := range idx {
			if p, ok := found[recs[i].JobID]; ok {
				out[i] = p
			} else {
				out[i] = periodNew
			}
		}
	}
	return out, nil
}

// periodNew marks a job found not stored in tx.usagePlaces: no month
// is that far before 1970.
const periodNew = math.MinInt32

// placesOf returns cluster's places in tx.usagePlaces, made for n jobs
// when there are none.
func (tx *Tx) placesOf(cluster string, n int) map[string]int32 {
	if tx.usagePlaces == nil {
		tx.usagePlaces = map[string]map[string]int32{}
	}
	m := tx.usagePlaces[cluster]
	if m == nil {
		m = make(map[string]int32, n)
		tx.usagePlaces[cluster] = m
	}
	return m
}

// AddUsageTotals adds deltas per (allocation, user) and per allocation, in
// one lock order (sorted keys) so that concurrent batches on PostgreSQL
// cannot deadlock, and returns each allocation's charge afterwards.
func (tx *Tx) AddUsageTotals(ctx context.Context, users, allocations []pactum.UsageDelta, at time.Time) (map[string]int64, error) {
	users = slices.Clone(users)
	slices.SortFunc(users, func(a, b pactum.UsageDelta) int {
		if c := strings.Compare(a.AllocationID, b.AllocationID); c != 0 {
			return c
		}
		return strings.Compare(a.Username, b.Username)
	})
	allocations = slices.Clone(allocations)
	slices.SortFunc(allocations, func(a, b pactum.UsageDelta) int { return strings.Compare(a.AllocationID, b.AllocationID) })
	bulk := bulkStatements[tx.db.dialect]
	args := make([]any, 0, 7*maxBulkRows)
	err := chunks(len(users), bulk.buckets, func(stmt string, from, to int) error {
		args = args[:0]
		for _, d := range users[from:to] {
			args = append(args, d.AllocationID, d.Username, d.Jobs, d.GPUSeconds, d.NodeSeconds, d.CPUSeconds)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("usage totals per user: %w", err)
	}
	after := make(map[string]int64, len(allocations))
	err = chunks(len(allocations), bulk.totals, func(stmt string, from, to int) error {
		args = args[:0]
		for _, d := range allocations[from:to] {
			args = append(args, d.AllocationID, d.Jobs, d.GPUSeconds, d.NodeSeconds, d.CPUSeconds, d.ChargeSeconds, at)
		}
		return eachRow(ctx, tx, stmt, args, func(rows *sql.Rows) error {
			var id string
			var charge int64
			if err := rows.Scan(&id, &charge); err != nil {
				return err
			}
			after[id] = charge
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("usage totals: %w", err)
	}
	return after, nil
}

// InsertUsageThreshold records a crossed threshold unless it is on file.
func (tx *Tx) InsertUsageThreshold(ctx context.Context, allocationID string, t pactum.UsageThreshold) (bool, error) {
	var p int
	err := tx.QueryRowContext(ctx, `INSERT INTO usage_thresholds (allocation_id, percent, charge_seconds, crossed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (allocation_id, percent) DO NOTHING RETURNING percent`, allocationID, t.Percent, t.ChargeSeconds, t.CrossedAt).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("usage threshold %d%% of %s: %w", t.Percent, allocationID, err)
	}
	return true, nil
}

// AddClusterRecords counts n more records kept for cluster.
func (tx *Tx) AddClusterRecords(ctx context.Context, cluster string, n int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clusters SET records = records + $1, updated_at = $2 WHERE cluster = $3`, n, at, cluster); err != nil {
		return fmt.Errorf("count records of %s: %w", cluster, err)
	}
	return nil
}

// GetUsageTotals reads an allocation's totals, per-user totals and crossed
// thresholds.
func (q *queries) GetUsageTotals(ctx context.Context, allocationID string) (*pactum.UsageSummary, error) {
	sum := &pactum.UsageSummary{AllocationID: allocationID, Thresholds: []pactum.UsageThreshold{}, Users: []pactum.UserUsage{}}
	var updated time.Time
	err := q.q.QueryRowContext(ctx, `SELECT jobs, gpu_seconds, node_seconds, cpu_seconds, charge_seconds, updated_at FROM usage_totals WHERE allocation_id = $1`,
		allocationID).Scan(&sum.Jobs, &sum.GPUSeconds, &sum.NodeSeconds, &sum.CPUSeconds, &sum.ChargeSeconds, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("usage totals of %s: %w", allocationID, err)
	default:
		updated = updated.UTC()
		sum.UpdatedAt = &updated
	}
	err = eachRow(ctx, q.q, `SELECT username, jobs, gpu_seconds, node_seconds, cpu_seconds FROM usage_buckets
		WHERE allocation_id = $1 AND jobs <> 0 ORDER BY username`, []any{allocationID}, func(rows *sql.Rows) error {
		var uu pactum.UserUsage
		if err := rows.Scan(&uu.Username, &uu.Jobs, &uu.GPUSeconds, &uu.NodeSeconds, &uu.CPUSeconds); err != nil {
			return err
		}
		sum.Users = append(sum.Users, uu)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage per user of %s: %w", allocationID, err)
	}
	err = eachRow(ctx, q.q, `SELECT percent, charge_seconds, crossed_at FROM usage_thresholds WHERE allocation_id = $1 ORDER BY percent`,
		[]any{allocationID}, func(rows *sql.Rows) error {
			var t pactum.UsageThreshold
			if err := rows.Scan(&t.Percent, &t.ChargeSeconds, &t.CrossedAt); err != nil {
				return err
			}
			t.CrossedAt = t.CrossedAt.UTC()
			sum.Thresholds = append(sum.Thresholds, t)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("usage thresholds of %s: %w", allocationID, err)
	}
	return sum, nil
}

// ListUsageRecords lists an allocation's job records, latest started first.
// On PostgreSQL one user's page reads the index on each bucket's records
// (migration 00110); SQLite scans the records table (no index but its key,
// for the sake of ingestion).
func (q *queries) ListUsageRecords(ctx context.Context, f pactum.UsageFilter) ([]*pactum.UsageRecord, int, error) {
	var w where
	if f.Username != nil {
		// One bucket: its records are read from the index
		// usage_records_bucket in page order.
		w.addEach("r.bucket = (SELECT id FROM usage_buckets WHERE allocation_id = ? AND username = ?)", f.AllocationID, *f.Username)
	} else {
		w.add("r.bucket IN (SELECT id FROM usage_buckets WHERE allocation_id = ?)", f.AllocationID)
	}
	if f.Final != nil {
		w.add("r.final = ?", *f.Final)
	}
	query := `SELECT r.cluster, r.job_id, b.allocation_id, b.username, r.state, r.final, r.start_at, r.end_at, r.elapsed, r.gpu_seconds,
		r.node_seconds, r.cpu_seconds, r.claim, r.gpu_util, r.energy_raw
		FROM usage_records r JOIN usage_buckets b ON b.id = r.bucket`
	return listCounted(ctx, q.q, "find usage records", query, &w, "COALESCE(r.start_at, 0) DESC, r.job_id DESC", f.Limit, f.Offset, func(row scanner, extra ...any) (*pactum.UsageRecord, error) {
		r := &pactum.UsageRecord{}
		var start, end sql.NullInt64
		var claim int64
		var util sql.NullFloat64
		var energy sql.NullInt64
		if err := row.Scan(append([]any{&r.Cluster, &r.JobID, &r.AllocationID, &r.Username, &r.State, &r.Final, &start, &end,
			&r.ElapsedSeconds, &r.GPUSeconds, &r.NodeSeconds, &r.CPUSeconds, &claim, &util, &energy}, extra...)...); err != nil {
			return nil, err
		}
		r.StartAt, r.EndAt = unixPtr(start), unixPtr(end)
		setClaim(&r.UsageRecordInput, &r.ModelNum, claim, util, energy)
		return r, nil
	})
}

func unixArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func unixPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.Unix(n.Int64, 0).UTC()
	return &t
}

// A record's claim is one column: the model it resolved to times 8 plus
// its phase's code (see migration 00130).
const claimPhases = 8

func claimOf(r *pactum.UsageRecord) int64 { return r.ModelNum*claimPhases + int64(r.Phase.Code()) }

// setClaim unpacks a stored claim and measurements into r and its model
// num. The label (r.Model) is the caller's to fill.
func setClaim(r *pactum.UsageRecordInput, modelNum *int64, claim int64, util sql.NullFloat64, energy sql.NullInt64) {
	*modelNum, r.Phase = claim/claimPhases, pactum.PhaseOfCode(int(claim%claimPhases))
	if util.Valid {
		// Stored as a 4-byte real: rounded to 10^-6, as it was compared
		// (pactum.MergeUsage).
		u := math.Round(util.Float64*1e6) / 1e6
		r.GPUUtil = &u
	}
	r.EnergyJoules = energy.Int64
}

// utilArg is a utilisation for a REAL column: a float32, which is also
// what pgx's binary COPY wants for it.
func utilArg(f *float64) any {
	if f == nil {
		return nil
	}
	return float32(*f)
}

// energyArg stores "not measured" (0) as NULL: a NULL takes a bit of the
// row's null bitmap, a 0 eight bytes.
func energyArg(j int64) any {
	if j <= 0 {
		return nil
	}
	return j
}
