// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentFiles: the token file must be private, the config file must
// name the agent's flags, and status needs a state to show.
func TestAgentFiles(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("pct_secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, nil, "agent", "--site", "CSC", "--state-dir", dir, "--token-file", tok, "--cluster", "lumi")
	if code == 0 || !strings.Contains(stderr, "0644") || !strings.Contains(stderr, "chmod 600") {
		t.Errorf("group-readable token file: exit %d %s", code, stderr)
	}
	conf := filepath.Join(dir, "agent.conf")
	if err := os.WriteFile(conf, []byte("# agent\nsite = CSC\nnonsense = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, nil, "agent", "--config", conf)
	if code == 0 || !strings.Contains(stderr, "agent.conf:3") {
		t.Errorf("config with an unknown setting: exit %d %s", code, stderr)
	}
	if err := os.WriteFile(conf, []byte("site = CSC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, nil, "agent", "--config", conf)
	if code == 0 || !strings.Contains(stderr, "state-dir") {
		t.Errorf("config without state-dir: exit %d %s", code, stderr)
	}
	code, _, stderr = cli(t, nil, "agent", "status", "--site", "CSC", "--cluster", "lumi", "--state-dir", dir)
	if code == 0 || !strings.Contains(stderr, "No agent state") {
		t.Errorf("status without state: exit %d %s", code, stderr)
	}
}
