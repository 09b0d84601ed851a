// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// UsageService implements pactum.UsageService.
//
// Ingestion is built for bulk: a batch of thousands of records is a handful
// of multi-row statements (see bulkSQL), in one write use case, so that a
// site's backlog of a million jobs loads in seconds (bench.BenchmarkSacct).
type UsageService struct {
	db *DB
	// buckets caches bucket ids. A bucket, once committed, is never
	// deleted nor renumbered, so an id read or created by a committed use
	// case stays true; ids enter the cache only after their use case's
	// commit, so a rolled-back bucket can never be cached.
	mu      sync.RWMutex
	buckets *buckets
}

var _ pactum.UsageService = (*UsageService)(nil)

// maxCachedBuckets bounds the bucket cache; beyond it the cache starts over.
const maxCachedBuckets = 1 << 20

// NewUsageService returns the usage service.
func NewUsageService(db *DB) *UsageService { return &UsageService{db: db, buckets: newBuckets()} }

func newBuckets() *buckets {
	return &buckets{ids: map[bucketKey]int64{}, keys: map[int64]bucketKey{}}
}

// cached copies into bk the cached ids of keys.
func (s *UsageService) cached(bk *buckets, keys []bucketKey) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range keys {
		if id, ok := s.buckets.ids[k]; ok {
			bk.ids[k], bk.keys[id] = id, k
		}
	}
}

// remember caches the buckets of a committed use case.
func (s *UsageService) remember(bk *buckets) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buckets.ids)+len(bk.ids) > maxCachedBuckets {
		s.buckets = newBuckets()
	}
	for k, id := range bk.ids {
		if id != 0 {
			s.buckets.ids[k], s.buckets.keys[id] = id, k
		}
	}
}

const nRecordCols = 11

// Bulk statements have a few fixed shapes, so that the statement cache holds
// a handful of them whatever the batch sizes: lookups take keysPerLookup
// keys (the last chunk padded by repeating a key), and multi-row upserts
// take a power of two of rows, up to maxBulkRows.
//
// They are the statements whose text differs between the engines, in their
// placeholders only: SQLite takes "$N" as a named parameter, and both its
// parser and modernc's binding look each name up in a list, which is
// quadratic in the number of parameters; with thousands of them that took
// 80 % of a bulk load's time. Anonymous "?" parameters bind by position.
const (
	keysPerLookup = 500
	// maxBulkRows × 11 = 11264 parameters, below SQLite's 32766 and
	// PostgreSQL's 65535. Fewer, larger statements are cheaper: SQLite
	// journals each page a statement touches.
	maxBulkRows = 1024
)

// bulkSQL holds one engine's bulk statements; the multi-row ones are
// indexed by k for 1<<k rows.
type bulkSQL struct {
	lookupAllocations string // allocations by id
	lookupRecords     string // stored records by job id
	lookupBuckets     string // buckets by allocation
	bucketsByID       string // buckets by id
	newBuckets        []string
	records           []string
	buckets           []string
	totals            []string
}

var bulkStatements = map[string]*bulkSQL{SQLite: newBulkSQL(SQLite), Postgres: newBulkSQL(Postgres)}

// params writes n parameters, numbered on from *next for PostgreSQL.
func params(b *strings.Builder, dialect string, next *int, n int) {
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		*next++
		if dialect == SQLite {
			b.WriteByte('?')
		} else {
			fmt.Fprintf(b, "$%d", *next)
		}
	}
}

// lookupSQL returns head + "(" + keysPerLookup parameters + ")", after
// `first` leading parameters inside head (written as %s).
func lookupSQL(dialect, head string, first int) string {
	var b strings.Builder
	next := 0
	lead := make([]string, first)
	for i := range lead {
		var p strings.Builder
		params(&p, dialect, &next, 1)
		lead[i] = p.String()
	}
	args := make([]any, first)
	for i, l := range lead {
		args[i] = l
	}
	b.WriteString(fmt.Sprintf(head, args...))
	b.WriteString(" (")
	params(&b, dialect, &next, keysPerLookup)
	b.WriteString(")")
	return b.String()
}

