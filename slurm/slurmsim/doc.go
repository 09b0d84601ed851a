// SPDX-License-Identifier: EUPL-1.2

// Package slurmsim simulates a Slurm cluster in memory: Cluster implements
// slurm.Cluster, so the site agent runs against it unchanged. `pactum demo`
// runs each hosting site's agent against one, and the unit tests of code
// built on package slurm (the reconciler, the agent) use it; it is product
// code and must not import testing.
//
// It models what pactum relies on and was verified on Slurm 22.05: the
// account tree, user associations, GrpTRESMins enforced on whole used
// minutes (with or without "safe"), suspension through
// GrpJobs/GrpSubmitJobs, and the pending reasons Slurm gives. Jobs start
// as soon as their accounts' limits allow, charge usage and end only when
// the caller says so (Progress, Finish, Cancel), so runs are deterministic.
// Failures are injected with Down or Fail.
//
// WriteSacct writes realistic sacct output in bulk, for benchmarks and the
// storage tests that ingest it.
package slurmsim
