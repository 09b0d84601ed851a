// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeOperations runs pactum serve as an operator would: the
// database and settings from PACTUM_ variables and a --config file, JSON
// logs, public metrics. After a fast-lane submission and an agent's
// heartbeat, /metrics counts the submission and the decision and shows
// the agent's last contact, `pactum sites agents` shows the site's agent
// and one never heard from, and each request was logged with its ID and
// user.
func TestServeOperations(t *testing.T) {
	dir := t.TempDir()
	token := initOnce(t, dir)
	cfg := filepath.Join(dir, "pactum.yaml")
	if err := os.WriteFile(cfg, []byte("addr: 127.0.0.1:0\nmetrics-public: true\nlog-format: json\nlog-level: info\nsweep-interval: 0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	senv := map[string]string{"PACTUM_CONFIG": cfg, "PACTUM_DATA": dir, "PACTUM_AGENT_SILENT_AFTER": "10m"}
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), &sout, &serr, func(k string) string { return senv[k] })
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d: %s", code, serr.String())
		}
	}()
	url := sout.waitFor(t, "http://")
	mgr := map[string]string{"PACTUM_SERVER": url, "PACTUM_TOKEN": token}
	w := registerApplicant(t, mgr)
	submitLex(t, w)

	ops, _ := as(t, mgr, "ops@cineca.example", "site_operator", "--site", "CINECA")
	req, _ := http.NewRequest("POST", url+"/api/v1/sites/CINECA/heartbeat", strings.NewReader(`{"cluster":"leonardo","holder":"login1:7","result":"ok"}`))
	req.Header.Set("Authorization", "Bearer "+ops["PACTUM_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "hb-0001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "hb-0001" {
		t.Fatalf("heartbeat: %d %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}

	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pactum_proposals_submitted_total{mode="fast_lane"} 1`,
		`pactum_decisions_total{by="screening",outcome="approved"} 1`,
		`pactum_time_to_decision_seconds_count{by="screening"} 1`,
		`pactum_agent_silent{cluster="leonardo",site="CINECA"} 0`,
		`pactum_agent_last_contact_timestamp_seconds{cluster="leonardo",site="CINECA"}`,
		`pactum_http_requests_total{code="200",route="POST /api/v1/sites/{site}/heartbeat"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	var agents struct {
		Items []struct {
			Site               string `json:"site"`
			Cluster            string `json:"cluster"`
			State              string `json:"state"`
			SilentAfterSeconds int    `json:"silent_after_seconds"`
		} `json:"items"`
	}
	cliJSON(t, mgr, &agents, "sites", "agents", "--json")
	states := map[string]string{}
	for _, a := range agents.Items {
		states[a.Site+"/"+a.Cluster] = a.State
		if a.SilentAfterSeconds != 600 {
			t.Errorf("threshold %d s, want PACTUM_AGENT_SILENT_AFTER's 600", a.SilentAfterSeconds)
		}
	}
	if states["CINECA/leonardo"] != "ok" || states["CSC/"] != "never" {
		t.Errorf("sites agents: %v", states)
	}
	if code, out, _ := cli(t, ops, "sites", "agents"); code != 0 || !strings.Contains(out, "LAST CONTACT") || !strings.Contains(out, "login1:7") || strings.Contains(out, "CSC") {
		t.Errorf("sites agents as CINECA's operator: %d\n%s", code, out)
	}

	// The log: JSON lines; the heartbeat's line has its ID and the user.
	var me struct {
		ID string `json:"id"`
	}
	cliJSON(t, ops, &me, "me", "--json")
	found := false
	sc := bufio.NewScanner(strings.NewReader(serr.String()))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if l["msg"] == "request" && l["request_id"] == "hb-0001" {
			found = l["user"] == me.ID && l["status"] == 200.0
		}
	}
	if !found {
		t.Errorf("no log line of the heartbeat with its user:\n%s", serr.String())
	}
}

type statusOnly int

func (s statusOnly) StatusCode() int { return int(s) }

// TestServerErrorShowsRequestID: the CLI prints a server error with the
// request ID to quote; a client error (the user's own to fix) without.
func TestServerErrorShowsRequestID(t *testing.T) {
	err := ok(statusOnly(500), []byte(`{"error":{"code":"internal","message":"Internal error.","request_id":"abc123"}}`))
	if got := errorText(err); got != "Internal error. (request ID abc123: quote it to the server's operator)" {
		t.Errorf("500: %q", got)
	}
	err = ok(statusOnly(400), []byte(`{"error":{"code":"invalid","message":"Bad.","request_id":"abc124"}}`))
	if got := errorText(err); got != "Bad." {
		t.Errorf("400: %q", got)
	}
}
