// SPDX-License-Identifier: EUPL-1.2

// Package sqlstore implements pactum's services on SQL: SQLite (the embedded
// default, through modernc.org/sqlite, no cgo) and PostgreSQL (through pgx).
//
// One hand-written query set serves both engines: it uses only $N
// placeholders, RETURNING and ON CONFLICT, which both accept. DDL differs, so
// each engine has its own goose migrations under migrations/. Every use case
// runs in one transaction, and every state change writes its audit event in
// that same transaction.
//
// Authorization is enforced here, with the rules of the root package, so that
// no caller (HTTP, CLI, demo) can bypass it. The acting user comes from the
// context (pactum.UserFromContext).
//
// The allocation-run service builds the optimiser's instance from the store
// (reviewed proposals, panel scores, what the call_grants running totals
// leave of each system) and solves it with package solver outside any write
// transaction; publishing a run decides its proposals through the same
// capacity reservation and allocation code as any decision.
package sqlstore
