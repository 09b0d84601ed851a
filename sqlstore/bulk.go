// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

const nRecordCols = 14

// nBareRecordCols are the columns of a record without a claim or
// measurement (recordsBare).
const nBareRecordCols = 11

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
	// maxBulkRows × 14 = 14336 parameters, below SQLite's 32766 and
	// PostgreSQL's 65535. Fewer, larger statements are cheaper: SQLite
	// journals each page a statement touches.
	maxBulkRows = 1024
)

// bulkSQL holds one engine's bulk statements; the multi-row ones are
// indexed by k for 1<<k rows.
type bulkSQL struct {
	lookupAllocations lookupQuery // allocations by id
	phaseUsage        lookupQuery // labelled GPU-seconds by allocation and phase, of allocations without a flag
	lookupProposals   lookupQuery // proposals by id
	lookupRecords     lookupQuery // stored records by job id
	lookupBuckets     lookupQuery // buckets by allocation
	bucketsByID       lookupQuery // buckets by id
	newBuckets        []string
	records           []string
	recordsBare       []string // records without a claim or measurement
	buckets           []string
	totals            []string
	modelUsage        []string
	modelDays         []string
	lookupModels      lookupQuery // models by organization
	computeTotals     []string
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

// lookupQuery is a lookup statement in two sizes: for one key, and for
// keysPerLookup keys (a chunk of fewer is padded with its last key, so that
// one prepared statement serves every chunk).
type lookupQuery struct {
	one, many string
}

// lookupSQL returns head + "(" + key parameters + ")" for one key and for
// keysPerLookup, after `first` leading parameters inside head (written as
// %s). The one-key form is for the reads of one thing (a model view's
// organization): padding a single key to keysPerLookup parameters cost
// more to encode and execute than the read (BenchmarkScale/model-compute).
func lookupSQL(dialect, head string, first int) lookupQuery {
	build := func(keys int) string {
		var b strings.Builder
		next := 0
		args := make([]any, first)
		for i := range args {
			var p strings.Builder
			params(&p, dialect, &next, 1)
			args[i] = p.String()
		}
		b.WriteString(fmt.Sprintf(head, args...))
		b.WriteString(" (")
		params(&b, dialect, &next, keys)
		b.WriteString(")")
		return b.String()
	}
	return lookupQuery{one: build(1), many: build(keysPerLookup)}
}

// then appends tail (a GROUP BY, an ORDER BY) to both forms.
func (l lookupQuery) then(tail string) lookupQuery {
	return lookupQuery{one: l.one + tail, many: l.many + tail}
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
		lookupRecords: lookupSQL(dialect, `SELECT job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds, cpu_seconds,
			claim, gpu_util, energy_raw, `+map[string]string{SQLite: "0", Postgres: "period"}[dialect]+
			` FROM usage_records WHERE cluster = %s AND job_id IN`, 1),
		lookupAllocations: lookupSQL(dialect, allocationSelect+` WHERE a.id IN`, 0),
		lookupProposals:   lookupSQL(dialect, `SELECT `+proposalColumns+` FROM proposals WHERE id IN`, 0),
		phaseUsage: lookupSQL(dialect, `SELECT u.allocation_id, u.phase, SUM(u.gpu_seconds) FROM model_usage u
			WHERE NOT EXISTS (SELECT 1 FROM usage_flags f WHERE f.allocation_id = u.allocation_id AND f.kind = %s)
			AND u.allocation_id IN`, 1).then(` GROUP BY u.allocation_id, u.phase ORDER BY u.allocation_id, u.phase`),
		lookupBuckets: lookupSQL(dialect, `SELECT id, allocation_id, username FROM usage_buckets WHERE allocation_id IN`, 0),
		bucketsByID:   lookupSQL(dialect, `SELECT id, allocation_id, username FROM usage_buckets WHERE id IN`, 0),
		newBuckets: multiRow(dialect, `INSERT INTO usage_buckets (allocation_id, username, jobs, gpu_seconds, node_seconds, cpu_seconds) VALUES `,
			2, ", 0, 0, 0, 0", ` ON CONFLICT (allocation_id, username) DO NOTHING`),
		// A record is replaced whole: MergeUsage decided that it may be.
		records: multiRow(dialect, `INSERT INTO usage_records (cluster, job_id, bucket, state, final, start_at, end_at, elapsed,
			gpu_seconds, node_seconds, cpu_seconds, claim, gpu_util, energy_raw) VALUES `, nRecordCols, "",
			` ON CONFLICT (cluster, job_id) DO UPDATE SET bucket = excluded.bucket, state = excluded.state, final = excluded.final,
			start_at = excluded.start_at, end_at = excluded.end_at, elapsed = excluded.elapsed, gpu_seconds = excluded.gpu_seconds,
			node_seconds = excluded.node_seconds, cpu_seconds = excluded.cpu_seconds, claim = excluded.claim,
			gpu_util = excluded.gpu_util, energy_raw = excluded.energy_raw`),
		// Most sites report no energy and most jobs claim no model: their
		// records skip three parameters each (a fifth of a bulk load's
		// binding), the columns keeping or returning to their defaults.
		recordsBare: multiRow(dialect, `INSERT INTO usage_records (cluster, job_id, bucket, state, final, start_at, end_at, elapsed,
			gpu_seconds, node_seconds, cpu_seconds) VALUES `, nBareRecordCols, "",
			` ON CONFLICT (cluster, job_id) DO UPDATE SET bucket = excluded.bucket, state = excluded.state, final = excluded.final,
			start_at = excluded.start_at, end_at = excluded.end_at, elapsed = excluded.elapsed, gpu_seconds = excluded.gpu_seconds,
			node_seconds = excluded.node_seconds, cpu_seconds = excluded.cpu_seconds, claim = 0, gpu_util = NULL, energy_raw = NULL`),
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
		lookupModels: lookupSQL(dialect, `SELECT `+modelColumns+` FROM models WHERE organization_id IN`, 0),
		// Cumulative FLOP per subject, returned after the addition: alerts
		// are checked on it.
		computeTotals: multiRow(dialect, `INSERT INTO compute_totals (subject, flop, updated_at) VALUES `, 3, "",
			` ON CONFLICT (subject) DO UPDATE SET flop = compute_totals.flop + excluded.flop, updated_at = excluded.updated_at
			RETURNING subject, flop`),
		modelDays: multiRow(dialect, `INSERT INTO model_days (model_num, day, gpu_seconds, flop) VALUES `, 4, "",
			` ON CONFLICT (model_num, day) DO UPDATE SET gpu_seconds = model_days.gpu_seconds + excluded.gpu_seconds,
			flop = model_days.flop + excluded.flop`),
		modelUsage: multiRow(dialect, `INSERT INTO model_usage (model_num, allocation_id, phase, organization_id, jobs, gpu_seconds,
			util_gpu_seconds, util_weighted, energy_gpu_seconds, energy_measured_j, energy_implausible) VALUES `, 11, "",
			` ON CONFLICT (model_num, allocation_id, phase) DO UPDATE SET jobs = model_usage.jobs + excluded.jobs,
			gpu_seconds = model_usage.gpu_seconds + excluded.gpu_seconds,
			util_gpu_seconds = model_usage.util_gpu_seconds + excluded.util_gpu_seconds,
			util_weighted = model_usage.util_weighted + excluded.util_weighted,
			energy_gpu_seconds = model_usage.energy_gpu_seconds + excluded.energy_gpu_seconds,
			energy_measured_j = model_usage.energy_measured_j + excluded.energy_measured_j,
			energy_implausible = model_usage.energy_implausible + excluded.energy_implausible`),
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

// lookup runs query over keys in chunks of keysPerLookup, padding the
// last with its last key (a single key takes the one-key form), and calls
// fn for every row.
func lookup[K any](ctx context.Context, q querier, query lookupQuery, lead []any, keys []K, fn func(*sql.Rows) error) error {
	if len(keys) == 1 {
		return eachRow(ctx, q, query.one, append(slices.Clone(lead), keys[0]), fn)
	}
	args := make([]any, len(lead)+keysPerLookup)
	copy(args, lead)
	for from := 0; from < len(keys); from += keysPerLookup {
		chunk := keys[from:min(from+keysPerLookup, len(keys))]
		for i := range keysPerLookup {
			args[len(lead)+i] = chunk[min(i, len(chunk)-1)]
		}
		if err := eachRow(ctx, q, query.many, args, fn); err != nil {
			return err
		}
	}
	return nil
}
