// SPDX-License-Identifier: EUPL-1.2

package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/webhook"
)

// TestPostAndVerify: a posted webhook carries its delivery id and a
// signature the receiver verifies over the raw body; a wrong secret, a
// changed body and an old timestamp are refused; a non-2xx answer is an
// error.
func TestPostAndVerify(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var got struct {
		sig, id string
		body    []byte
	}
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.sig, got.id = r.Header.Get(webhook.SignatureHeader), r.Header.Get(webhook.DeliveryHeader)
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	p := webhook.New(5 * time.Second)
	p.Now = func() time.Time { return at }
	body := []byte(`{"kind":"proposal.decision"}`)
	if err := p.PostWebhook(context.Background(), srv.URL, "s3cret", "d-1", body); err != nil {
		t.Fatal(err)
	}
	if got.id != "d-1" || string(got.body) != string(body) {
		t.Fatalf("received id %q body %q", got.id, got.body)
	}
	if err := webhook.Verify("s3cret", got.sig, got.body, at.Add(time.Minute), webhook.DefaultTolerance); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	for name, err := range map[string]error{
		"wrong secret": webhook.Verify("other", got.sig, got.body, at, webhook.DefaultTolerance),
		"changed body": webhook.Verify("s3cret", got.sig, []byte(`{"kind":"x"}`), at, webhook.DefaultTolerance),
		"old":          webhook.Verify("s3cret", got.sig, got.body, at.Add(10*time.Minute), webhook.DefaultTolerance),
		"malformed":    webhook.Verify("s3cret", "v1=abc", got.body, at, webhook.DefaultTolerance),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	status = http.StatusInternalServerError
	if err := p.PostWebhook(context.Background(), srv.URL, "s3cret", "d-2", body); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("a 500 answer: got %v", err)
	}
}

// TestSignKnownVector pins the signature format: HMAC-SHA256 over
// "<t>.<body>", hex, so that receivers in other languages can check theirs.
func TestSignKnownVector(t *testing.T) {
	got := webhook.Sign("key", time.Unix(1700000000, 0), []byte("{}"))
	// printf '1700000000.{}' | openssl dgst -sha256 -hmac key
	want := "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
