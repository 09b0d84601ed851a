// SPDX-License-Identifier: EUPL-1.2

// Package retry retries an operation that fails for a while, the same way
// for the site agent's calls to Slurm (sacctmgr while slurmdbd restarts)
// and to the pactum server (network errors, 5xx answers).
//
// A Policy is an exponential backoff with jitter: waits grow by a factor
// from an initial to a maximum, each partly random so that agents that
// failed together do not retry together, for a bounded number of attempts
// or until the context ends. Do runs an operation under a policy; the
// operation marks an error that retrying cannot fix with Permanent, and
// Do returns it at once. Sleep is the one context-aware wait the policy
// and the agent's loop use.
//
// Which errors are permanent is the caller's business (slurm.Reconcile:
// Slurm's refusals; the agent: answers other than 5xx and 429); this
// package knows nothing of Slurm or HTTP.
package retry
