// SPDX-License-Identifier: EUPL-1.2

package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// eventsPerOrg is how many events the seeded log holds for each
// organization: it is created, then changed eventsPerOrg-1 times.
const eventsPerOrg = 5

// BenchmarkAuditVerify measures `audit verify` (the chain) and `audit
// verify --state` (the chain, then the log replayed and compared with the
// tables) over a seeded log: PACTUM_BENCH_AUDIT_EVENTS events (default
// 1,000,000 on SQLite, 100,000 on PostgreSQL), a fifth of as many
// organizations, each created and changed four times, the rows holding
// what the last event says. PACTUM_BENCH_AUDIT_DB names a SQLite file to
// seed once and reuse across runs.
func BenchmarkAuditVerify(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			n := 1_000_000
			if dialect == sqlstore.Postgres {
				n = 100_000
			}
			if s := os.Getenv("PACTUM_BENCH_AUDIT_EVENTS"); s != "" {
				n, _ = strconv.Atoi(s)
			}
			db := seededAuditDB(b, dialect, n)
			ctx := context.Background()
			b.Run("chain", func(b *testing.B) {
				for b.Loop() {
					r, err := usecase.VerifyAudit(ctx, db)
					if err != nil || !r.OK || r.Events != int64(n) {
						b.Fatalf("%+v %v", r, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		})
	}
}

// seededAuditDB returns a store whose audit log holds n valid chained
// events about n/eventsPerOrg organizations, inserted in bulk.
func seededAuditDB(b *testing.B, dialect string, n int) *sqlstore.DB {
	b.Helper()
	ctx := context.Background()
	dsn := ""
	reuse := false
	if p := os.Getenv("PACTUM_BENCH_AUDIT_DB"); p != "" && dialect == sqlstore.SQLite {
		dsn = p
		_, err := os.Stat(p)
		reuse = err == nil
	} else {
		dsn = storetest.DSN(b, dialect)
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if reuse {
		return db
	}
	driver, raw := "pgx", dsn
	if dialect == sqlstore.SQLite {
		driver, raw = "sqlite", "file:"+filepath.ToSlash(dsn)+"?_pragma=busy_timeout(10000)&_time_format=sqlite&_pragma=synchronous(OFF)"
	}
	rdb, err := sql.Open(driver, raw)
	if err != nil {
		b.Fatal(err)
	}
	defer rdb.Close()
	start := time.Now()
	if err := seedAudit(ctx, rdb, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d events on %s in %v", n, dialect, time.Since(start))
	return db
}

// seedAudit writes n chained events and the organizations they describe
// in one transaction, many rows a statement.
func seedAudit(ctx context.Context, rdb *sql.DB, n int) error {
	tx, err := rdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	orgs := max(n/eventsPerOrg, 1)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cur := make([]*pactum.Organization, orgs)
	prev := audit.Genesis
	const batch = 50
	ev := newBatcher(tx, `INSERT INTO audit_events (seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash) VALUES `, 11, batch)
	for seq := 1; seq <= n; seq++ {
		i := (seq - 1) % orgs
		before := cur[i]
		o := &pactum.Organization{ID: fmt.Sprintf("org-%08d", i), LegalName: fmt.Sprintf("Benchmark Robotics %d GmbH", i), Country: "DE",
			RegistrationNumber: fmt.Sprintf("HRB %d", 100000+i), FoundedOn: pactum.MustDate("2019-03-14"), Staff: 10 + (seq-1)/orgs,
			TurnoverEUR: 1_200_000, BalanceSheetEUR: 900_000, CreatedAt: base.Add(time.Duration(i) * time.Second)}
		cur[i] = o
		action := "organization.update"
		if before == nil {
			action = "organization.create"
		}
		e, err := pactum.NewAuditEvent("user-bench", action, "organization", o.ID, nilIfNone(before), o)
		if err != nil {
			return err
		}
		e.Seq, e.ID, e.At = int64(seq), uuid.Must(uuid.NewV7()).String(), base.Add(time.Duration(seq)*time.Millisecond)
		audit.Seal(prev, e)
		prev = e.Hash
		if err := ev.add(ctx, e.Seq, e.ID, e.At, e.ActorID, e.Action, e.SubjectType, e.SubjectID, string(e.Before), string(e.After), e.PrevHash, e.Hash); err != nil {
			return err
		}
	}
	if err := ev.flush(ctx); err != nil {
		return err
	}
	og := newBatcher(tx, `INSERT INTO organizations (id, legal_name, country, registration_number, founded_on, staff, turnover_eur, balance_sheet_eur, created_at) VALUES `, 9, batch)
	for _, o := range cur {
		if o == nil {
			continue
		}
		if err := og.add(ctx, o.ID, o.LegalName, o.Country, o.RegistrationNumber, o.FoundedOn.String(), o.Staff, o.TurnoverEUR, o.BalanceSheetEUR, o.CreatedAt); err != nil {
			return err
		}
	}
	if err := og.flush(ctx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, n, prev); err != nil {
		return err
	}
	return tx.Commit()
}

func nilIfNone(o *pactum.Organization) any {
	if o == nil {
		return nil
	}
	return o
}

// batcher inserts rows many at a time with one prepared statement.
type batcher struct {
	tx        *sql.Tx
	head      string
	cols, max int
	args      []any
	full      *sql.Stmt
}

func newBatcher(tx *sql.Tx, head string, cols, max int) *batcher {
	return &batcher{tx: tx, head: head, cols: cols, max: max}
}

func (bt *batcher) sql(rows int) string {
	var sb strings.Builder
	sb.WriteString(bt.head)
	for r := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range bt.cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", r*bt.cols+c+1)
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

func (bt *batcher) add(ctx context.Context, vals ...any) error {
	bt.args = append(bt.args, vals...)
	if len(bt.args) < bt.cols*bt.max {
		return nil
	}
	if bt.full == nil {
		st, err := bt.tx.PrepareContext(ctx, bt.sql(bt.max))
		if err != nil {
			return err
		}
		bt.full = st
	}
	_, err := bt.full.ExecContext(ctx, bt.args...)
	bt.args = bt.args[:0]
	return err
}

func (bt *batcher) flush(ctx context.Context) error {
	if len(bt.args) == 0 {
		return nil
	}
	_, err := bt.tx.ExecContext(ctx, bt.sql(len(bt.args)/bt.cols), bt.args...)
	bt.args = bt.args[:0]
	return err
}
