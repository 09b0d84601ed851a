// SPDX-License-Identifier: EUPL-1.2

package client

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// New returns a client for the pactum server at server (e.g.
// http://127.0.0.1:8080) that authenticates with an API token.
func New(server, token string) (*ClientWithResponses, error) {
	return NewClientWithResponses(strings.TrimRight(server, "/"),
		WithHTTPClient(&http.Client{Timeout: 60 * time.Second}),
		WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("User-Agent", "pactum-client")
			return nil
		}))
}