// multiRow returns head + rows tuples of cols parameters (a tuple's
// literal suffix after them) + tail, for each power of two of rows.
func multiRow(dialect, head string, cols int, suffix, tail string) []string {
	var out []string
	for rows := 1; rows <= maxBulkRows; rows *= 2 {
		var b strings.Builder
		b.WriteString(head)
		next := 0
		for r := range rows {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			params(&b, dialect, &next, cols)
			b.WriteString(suffix)
			b.WriteByte(')')
		}
		b.WriteString(tail)
		out = append(out, b.String())
	}
	return out
}

func newBulkSQL(dialect string) *bulkSQL {
	return &bulkSQL{
		lookupRecords: lookupSQL(dialect, `SELECT job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds, cpu_seconds
			FROM usage_records WHERE cluster = %s AND job_id IN`, 1),
		lookupAllocations: lookupSQL(dialect, `SELECT a.id, a.unit, a.amount, a.state, s.site FROM allocations a
			JOIN systems s ON s.id = a.system_id WHERE a.id IN`, 0),
		lookupBuckets: lookupSQL(dialect, `SELECT id, allocation_id, username FROM usage_buckets WHERE allocation_id IN`, 0),
		bucketsByID:   lookupSQL(dialect, `SELECT id, allocation_id, username FROM usage_buckets WHERE id IN`, 0),
		newBuckets: multiRow(dialect, `INSERT INTO usage_buckets (allocation_id, username, jobs, gpu_seconds, node_seconds, cpu_seconds) VALUES `,
			2, ", 0, 0, 0, 0", ` ON CONFLICT (allocation_id, username) DO NOTHING`),
		// A record is replaced whole: MergeUsage decided that it may be.
		records: multiRow(dialect, `INSERT INTO usage_records (cluster, job_id, bucket, state, final, start_at, end_at, elapsed,
			gpu_seconds, node_seconds, cpu_seconds) VALUES `, nRecordCols, "",
			` ON CONFLICT (cluster, job_id) DO UPDATE SET bucket = excluded.bucket, state = excluded.state, final = excluded.final,
			start_at = excluded.start_at, end_at = excluded.end_at, elapsed = excluded.elapsed, gpu_seconds = excluded.gpu_seconds,
			node_seconds = excluded.node_seconds, cpu_seconds = excluded.cpu_seconds`),
		// Totals add the batch's differences; per allocation they return
		// the new charge, which thresholds are measured on.
		buckets: multiRow(dialect, `INSERT INTO usage_buckets (allocation_id, username, jobs, gpu_seconds, node_seconds, cpu_seconds) VALUES `, 6, "",
			` ON CONFLICT (allocation_id, username) DO UPDATE SET jobs = usage_buckets.jobs + excluded.jobs,
			gpu_seconds = usage_buckets.gpu_seconds + excluded.gpu_seconds, node_seconds = usage_buckets.node_seconds + excluded.node_seconds,
			cpu_seconds = usage_buckets.cpu_seconds + excluded.cpu_seconds`),
		totals: multiRow(dialect, `INSERT INTO usage_totals (allocation_id, jobs, gpu_seconds, node_seconds, cpu_seconds, charge_seconds, updated_at) VALUES `, 7, "",
			` ON CONFLICT (allocation_id) DO UPDATE SET jobs = usage_totals.jobs + excluded.jobs,
			gpu_seconds = usage_totals.gpu_seconds + excluded.gpu_seconds, node_seconds = usage_totals.node_seconds + excluded.node_seconds,
			cpu_seconds = usage_totals.cpu_seconds + excluded.cpu_seconds, charge_seconds = usage_totals.charge_seconds + excluded.charge_seconds,
			updated_at = excluded.updated_at RETURNING allocation_id, charge_seconds`),
	}
}

