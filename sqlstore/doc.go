// SPDX-License-Identifier: EUPL-1.2

// Package sqlstore implements pactum.Store on SQL: SQLite (the embedded
// default, through modernc.org/sqlite, no cgo) and PostgreSQL (through pgx).
//
// It stores and nothing else. It does not authorize: list queries take a
// pactum.Scope that the use cases derive from the caller, and apply it as
// SQL conditions (a test in package usecase pins the two together). It
// applies no business rule and words no message beyond "not found" and
// "already exists"; the use cases (package usecase) do.
//
// One hand-written query set serves both engines: it uses only $N
// placeholders, RETURNING and ON CONFLICT, which both accept (the bulk
// usage statements differ in their placeholders only, bulk.go). DDL
// differs, so each engine has its own goose migrations under migrations/.
//
// A use case begins its transaction (Begin), reads and writes through it,
// and commits it; the audit events it recorded are stored in that same
// transaction. How they join the hash chain differs, because the two
// engines run writers differently:
//
//   - SQLite has one writer. Use cases that arrive together share one
//     commit (group.go), and their events are chained in it, the chain's
//     head held in memory for the group. A background checkpointer keeps
//     the write-ahead log short (checkpoint.go).
//   - PostgreSQL runs writers side by side, on one or several server
//     instances. Chaining in the transaction would make each wait for the
//     previous one's commit on the head row, so a transaction stores its
//     events as pending and a sequencer chains them, in order, just after
//     commit (sequencer.go, which gives the reasons and the guarantees).
//     Group commit, the other design, would keep one writer per instance
//     and still queue the instances on the head row.
//
// On PostgreSQL a round trip costs far more than the row it writes, so a
// transaction's writes whose results the use case does not need are
// queued and sent as one pipelined batch with its next statement, its
// BEGIN with the first and its COMMIT with the last (pipeline.go): a
// submission is three round trips, not twenty-two.
//
// The capacity a call grants per system is likewise spread over several
// rows, each with a share, so that concurrent approvals rarely wait for
// one row lock (capacity.go); on PostgreSQL a reservation takes a row no
// concurrent transaction holds.
//
// Idempotency keys (idempotency.go) are the API's bookkeeping, kept here
// because a key's claim must be marked done in the same transaction as the
// work: a write transaction whose context carries a pactum.IdempotentRequest
// marks the claim when it seals, and fails with ECONFLICT if a retry has
// taken the claim over. Who holds a claim, and whether that holder is still
// running, is instance.go.
package sqlstore
