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
	buckets *bucketCache
}

var _ pactum.UsageService = (*UsageService)(nil)

// maxCachedBuckets bounds the bucket cache; beyond it the cache starts over.
const maxCachedBuckets = 1 << 20

// NewUsageService returns the usage service.
func NewUsageService(db *DB) *UsageService { return &UsageService{db: db, buckets: newBuckets()} }

// bucketCache holds bucket ids by key.
type bucketCache struct{ ids map[bucketKey]int64 }

func newBuckets() *bucketCache { return &bucketCache{ids: map[bucketKey]int64{}} }

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
func lookup[K any](ctx context.Context, q querier, query string, lead []any, keys []K, fn func(*sql.Rows) error) error {
	args := make([]any, len(lead)+keysPerLookup)
	copy(args, lead)
	for from := 0; from < len(keys); from += keysPerLookup {
		chunk := keys[from:min(from+keysPerLookup, len(keys))]
		for i := range keysPerLookup {
			args[len(lead)+i] = chunk[min(i, len(chunk)-1)]
		}
		if err := eachRow(ctx, q, query, args, fn); err != nil {
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

func (d *delta) plus(e *delta) {
	d.jobs, d.gpu, d.node, d.cpu, d.charge = d.jobs+e.jobs, d.gpu+e.gpu, d.node+e.node, d.cpu+e.cpu, d.charge+e.charge
}

// stored is a record as found, with its bucket.
type stored struct {
	rec    pactum.UsageRecord
	bucket int64
}

// batch is a usage batch prepared for the writer: what needs no lock (the
// records checked, their allocations read, jobs and buckets numbered) is
// done before the use case takes the writer, so that the single writer
// spends its time on the database.
type batch struct {
	cluster string
	res     *pactum.UsageIngest
	recs    []pactum.UsageRecord // the records to merge, in input order
	at      []int                // recs[k] is the input record at[k]
	job     []int32              // recs[k]'s job, an index into jobs
	jobs    []string             // distinct job ids
	jobOf   map[string]int32
	bucket  []int32     // recs[k]'s bucket, an index into need
	need    []bucketKey // distinct buckets
	needOf  map[bucketKey]int32
	ids     []int64 // bucket ids, by index into need; 0 until known
	// allocs holds the batch's allocations by ID, as read before the
	// writer: their unit, amount and site never change; their state is
	// read again under the writer where it matters.
	allocs map[string]*pactum.Allocation
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
	bt, err := s.prepare(ctx, u, &b)
	if err != nil {
		return nil, err
	}
	err = s.db.write(ctx, func(tx *Tx) error { return s.ingest(ctx, tx, u, bt) })
	if err != nil {
		return nil, err
	}
	s.remember(bt)
	res := bt.res
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

// prepare checks each record, resolves its account to one of the caller's
// allocations (rejecting it otherwise) and numbers jobs and buckets.
func (s *UsageService) prepare(ctx context.Context, u *pactum.User, b *pactum.UsageBatch) (*batch, error) {
	n := len(b.Records)
	bt := &batch{cluster: b.Cluster, res: &pactum.UsageIngest{Results: make([]pactum.UsageResult, n)},
		recs: make([]pactum.UsageRecord, 0, n), at: make([]int, 0, n), job: make([]int32, 0, n), jobOf: make(map[string]int32, n),
		bucket: make([]int32, 0, n), needOf: map[bucketKey]int32{}, allocs: map[string]*pactum.Allocation{}}
	byAccount := map[string]*pactum.Allocation{}
	var ids []string
	for i := range b.Records {
		r := &b.Records[i]
		bt.res.Results[i].JobID = r.JobID
		if reason := r.Validate(); reason != "" {
			bt.res.Results[i].Status, bt.res.Results[i].Reason = pactum.UsageRejected, reason
			continue
		}
		if _, seen := byAccount[r.Account]; !seen {
			byAccount[r.Account] = nil
			if id, ok := pactum.AllocationIDFromAccount(r.Account); ok {
				ids = append(ids, id)
			}
		}
	}
	err := lookup(ctx, s.db.r, bulkStatements[s.db.dialect].lookupAllocations, nil, ids, func(rows *sql.Rows) error {
		a := &pactum.Allocation{}
		var site string
		if err := rows.Scan(&a.ID, &a.Unit, &a.Amount, &a.State, &site); err != nil {
			return err
		}
		if site == u.Site {
			bt.allocs[a.ID] = a
			byAccount[pactum.AllocationAccount(a.ID)] = a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve accounts: %w", err)
	}
	for i := range b.Records {
		in := &b.Records[i]
		out := &bt.res.Results[i]
		if out.Status != "" {
			continue
		}
		a := byAccount[in.Account]
		if a == nil {
			// Accounts of other sites and accounts that are no
			// allocation's get the same answer, so a site learns nothing
			// about another's allocations.
			out.Status = pactum.UsageRejected
			out.Reason = fmt.Sprintf("account %s is not an allocation of site %s", in.Account, u.Site)
			continue
		}
		bt.recs = append(bt.recs, pactum.UsageRecord{Cluster: b.Cluster, UsageRecordInput: *in, AllocationID: a.ID,
			ChargeSeconds: pactum.ChargeSeconds(a.Unit, in.GPUSeconds, in.NodeSeconds)})
		bt.at = append(bt.at, i)
		j, ok := bt.jobOf[in.JobID]
		if !ok {
			j = int32(len(bt.jobs))
			bt.jobOf[in.JobID] = j
			bt.jobs = append(bt.jobs, in.JobID)
		}
		bt.job = append(bt.job, j)
		k := bucketKey{a.ID, in.Username}
		bi, ok := bt.needOf[k]
		if !ok {
			bi = int32(len(bt.need))
			bt.needOf[k] = bi
			bt.need = append(bt.need, k)
		}
		bt.bucket = append(bt.bucket, bi)
	}
	bt.ids = make([]int64, len(bt.need))
	s.mu.RLock()
	for i, k := range bt.need {
		bt.ids[i] = s.buckets.ids[k]
	}
	s.mu.RUnlock()
	return bt, nil
}

// ingest is the write use case: it merges the prepared records with what
// is stored and writes the differences.
func (s *UsageService) ingest(ctx context.Context, tx *Tx, u *pactum.User, bt *batch) error {
	bulk := bulkStatements[tx.db.dialect]
	// A use case runs once, but start from the prepared state anyway, so
	// that the results can only ever describe the attempt that committed.
	for _, i := range bt.at {
		bt.res.Results[i].Status, bt.res.Results[i].Reason = "", ""
	}
	if len(bt.recs) == 0 {
		return nil
	}
	// Take the cluster's row first: on PostgreSQL its lock makes concurrent
	// batches of one cluster take turns, so two of them can never both
	// find a job new and count it twice. SQLite has one writer anyway.
	// The no-op update takes the lock without changing anything: a batch
	// of duplicates leaves no trace.
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_clusters (cluster, records, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (cluster) DO UPDATE SET records = usage_clusters.records`, bt.cluster, tx.now); err != nil {
		return fmt.Errorf("lock cluster %s: %w", bt.cluster, err)
	}

	// What is stored for the batch's jobs. Job ids above the cluster's
	// greatest stored one cannot be stored: in a backlog of new jobs, which
	// arrive in id order, that spares the lookup of nearly every key.
	var maxKey sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(job_id) FROM usage_records WHERE cluster = $1`, bt.cluster).Scan(&maxKey); err != nil {
		return fmt.Errorf("look up usage records: %w", err)
	}
	var old []string
	if maxKey.Valid {
		for _, k := range bt.jobs {
			if k <= maxKey.String {
				old = append(old, k)
			}
		}
	}
	orig := make([]*stored, len(bt.jobs)) // by job index
	var nOrig int
	err := lookup(ctx, tx, bulk.lookupRecords, []any{bt.cluster}, old, func(rows *sql.Rows) error {
		o := &stored{}
		r := &o.rec
		var start, end sql.NullInt64
		if err := rows.Scan(&r.JobID, &o.bucket, &r.State, &r.Final, &start, &end, &r.ElapsedSeconds,
			&r.GPUSeconds, &r.NodeSeconds, &r.CPUSeconds); err != nil {
			return err
		}
		r.Cluster, r.StartAt, r.EndAt = bt.cluster, unixPtr(start), unixPtr(end)
		orig[bt.jobOf[r.JobID]] = o
		nOrig++
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up usage records: %w", err)
	}

	// Bucket ids not cached: read by allocation, created where missing.
	keyOf := map[int64]bucketKey{}
	found := func(rows *sql.Rows) error {
		var id int64
		var k bucketKey
		if err := rows.Scan(&id, &k.alloc, &k.user); err != nil {
			return err
		}
		keyOf[id] = k
		if i, ok := bt.needOf[k]; ok {
			bt.ids[i] = id
		}
		return nil
	}
	missingAllocs := func() []string {
		var out []string
		seen := map[string]bool{}
		for i, k := range bt.need {
			if bt.ids[i] == 0 && !seen[k.alloc] {
				seen[k.alloc] = true
				out = append(out, k.alloc)
			}
		}
		slices.Sort(out)
		return out
	}
	if allocs := missingAllocs(); len(allocs) > 0 {
		if err := lookup(ctx, tx, bulk.lookupBuckets, nil, allocs, found); err != nil {
			return fmt.Errorf("usage buckets: %w", err)
		}
		var create []bucketKey
		for i, k := range bt.need {
			if bt.ids[i] == 0 {
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
			if err := lookup(ctx, tx, bulk.lookupBuckets, nil, allocs, found); err != nil {
				return fmt.Errorf("usage buckets: %w", err)
			}
		}
		for i, k := range bt.need {
			if bt.ids[i] == 0 {
				return fmt.Errorf("usage bucket %s/%s was not created", k.alloc, k.user)
			}
		}
	}

	// Stored records: their buckets' allocation and user, and charge.
	if nOrig > 0 {
		for i, id := range bt.ids {
			keyOf[id] = bt.need[i]
		}
		var unknown []int64
		for _, o := range orig {
			if o != nil {
				if _, ok := keyOf[o.bucket]; !ok {
					unknown = append(unknown, o.bucket)
				}
			}
		}
		if len(unknown) > 0 {
			if err := lookup(ctx, tx, bulk.bucketsByID, nil, unknown, found); err != nil {
				return fmt.Errorf("usage buckets: %w", err)
			}
		}
		for _, o := range orig {
			if o == nil {
				continue
			}
			k, ok := keyOf[o.bucket]
			if !ok {
				return fmt.Errorf("usage record %s/%s: bucket %d does not exist", bt.cluster, o.rec.JobID, o.bucket)
			}
			o.rec.AllocationID, o.rec.Username, o.rec.Account = k.alloc, k.user, pactum.AllocationAccount(k.alloc)
			a := bt.allocs[k.alloc]
			if a == nil {
				var err error
				if a, _, err = findAllocationByID(ctx, tx, k.alloc); err != nil {
					return err
				}
				bt.allocs[k.alloc] = a
			}
			o.rec.ChargeSeconds = pactum.ChargeSeconds(a.Unit, o.rec.GPUSeconds, o.rec.NodeSeconds)
		}
	}

	// Merge in input order: a job listed twice meets its earlier accepted
	// version.
	latest := make([]int32, len(bt.jobs)) // 1 + index in recs of the job's accepted version
	order := make([]int32, 0, len(bt.jobs))
	for k := range bt.recs {
		rec := &bt.recs[k]
		j := bt.job[k]
		var prev *pactum.UsageRecord
		if l := latest[j]; l > 0 {
			prev = &bt.recs[l-1]
		} else if o := orig[j]; o != nil {
			prev = &o.rec
		}
		status, reason := pactum.MergeUsage(prev, rec)
		out := &bt.res.Results[bt.at[k]]
		out.Status, out.Reason = status, reason
		if status != pactum.UsageAccepted {
			continue
		}
		if latest[j] == 0 {
			order = append(order, j)
		}
		latest[j] = int32(k + 1)
	}
	if len(order) == 0 {
		return nil
	}
	args := make([]any, 0, nRecordCols*maxBulkRows)
	err = chunks(len(order), bulk.records, func(stmt string, from, to int) error {
		args = args[:0]
		for _, j := range order[from:to] {
			k := latest[j] - 1
			r := &bt.recs[k]
			args = append(args, r.Cluster, r.JobID, bt.ids[bt.bucket[k]], r.State, r.Final,
				unixArg(r.StartAt), unixArg(r.EndAt), r.ElapsedSeconds, r.GPUSeconds, r.NodeSeconds, r.CPUSeconds)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("write usage records: %w", mapError(err))
	}

	// Totals change by each written record minus what it replaced: per
	// bucket, then per allocation.
	dNeed := make([]delta, len(bt.need))
	dOther := map[int64]*delta{} // buckets of replaced records outside the batch's
	var added int64
	for _, j := range order {
		k := latest[j] - 1
		dNeed[bt.bucket[k]].add(&bt.recs[k], 1)
		o := orig[j]
		if o == nil {
			added++
			continue
		}
		if i, ok := bt.needOf[keyOf[o.bucket]]; ok && bt.ids[i] == o.bucket {
			dNeed[i].add(&o.rec, -1)
		} else {
			d := dOther[o.bucket]
			if d == nil {
				d = &delta{}
				dOther[o.bucket] = d
			}
			d.add(&o.rec, -1)
		}
	}
	users := make(map[bucketKey]*delta, len(bt.need)+len(dOther))
	for i := range dNeed {
		if dNeed[i] != (delta{}) {
			users[bt.need[i]] = &dNeed[i]
		}
	}
	for id, d := range dOther {
		if *d != (delta{}) {
			users[keyOf[id]] = d
		}
	}
	totals := map[string]*delta{}
	for k, d := range users {
		t := totals[k.alloc]
		if t == nil {
			t = &delta{}
			totals[k.alloc] = t
		}
		t.plus(d)
	}
	// One lock order on PostgreSQL: sorted keys.
	ukeys := make([]bucketKey, 0, len(users))
	for k := range users {
		ukeys = append(ukeys, k)
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
	ids := make([]string, 0, len(totals))
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
		if err := crossThresholds(ctx, tx, u, bt.allocs[id], after[id]-d.charge, after[id]); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clusters SET records = records + $1, updated_at = $2 WHERE cluster = $3`, added, tx.now, bt.cluster); err != nil {
		return fmt.Errorf("count records of %s: %w", bt.cluster, err)
	}
	// One event per batch, not per job: the records are the ledger; the
	// event says who changed it, when, and by how much per allocation.
	return tx.record("usage.ingest", "cluster", bt.cluster, nil, map[string]any{
		"written": len(order), "new": added, "charge_seconds": charged,
	})
}

// remember caches the bucket ids of a committed use case.
func (s *UsageService) remember(bt *batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buckets.ids)+len(bt.need) > maxCachedBuckets {
		s.buckets = newBuckets()
	}
	for i, k := range bt.need {
		if id := bt.ids[i]; id != 0 {
			s.buckets.ids[k] = id
		}
	}
}

// crossThresholds records the thresholds that usage going from before to
// after reached for the first time, and exhausts the allocation at 100 %
// if it is active now.
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
	if after < limit {
		return nil
	}
	// The state read before the writer may be stale: read it again.
	cur, _, err := findAllocationByID(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	if cur.State != pactum.AllocationActive {
		return nil // exhausted already, or suspended, pending, expired
	}
	reason := fmt.Sprintf("usage of %d charge-seconds reached the grant of %d (%g %s)", after, limit, a.Amount, a.Unit)
	if _, err := transitionAllocation(ctx, tx, u, a.ID, pactum.AllocationExhausted, reason); err != nil {
		return fmt.Errorf("exhaust allocation %s: %w", a.ID, err)
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
		r := &pactum.UsageRecord{AllocationID: a.ID, UsageRecordInput: pactum.UsageRecordInput{Account: pactum.AllocationAccount(a.ID)}}
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
