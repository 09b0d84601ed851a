// SPDX-License-Identifier: EUPL-1.2

// Package slurmtest provides Cluster, an in-memory stand-in for a Slurm
// cluster that implements slurm.Cluster, for the unit tests of code built
// on package slurm (the site agent). It models what pactum relies on and
// was verified on Slurm 22.05: the account tree, user associations,
// GrpTRESMins enforced on whole used minutes (with or without "safe"),
// suspension through GrpJobs/GrpSubmitJobs, and the pending reasons Slurm
// gives. Jobs run only when the test says so (Start, Finish), so tests
// are deterministic. Failures are injected with Down or Fail.
package slurmtest
