// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// TestEstimateText: the estimate runs without a server (no PACTUM_SERVER,
// no token) and prints each end of the band, the band and its source, the
// method, and with --gpu-hours the verdict.
func TestEstimateText(t *testing.T) {
	code, out, stderr := cli(t, nil, "estimate", "--system", "mn5-acc", "--gpus", "512", "--flop", "1e23")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The reference: 1e23 on 512 H100 at MFU 0.40 takes 5.7 days.
	for _, want := range []string{"MareNostrum 5 ACC", "1e+23 FLOP, as given", "512 of 4,480", "fast", "typical", "slow",
		"5.7", "62,390", "80,215", "0.35–0.45", "Ember 2023", "86,400", "built into pactum"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "request:") {
		t.Errorf("a verdict without --gpu-hours:\n%s", out)
	}

	code, out, stderr = cli(t, nil, "estimate", "--system", "lumi-g", "--gpus", "1024", "--params", "34.2e9", "--tokens", "1e12",
		"--gpu-hours", "1.6e6")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2.05e+23 FLOP = 6 × 3.42e+10 parameters × 1e+12 tokens", "0.18–0.35", "Poro 34B", "PLAUSIBLE", "1,600,000 GPU-hours"} {
		if !strings.Contains(out, want) {
			t.Errorf("6PD output lacks %q:\n%s", want, out)
		}
	}
}

// TestEstimateJSON: --json prints the estimate, how its compute was
// obtained and the check, as numbers.
func TestEstimateJSON(t *testing.T) {
	var got estimateOutput
	cliJSON(t, nil, &got, "estimate", "--system", "mn5-acc", "--gpus", "400", "--params", "9.154e9", "--tokens", "4e12",
		"--gpu-hours", "50000", "--json")
	// EuroLLM-9B: 2.2e23 on 400 H100 at 0.40 takes 16 days (the reference).
	if got.FLOPMethod != "6PD" || got.Params != 9.154e9 || got.Tokens != 4e12 || math.Abs(got.FLOP-6*9.154e9*4e12) > 1 {
		t.Errorf("compute: %+v", got)
	}
	if got.SystemID != "mn5-acc" || got.GPUs != 400 || math.Abs(got.Typical.Days-16) > 0.5 || got.Fast.MFU != 0.45 || got.Slow.MFU != 0.35 {
		t.Errorf("estimate: %+v", got.TrainingTime)
	}
	if got.Method == "" || got.Source == "" {
		t.Errorf("method or source missing: %+v", got.TrainingTime)
	}
	if c := got.Check; c == nil || c.Verdict != pactum.HoursInsufficient || c.RequestedGPUHours != 50000 || c.Message == "" {
		t.Errorf("check: %+v", got.Check)
	}

	var plain estimateOutput
	cliJSON(t, nil, &plain, "estimate", "--system", "leonardo-booster", "--gpus", "64", "--flop", "2.5e24", "--json")
	if plain.FLOPMethod != "given" || plain.FLOP != 2.5e24 || plain.Check != nil {
		t.Errorf("--flop 2.5e24: %+v", plain)
	}
}

// TestEstimateErrors: an unknown system lists the known ones; bad numbers,
// GPU counts beyond the system and contradictory flags are refused with
// status 2, as JSON with --json.
func TestEstimateErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown system", []string{"--system", "frontier", "--gpus", "8", "--flop", "1e23"},
			[]string{`Unknown system "frontier"`, "lumi-g", "mn5-acc", "deucalion-gpu"}},
		{"not a number", []string{"--system", "mn5-acc", "--gpus", "8", "--flop", "ten to the 23"},
			[]string{"flop:", "is not a number", "2.5e24"}},
		{"negative tokens", []string{"--system", "mn5-acc", "--gpus", "8", "--params", "7e9", "--tokens", "-1"},
			[]string{"tokens:", "must be positive"}},
		{"FLOP beyond the bound", []string{"--system", "mn5-acc", "--gpus", "8", "--flop", "1e31"},
			[]string{"flop:", "at most 1e+30"}},
		{"more GPUs than the system", []string{"--system", "jupiter-booster", "--gpus", "24000", "--flop", "1e25"},
			[]string{"gpus:", "between 1 and 23752"}},
		{"no GPUs", []string{"--system", "mn5-acc", "--gpus", "0", "--flop", "1e23"}, []string{"gpus:"}},
		{"bad GPU-hours", []string{"--system", "mn5-acc", "--gpus", "8", "--flop", "1e23", "--gpu-hours", "0"},
			[]string{"gpu-hours:", "must be positive"}},
		{"no compute", []string{"--system", "mn5-acc", "--gpus", "8"}, []string{"flop", "params"}},
		{"params without tokens", []string{"--system", "mn5-acc", "--gpus", "8", "--params", "7e9"}, []string{"tokens"}},
		{"flop and params", []string{"--system", "mn5-acc", "--gpus", "8", "--flop", "1e23", "--params", "7e9", "--tokens", "1e12"},
			[]string{"flop", "params"}},
		{"no system", []string{"--gpus", "8", "--flop", "1e23"}, []string{"system"}},
	}
	for _, tc := range cases {
		code, out, stderr := cli(t, nil, append([]string{"estimate"}, tc.args...)...)
		if code != exitInvalid || out != "" {
			t.Errorf("%s: exit %d, stdout %q, want %d and nothing", tc.name, code, out, exitInvalid)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: error lacks %q: %s", tc.name, w, stderr)
			}
		}
	}

	code, _, stderr := cli(t, nil, "estimate", "--system", "frontier", "--gpus", "8", "--flop", "1e23", "--json")
	var e struct {
		Error pactum.Error `json:"error"`
	}
	if code != exitInvalid || json.Unmarshal([]byte(stderr), &e) != nil || e.Error.Code != pactum.EINVALID ||
		len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "system" || !strings.Contains(e.Error.Fields[0].Message, "lumi-g") {
		t.Errorf("--json error: exit %d %s", code, stderr)
	}
}
