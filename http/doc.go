// SPDX-License-Identifier: EUPL-1.2

// Package http serves pactum's JSON API under /api/v1, its OpenAPI document
// at /api/v1/openapi.json, /healthz for probes and /metrics for Prometheus.
//
// Handlers are thin: they authenticate the bearer token, decode and bound the
// request strictly (unknown fields, wrong types and oversized bodies are
// refused), call a domain service, and encode the result. Authorization and
// business rules live behind the service interfaces. Every error goes through
// Error, the one place where the domain's error codes become status codes.
package http
