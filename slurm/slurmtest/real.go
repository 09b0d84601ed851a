// SPDX-License-Identifier: EUPL-1.2

package slurmtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Real names the real single-node cluster that scripts/slurm/up.sh
// started, as its env file exports it.
type Real struct {
	// Conf is its slurm.conf (PACTUM_SLURM_CONF).
	Conf string
	// Dir is its directory (PACTUM_SLURM_DIR, else the parent of Conf's
	// directory), Ctl the script that stops and starts its daemons
	// (PACTUM_SLURM_CTL, else "" for the caller to find).
	Dir, Ctl string
}

// RealCluster returns the real cluster for an integration test, skipping
// tb when PACTUM_SLURM_CONF is unset, or failing it instead when
// PACTUM_REQUIRE_SLURM=1 (as in CI).
//
// The test holds the cluster alone until it ends: an exclusive lock on a
// file in Dir, which serialises the real-cluster tests of every package
// that go test runs at once, since they stop daemons, spend budgets and
// count jobs on the one shared cluster.
func RealCluster(tb testing.TB) *Real {
	tb.Helper()
	conf := os.Getenv("PACTUM_SLURM_CONF")
	if conf == "" {
		if os.Getenv("PACTUM_REQUIRE_SLURM") == "1" {
			tb.Fatal("PACTUM_REQUIRE_SLURM=1 but PACTUM_SLURM_CONF is not set: run scripts/slurm/up.sh and source its env file")
		}
		tb.Skip("PACTUM_SLURM_CONF not set; start a cluster with scripts/slurm/up.sh")
	}
	r := &Real{Conf: conf, Dir: os.Getenv("PACTUM_SLURM_DIR"), Ctl: os.Getenv("PACTUM_SLURM_CTL")}
	if r.Dir == "" {
		r.Dir = filepath.Dir(filepath.Dir(conf))
	}
	unlock, err := lockFile(filepath.Join(r.Dir, "tests.lock"))
	if err != nil {
		tb.Fatalf("lock the cluster for this test: %v", err)
	}
	tb.Cleanup(unlock)
	return r
}
