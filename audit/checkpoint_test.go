// SPDX-License-Identifier: EUPL-1.2

package audit_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum/audit"
)

func TestCheckpoint(t *testing.T) {
	priv, pub, err := audit.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ev := chain(3)
	c, err := audit.Sign(priv, 3, ev[2].Hash, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifySignature(pub); err != nil {
		t.Fatalf("fresh checkpoint: %v", err)
	}
	data, _ := json.Marshal(c)
	back, err := audit.ParseCheckpoint(data)
	if err != nil || back.VerifySignature(pub) != nil {
		t.Fatalf("round trip: %v", err)
	}
	forged := *c
	forged.Hash = ev[1].Hash
	if err := forged.VerifySignature(pub); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("a changed hash must break the signature: %v", err)
	}
	_, otherPub, _ := audit.NewKey()
	if err := c.VerifySignature(otherPub); err == nil || !strings.Contains(err.Error(), "trusted") {
		t.Errorf("a checkpoint by another key must be refused: %v", err)
	}
	if _, err := audit.ParseCheckpoint([]byte(`{"seq": 1}`)); err == nil {
		t.Error("an incomplete checkpoint parsed")
	}
}

// TestVerifierPins shows what a checkpoint adds: a chain recomputed from
// scratch after an edit verifies on its own, but not against the
// checkpoint taken before.
func TestVerifierPins(t *testing.T) {
	ev := chain(5)
	pinned := ev[3].Hash
	// The attacker edits event 2 and recomputes every hash after it.
	ev[1].ActorID = "someone-else"
	prev := ev[0].Hash
	for _, e := range ev[1:] {
		audit.Seal(prev, e)
		prev = e.Hash
	}
	if r := verify(ev, 5, ev[4].Hash); !r.OK {
		t.Fatalf("the rewritten chain should verify on its own: %+v", r.FirstBad)
	}
	v := audit.NewVerifier()
	v.Pin(4, pinned)
	for _, e := range ev {
		v.Add(e)
	}
	r := v.Report(5, ev[4].Hash)
	if r.OK || r.FirstBad.Seq != 4 || !strings.Contains(r.FirstBad.Reason, "checkpoint") {
		t.Fatalf("got %+v", r.FirstBad)
	}
	// A checkpoint beyond the chain's end means events were cut off.
	v = audit.NewVerifier()
	v.Pin(9, pinned)
	for _, e := range ev {
		v.Add(e)
	}
	if r := v.Report(5, ev[4].Hash); r.OK || r.FirstBad.Seq != 9 {
		t.Fatalf("got %+v", r.FirstBad)
	}
}
