// SPDX-License-Identifier: EUPL-1.2

//go:build unix

package slurmtest

import (
	"os"
	"syscall"
)

// lockFile waits for an exclusive lock on path; the lock goes with the
// process, so a crashed test leaves none behind.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
