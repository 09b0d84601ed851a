// SPDX-License-Identifier: EUPL-1.2

package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy is a jittered exponential backoff. The zero value retries until
// the context ends, waiting 1 s, 2 s, 4 s ... up to 1 min, without jitter.
type Policy struct {
	Initial    time.Duration // first wait; 0 means 1 s
	Max        time.Duration // cap on one wait; 0 means 1 min
	Multiplier float64       // growth per attempt; values below 1 mean 2
	// Jitter is the fraction of each wait that is random: a wait d becomes
	// d·(1−Jitter) + d·Jitter·rand. 1 is "full jitter", which spreads agents
	// that failed together; 0 is none.
	Jitter float64
	// Attempts bounds the calls of fn; 0 means no bound but the context.
	Attempts int
	// Sleep waits for d or until ctx ends; nil means the package's Sleep.
	// Tests inject one that records the waits; the agent one that logs
	// each wait before sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// Delay returns the wait before retry number n (n ≥ 1), rnd being the
// random draw in [0, 1).
func (p Policy) Delay(n int, rnd float64) time.Duration {
	initial, maxd, mult := p.Initial, p.Max, p.Multiplier
	if initial <= 0 {
		initial = time.Second
	}
	if maxd <= 0 {
		maxd = time.Minute
	}
	if mult < 1 {
		mult = 2
	}
	d := float64(initial)
	for i := 1; i < n && d < float64(maxd); i++ {
		d *= mult
	}
	d = min(d, float64(maxd))
	j := min(max(p.Jitter, 0), 1)
	return time.Duration(d*(1-j) + d*j*rnd)
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Do returns it at once instead of trying
// again. Nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Do calls fn until it returns nil, returns an error marked Permanent,
// the policy's attempts run out, or ctx ends, waiting between calls as the
// policy says. It returns nil or the last error of fn (wrapped with the
// attempt count when they ran out, joined with the context's error when
// that stopped it).
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	sleep, rnd := p.Sleep, p.Rand
	if sleep == nil {
		sleep = Sleep
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	for n := 1; ; n++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if IsPermanent(err) {
			return err
		}
		if p.Attempts > 0 && n >= p.Attempts {
			return fmt.Errorf("after %d attempts: %w", n, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return errors.Join(err, cerr)
		}
		if serr := sleep(ctx, p.Delay(n, rnd())); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// Sleep waits for d, or until ctx ends and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
