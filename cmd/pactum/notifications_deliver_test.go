// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"strings"
	"testing"
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
