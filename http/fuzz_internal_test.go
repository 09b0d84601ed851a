// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// FuzzDecodeProposal feeds arbitrary bodies to the decoder the API reads a
// proposal with (POST /proposals, PUT /proposals/{id}; the CLI sends its
// file as it is). Properties: no panic; a refusal is an EINVALID
// *pactum.Error whose fields are named; what is accepted survives encoding
// and decoding again unchanged; and a proposal that validates against the
// catalogue asks for a finite number of GPU-hours.
func FuzzDecodeProposal(f *testing.F) {
	if b, err := os.ReadFile("../policy/testdata/fast-lane-llm.json"); err == nil {
		var file struct {
			Proposal json.RawMessage `json:"proposal"`
		}
		if json.Unmarshal(b, &file) == nil {
			f.Add(proposalInputOnly(file.Proposal))
			f.Add(hugeRequests(proposalInputOnly(file.Proposal)))
		}
	}
	f.Add([]byte(`{"call_id":"c","mode":"fast_lane","title":"Lex-7B","summary":"Legal LLM.","requests":[{"system_id":"leonardo-booster","amount":20000,"storage_tb":10}],"duration_months":3}`))
	f.Add([]byte(`{"call_id":"c","mode":"large_scale","title":"Huge","summary":"s","duration_months":3,"requests":[{"system_id":"lumi-g","amount":1e308},{"system_id":"mn5-acc","amount":1e308}]}`))
	f.Add([]byte(`{"title":1}`))
	f.Add([]byte(`{"requests":[{"gpus":4}]}`))
	f.Add([]byte(`{} {}`))
	systems, err := catalog.Systems()
	if err != nil {
		f.Fatal(err)
	}
	modes, err := catalog.Modes()
	if err != nil {
		f.Fatal(err)
	}
	bySystem := map[string]*pactum.System{}
	var ids []string
	for _, s := range systems {
		bySystem[s.ID] = s
		ids = append(ids, s.ID)
	}
	call := &pactum.Call{ID: "c", Title: "catalogue", Modes: modes, SystemIDs: ids}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeProposal(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("an accepted proposal does not encode: %v", err)
		}
		again, err := decodeProposal(b)
		if err != nil {
			t.Fatalf("an accepted proposal, encoded as %s, is refused: %v", b, err)
		}
		if !reflect.DeepEqual(in, again) {
			t.Fatalf("round trip changed the proposal:\n%+v\n%+v", in, again)
		}
		p := &pactum.Proposal{ProposalInput: *in}
		if err := p.ValidateAgainst(call, bySystem); err != nil {
			checkRefusal(t, err)
			return
		}
		if h := p.TotalGPUHours(bySystem); math.IsInf(h, 0) || math.IsNaN(h) || h <= 0 {
			t.Fatalf("a valid proposal asks for %v GPU-hours", h)
		}
	})
}

func decodeProposal(body []byte) (*pactum.ProposalInput, error) {
	r := httptest.NewRequest("POST", "/api/v1/proposals", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var in pactum.ProposalInput
	if err := decode(httptest.NewRecorder(), r, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, errTooLarge) {
		return
	}
	var pe *pactum.Error
	if !errors.As(err, &pe) || pe.Code != pactum.EINVALID || pe.Message == "" {
		t.Fatalf("refusal is not an EINVALID *pactum.Error: %#v", err)
	}
	for _, fe := range pe.Fields {
		if fe.Field == "" || fe.Message == "" {
			t.Fatalf("unnamed field error in %#v", pe)
		}
	}
}

// proposalInputOnly keeps the keys of a proposal an applicant writes.
func proposalInputOnly(raw []byte) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range []string{"id", "organization_id", "applicant_id", "state", "screening", "decision", "submitted_at",
		"decision_due_at", "created_at", "updated_at", "version"} {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return b
}

// hugeRequests asks for the largest amounts JSON can hold on two systems.
func hugeRequests(raw []byte) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	m["mode"] = "large_scale"
	m["requests"] = []map[string]any{{"system_id": "lumi-g", "amount": 1.7e308}, {"system_id": "mn5-acc", "amount": 1.7e308, "storage_tb": 1.7e308}}
	b, _ := json.Marshal(m)
	return b
}
