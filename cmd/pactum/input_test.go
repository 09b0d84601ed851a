// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenRefusesHugeNumbers: a proposal file whose figures would make
// the compute estimate infinite (parameters and tokens 1e200, an amount of
// 1.7e308) gets a clear error naming each field and exit status 1 (bad
// input), never a crash or "json: unsupported value: +Inf"; with --json too.
// Control characters in its text are named the same way.
func TestScreenRefusesHugeNumbers(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	p := file["proposal"].(map[string]any)
	ai := p["ai_work"].(map[string]any)
	ai["parameter_count"], ai["training_tokens"] = 1e200, 1e200
	p["requests"].([]any)[0].(map[string]any)["amount"] = 1.7e308
	p["title"] = "Nordic \x1b[2J assistant"
	path := filepath.Join(t.TempDir(), "huge.json")
	writeFile(t, path, mustJSON(t, file))

	for _, args := range [][]string{{"screen", "--json", path}, {"screen", path}} {
		code, out, stderr := cli(t, nil, args...)
		if code != exitInvalid {
			t.Errorf("%v: exit %d, want %d (invalid input)\nstdout: %s\nstderr: %s", args, code, exitInvalid, out, stderr)
		}
		for _, want := range []string{"ai_work.parameter_count", "ai_work.training_tokens", "requests[0].amount", "title", "U+001B"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
		if strings.Contains(stderr+out, "Inf") || strings.Contains(stderr+out, "\x1b") || out != "" {
			t.Errorf("%v: stdout %q, stderr %q", args, out, stderr)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
