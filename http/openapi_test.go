// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pactum/pactum/client"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestOpenAPIAndProbes checks that the document and the server cannot
// drift: every route the server registers is documented, and every
// documented operation is served (reaches an authenticated handler rather
// than the 404 of an unknown path or a 405).
func TestOpenAPIAndProbes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		resp, err := http.Get(e.url + "/api/v1/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(body)
		if err != nil {
			t.Fatalf("openapi.json: %v", err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
		}

		// Server → document.
		for _, route := range pactumhttp.Routes() {
			method, path, _ := strings.Cut(route, " ")
			if item := doc.Paths.Value(path); item == nil || item.GetOperation(method) == nil {
				t.Errorf("route %s is not in the OpenAPI document", route)
			}
		}
		// Document → server.
		ops := 0
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				ops++
				url := e.url + fillPath(path)
				public := op.Security != nil && len(*op.Security) == 0
				code, m := do(t, method, url, "")
				switch {
				case public && code != 200 && !(code == 404 && strings.Contains(path, "{") && !strings.HasPrefix(errMessage(m), "No endpoint")):
					// A public path with an ID may answer 404 for the
					// made-up one: it is routed all the same.
					t.Errorf("%s %s (no token needed): HTTP %d %v", method, path, code, m)
				case !public && code != 401:
					// Only a routed, authenticated handler answers 401.
					t.Errorf("%s %s without a token: HTTP %d, want 401 %v", method, path, code, m)
				}
				// With every documented query parameter: the handler
				// takes each (its own list agrees with the document).
				code, m = do(t, method, url+documentedQuery(op), e.token)
				if code == 405 || code == 404 && strings.HasPrefix(errMessage(m), "No endpoint") {
					t.Errorf("%s %s is documented but not served: HTTP %d %v", method, path, code, m)
				}
				for f, msg := range fieldsOf(m) {
					t.Errorf("%s %s%s: %s %s", method, path, documentedQuery(op), f, msg)
				}
			}
		}
		if ops < len(pactumhttp.Routes()) {
			t.Errorf("the document has %d operations, the server %d routes", ops, len(pactumhttp.Routes()))
		}
		// Probes answer without a token; metrics need one by default.
		for path, want := range map[string]int{"/healthz": 200, "/livez": 200, "/readyz": 200, "/metrics": 401} {
			r, err := http.Get(e.url + path)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != want {
				t.Errorf("%s: %d, want %d", path, r.StatusCode, want)
			}
		}
	})
}

// fillPath puts a value in each path parameter: any value reaches the
// handler (which may answer 404 for it, as its own not found).
func fillPath(path string) string {
	return strings.NewReplacer("{id}", "x", "{rule_id}", "x", "{site}", "CSC").Replace(path)
}

// documentedQuery is a query string setting each query parameter the
// operation documents to a value its schema allows.
func documentedQuery(op *openapi3.Operation) string {
	q := url.Values{}
	for _, p := range op.Parameters {
		if p.Value.In != openapi3.ParameterInQuery {
			continue
		}
		s := p.Value.Schema.Value
		v := "x"
		switch {
		case len(s.Enum) > 0:
			v = fmt.Sprint(s.Enum[0])
		case s.Type.Is(openapi3.TypeBoolean):
			v = "true"
		case s.Type.Is(openapi3.TypeInteger):
			v = "1"
		}
		q.Set(p.Value.Name, v)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// do sends a request without a body, with token if not empty.
func do(t *testing.T, method, url, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func errMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// TestOptionalContent: what the server reads as zero when absent, the
// document does not require (it once required storage_tb and fine_tune).
func TestOptionalContent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		var in map[string]any
		if err := json.Unmarshal(proposalJSON(t, s.callID, nil), &in); err != nil {
			t.Fatal(err)
		}
		delete(in["requests"].([]any)[0].(map[string]any), "storage_tb")
		work := in["ai_work"].(map[string]any)
		for _, k := range []string{"fine_tune", "parameter_count", "training_tokens", "intends_eu_market", "open_weights"} {
			delete(work, k)
		}
		delete(work["data_provenance"].(map[string]any), "personal_data")
		body, _ := json.Marshal(in)
		r, err := s.alice.CreateProposalWithBodyWithResponse(s.ctx, &client.CreateProposalParams{}, "application/json", bytes.NewReader(body))
		want(t, r, err, 201, r.Body)
		p := strict[client.Proposal](t, r.Body)
		if p.Requests[0].StorageTb != 0 || p.AiWork.FineTune || p.AiWork.ParameterCount != 0 {
			t.Errorf("absent content should read as zero: %+v %+v", p.Requests[0], p.AiWork)
		}
	})
}