// chunks calls fn for consecutive chunks of n items, each a power of two
// long, with the statement of that many rows.
func chunks(n int, stmts []string, fn func(stmt string, from, to int) error) error {
	for from := 0; from < n; {
		k := len(stmts) - 1
		for 1<<k > n-from {
			k--
		}
		if err := fn(stmts[k], from, from+1<<k); err != nil {
			return err
		}
		from += 1 << k
	}
	return nil
}

// lookup runs a keysPerLookup-key query over keys in chunks, padding the
// last with its last key, and calls fn for every row.
func lookup[K any](ctx context.Context, tx *Tx, query string, lead []any, keys []K, fn func(*sql.Rows) error) error {
	args := make([]any, len(lead)+keysPerLookup)
	copy(args, lead)
	for from := 0; from < len(keys); from += keysPerLookup {
		chunk := keys[from:min(from+keysPerLookup, len(keys))]
		for i := range keysPerLookup {
			args[len(lead)+i] = chunk[min(i, len(chunk)-1)]
		}
		if err := eachRow(ctx, tx, query, args, fn); err != nil {
			return err
		}
	}
	return nil
}

// bucketKey names a bucket: one cluster user's jobs under one allocation.
type bucketKey struct{ alloc, user string }

// delta is a change to totals.
type delta struct {
	jobs, gpu, node, cpu, charge int64
}

func (d *delta) add(r *pactum.UsageRecord, sign int64) {
	d.jobs += sign
	d.gpu += sign * r.GPUSeconds
	d.node += sign * r.NodeSeconds
	d.cpu += sign * r.CPUSeconds
	d.charge += sign * r.ChargeSeconds
}

// stored is a record as found, with its bucket.
type stored struct {
	rec    pactum.UsageRecord
	bucket int64
}

// IngestUsage stores a batch of job records; see pactum.UsageService.
func (s *UsageService) IngestUsage(ctx context.Context, b pactum.UsageBatch) (*pactum.UsageIngest, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != pactum.RoleSiteOperator {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only site operators post usage, for their own site's allocations.")
	}
	var v pactum.Validator
	v.Check(pactum.ValidClusterName(b.Cluster), "cluster", "must be a cluster name (lower-case letters, digits, '_', '-')")
	v.Check(len(b.Records) <= pactum.MaxUsageBatch, "records", "must hold at most %d records", pactum.MaxUsageBatch)
	if err := v.Err("The usage batch is not valid."); err != nil {
		return nil, err
	}
	// Check each record before taking the writer.
	res := &pactum.UsageIngest{Results: make([]pactum.UsageResult, len(b.Records))}
	invalid := make([]bool, len(b.Records))
	for i := range b.Records {
		r := &b.Records[i]
		res.Results[i].JobID = r.JobID
		if reason := r.Validate(); reason != "" {
			res.Results[i].Status, res.Results[i].Reason = pactum.UsageRejected, reason
			invalid[i] = true
		}
	}
	var bk *buckets
	err = s.db.write(ctx, func(tx *Tx) error {
		// A use case runs once, but reset anyway so that the results can
		// only ever describe the attempt that committed.
		for i := range res.Results {
			if !invalid[i] {
				res.Results[i].Status, res.Results[i].Reason = "", ""
			}
		}
		bk = newBuckets()
		return s.ingest(ctx, tx, u, &b, res, bk)
	})
	if err != nil {
		return nil, err
	}
	s.remember(bk)
	for _, r := range res.Results {
		switch r.Status {
		case pactum.UsageAccepted:
			res.Accepted++
		case pactum.UsageDuplicate:
			res.Duplicate++
		default:
			res.Rejected++
		}
	}
	return res, nil
}

