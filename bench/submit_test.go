// SPDX-License-Identifier: EUPL-1.2

package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// clients is how many concurrent API clients submit; enough to keep both
// cores busy while requests wait on the network and the single SQLite
// writer.
const clients = 16

// setup starts a server on a fresh database of dialect (SQLite in a new
// data directory, or a new PostgreSQL database when PACTUM_TEST_POSTGRES
// names a server) with a call, and returns the base URL, applicant
// tokens, the SQLite file's path ("" on PostgreSQL) and the call.
func setup(b *testing.B, dialect string) (string, []string, string, string) {
	b.Helper()
	urls, tokens, path, callID := setupInstances(b, dialect, 1)
	return urls[0], tokens, path, callID
}

// setupInstances is setup with n server instances on the one database,
// each with its own store handle (pool, audit sequencer) and HTTP server,
// as n processes behind a load balancer would be; it returns their URLs.
func setupInstances(b *testing.B, dialect string, n int) ([]string, []string, string, string) {
	b.Helper()
	dsn := storetest.DSN(b, dialect)
	path := ""
	if dialect == sqlstore.SQLite {
		path = dsn
	}
	rs, err := policy.Default()
	if err != nil {
		b.Fatal(err)
	}
	var urls []string
	var first *sqlstore.DB
	var users *usecase.App
	for range n {
		db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		app := storetest.App(b, db, policy.NewScreener(rs), nil)
		cfg := pactumhttp.Config{}
		cfg.Serve(app)
		srv, err := pactumhttp.NewServer(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Open("127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { srv.Close() })
		urls = append(urls, srv.URL())
		if first == nil {
			first, users = db, app
		}
	}
	f := storetest.Seed(b, first, time.Now())
	var tokens []string
	for _, u := range []*pactum.User{f.ApplicantA, f.ApplicantB} {
		_, secret, err := users.CreateToken(storetest.As(u), u.ID, "bench", nil, "")
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, secret)
	}
	return urls, tokens, path, f.Call.ID
}

// body is the proposal every submission sends: the fixture's fast-lane
// proposal, asking for one GPU-hour so that no run exhausts Leonardo's
// capacity and every submission takes the same path (approval plus an
// allocation).
func body(b *testing.B, callID string) []byte {
	p := storetest.NewProposal(callID)
	p.Requests[0].Amount = 1
	var in client.ProposalInput
	raw, _ := json.Marshal(p)
	if err := json.Unmarshal(raw, &in); err != nil {
		b.Fatal(err)
	}
	out, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkSubmitHTTP measures POST /api/v1/proposals?submit=true: JSON
// decoding, token authentication, validation, screening against the full
// ruleset, routing, the approval's allocation and five audit events, all in
// one transaction, from 16 concurrent clients over loopback, on each
// engine (sub-benchmarks sqlite and postgres; PostgreSQL needs
// PACTUM_TEST_POSTGRES, as the store tests do).
//
// postgres-2inst runs two server instances on the one PostgreSQL database, the
// clients taking turns between them. On one machine the instances share
// its cores with each other and with PostgreSQL, so this measures that two
// instances add no contention of their own, not the gain of a second
// machine.
func BenchmarkSubmitHTTP(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) { benchSubmitHTTP(b, dialect, 1) })
	}
	b.Run(sqlstore.Postgres+"-2inst", func(b *testing.B) { benchSubmitHTTP(b, sqlstore.Postgres, 2) })
}

