// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"time"

	"github.com/pactum/pactum/retry"
)

// DefaultPolicy suits an agent talking to a restarting slurmdbd: waits
// from 0.5 s growing to 15 s, half of each random, for as long as the
// context allows.
func DefaultPolicy() retry.Policy {
	return retry.Policy{Initial: 500 * time.Millisecond, Max: 15 * time.Second, Multiplier: 2, Jitter: 0.5}
}