// ingest runs in the write use case; bk collects the buckets it reads and
// creates.
func (s *UsageService) ingest(ctx context.Context, tx *Tx, u *pactum.User, b *pactum.UsageBatch, res *pactum.UsageIngest, bk *buckets) error {
	bulk := bulkStatements[tx.db.dialect]
	// Take the cluster's row first: on PostgreSQL its lock makes concurrent
	// batches of one cluster take turns, so two of them can never both
	// find a job new and count it twice. SQLite has one writer anyway.
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_clusters (cluster, records, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (cluster) DO UPDATE SET updated_at = excluded.updated_at`, b.Cluster, tx.now); err != nil {
		return fmt.Errorf("lock cluster %s: %w", b.Cluster, err)
	}

	// Resolve the distinct accounts to the caller's allocations, all in
	// one lookup.
	allocs := map[string]*pactum.Allocation{} // by account; nil if not the caller's
	var ids []string
	for i := range b.Records {
		r := &b.Records[i]
		if res.Results[i].Status != "" {
			continue
		}
		if _, seen := allocs[r.Account]; !seen {
			allocs[r.Account] = nil
			if id, ok := pactum.AllocationIDFromAccount(r.Account); ok {
				ids = append(ids, id)
			}
		}
	}
	byID := make(map[string]*pactum.Allocation, len(ids))
	err := lookup(ctx, tx, bulk.lookupAllocations, nil, ids, func(rows *sql.Rows) error {
		a := &pactum.Allocation{}
		var site string
		if err := rows.Scan(&a.ID, &a.Unit, &a.Amount, &a.State, &site); err != nil {
			return err
		}
		if site == u.Site {
			byID[a.ID] = a
			allocs[pactum.AllocationAccount(a.ID)] = a
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("resolve accounts: %w", err)
	}
	keys := make([]string, 0, len(b.Records))
	for i := range b.Records {
		r := &b.Records[i]
		if res.Results[i].Status != "" {
			continue
		}
		if allocs[r.Account] == nil {
			// Accounts of other sites and accounts that are no
			// allocation's get the same answer, so a site learns nothing
			// about another's allocations.
			res.Results[i].Status = pactum.UsageRejected
			res.Results[i].Reason = fmt.Sprintf("account %s is not an allocation of site %s", r.Account, u.Site)
			continue
		}
		keys = append(keys, r.JobID)
	}
	if len(keys) == 0 {
		return nil
	}

	// What is stored for the batch's jobs. Job ids above the cluster's
	// greatest stored one cannot be stored: in a backlog of new jobs, which
	// arrive in id order, that spares the lookup of nearly every key.
	var maxKey sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(job_id) FROM usage_records WHERE cluster = $1`, b.Cluster).Scan(&maxKey); err != nil {
		return fmt.Errorf("look up usage records: %w", err)
	}
	old := keys[:0:0]
	if maxKey.Valid {
		for _, k := range keys {
			if k <= maxKey.String {
				old = append(old, k)
			}
		}
	}
	orig := make(map[string]*stored, len(old))
	err = lookup(ctx, tx, bulk.lookupRecords, []any{b.Cluster}, old, func(rows *sql.Rows) error {
		o := &stored{}
		r := &o.rec
		var start, end sql.NullInt64
		if err := rows.Scan(&r.JobID, &o.bucket, &r.State, &r.Final, &start, &end, &r.ElapsedSeconds,
			&r.GPUSeconds, &r.NodeSeconds, &r.CPUSeconds); err != nil {
			return err
		}
		r.Cluster, r.StartAt, r.EndAt = b.Cluster, unixPtr(start), unixPtr(end)
		orig[r.JobID] = o
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up usage records: %w", err)
	}

	// Buckets of the batch's records: cached, else read, else created; and
	// those of stored records under other allocations (a job moved to
	// another account while it was pending).
	var need []bucketKey
	seen := map[bucketKey]bool{}
	for i := range b.Records {
		r := &b.Records[i]
		if res.Results[i].Status != "" {
			continue
		}
		k := bucketKey{allocs[r.Account].ID, r.Username}
		if !seen[k] {
			seen[k] = true
			need = append(need, k)
		}
	}
	s.cached(bk, need)
	var missing []bucketKey
	missingAllocs := map[string]bool{}
	for _, k := range need {
		if _, ok := bk.ids[k]; !ok {
			missing = append(missing, k)
			missingAllocs[k.alloc] = true
		}
	}
	if len(missing) > 0 {
		allocIDs := make([]string, 0, len(missingAllocs))
		for id := range missingAllocs {
			allocIDs = append(allocIDs, id)
		}
		slices.Sort(allocIDs)
		if err := bk.load(ctx, tx, bulk.lookupBuckets, allocIDs); err != nil {
			return err
		}
		create := missing[:0:0]
		for _, k := range missing {
			if _, ok := bk.ids[k]; !ok {
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
				return fmt.Errorf("create usage buckets: %w", err)
			}
			if err := bk.load(ctx, tx, bulk.lookupBuckets, allocIDs); err != nil {
				return err
			}
		}
	}
	var unknown []int64
	if len(orig) > 0 {
		var have []bucketKey
		s.mu.RLock()
		for _, o := range orig {
			if k, ok := s.buckets.keys[o.bucket]; ok {
				have = append(have, k)
			}
		}
		s.mu.RUnlock()
		s.cached(bk, have)
	}
	for _, o := range orig {
		if _, ok := bk.keys[o.bucket]; !ok {
			unknown = append(unknown, o.bucket)
		}
	}
	if len(unknown) > 0 {
		if err := bk.load(ctx, tx, bulk.bucketsByID, unknown); err != nil {
			return err
		}
	}
	for _, o := range orig {
		k, ok := bk.keys[o.bucket]
		if !ok {
			return fmt.Errorf("usage record %s/%s: bucket %d does not exist", b.Cluster, o.rec.JobID, o.bucket)
		}
		o.rec.AllocationID, o.rec.Username, o.rec.Account = k.alloc, k.user, pactum.AllocationAccount(k.alloc)
		a := byID[k.alloc]
		if a == nil {
			var err error
			if a, _, err = findAllocationByID(ctx, tx, k.alloc); err != nil {
				return err
			}
			byID[k.alloc] = a
		}
		o.rec.ChargeSeconds = pactum.ChargeSeconds(a.Unit, o.rec.GPUSeconds, o.rec.NodeSeconds)
	}

	// Merge in input order: a job listed twice meets its earlier
	// accepted version.
	pos := make(map[string]int, len(keys)) // index in dirty
	dirty := make([]*pactum.UsageRecord, 0, len(keys))
	bucketOf := make([]int64, 0, len(keys)) // dirty[i]'s bucket
	recs := make([]pactum.UsageRecord, len(keys))
	n := 0
	for i := range b.Records {
		in := &b.Records[i]
		out := &res.Results[i]
		if out.Status != "" {
			continue
		}
		a := allocs[in.Account]
		rec := &recs[n]
		n++
		*rec = pactum.UsageRecord{Cluster: b.Cluster, JobID: in.JobID, AllocationID: a.ID, Account: in.Account,
			Username: in.Username, State: in.State, Final: in.Final, StartAt: in.StartAt, EndAt: in.EndAt,
			ElapsedSeconds: in.ElapsedSeconds, GPUSeconds: in.GPUSeconds, NodeSeconds: in.NodeSeconds,
			CPUSeconds: in.CPUSeconds, ChargeSeconds: pactum.ChargeSeconds(a.Unit, in.GPUSeconds, in.NodeSeconds)}
		var prev *pactum.UsageRecord
		k, again := pos[in.JobID]
		if again {
			prev = dirty[k]
		} else if len(orig) > 0 {
			if o := orig[in.JobID]; o != nil {
				prev = &o.rec
			}
		}
		status, reason := pactum.MergeUsage(prev, rec)
		out.Status, out.Reason = status, reason
		if status != pactum.UsageAccepted {
			continue
		}
		id := bk.ids[bucketKey{a.ID, in.Username}]
		if id == 0 {
			return fmt.Errorf("usage bucket %s/%s was not created", a.ID, in.Username)
		}
		if again {
			dirty[k], bucketOf[k] = rec, id
		} else {
			pos[in.JobID] = len(dirty)
			dirty = append(dirty, rec)
			bucketOf = append(bucketOf, id)
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	args := make([]any, 0, nRecordCols*maxBulkRows)
	err = chunks(len(dirty), bulk.records, func(stmt string, from, to int) error {
		args = args[:0]
		for k, r := range dirty[from:to] {
			args = append(args, r.Cluster, r.JobID, bucketOf[from+k], r.State, r.Final,
				unixArg(r.StartAt), unixArg(r.EndAt), r.ElapsedSeconds, r.GPUSeconds, r.NodeSeconds, r.CPUSeconds)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("write usage records: %w", mapError(err))
	}

	// Totals change by each written record minus what it replaced: per
	// bucket first, then per allocation from the buckets.
	deltas := map[int64]*delta{}
	var added int64
	for k, r := range dirty {
		at(deltas, bucketOf[k]).add(r, 1)
		if o := orig[r.JobID]; o != nil {
			at(deltas, o.bucket).add(&o.rec, -1)
		} else {
			added++
		}
	}
	totals := map[string]*delta{}
	users := make(map[bucketKey]*delta, len(deltas))
	for id, d := range deltas {
		k := bk.keys[id]
		users[k] = d
		t := at(totals, k.alloc)
		t.jobs, t.gpu, t.node, t.cpu, t.charge = t.jobs+d.jobs, t.gpu+d.gpu, t.node+d.node, t.cpu+d.cpu, t.charge+d.charge
	}
	// One lock order on PostgreSQL: sorted keys.
	ukeys := make([]bucketKey, 0, len(users))
	for k, d := range users {
		if *d != (delta{}) {
			ukeys = append(ukeys, k)
		}
	}
	slices.SortFunc(ukeys, func(a, b bucketKey) int {
		if c := strings.Compare(a.alloc, b.alloc); c != 0 {
			return c
		}
		return strings.Compare(a.user, b.user)
	})
	err = chunks(len(ukeys), bulk.buckets, func(stmt string, from, to int) error {
		args = args[:0]
		for _, k := range ukeys[from:to] {
			d := users[k]
			args = append(args, k.alloc, k.user, d.jobs, d.gpu, d.node, d.cpu)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("usage totals per user: %w", err)
	}
	ids = make([]string, 0, len(totals))
	for id, d := range totals {
		if *d != (delta{}) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	after := make(map[string]int64, len(ids))
	err = chunks(len(ids), bulk.totals, func(stmt string, from, to int) error {
		args = args[:0]
		for _, id := range ids[from:to] {
			d := totals[id]
			args = append(args, id, d.jobs, d.gpu, d.node, d.cpu, d.charge, tx.now)
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
		return fmt.Errorf("usage totals: %w", err)
	}
	charged := make(map[string]int64, len(ids))
	for _, id := range ids {
		d := totals[id]
		charged[id] = d.charge
		if err := crossThresholds(ctx, tx, u, byID[id], after[id]-d.charge, after[id]); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clusters SET records = records + $1 WHERE cluster = $2`, added, b.Cluster); err != nil {
		return fmt.Errorf("count records of %s: %w", b.Cluster, err)
	}
	// One event per batch, not per job: the records are the ledger; the
	// event says who changed it, when, and by how much per allocation.
	return tx.record("usage.ingest", "cluster", b.Cluster, nil, map[string]any{
		"written": len(dirty), "new": added, "charge_seconds": charged,
	})
}

func at[K comparable](m map[K]*delta, k K) *delta {
	d := m[k]
	if d == nil {
		d = &delta{}
		m[k] = d
	}
	return d
}

// buckets maps bucket keys to ids and back.
type buckets struct {
	ids  map[bucketKey]int64
	keys map[int64]bucketKey
}

// load reads the buckets a lookup query finds for keys.
func (bk *buckets) load(ctx context.Context, tx *Tx, query string, keys any) error {
	fn := func(rows *sql.Rows) error {
		var id int64
		var k bucketKey
		if err := rows.Scan(&id, &k.alloc, &k.user); err != nil {
			return err
		}
		bk.ids[k], bk.keys[id] = id, k
		return nil
	}
	var err error
	switch ks := keys.(type) {
	case []string:
		err = lookup(ctx, tx, query, nil, ks, fn)
	case []int64:
		err = lookup(ctx, tx, query, nil, ks, fn)
	}
	if err != nil {
		return fmt.Errorf("usage buckets: %w", err)
	}
	return nil
}

// crossThresholds records the thresholds that usage going from before to
// after reached for the first time, and exhausts an active allocation at
// 100 %.
func crossThresholds(ctx context.Context, tx *Tx, u *pactum.User, a *pactum.Allocation, before, after int64) error {
	if a == nil || after <= before {
		return nil // a job moved away: nothing is crossed upwards
	}
	limit := a.LimitSeconds()
	already := map[int]bool{}
	for _, t := range pactum.ThresholdsReached(before, limit) {
		already[t] = true
	}
	for _, t := range pactum.ThresholdsReached(after, limit) {
		if already[t] {
			continue
		}
		var p int
		err := tx.QueryRowContext(ctx, `INSERT INTO usage_thresholds (allocation_id, percent, charge_seconds, crossed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (allocation_id, percent) DO NOTHING RETURNING percent`, a.ID, t, after, tx.now).Scan(&p)
		if errors.Is(err, sql.ErrNoRows) {
			continue // crossed before; usage since went down and up again
		} else if err != nil {
			return fmt.Errorf("usage threshold %d%% of %s: %w", t, a.ID, err)
		}
		if err := tx.record("allocation.usage_threshold", "allocation", a.ID, nil, map[string]any{
			"percent": t, "charge_seconds": after, "limit_seconds": limit, "unit": a.Unit,
		}); err != nil {
			return err
		}
	}
	if after >= limit && a.State == pactum.AllocationActive {
		reason := fmt.Sprintf("usage of %d charge-seconds reached the grant of %d (%g %s)", after, limit, a.Amount, a.Unit)
		if _, err := transitionAllocation(ctx, tx, u, a.ID, pactum.AllocationExhausted, reason); err != nil {
			return fmt.Errorf("exhaust allocation %s: %w", a.ID, err)
		}
		a.State = pactum.AllocationExhausted
	}
	return nil
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

// visibleAllocation returns an allocation the caller may see, or ENOTFOUND.
func visibleAllocation(ctx context.Context, q querier, id string) (*pactum.Allocation, string, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, "", err
	}
	a, site, err := findAllocationByID(ctx, q, id)
	if err != nil {
		return nil, "", err
	}
	if !pactum.CanSeeAllocation(u, a, site) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "Allocation %q not found.", id)
	}
	return a, site, nil
}

// FindUsageSummary returns an allocation's usage against its grant.
func (s *UsageService) FindUsageSummary(ctx context.Context, allocationID string) (*pactum.UsageSummary, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, _, err := visibleAllocation(ctx, tx, allocationID)
	if err != nil {
		return nil, err
	}
	sum := &pactum.UsageSummary{AllocationID: a.ID, SystemID: a.SystemID, State: a.State, Unit: a.Unit, Amount: a.Amount,
		LimitSeconds: a.LimitSeconds(), Thresholds: []pactum.UsageThreshold{}, Users: []pactum.UserUsage{}}
	var updated time.Time
	err = tx.QueryRowContext(ctx, `SELECT jobs, gpu_seconds, node_seconds, cpu_seconds, charge_seconds, updated_at FROM usage_totals WHERE allocation_id = $1`,
		a.ID).Scan(&sum.Jobs, &sum.GPUSeconds, &sum.NodeSeconds, &sum.CPUSeconds, &sum.ChargeSeconds, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("usage totals of %s: %w", a.ID, err)
	default:
		updated = updated.UTC()
		sum.UpdatedAt = &updated
	}
	err = eachRow(ctx, tx, `SELECT username, jobs, gpu_seconds, node_seconds, cpu_seconds FROM usage_buckets
		WHERE allocation_id = $1 AND jobs <> 0 ORDER BY username`, []any{a.ID}, func(rows *sql.Rows) error {
		var uu pactum.UserUsage
		if err := rows.Scan(&uu.Username, &uu.Jobs, &uu.GPUSeconds, &uu.NodeSeconds, &uu.CPUSeconds); err != nil {
			return err
		}
		uu.ChargeSeconds = pactum.ChargeSeconds(a.Unit, uu.GPUSeconds, uu.NodeSeconds)
		sum.Users = append(sum.Users, uu)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage per user of %s: %w", a.ID, err)
	}
	slices.SortStableFunc(sum.Users, func(x, y pactum.UserUsage) int { return cmp.Compare(y.ChargeSeconds, x.ChargeSeconds) })
	err = eachRow(ctx, tx, `SELECT percent, charge_seconds, crossed_at FROM usage_thresholds WHERE allocation_id = $1 ORDER BY percent`,
		[]any{a.ID}, func(rows *sql.Rows) error {
			var t pactum.UsageThreshold
			if err := rows.Scan(&t.Percent, &t.ChargeSeconds, &t.CrossedAt); err != nil {
				return err
			}
			t.CrossedAt = t.CrossedAt.UTC()
			sum.Thresholds = append(sum.Thresholds, t)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("usage thresholds of %s: %w", a.ID, err)
	}
	sum.Fill()
	return sum, nil
}

// FindUsageRecords lists an allocation's job records, latest started
// first. It scans the records table (see migration 00005: no index on it
// but its key, for the sake of ingestion).
func (s *UsageService) FindUsageRecords(ctx context.Context, f pactum.UsageFilter) ([]*pactum.UsageRecord, int, error) {
	a, _, err := visibleAllocation(ctx, s.db.r, f.AllocationID)
	if err != nil {
		return nil, 0, err
	}
	var w where
	w.add("r.bucket IN (SELECT id FROM usage_buckets WHERE allocation_id = ?)", a.ID)
	if f.Username != nil {
		w.add("b.username = ?", *f.Username)
	}
	if f.Final != nil {
		w.add("r.final = ?", *f.Final)
	}
	q := `SELECT r.cluster, r.job_id, b.username, r.state, r.final, r.start_at, r.end_at, r.elapsed, r.gpu_seconds, r.node_seconds,
		r.cpu_seconds, COUNT(*) OVER () FROM usage_records r JOIN usage_buckets b ON b.id = r.bucket` + w.String() +
		` ORDER BY COALESCE(r.start_at, 0) DESC, r.job_id DESC` + w.page(f.Limit, f.Offset)
	out := []*pactum.UsageRecord{}
	var total int
	err = eachRow(ctx, s.db.r, q, w.args, func(rows *sql.Rows) error {
		r := &pactum.UsageRecord{AllocationID: a.ID, Account: pactum.AllocationAccount(a.ID)}
		var start, end sql.NullInt64
		if err := rows.Scan(&r.Cluster, &r.JobID, &r.Username, &r.State, &r.Final, &start, &end, &r.ElapsedSeconds,
			&r.GPUSeconds, &r.NodeSeconds, &r.CPUSeconds, &total); err != nil {
			return err
		}
		r.StartAt, r.EndAt = unixPtr(start), unixPtr(end)
		r.ChargeSeconds = pactum.ChargeSeconds(a.Unit, r.GPUSeconds, r.NodeSeconds)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find usage records: %w", err)
	}
	return out, total, nil
}
