// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxLifetime bounds what parseLifetime accepts: ten years, pactum's
// bound on a token's expiry (pactum.TokenMaxYears).
const maxLifetime = 10 * 366 * 24 * time.Hour

// parseLifetime reads a token lifetime: a whole number of days ("30d") or
// weeks ("2w"), or a Go duration ("12h", "90m"). It must be positive and at
// most ten years.
func parseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	switch {
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w"):
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > int(maxLifetime/unit) || strings.HasPrefix(s, "+") {
			return 0, fmt.Errorf("give a positive whole number of days or weeks (30d, 2w), or a duration (12h), at most ten years")
		}
		d = time.Duration(n) * unit
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("give a number of days or weeks (30d, 2w), or a duration (12h)")
		}
	}
	if d <= 0 || d > maxLifetime {
		return 0, fmt.Errorf("must be positive and at most ten years")
	}
	return d, nil
}
