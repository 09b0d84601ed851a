// SPDX-License-Identifier: EUPL-1.2

// Package slurmtest is the test helper for the real single-node Slurm
// cluster that scripts/slurm/up.sh starts: RealCluster finds it from the
// environment, skips or fails the test without one, and holds it for the
// test alone. It imports testing, so only tests may import it; the
// in-memory simulator is package slurmsim.
package slurmtest
