// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"testing"
)

// TestCompareFieldsAddedLater: a snapshot logged by an older pactum lacks
// fields added since, at any depth; the row reading them as zero values is
// no difference, a row holding anything else in them is.
func TestCompareFieldsAddedLater(t *testing.T) {
	type mode struct {
		Mode    string `json:"mode"`
		Rolling bool   `json:"rolling"`
	}
	type call struct {
		ID    string   `json:"id"`
		Modes []mode   `json:"modes"`
		Tags  []string `json:"tags"`
		Max   int      `json:"max"`
	}
	logged := &Replayed{After: []byte(`{"id":"c1","modes":[{"mode":"fast_lane"}]}`), Seq: 3}
	if d, err := Compare("calls", "c1", logged, call{ID: "c1", Modes: []mode{{Mode: "fast_lane"}}}); err != nil || d != nil {
		t.Fatalf("zero values of later fields: %+v %v", d, err)
	}
	for _, row := range []call{
		{ID: "c1", Modes: []mode{{Mode: "fast_lane", Rolling: true}}},
		{ID: "c1", Modes: []mode{{Mode: "fast_lane"}}, Max: 5},
		{ID: "c1", Modes: []mode{{Mode: "fast_lane"}}, Tags: []string{"x"}},
		{ID: "c1", Modes: []mode{{Mode: "playground"}}},
	} {
		if d, err := Compare("calls", "c1", logged, row); err != nil || d == nil {
			t.Errorf("%+v: no difference found (%v)", row, err)
		}
	}
}
