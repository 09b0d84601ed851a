// SPDX-License-Identifier: EUPL-1.2

// Package http serves pactum's JSON API under /api/v1, its OpenAPI document
// at /api/v1/openapi.json, /livez and /readyz (and /healthz, the same as
// /readyz) for probes and /metrics for Prometheus. Each user's requests are
// limited in rate and in number at once (limit.go); probes and /metrics
// are not.
//
// Handlers are thin: they authenticate the bearer token, decode and bound the
// request strictly (unknown fields, wrong types and oversized bodies are
// refused), call a domain service, and encode the result. Authorization and
// business rules live behind the service interfaces. Every error goes through
// Error, the one place where the domain's error codes become status codes.
//
// Each entity has a file (proposal.go, review.go, usage.go, ...) with its
// handlers and the table of routes they serve; routes.go joins the tables
// and holds the helpers every handler uses: readBody and readQuery to
// take the request, respond to answer it.
//
// # Idempotency keys across a crash
//
// A request with an Idempotency-Key is three transactions: the claim of the
// key, the work (a use case), and the stored answer (idempotency.go). A
// process killed between them must not leave the key unresolved. So the key
// travels in the request's context (pactum.IdempotentRequest), and the
// store's write transaction that does the work marks the claim as done — the
// subject of its first audit event and the status the endpoint answers with
// — in that same transaction. A retry that finds the claim unanswered then
// knows which case it is in:
//
//   - marked: the work committed and only the answer was lost. The retry
//     gets the endpoint's status and the resource's current representation,
//     read through its GET as the same caller (replay.go), marked
//     Idempotent-Replayed: true. Endpoints whose answer cannot be rebuilt (a
//     token's secret) answer 409 naming what was changed.
//   - unmarked, holder gone: the work never committed. The retry takes the
//     claim over and runs the request. "Gone" is decided by the store (a
//     claim by another process on SQLite, a released instance lock on
//     PostgreSQL, or a claim older than sqlstore.MaxRequestDuration).
//   - unmarked, holder alive: 409, retry in a moment.
//
// Exactly once holds even if "gone" is wrong: taking over replaces the
// claim's attempt with a compare-and-set (one of concurrent retries wins),
// and the work's transaction marks the claim only while its own attempt
// still holds it, failing with 409 otherwise, so at most one of them commits.
package http
