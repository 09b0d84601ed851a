// SPDX-License-Identifier: EUPL-1.2

package client

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// New returns a client for the pactum server at server (e.g.
// http://127.0.0.1:8080) that authenticates with an API token.
func New(server, token string) (*ClientWithResponses, error) {
	return NewIdempotent(server, token, "")
}

// NewIdempotent is New whose every POST, PUT, PATCH and DELETE carries
// Idempotency-Key: key (none when key is empty), so that sending the same
// change again with the same key does it once: the server answers the
// repeat with the first answer.
func NewIdempotent(server, token, key string) (*ClientWithResponses, error) {
	return NewClientWithResponses(strings.TrimRight(server, "/"),
		WithHTTPClient(&http.Client{Timeout: 60 * time.Second}),
		WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("User-Agent", "pactum-client")
			if key != "" && req.Method != http.MethodGet && req.Method != http.MethodHead && req.Header.Get("Idempotency-Key") == "" {
				req.Header.Set("Idempotency-Key", key)
			}
			return nil
		}))
}

// Body returns the raw body of any generated response (every one has a
// Body field), for callers that handle responses generically: printing
// the server's JSON, or its error message.
func Body(resp any) []byte {
	v := reflect.Indirect(reflect.ValueOf(resp))
	if v.Kind() != reflect.Struct {
		return nil
	}
	if f := v.FieldByName("Body"); f.IsValid() && f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8 {
		return f.Bytes()
	}
	return nil
}
