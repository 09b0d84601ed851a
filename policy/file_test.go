// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"os"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

func TestReadScreeningFile(t *testing.T) {
	fh, err := os.Open("testdata/fast-lane-llm.json")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := policy.ReadScreeningFile(fh)
	if err != nil {
		t.Fatal(err)
	}
	var systems []*pactum.System
	for _, s := range testSystems() {
		systems = append(systems, s)
	}
	in, err := f.Input(nil, testCall().Modes, systems, day("2030-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	// The file's date wins over the default; the call is synthesised from
	// the modes and offers every system.
	if !in.At.Equal(day("2026-09-01")) || in.Organization.Country != "NO" || in.Call.Mode(pactum.ModeFastLane) == nil ||
		!in.Call.OffersSystem("karolina-gpu") || in.Proposal.AIWork.ParameterCount != 7e9 {
		t.Errorf("input: at %v, org %+v, call %+v", in.At, in.Organization, in.Call)
	}

	for name, tc := range map[string]struct{ json, want string }{
		"misspelt fact":       {`{"proposal": {"ai_act": {"social_scorin": true}}}`, "unknown field"},
		"misspelt top key":    {`{"proposal": {}, "organisation": {}}`, "unknown field"},
		"not an object":       {`[1]`, "not a JSON object"},
		"null proposal":       {`{"proposal": null}`, "null"},
		"bare proposal, typo": {`{"titel": "x"}`, "unknown field"},
	} {
		if _, err := policy.ReadScreeningFile(strings.NewReader(tc.json)); pactum.ErrorCode(err) != pactum.EINVALID ||
			!strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want EINVALID mentioning %q", name, err, tc.want)
		}
	}

	// A bare proposal reads as one, and needs an organization from the caller.
	f, err = policy.ReadScreeningFile(strings.NewReader(`{"title": "Bare", "mode": "fast_lane"}`))
	if err != nil || f.Proposal.Title != "Bare" {
		t.Fatalf("bare proposal: %v %+v", err, f)
	}
	if _, err := f.Input(nil, testCall().Modes, systems, day("2026-09-01")); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("no organization: %v", err)
	}
	// An invalid proposal is refused as the API would refuse it.
	if _, err := f.Input(cleanInput().Organization, testCall().Modes, systems, day("2026-09-01")); pactum.ErrorCode(err) != pactum.EINVALID ||
		!strings.Contains(err.Error(), "requests") {
		t.Errorf("invalid proposal: %v", err)
	}
}

func TestParseAt(t *testing.T) {
	for in, want := range map[string]string{
		"2026-08-02":                "2026-08-02T00:00:00Z",
		"2026-08-02T10:30:00+02:00": "2026-08-02T08:30:00Z",
	} {
		got, err := policy.ParseAt(in)
		if err != nil || got.Format("2006-01-02T15:04:05Z07:00") != want {
			t.Errorf("ParseAt(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := policy.ParseAt("2 Aug 2026"); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("ParseAt accepted a bad date: %v", err)
	}
}
