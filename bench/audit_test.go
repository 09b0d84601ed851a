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
	"syscall"
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
// 1,000,000 on SQLite, 100,000 on PostgreSQL) about a fifth of as many
// organizations, each created, and as many users, each created and given
// three usernames in turn, the rows holding what the last event says. PACTUM_BENCH_AUDIT_DB names a SQLite file to
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
			rows := 2 * max(n/eventsPerOrg, 1) // organizations and their users
			if n < 2*max(n/eventsPerOrg, 1) {
				rows = n
			}
			ctx := context.Background()
			b.Run("chain", func(b *testing.B) {
				defer cpuPerOp(b)()
				for b.Loop() {
					r, err := usecase.VerifyAudit(ctx, db)
					if err != nil || !r.OK || r.Events != int64(n) {
						b.Fatalf("%+v %v", r, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
			// events is the path verification took before AuditRow: every
			// event decoded into a pactum.AuditEvent, its time parsed and
			// formatted again, and hashed field by field; for comparison.
			b.Run("events", func(b *testing.B) {
				defer cpuPerOp(b)()
				for b.Loop() {
					v := audit.NewVerifier()
					err := pactum.View(ctx, db, func(q pactum.Queries) error { return q.ScanAuditEvents(ctx, v.Add) })
					if r := v.Report(int64(n), ""); err != nil || r.Events != int64(n) {
						b.Fatalf("%+v %v", r, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
			b.Run("state", func(b *testing.B) {
				defer cpuPerOp(b)()
				for b.Loop() {
					r, err := usecase.VerifyAuditState(ctx, db, nil)
					if err != nil || !r.OK || r.Events != int64(n) || r.State.Rows != int64(rows) {
						b.Fatalf("%+v %+v %+v %v", r, r.State, r.State.First, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		})
	}
}

// cpuPerOp reports the process's CPU time (user and system) per
// operation, which, unlike the wall time, a machine shared with other work
// does not inflate. Call the function it returns when the loop ends.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// seedAudit writes n chained events and the rows they describe in one
// transaction, many rows a statement: for each of n/eventsPerOrg
// organizations, its creation, the creation of one of its applicants and
// three changes of the applicant's cluster username, interleaved across
// organizations as concurrent use would.
func seedAudit(ctx context.Context, rdb *sql.DB, n int) error {
	tx, err := rdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	orgs := max(n/eventsPerOrg, 1)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	os := make([]*pactum.Organization, orgs)
	us := make([]*pactum.User, orgs)
	prev := audit.Genesis
	const batch = 50
	ev := newBatcher(tx, `INSERT INTO audit_events (seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash) VALUES `, 11, batch)
	for seq := 1; seq <= n; seq++ {
		i, step := (seq-1)%orgs, (seq-1)/orgs
		var e *pactum.AuditEvent
		var err error
		switch {
		case step == 0:
			o := &pactum.Organization{ID: fmt.Sprintf("org-%08d", i), LegalName: fmt.Sprintf("Benchmark Robotics %d GmbH", i), Country: "DE",
				RegistrationNumber: fmt.Sprintf("HRB %d", 100000+i), FoundedOn: pactum.MustDate("2019-03-14"), Staff: 12,
				TurnoverEUR: 1_200_000, BalanceSheetEUR: 900_000, CreatedAt: base.Add(time.Duration(i) * time.Second)}
			os[i] = o
			e, err = pactum.NewAuditEvent("user-bench", "organization.create", "organization", o.ID, nil, o)
		case step == 1:
			u := &pactum.User{ID: fmt.Sprintf("user-%08d", i), Email: fmt.Sprintf("ada%d@robotics%d.example", i, i), Name: fmt.Sprintf("Ada Applicant %d", i),
				Role: pactum.RoleApplicant, OrganizationID: os[i].ID, CreatedAt: base.Add(time.Duration(i) * time.Second)}
			us[i] = u
			e, err = pactum.NewAuditEvent("user-bench", "user.create", "user", u.ID, nil, u)
		default:
			before := *us[i]
			us[i].Username = fmt.Sprintf("ada%d_%d", i, step)
			e, err = pactum.NewAuditEvent("user-bench", "user.set_username", "user", us[i].ID, &before, us[i])
		}
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
	for _, o := range os {
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
	ug := newBatcher(tx, `INSERT INTO users (id, email, name, role, organization_id, site, username, created_at) VALUES `, 8, batch)
	for _, u := range us {
		if u == nil {
			continue
		}
		if err := ug.add(ctx, u.ID, u.Email, u.Name, u.Role, u.OrganizationID, u.Site, u.Username, u.CreatedAt); err != nil {
			return err
		}
	}
	if err := ug.flush(ctx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, n, prev); err != nil {
		return err
	}
	return tx.Commit()
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
