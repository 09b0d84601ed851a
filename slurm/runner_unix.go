// SPDX-License-Identifier: EUPL-1.2

//go:build unix

package slurm

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup makes a cancelled command take its children with it: the
// command gets its own process group and the whole group is killed, so a
// child holding stdout open cannot keep Run waiting.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
}
