// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/mail/mailtest"
)

// TestNotificationDeliveryCLI: webhooks create (secret once), list and
// delete; preferences set and list; deliveries list and retry, with
// their exit codes.
func TestNotificationDeliveryCLI(t *testing.T) {
	mgr := serveFresh(t)
	var hook struct {
		ID     string   `json:"id"`
		Secret string   `json:"secret"`
		Kinds  []string `json:"kinds"`
	}
	clu(t, mgr, &hook, "notifications", "webhooks", "create", "--name", "CSC intake", "--site", "CSC",
		"--url", "https://hooks.csc.example/p", "--kinds", "proposal.decision,incident", "--json")
	if !strings.HasPrefix(hook.Secret, "whsec_") || len(hook.Kinds) != 2 {
		t.Fatalf("created: %+v", hook)
	}
	if out := clu(t, mgr, nil, "notifications", "webhooks", "list"); !strings.Contains(out, hook.ID) || strings.Contains(out, hook.Secret) {
		t.Errorf("list: %s", out)
	}
	if code, _, stderr := cli(t, mgr, "notifications", "webhooks", "create", "--name", "x", "--url", "ftp://x/"); code != exitInvalid ||
		!strings.Contains(stderr, "url") {
		t.Errorf("ftp URL: %d %s", code, stderr)
	}
	if out := clu(t, mgr, nil, "notifications", "preferences", "set", "incident", "--email=false"); !strings.Contains(out, "incident") ||
		!strings.Contains(out, "e-mail off") {
		t.Errorf("preferences set: %s", out)
	}
	var prefs struct {
		Items []struct {
			Kind  string `json:"kind"`
			Email bool   `json:"email"`
		} `json:"items"`
	}
	clu(t, mgr, &prefs, "notifications", "preferences", "list", "--json")
	for _, p := range prefs.Items {
		if p.Email == (p.Kind == "incident") {
			t.Errorf("preference %+v", p)
		}
	}
	if code, _, stderr := cli(t, mgr, "notifications", "preferences", "set", "nope", "--email=false"); code != exitInvalid {
		t.Errorf("unknown kind: %d %s", code, stderr)
	}
	if out := clu(t, mgr, nil, "notifications", "deliveries", "list", "--state", "dead"); !strings.Contains(out, "No deliveries.") {
		t.Errorf("dead letters: %s", out)
	}
	if code, _, stderr := cli(t, mgr, "notifications", "deliveries", "retry", "nope"); code != exitNotFound {
		t.Errorf("retry unknown: %d %s", code, stderr)
	}
	clu(t, mgr, nil, "notifications", "webhooks", "delete", hook.ID)
	if code, _, stderr := cli(t, mgr, "notifications", "webhooks", "delete", hook.ID); code != exitNotFound {
		t.Errorf("delete twice: %d %s", code, stderr)
	}
}

// TestServeDeliversEmail: pactum serve with an SMTP server e-mails a
// submission's notices (receipt, screening, fast-lane decision) to the
// applicant through the real test SMTP server, each once.
func TestServeDeliversEmail(t *testing.T) {
	srv := mailtest.Get(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	from := "pactum@t" + hex.EncodeToString(b) + ".pactum.test"
	dir := t.TempDir()
	var boot struct {
		Token string `json:"token"`
	}
	cliJSON(t, nil, &boot, "init", "--data", dir, "--email", "mara@eurohpc.example", "--json")
	mgr := map[string]string{"PACTUM_SERVER": serveData(t, dir, "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port),
		"--smtp-from", from, "--smtp-tls", "none", "--delivery-poll", "50ms"), "PACTUM_TOKEN": boot.Token}
	w := registerApplicant(t, mgr)
	clu(t, w.app, nil, "proposals", "create", "--file", w.proposalFile, "--submit")
	var msgs []mailtest.Message
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if msgs, _ = srv.Search(t, "from:"+from, 100); len(msgs) >= 3 {
			break
		}
	}
	subjects := map[string]int{}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0].Address != "ada@aleph.example" {
			t.Errorf("mail to %+v", m.To)
		}
		subjects[strings.SplitN(m.Subject, ":", 2)[0]]++
	}
	if len(msgs) != 3 || subjects["[pactum] Proposal received"] != 1 || subjects["[pactum] Screening of “Lex-7B”"] != 1 ||
		subjects["[pactum] Decision on “Lex-7B”"] != 1 {
		t.Fatalf("mails: %v", subjects)
	}
	var dl struct {
		Total int `json:"total"`
	}
	clu(t, mgr, &dl, "notifications", "deliveries", "list", "--state", "delivered", "--json")
	if dl.Total != 3 {
		t.Errorf("%d deliveries delivered", dl.Total)
	}
}
