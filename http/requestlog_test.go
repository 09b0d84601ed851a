// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/sqlstore"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the JSON log lines with message msg.
func (l *lockedBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func getWithID(t *testing.T, url, token, requestID string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestRequestLog: every request is logged with its ID (the caller's when
// sane, else a new one, echoed in the response and in error bodies), the
// authenticated user, status and duration; a refused token is logged with
// the reason and without the token.
func TestRequestLog(t *testing.T) {
	var logs lockedBuffer
	e := newEnvWith(t, sqlstore.SQLite, sqlstore.Options{}, func(c *pactumhttp.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		c.Sites = nil // GET /api/v1/agents answers 500: an internal error to trace
	})

	resp, body := getWithID(t, e.url+"/api/v1/me", e.token, "proxy-4711")
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "proxy-4711" {
		t.Fatalf("me: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	var me struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &me); err != nil || me.ID == "" {
		t.Fatalf("me: %v %s", err, body)
	}

	// A hostile ID is replaced, not logged.
	var generated string
	for _, hostile := range []string{`x" forged="1`, strings.Repeat("a", 129)} {
		resp, _ = getWithID(t, e.url+"/api/v1/me", e.token, hostile)
		generated = resp.Header.Get("X-Request-Id")
		if len(generated) != 24 || generated == hostile {
			t.Errorf("hostile request ID %q gave %q", hostile, generated)
		}
	}

	const secret = "pt_not-a-real-token-0123456789"
	resp, body = getWithID(t, e.url+"/api/v1/me", secret, "")
	id := resp.Header.Get("X-Request-Id")
	var eb struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != 401 || id == "" || eb.Error.RequestID != id {
		t.Fatalf("bad token: %d, header %q, body %s", resp.StatusCode, id, body)
	}

	// An internal error: the caller gets the ID, the log has the detail
	// under the same ID.
	resp, body = getWithID(t, e.url+"/api/v1/agents", e.token, "trace-500")
	if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != 500 || eb.Error.RequestID != "trace-500" {
		t.Errorf("internal error: %d %s", resp.StatusCode, body)
	}
	internal := logs.lines(t, "internal error")
	if len(internal) != 1 || internal[0]["request_id"] != "trace-500" || !strings.Contains(internal[0]["err"].(string), "no usage accounting") {
		t.Errorf("internal error logged: %v", internal)
	}

	byID := map[string]map[string]any{}
	for _, l := range logs.lines(t, "request") {
		byID[l["request_id"].(string)] = l
	}
	if l := byID["proxy-4711"]; l == nil || l["user"] != me.ID || l["status"] != 200.0 || l["route"] != "GET /api/v1/me" || l["duration_ms"] == nil {
		t.Errorf("request log of proxy-4711: %v", l)
	}
	if l := byID["trace-500"]; l == nil || l["level"] != "ERROR" || l["status"] != 500.0 {
		t.Errorf("request log of the internal error: %v", l)
	}
	if byID[generated] == nil {
		t.Errorf("no log line with the generated ID %s", generated)
	}
	if l := byID[id]; l == nil || l["user"] != "" || l["status"] != 401.0 {
		t.Errorf("request log of the refused token: %v", l)
	}
	fails := logs.lines(t, "authentication failed")
	if len(fails) != 1 || fails[0]["request_id"] != id || fails[0]["auth"] != "token" || fails[0]["reason"] != "Invalid API token." {
		t.Errorf("authentication failures logged: %v", fails)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the log holds the refused token")
	}
}
