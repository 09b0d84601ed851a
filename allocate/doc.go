// SPDX-License-Identifier: EUPL-1.2

// Package allocate divides a call's remaining capacity between its ranked
// proposals: it turns a domain snapshot (pactum.RunSnapshot) into the
// optimiser's instance (package solver), solves it, and explains every
// outcome in the domain's terms. It implements pactum.Allocator.
//
// It reads and writes nothing: the use-case layer takes the snapshot from
// the store, asks for a run, and stores it; when the run is published it
// asks for the input hash again, inside the publishing transaction, so
// that a run whose inputs changed is refused.
package allocate
