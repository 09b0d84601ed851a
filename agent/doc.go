// SPDX-License-Identifier: EUPL-1.2

// Package agent is the site agent: it runs beside a hosting site's Slurm
// cluster, pulls the desired state of the site's allocations from the
// pactum server, reconciles the cluster's accounts to it, and posts the
// cluster's job accounting back as usage. It talks to the server only
// through the generated client (package client) and to Slurm only through
// package slurm, so the cluster needs no inbound access and the agent no
// database.
//
// # A cycle
//
//  1. GET /api/v1/sites/{site}/desired: every allocation of the site with
//     its account names, grant, members, and whether it is suspended
//     (suspended by a manager, or an award condition unmet) or to be
//     removed (expired, or its period over).
//  2. Tree builds the Slurm account tree and slurm.Reconcile applies it,
//     retrying with backoff while slurmdbd or slurmctld is unreachable (up
//     to Config.ReconcileTimeout; the next cycle carries on). Every action
//     is idempotent and each attempt starts from a fresh observation, so an
//     outage mid-way leaves no duplicates. If Slurm refuses to remove an
//     account because jobs still run under it, the agent keeps every
//     account it would remove, suspended, and removes it in a later cycle.
//  3. Drift: an action on an account whose desired settings are those the
//     agent applied last (kept in its state) undoes a change made by hand
//     on the cluster. It is logged and reported to the server, which keeps
//     it in the audit log. An action on an account whose desired settings
//     changed applies a changed award, and is not drift.
//  4. Allocations pending provisioning are activated, and those removed
//     are expired, through POST /api/v1/allocations/{id}/transition.
//  5. sacct is read for the window from the cursor (less Config.Overlap)
//     to now, for pactum's accounts, and the records are posted in batches
//     (POST /api/v1/usage). The cursor moves to the window's end only when
//     every batch was answered; the server keeps each job once per
//     (cluster, job id) and replaces a running job's record until it ends,
//     so re-reading costs time but never double-counts. Malformed sacct
//     lines are logged with their line numbers and skipped.
//
// # State
//
// The state directory holds the cursor and what was last applied
// (agent-state.json, replaced atomically), and a lock that keeps a second
// agent out. Without a state file the cursor starts at the earliest
// allocation's start, before which none of pactum's accounts had jobs, so
// a lost state directory costs a re-read, not usage.
//
// # Ownership and safety
//
// Every account the agent creates carries the site's mark (slurm.Mark) at
// the start of its description; slurm.Plan never changes or removes an
// account without it, and those found beneath the root are reported as
// drift. An account the server stops listing is removed only after
// Config.RemoveAfter cycles, and not at all while most of pactum's accounts
// vanish at once, until Config.AcceptRemovals. Config.DryRun plans and
// changes nothing; Preflight checks the token, the site and system, and
// the Slurm configuration before Run starts.
//
// # Exhaustion
//
// The server decides exhaustion: at 100 % of the grant in whole minutes
// (see pactum.ThresholdsReached). Slurm enforces it too, through each
// allocation's QOS (slurm.Budget): NoDecay, DenyOnLimit, GrpTRESMins from
// the usage pactum counted when the QOS was created, GrpTRESRunMins what is
// left, and GrpJobs=GrpSubmitJobs=0 once the allocation is exhausted, so
// plain sbatch is refused at once.
package agent