func benchSubmitHTTP(b *testing.B, dialect string, instances int) {
	urls, tokens, path, callID := setupInstances(b, dialect, instances)
	payload := body(b, callID)
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := "Bearer " + tokens[w%len(tokens)]
			url := urls[w%len(urls)]
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequest("POST", url+"/api/v1/proposals?submit=true", bytes.NewReader(payload))
				req.Header.Set("Authorization", token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					failed.Add(1)
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d submissions failed", n, b.N)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submissions/s")
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
	if st, err := os.Stat(path + "-wal"); path != "" && err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "wal-MiB")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkBareInsert inserts the rows one API submission leaves behind (the
// proposal, its request, its allocation and five audit events, same sizes)
// straight into the same kind of database with prepared statements, from
// one goroutine (SQLite has one writer anyway): the floor under the API's
// cost, without HTTP, JSON, authentication, validation, screening or
// hashing. "tx" gives
// each submission its own transaction, as a naive store would; "grouped"
// commits up to 64 submissions at once, as pactum's writer does.
// SQLite only: on PostgreSQL the comparable floor is pgbench on the same
// server (scripts/bench/pgbench.sh).
func BenchmarkBareInsert(b *testing.B) {
	for _, group := range []int{1, 64} {
		name := "tx"
		if group > 1 {
			name = "grouped"
		}
		b.Run(name, func(b *testing.B) { bareInsert(b, group) })
	}
}

func bareInsert(b *testing.B, group int) {
	_, _, path, callID := setup(b, sqlstore.SQLite)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"+
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-32768)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var orgID, userID string
	if err := db.QueryRow(`SELECT organization_id, id FROM users WHERE role = 'applicant' LIMIT 1`).Scan(&orgID, &userID); err != nil {
		b.Fatal(err)
	}
	var seq int64
	if err := db.QueryRow(`SELECT seq FROM audit_head`).Scan(&seq); err != nil {
		b.Fatal(err)
	}
	p := storetest.NewProposal(callID)
	content, _ := json.Marshal(p)
	snapshot := string(content) // the proposal.create event carries the whole proposal
	screening := `{"outcome":"approve","findings":[],"ruleset_version":"x","ruleset_hash":"x"}`
	stmts := map[string]*sql.Stmt{}
	for name, q := range map[string]string{
		"proposal": `INSERT INTO proposals (id, call_id, organization_id, applicant_id, mode, title, state, content, screening, decision,
			submitted_at, decision_due_at, created_at, updated_at, version) VALUES ($1, $2, $3, $4, 'fast_lane', 'bench', 'approved', $5, $6, '{}', $7, $7, $7, $7, 1)`,
		"request":    `INSERT INTO proposal_requests (proposal_id, system_id, amount, storage_tb, support) VALUES ($1, 'leonardo-booster', 1, 20, '')`,
		"allocation": `INSERT INTO allocations (id, proposal_id, call_id, organization_id, system_id, amount, unit, starts_at, ends_at, state, conditions, created_at, updated_at, version) VALUES ($1, $2, $3, $4, 'leonardo-booster', 1, 'gpu_hours', $5, $5, 'pending_provisioning', '[]', $5, $5, 1)`,
		"event": `INSERT INTO audit_events (seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash)
			VALUES ($1, $2, $3, $4, 'proposal.bench', 'proposal', $5, 'null', $6, '0000000000000000000000000000000000000000000000000000000000000000', '0000000000000000000000000000000000000000000000000000000000000000')`,
	} {
		if stmts[name], err = db.Prepare(q); err != nil {
			b.Fatal(err)
		}
	}
	insertOne := func(tx *sql.Tx) error {
		now := time.Now().UTC()
		id := uuid.Must(uuid.NewV7()).String()
		if _, err := tx.Stmt(stmts["proposal"]).Exec(id, callID, orgID, userID, string(content), screening, now); err != nil {
			return err
		}
		if _, err := tx.Stmt(stmts["request"]).Exec(id); err != nil {
			return err
		}
		if _, err := tx.Stmt(stmts["allocation"]).Exec(uuid.Must(uuid.NewV7()).String(), id, callID, orgID, now); err != nil {
			return err
		}
		for i := range 5 {
			seq++
			after := fmt.Sprintf(`{"state":"s%d"}`, i)
			if i == 0 {
				after = snapshot
			}
			if _, err := tx.Stmt(stmts["event"]).Exec(seq, uuid.Must(uuid.NewV7()).String(), now, userID, id, after); err != nil {
				return err
			}
		}
		return nil
	}
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < group && done < b.N; k++ {
			if err := insertOne(tx); err != nil {
				b.Fatal(err)
			}
			done++
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submissions/s")
}
