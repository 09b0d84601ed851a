// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
)

// TestPendingRoundTrip packs events the way a PostgreSQL transaction
// leaves them for the sequencer and unpacks them: every field the hash
// covers comes back byte for byte, including texts holding the packing's
// own separators, digits, non-ASCII and none at all.
func TestPendingRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 4, 5, 123456000, time.UTC)
	events := []*pactum.AuditEvent{
		{ID: "e1", At: at, ActorID: "u:1", Action: "proposal.route", SubjectType: "proposal", SubjectID: "12:34",
			Before: json.RawMessage(`{"state":"draft"}`), After: json.RawMessage(`{"title":"Ümlaut 3:4 \"q\""}`)},
		{ID: "e2", At: at.Add(time.Microsecond), Action: "allocation.create", SubjectType: "allocation", SubjectID: "a"},
		{ID: "e3", At: at, ActorID: "", Action: "x", SubjectType: "", SubjectID: "", After: json.RawMessage(`12:`)},
	}
	got, err := decodePending(encodePending(events))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(events, got); d != "" {
		t.Errorf("round trip (-sent +got):\n%s", d)
	}
	if got, err := decodePending(""); err != nil || len(got) != 0 {
		t.Errorf("empty text: %v, %v", got, err)
	}
	for _, bad := range []string{"2:e1", "x:", "99:short", "-1:", "2:e11:a", ":"} {
		if _, err := decodePending(bad); err == nil {
			t.Errorf("decodePending(%q) accepted text that is not packed events", bad)
		}
	}
}

// FuzzDecodePending feeds arbitrary text to the sequencer's reader of
// pending events. Properties: no panic; what it accepts packs back to
// the same events.
func FuzzDecodePending(f *testing.F) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	f.Add(encodePending([]*pactum.AuditEvent{{ID: "e", At: at, Action: "a", After: json.RawMessage(`{}`)}}))
	f.Add("")
	f.Add("1:a27:2026-01-02T03:04:05.000006Z0:0:0:0:0:0:")
	f.Fuzz(func(t *testing.T, text string) {
		events, err := decodePending(text)
		if err != nil {
			return
		}
		again, err := decodePending(encodePending(events))
		if err != nil {
			t.Fatalf("re-packed events do not unpack: %v", err)
		}
		if d := cmp.Diff(events, again); d != "" {
			t.Errorf("re-packed events differ (-first +second):\n%s", d)
		}
	})
}
