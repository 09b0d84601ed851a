// SPDX-License-Identifier: EUPL-1.2

package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pactum/pactum/retry"
)

func TestPolicyDelay(t *testing.T) {
	p := retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}
	tests := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0, 50 * time.Millisecond},
		{1, 0.999999, 99999950 * time.Nanosecond},
		{2, 0.5, 150 * time.Millisecond},
		{3, 1, 400 * time.Millisecond},
		{5, 0, 500 * time.Millisecond}, // capped at Max before jitter
		{50, 0.5, 750 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := p.Delay(tt.n, tt.rnd); got != tt.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.n, tt.rnd, got, tt.want)
		}
	}
	var zero retry.Policy
	if got := zero.Delay(1, 0.7); got != time.Second {
		t.Errorf("zero policy first wait = %v, want 1s", got)
	}
	if got := zero.Delay(10, 0.7); got != time.Minute {
		t.Errorf("zero policy cap = %v, want 1m", got)
	}
}

// recorder is an injected sleep that records waits instead of sleeping.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestRetry(t *testing.T) {
	transient := errors.New("connection refused")
	t.Run("until success", func(t *testing.T) {
		var rec recorder
		draws := []float64{0, 0.5, 1}
		p := retry.Policy{Initial: time.Second, Max: 10 * time.Second, Jitter: 1, Sleep: rec.sleep,
			Rand: func() float64 { d := draws[0]; draws = draws[1:]; return d }}
		calls := 0
		err := retry.Do(context.Background(), p, func(context.Context) error {
			calls++
			if calls < 4 {
				return transient
			}
			return nil
		})
		if err != nil || calls != 4 {
			t.Fatalf("err=%v calls=%d", err, calls)
		}
		if diff := cmp.Diff([]time.Duration{0, time.Second, 4 * time.Second}, rec.waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("permanent stops at once", func(t *testing.T) {
		var rec recorder
		bad := errors.New("bad name")
		calls := 0
		err := retry.Do(context.Background(), retry.Policy{Sleep: rec.sleep}, func(context.Context) error {
			calls++
			return retry.Permanent(bad)
		})
		if !errors.Is(err, bad) || !retry.IsPermanent(err) || calls != 1 || len(rec.waits) != 0 {
			t.Errorf("err=%v calls=%d waits=%v", err, calls, rec.waits)
		}
	})
	t.Run("attempts run out", func(t *testing.T) {
		var rec recorder
		calls := 0
		err := retry.Do(context.Background(), retry.Policy{Attempts: 3, Sleep: rec.sleep}, func(context.Context) error {
			calls++
			return transient
		})
		if !errors.Is(err, transient) || calls != 3 || len(rec.waits) != 2 {
			t.Errorf("err=%v calls=%d waits=%v", err, calls, rec.waits)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := retry.Do(ctx, retry.Policy{Initial: time.Millisecond}, func(context.Context) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return transient
		})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, transient) || calls != 2 {
			t.Errorf("err=%v calls=%d", err, calls)
		}
	})
	if retry.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
}

func TestSleep(t *testing.T) {
	if err := retry.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if err := retry.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep cancelled = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Sleep returned %v after its context ended", d)
	}
}
