// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"strings"
	"testing"
	"time"
)

func TestHoldReasonAndNote(t *testing.T) {
	margin := HoldReason("big@2", ComputeAlert{Threshold: SystemicRiskThresholdFLOP, Fraction: MarginFraction, FLOP: 7.8e24})
	met := HoldReason("big@2", ComputeAlert{Threshold: SystemicRiskThresholdFLOP, Fraction: 1, FLOP: 1.01e25})
	if !strings.Contains(margin, "7.8e+24") || !strings.Contains(margin, "margin") || !strings.Contains(met, "at or above") {
		t.Errorf("reasons: %q / %q", margin, met)
	}
	if ValidateHoldNote("  ") == nil || ValidateHoldNote(strings.Repeat("x", 5001)) == nil || ValidateHoldNote("Sent on 2 December.") != nil {
		t.Error("note validation")
	}
	now := time.Now()
	var none *ModelHold
	if none.Held() || !(&ModelHold{}).Held() || (&ModelHold{AcknowledgedAt: &now}).Held() {
		t.Error("Held")
	}
}
