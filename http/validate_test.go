// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// countingReader counts the bytes read from a request's network body.
type countingReader struct {
	r     io.Reader
	n     int
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	c.reads++
	return n, err
}

func (c *countingReader) Close() error { return nil }

// TestBodyReadOnce: validation, the idempotency hash and decoding share
// one buffered copy of the body; the network body is read once, to its end.
func TestBodyReadOnce(t *testing.T) {
	s := &Server{logger: slog.New(slog.DiscardHandler)}
	var err error
	if s.api, err = loadAPIDocument(context.Background()); err != nil {
		t.Fatal(err)
	}
	route, err := s.api.operation("POST /api/v1/organizations")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"legal_name":"Once GmbH","country":"DE","registration_number":"R1","founded_on":"2022-01-10","staff":3,"turnover_eur":1,"balance_sheet_eur":1}`
	net := &countingReader{r: strings.NewReader(body)}
	r := httptest.NewRequest("POST", "/api/v1/organizations", nil)
	r.Body = net
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	var got pactum.Organization
	ran := false
	s.validated(w, r, route, MaxBodyBytes, func(w http.ResponseWriter, r *http.Request) {
		hashed, err := readAll(w, r, MaxBodyBytes) // as idempotent does
		if err != nil || string(hashed) != body {
			t.Fatalf("idempotency read %q, %v", hashed, err)
		}
		if err := decode(w, r, &got); err != nil {
			t.Fatal(err)
		}
		ran = true
	})
	if !ran || got.LegalName != "Once GmbH" {
		t.Fatalf("handler ran %v, decoded %+v; answer %d %s", ran, got, w.Code, w.Body)
	}
	if net.n != len(body) {
		t.Errorf("read %d bytes of the network body, want %d once", net.n, len(body))
	}
	after := net.reads
	if _, err := io.ReadAll(r.Body); err != nil || net.reads != after {
		t.Errorf("reading the body again touched the network body")
	}
}

func TestJSONPointerPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"title":                      "title",
		"requests/2/amount":          "requests[2].amount",
		"ai_work/input_modalities/0": "ai_work.input_modalities[0]",
		"records/0":                  "records[0]",
	} {
		var parts []string
		if in != "" {
			parts = strings.Split(in, "/")
		}
		if got := jsonPointerPath(parts); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
