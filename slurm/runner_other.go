// SPDX-License-Identifier: EUPL-1.2

//go:build !unix

package slurm

import (
	"os/exec"
	"time"
)

// killGroup bounds the wait for a cancelled command's output where there
// are no process groups.
func killGroup(cmd *exec.Cmd) { cmd.WaitDelay = 2 * time.Second }
