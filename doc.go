// SPDX-License-Identifier: EUPL-1.2

// Package pactum holds the domain of the responsible-AI access scheme for
// EuroHPC supercomputers: systems, organizations, users, calls, proposals,
// screening decisions, review, allocation runs, allocations, usage and
// audit events; their state machines; the pure rules and the wording of
// decisions and notices; the authorization rules (authz.go) and the list
// scopes derived from them; and the interfaces around it: the services the
// use cases implement (package usecase) and the ports the adapters
// implement (Store in store.go, Screener, Allocator).
//
// The package does no I/O. Storage lives in sqlstore, screening rules in
// policy, the optimiser behind allocate and solver, the HTTP API in http,
// the hash chain in audit, and wiring in cmd/pactum.
package pactum
