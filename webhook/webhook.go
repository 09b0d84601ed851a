// SPDX-License-Identifier: EUPL-1.2

// Package webhook posts pactum's signed webhooks and verifies them.
//
// A webhook is an HTTP POST of a JSON body (pactum.WebhookPayload) with
// these headers:
//
//	Content-Type: application/json
//	Pactum-Delivery: <delivery id, the same on every attempt>
//	Pactum-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the HMAC is keyed with the subscription's secret (shown once, when
// the subscription is created) over the bytes "<t>." followed by the
// body. A receiver recomputes it over the raw body, compares in constant
// time, and rejects a timestamp older (or newer) than a few minutes, so
// that a captured request cannot be replayed later (Verify does all
// three). Deliveries are at least once: a receiver that must not act twice
// keeps the Pactum-Delivery ids it has seen. Any 2xx answer is success;
// anything else, or no answer within the timeout, is retried with backoff.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// Header names.
const (
	SignatureHeader = "Pactum-Signature"
	DeliveryHeader  = "Pactum-Delivery"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Sign returns the Pactum-Signature header value of body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a Pactum-Signature header against the raw body at now: a
// valid HMAC under secret, and a timestamp within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("webhook signature: malformed header")
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return fmt.Errorf("webhook signature: does not match")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook signature: timestamp %s is %s from now", time.Unix(sec, 0).UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

// Poster posts webhooks.
type Poster struct {
	Client *http.Client
	// Now is the clock of the signatures; time.Now when nil.
	Now func() time.Time
}

var _ pactum.WebhookPoster = (*Poster)(nil)

// New returns a Poster whose requests time out after timeout.
func New(timeout time.Duration) *Poster {
	return &Poster{Client: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect is not a delivery
	}}}
}

// PostWebhook posts payload to url, signed with secret; an answer other
// than 2xx is an error naming the status.
func (p *Poster) PostWebhook(ctx context.Context, url, secret, deliveryID string, payload []byte) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pactum-webhook/1")
	req.Header.Set(DeliveryHeader, deliveryID)
	req.Header.Set(SignatureHeader, Sign(secret, now(), payload))
	resp, err := p.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", req.URL.Host, resp.Status)
	}
	return nil
}
