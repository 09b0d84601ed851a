// SPDX-License-Identifier: EUPL-1.2

package slurm_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pactum "github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

func TestValidNames(t *testing.T) {
	accounts := map[string]bool{
		"pactum": true, "org-0190a1b2": true, "a_1": true, "9lives": true,
		"": false, "Pactum": false, "-x": false, "a b": false, "a,b": false, "a|b": false, "a=b": false,
		"a.b": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "é": false,
	}
	for s, want := range accounts {
		if got := slurm.ValidAccountName(s); got != want {
			t.Errorf("ValidAccountName(%q) = %v, want %v", s, got, want)
		}
	}
	users := map[string]bool{"root": true, "alice": true, "_svc": true, "j.doe": true, "a-1": true,
		"": false, "1abc": false, "Alice": false, "a b": false, strings.Repeat("u", 33): false}
	for s, want := range users {
		if got := slurm.ValidUserName(s); got != want {
			t.Errorf("ValidUserName(%q) = %v, want %v", s, got, want)
		}
	}
	tres := map[string]bool{"cpu": true, "node": true, "mem": true, "billing": true, "fs/disk": true,
		"gres/gpu": true, "gres/gpu:a100": true, "gres/gpu:mi250x": true, "license/matlab": true, "bb/datawarp": true,
		"gpu": false, "gres/": false, "gres/gpu:": false, "foo/bar": false, "gres/gpu=1": false, "cpu,node": false, "": false}
	for s, want := range tres {
		if got := slurm.ValidTRESName(s); got != want {
			t.Errorf("ValidTRESName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := map[string]string{
		"Mistral AI":                     "mistral ai",
		"L'Oréal | \"Labs\", Inc=1\n\tx": "l oréal labs inc 1 x",
		"  spaced   out  ":               "spaced out",
		strings.Repeat("ab ", 100):       strings.TrimSpace(strings.Repeat("ab ", 43)),
		"ÉCOLE":                          "École",
		"":                               "",
	}
	for in, want := range tests {
		if got := slurm.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
		if got := slurm.CleanText(in); len(got) > 128 {
			t.Errorf("CleanText(%q) is %d bytes", in, len(got))
		}
	}
}

func TestParseTRES(t *testing.T) {
	got, err := slurm.ParseTRES("billing=8,cpu=8,gres/gpu=4,mem=64G,node=1,gres/gpu:a100=4,energy=12,mem2=1.5T,k=2048K")
	if err != nil {
		t.Fatal(err)
	}
	want := slurm.TRES{"billing": 8, "cpu": 8, "gres/gpu": 4, "mem": 65536, "node": 1, "gres/gpu:a100": 4, "energy": 12, "mem2": 1572864, "k": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := want.String(); s != "billing=8,cpu=8,energy=12,gres/gpu=4,gres/gpu:a100=4,k=2,mem=65536,mem2=1572864,node=1" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"cpu", "=1", "cpu=", "cpu=x", "cpu=1.5", "mem=G", "cpu=-1"} {
		if _, err := slurm.ParseTRES(bad); err == nil {
			t.Errorf("ParseTRES(%q) accepted", bad)
		}
	}
	if got, err := slurm.ParseTRES(""); err != nil || len(got) != 0 {
		t.Errorf("ParseTRES(\"\") = %v, %v", got, err)
	}
	if err := (slurm.TRES{"gres/gpu": 60, "cpu": -1}).Validate(); err != nil {
		t.Errorf("valid limits rejected: %v", err)
	}
	err = slurm.TRES{"gpu": 60, "cpu": -2}.Validate()
	if pactum.ErrorCode(err) != pactum.EINVALID || len(pactum.ErrorFields(err)) != 2 {
		t.Errorf("Validate = %v, want EINVALID with 2 fields", err)
	}
}

func TestLimitsFor(t *testing.T) {
	tests := []struct {
		amount float64
		unit   pactum.Unit
		want   slurm.TRES
	}{
		{1000, pactum.UnitGPUHours, slurm.TRES{"gres/gpu": 60000}},
		{1.0 / 60, pactum.UnitGPUHours, slurm.TRES{"gres/gpu": 1}},
		{0.1 + 0.2, pactum.UnitGPUHours, slurm.TRES{"gres/gpu": 18}}, // 0.30000000000000004 h
		{0.99 / 60, pactum.UnitGPUHours, slurm.TRES{"gres/gpu": 0}},  // never round up past the grant
		{250.5, pactum.UnitNodeHours, slurm.TRES{"node": 15030}},
		{0, pactum.UnitNodeHours, slurm.TRES{"node": 0}},
	}
	for _, tt := range tests {
		got, err := slurm.LimitsFor(tt.amount, tt.unit)
		if err != nil {
			t.Errorf("LimitsFor(%v, %s): %v", tt.amount, tt.unit, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("LimitsFor(%v, %s) (-want +got):\n%s", tt.amount, tt.unit, diff)
		}
	}
	for _, bad := range []struct {
		amount float64
		unit   pactum.Unit
	}{{-1, pactum.UnitGPUHours}, {math.NaN(), pactum.UnitGPUHours}, {math.Inf(1), pactum.UnitNodeHours}, {1e300, pactum.UnitGPUHours}, {1, "cpu_hours"}} {
		if _, err := slurm.LimitsFor(bad.amount, bad.unit); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("LimitsFor(%v, %q) = %v, want EINVALID", bad.amount, bad.unit, err)
		}
	}
	got, err := slurm.CPULimitsFor(10, 128)
	if err != nil || got["cpu"] != 76800 || len(got) != 1 {
		t.Errorf("CPULimitsFor(10, 128) = %v, %v; want cpu=76800", got, err)
	}
	if _, err := slurm.CPULimitsFor(10, 0); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("CPULimitsFor with 0 CPUs per node: %v", err)
	}
}

func TestCharge(t *testing.T) {
	r := &slurm.Record{GPUs: 8, Nodes: 2, CPUs: 256, Elapsed: 5400}
	if h, _ := slurm.Charge(r, pactum.UnitGPUHours); h != 12 {
		t.Errorf("GPU-hours = %v, want 12", h)
	}
	if h, _ := slurm.Charge(r, pactum.UnitNodeHours); h != 3 {
		t.Errorf("node-hours = %v, want 3", h)
	}
	if _, err := slurm.Charge(r, "x"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("unknown unit: %v", err)
	}
	if slurm.GPUHours(7200) != 2 || slurm.NodeHours(1800) != 0.5 {
		t.Error("GPUHours/NodeHours")
	}
}
