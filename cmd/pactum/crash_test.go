// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestCrashConsistency runs the real binary, kills it with SIGKILL in the
// middle of concurrent submissions sent with Idempotency-Keys, restarts it
// and checks what a client may rely on: every acknowledged proposal is
// there; every unacknowledged request, retried with its key, resolves to
// exactly one proposal (the committed one, or one made by the retry); and
// the audit chain verifies.
func TestCrashConsistency(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "pactum")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			store := []string{"--data", t.TempDir()}
			if dialect == sqlstore.Postgres {
				store = []string{"--db", storetest.DSN(t, dialect)}
			}
			crashAndRecover(t, bin, store)
		})
	}
}

// crashWorkers submit concurrently; crashAfter acknowledged submissions the
// server is killed.
const crashWorkers, crashAfter = 8, 40

func crashAndRecover(t *testing.T, bin string, store []string) {
	var boot struct {
		Token string `json:"token"`
	}
	out, err := exec.Command(bin, append([]string{"init", "--email", "mara@eurohpc.example", "--json"}, store...)...).Output()
	if err != nil || json.Unmarshal(out, &boot) != nil {
		t.Fatalf("init: %v %s", err, out)
	}
	addr := freeAddr(t)
	srv := startServer(t, bin, store, addr)
	mgr := map[string]string{"PACTUM_SERVER": srv.url, "PACTUM_TOKEN": boot.Token}
	org := createAleph(t, mgr)
	var call struct {
		ID string `json:"id"`
	}
	cliJSON(t, mgr, &call, "calls", "create", "--title", "AI Factories", "--cutoff", cutoffAhead(), "--system", "leonardo-booster", "--json")
	app, _ := as(t, mgr, "ada@aleph.example", "applicant", "--org", org)
	l := &load{url: srv.url, token: app["PACTUM_TOKEN"], call: call.ID, acked: map[string]string{}, unacked: map[string]bool{}}

	l.run(crashAfter, srv.kill)
	if l.refused != "" {
		t.Fatalf("a submission was refused: %s", l.refused)
	}
	t.Logf("killed with %d submissions acknowledged, %d unacknowledged", len(l.acked), len(l.unacked))
	if len(l.acked) < crashAfter {
		t.Fatalf("only %d submissions acknowledged before the kill", len(l.acked))
	}

	srv = startServer(t, bin, store, addr)
	for key, id := range l.acked {
		if code, _ := l.do(http.MethodGet, "/api/v1/proposals/"+id, "", nil); code != http.StatusOK {
			t.Errorf("acknowledged proposal %s (key %s): GET answered %d after the restart", id, key, code)
		}
	}
	resolved, replayed := map[string]string{}, 0
	for key := range l.unacked {
		id, r := l.retry(t, key)
		resolved[key] = id
		if r {
			replayed++
		}
	}
	t.Logf("of %d unacknowledged requests, %d had committed (answer replayed), %d were done by the retry",
		len(l.unacked), replayed, len(l.unacked)-replayed)
	// Exactly one proposal per key, whoever made it.
	titles := l.titles(t)
	for key := range l.acked {
		if titles[l.title(key)] != 1 {
			t.Errorf("key %s: %d proposals, want 1", key, titles[l.title(key)])
		}
	}
	for key := range l.unacked {
		if titles[l.title(key)] != 1 {
			t.Errorf("retried key %s (answered %s): %d proposals, want 1", key, resolved[key], titles[l.title(key)])
		}
	}
	if total := len(l.acked) + len(l.unacked); len(titles) != total {
		t.Errorf("%d distinct proposals for %d keys", len(titles), total)
	}

	srv.stop(t)
	if out, err := exec.Command(bin, append([]string{"audit", "verify", "--state", "--json"}, store...)...).CombinedOutput(); err != nil {
		t.Fatalf("audit verify --state after the crash: %v\n%s", err, out)
	}
}

