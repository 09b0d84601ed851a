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
package http
