// SPDX-License-Identifier: EUPL-1.2

package pactum

import "context"

// IdempotentRequest is a request made with an Idempotency-Key, as it travels
// in the context from the API to the store. The API claims the key before
// the work runs (one transaction) and stores the answer after it (another);
// a crash between them would leave the claim unresolved. So the store, when
// a write transaction that records audit events runs under an
// IdempotentRequest, also marks the claim as done — the subject of the
// transaction's first audit event and Status — in that same transaction:
// the work and its marker commit together or not at all, and a retry after
// a crash learns from the marker whether the work committed.
//
// The marker is written only while Attempt still holds the claim: a
// transaction whose claim was taken over by a retry fails with ECONFLICT
// instead of doing the work a second time.
type IdempotentRequest struct {
	// UserID and Key name the claim: keys are per user.
	UserID, Key string
	// RequestHash is the request's fingerprint (method, URI and body).
	RequestHash string
	// Attempt identifies this run of the request: the claim it holds.
	Attempt string
	// Status is the HTTP status the request answers with once its work
	// has committed, replayed to a retry that finds only the marker.
	Status int
}

type idempotentRequestKey struct{}

// NewContextWithIdempotentRequest returns ctx carrying r.
func NewContextWithIdempotentRequest(ctx context.Context, r *IdempotentRequest) context.Context {
	return context.WithValue(ctx, idempotentRequestKey{}, r)
}

// IdempotentRequestFromContext returns the request ctx carries, or nil.
func IdempotentRequestFromContext(ctx context.Context) *IdempotentRequest {
	r, _ := ctx.Value(idempotentRequestKey{}).(*IdempotentRequest)
	return r
}