// load is the clients' side: what was acknowledged (key → proposal ID) and
// what was sent without an answer.
type load struct {
	url, token, call string
	mu               sync.Mutex
	next             int
	acked            map[string]string
	unacked          map[string]bool
	refused          string // the answer that stopped a client, if one was refused
}

func (l *load) title(key string) string { return "Lex-7B " + key }

func (l *load) body(key string) []byte {
	p := lexProposal(l.call)
	p["title"] = l.title(key)
	b, _ := json.Marshal(p)
	return b
}

// do sends one request; code 0 means no answer arrived.
func (l *load) do(method, path, key string, body []byte) (int, []byte) {
	code, b, _ := l.send(method, path, key, body)
	return code, b
}

// send is do that also returns the answer's headers.
func (l *load) send(method, path, key string, body []byte) (int, []byte, http.Header) {
	req, err := http.NewRequest(method, l.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil
	}
	return resp.StatusCode, b, resp.Header
}

// run submits from crashWorkers goroutines until the server stops
// answering, calling kill once n submissions have been acknowledged.
func (l *load) run(n int, kill func()) {
	var wg sync.WaitGroup
	var once sync.Once
	for range crashWorkers {
		wg.Go(func() {
			for {
				l.mu.Lock()
				l.next++
				key := fmt.Sprintf("crash-%04d", l.next)
				l.mu.Unlock()
				code, b := l.do(http.MethodPost, "/api/v1/proposals?submit=true", key, l.body(key))
				var p struct {
					ID string `json:"id"`
				}
				l.mu.Lock()
				if code == http.StatusCreated && json.Unmarshal(b, &p) == nil && p.ID != "" {
					l.acked[key] = p.ID
				} else {
					l.unacked[key] = true
				}
				enough := len(l.acked) >= n
				l.mu.Unlock()
				if code == 0 {
					return // the server is gone
				}
				if code >= 400 && code < 500 && code != http.StatusConflict && code != http.StatusTooManyRequests {
					// A refused request would be refused forever: stop
					// rather than spin until the test times out.
					l.mu.Lock()
					l.refused = fmt.Sprintf("HTTP %d: %s", code, b)
					l.mu.Unlock()
					return
				}
				if enough {
					once.Do(kill)
				}
			}
		})
	}
	wg.Wait()
}

// retry resends key's request until it resolves: 201, the committed answer
// (replayed) or the work done now. 409 means another holder still has the
// claim (on PostgreSQL, until the killed server's session is gone).
func (l *load) retry(t *testing.T, key string) (id string, replayed bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, b, h := l.send(http.MethodPost, "/api/v1/proposals?submit=true", key, l.body(key))
		if code == http.StatusCreated {
			var p struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(b, &p); err != nil || p.ID == "" {
				t.Fatalf("retry of %s: %s", key, b)
			}
			return p.ID, h.Get("Idempotent-Replayed") == "true"
		}
		if code != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("retry of %s after the restart: HTTP %d %s", key, code, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// titles counts the applicant's proposals by title.
func (l *load) titles(t *testing.T) map[string]int {
	t.Helper()
	code, b := l.do(http.MethodGet, "/api/v1/proposals?limit=1000", "", nil)
	var list struct {
		Items []struct {
			Title string `json:"title"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if code != http.StatusOK || json.Unmarshal(b, &list) != nil || list.Total != len(list.Items) {
		t.Fatalf("list proposals: %d %s", code, b)
	}
	out := map[string]int{}
	for _, p := range list.Items {
		out[p.Title]++
	}
	return out
}

// server is a "pactum serve" process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan struct{} // closed once the process has exited, with err
	err    error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, bin string, store []string, addr string) *server {
	t.Helper()
	var stdout syncBuffer
	s := &server{stderr: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, store...)...)
	s.cmd.Stdout, s.cmd.Stderr = &stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	s.url = stdout.waitFor(t, "http://")
	return s
}

// kill stops the server as a crash would: SIGKILL, no shutdown.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop shuts the server down cleanly and checks it exited well.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if s.err != nil {
		t.Errorf("serve: %v\n%s", s.err, s.stderr.String())
	}
}
