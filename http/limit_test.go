// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// get sends GET path with token (none when empty) and returns the status,
// the headers and the body, read to the end.
func get(t *testing.T, e *env, path, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// tokenFor creates a user with the manager's client and returns a token of
// theirs.
func (e *env) tokenFor(t *testing.T, in client.UserInput) string {
	t.Helper()
	ctx := context.Background()
	ur, err := e.manager.CreateUserWithResponse(ctx, in)
	want(t, ur, err, 201, ur.Body)
	tr, err := e.manager.CreateTokenWithResponse(ctx, ur.JSON201.Id, client.TokenInput{Name: "test"})
	want(t, tr, err, 201, tr.Body)
	return tr.JSON201.Secret
}

// wantTooMany checks a 429 answer: a Retry-After header and the error body
// with the code too_many.
func wantTooMany(t *testing.T, status int, h http.Header, body []byte, retryAfter string) {
	t.Helper()
	var eb struct{ Error pactum.Error }
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != retryAfter ||
		json.Unmarshal(body, &eb) != nil || eb.Error.Code != pactum.ETOOMANY || eb.Error.Message == "" {
		t.Fatalf("want 429 with Retry-After %s and code %s, got %d %q %s", retryAfter, pactum.ETOOMANY, status, h.Get("Retry-After"), body)
	}
}

// TestProbes: /livez, /readyz and /healthz answer without a token.
func TestProbes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		for _, p := range []string{"/livez", "/readyz", "/healthz"} {
			status, _, body := get(t, e, p, "")
			if status != 200 || string(body) != `{"status":"ok"}`+"\n" && string(body) != `{"status":"ok"}` {
				t.Errorf("%s: %d %s", p, status, body)
			}
		}
	})
}

// TestReadyWhilePoolHeld: with every connection of the store's pools held
// by open read transactions and list requests queued behind them, /readyz
// still answers 200 (it waited for a pooled connection and answered 503
// before), and the lists complete once the transactions end.
func TestReadyWhilePoolHeld(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		const conns = 2
		e := newEnvWith(t, dialect, sqlstore.Options{Readers: conns, MaxConns: conns}, nil)
		ctx := context.Background()
		var held []pactum.ReadTx
		for range conns {
			tx, err := e.db.BeginRead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, tx)
		}
		release := func() {
			for _, tx := range held {
				tx.Rollback()
			}
			held = nil
		}
		defer release()

		const lists = 16
		done := make(chan int, lists)
		for range lists {
			go func() {
				resp, err := e.manager.ListCallsWithResponse(ctx, &client.ListCallsParams{Limit: ptr(1000)})
				if err != nil {
					done <- -1
					return
				}
				done <- resp.StatusCode()
			}()
		}
		for range 5 {
			if status, _, body := get(t, e, "/readyz", ""); status != 200 {
				t.Fatalf("/readyz with the pool held: %d %s", status, body)
			}
		}
		select {
		case s := <-done:
			t.Fatalf("a list request finished (%d) while every connection was held: the test holds nothing", s)
		default:
		}
		release()
		for range lists {
			if s := <-done; s != 200 {
				t.Fatalf("list request after release: %d", s)
			}
		}
	})
}

