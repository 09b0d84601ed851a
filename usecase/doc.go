// SPDX-License-Identifier: EUPL-1.2

// Package usecase is pactum's use-case layer: one method per thing a user
// can do, called by every front door (the JSON API, the command line's
// offline tools, the demo, and the coming portal). App implements the
// service interfaces of the root package.
//
// A use case reads what it needs from the Store, decides with the pure
// rules of the root package (authorization, state machines, validation,
// wording), asks an adapter where it needs one (the Screener, the
// Allocator), and writes its changes with their audit events and
// notifications in one Store transaction. Nothing here talks SQL, HTTP or
// CEL; the store decides nothing.
//
// The caller of every use case is the user in ctx (pactum.UserFromContext):
// EUNAUTHORIZED without one. Reads of things the caller may not see answer
// ENOTFOUND rather than EFORBIDDEN, so that nobody learns what exists
// beyond what they may see.
package usecase
