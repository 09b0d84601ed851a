// SPDX-License-Identifier: EUPL-1.2

// Command csvrss measures the memory of streaming a CSV export: it serves
// the API in process over a database bench/scalegen filled, asks for the
// time to access of every proposal as CSV (GET
// /api/v1/reports/time-to-access?format=csv, one row per proposal) and
// reads it to the end, then prints the rows, the bytes and the process's
// peak resident set (VmHWM of /proc/self/status) before and after. The
// server writes each row as the store reads it and the client discards
// it, so the peak grows by far less than the CSV's size: the export holds
// one row at a time (compare the peak's growth with the megabytes sent).
//
//	go run ./bench/csvrss -db /tmp/scale.db
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
)

func main() {
	dsn := flag.String("db", "", "a database bench/scalegen filled: SQLite path or PostgreSQL URL (required)")
	flag.Parse()
	if *dsn == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "csvrss:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string) error {
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer db.Close()
	rubric, err := catalog.Rubric()
	if err != nil {
		return err
	}
	app := usecase.New(usecase.Config{Store: db, Screener: mock.Approving(), Allocator: allocate.New(solver.Options{}), Rubric: rubric})
	users, _, err := db.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Email: ptr("manager@scale.example")})
	if err != nil || len(users) != 1 {
		return fmt.Errorf("the scalegen manager: %v (%d found)", err, len(users))
	}
	_, secret, err := app.CreateToken(pactum.NewContextWithUser(ctx, users[0]), users[0].ID, "csvrss", nil, "")
	if err != nil {
		return err
	}
	cfg := pactumhttp.Config{Health: db.Ping}
	cfg.Serve(app)
	srv, err := pactumhttp.NewServer(cfg)
	if err != nil {
		return err
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		return err
	}
	defer srv.Close()

	get := func(path string) (rows, bytes int64, err error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			return 0, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadSlice('\n')
			bytes += int64(len(line))
			if len(line) > 0 && line[len(line)-1] == '\n' {
				rows++
			}
			if err == io.EOF {
				return rows, bytes, nil
			} else if err != nil && err != bufio.ErrBufferFull {
				return rows, bytes, err
			}
		}
	}
	// Warm up: the server, the statement cache, the first pages.
	if _, _, err := get("/api/v1/reports/overdue-proposals"); err != nil {
		return err
	}
	runtime.GC()
	before := vmHWM()
	rows, n, err := get("/api/v1/reports/time-to-access?format=csv")
	if err != nil {
		return err
	}
	after := vmHWM()
	fmt.Printf("rows %d (header included), %.1f MB of CSV\n", rows, float64(n)/1e6)
	fmt.Printf("peak RSS (VmHWM) before the export %s, after %s\n", before, after)
	return nil
}

// vmHWM is the process's peak resident set so far, as the kernel reports
// it.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func ptr[T any](v T) *T { return &v }