// TestRateLimit: past its budget a user's requests are answered 429 with
// Retry-After; other users, probes and /metrics are not limited.
func TestRateLimit(t *testing.T) {
	const budget = 6
	e := newEnvWith(t, sqlstore.SQLite, sqlstore.Options{}, func(c *pactumhttp.Config) {
		c.Limits = pactumhttp.Limits{Requests: budget, Window: time.Minute}
	})
	// The manager spends two requests of its budget here.
	tok := e.tokenFor(t, client.UserInput{Email: "rita@eurohpc.example", Name: "Rita Reviewer", Role: client.Reviewer})
	for i := range budget {
		if status, _, body := get(t, e, "/api/v1/me", tok); status != 200 {
			t.Fatalf("request %d within the budget: %d %s", i+1, status, body)
		}
	}
	status, h, body := get(t, e, "/api/v1/me", tok)
	wantTooMany(t, status, h, body, "60")
	if status, _, body := get(t, e, "/api/v1/me", e.token); status != 200 {
		t.Fatalf("another user is limited too: %d %s", status, body)
	}
	for _, p := range []string{"/livez", "/readyz", "/healthz"} {
		if status, _, _ := get(t, e, p, tok); status != 200 {
			t.Errorf("%s is rate limited: %d", p, status)
		}
	}
	for range budget {
		if status, _, _ := get(t, e, "/metrics", e.token); status != 200 {
			t.Fatalf("/metrics is rate limited: %d", status)
		}
	}
}

// blockingCalls holds FindCalls until release is closed, telling entered
// when a request is inside.
type blockingCalls struct {
	pactum.CallService
	entered chan struct{}
	release chan struct{}
}

func (b *blockingCalls) FindCalls(ctx context.Context, f pactum.CallFilter) ([]*pactum.Call, int, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.CallService.FindCalls(ctx, f)
}

// TestInFlightCap: a user with as many requests running as the cap allows
// gets 429 with Retry-After for the next, while other users are served;
// when one finishes, the next is admitted.
func TestInFlightCap(t *testing.T) {
	block := &blockingCalls{entered: make(chan struct{}), release: make(chan struct{})}
	e := newEnvWith(t, sqlstore.SQLite, sqlstore.Options{}, func(c *pactumhttp.Config) {
		c.Limits = pactumhttp.Limits{InFlight: 1}
		block.CallService = c.Calls
		c.Calls = block
	})
	other := e.tokenFor(t, client.UserInput{Email: "rita@eurohpc.example", Name: "Rita Reviewer", Role: client.Reviewer})
	first := make(chan int)
	go func() {
		status, _, _ := get(t, e, "/api/v1/calls", e.token)
		first <- status
	}()
	<-block.entered
	status, h, body := get(t, e, "/api/v1/me", e.token)
	wantTooMany(t, status, h, body, "1")
	if status, _, body := get(t, e, "/api/v1/me", other); status != 200 {
		t.Fatalf("another user was refused: %d %s", status, body)
	}
	close(block.release)
	if s := <-first; s != 200 {
		t.Fatalf("the held request: %d", s)
	}
	if status, _, body := get(t, e, "/api/v1/me", e.token); status != 200 {
		t.Fatalf("after the held request finished: %d %s", status, body)
	}
}

// TestMetricsAuth: /metrics needs an access manager's or auditor's token
// by default, and none with PublicMetrics.
func TestMetricsAuth(t *testing.T) {
	e := newEnv(t, sqlstore.SQLite)
	reviewer := e.tokenFor(t, client.UserInput{Email: "rita@eurohpc.example", Name: "Rita Reviewer", Role: client.Reviewer})
	auditor := e.tokenFor(t, client.UserInput{Email: "aldo@eurohpc.example", Name: "Aldo Auditor", Role: client.Auditor})
	for _, c := range []struct {
		token  string
		status int
	}{{"", 401}, {"pct_wrong", 401}, {reviewer, 403}, {auditor, 200}, {e.token, 200}} {
		if status, _, body := get(t, e, "/metrics", c.token); status != c.status {
			t.Errorf("/metrics with token %.8q: %d, want %d: %.200s", c.token, status, c.status, body)
		}
	}
	pub := newEnvWith(t, sqlstore.SQLite, sqlstore.Options{}, func(c *pactumhttp.Config) { c.PublicMetrics = true })
	get(t, pub, "/livez", "")
	if status, _, body := get(t, pub, "/metrics", ""); status != 200 || !strings.Contains(string(body), "pactum_http_requests_total") {
		t.Errorf("public /metrics: %d %.200s", status, body)
	}
}
