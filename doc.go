// SPDX-License-Identifier: EUPL-1.2

// Package pactum holds the domain of the responsible-AI access scheme for
// EuroHPC supercomputers: systems, organizations, users, calls, proposals,
// screening decisions, allocations and audit events, their state machines, and
// the service interfaces that adapters implement.
//
// The package does no I/O. Storage lives in sqlstore, rules in policy, the
// HTTP API in http, the hash chain in audit, and wiring in cmd/pactum.
package pactum
