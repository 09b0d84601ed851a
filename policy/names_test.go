// SPDX-License-Identifier: EUPL-1.2

package policy

import "testing"

// The name table is internal: it must resolve every fact of the embedded
// ruleset to the slot the map gives, find a collision-free layout for it,
// and miss on every other name.
func TestNameTable(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if rs.names.cells == nil {
		t.Error("no collision-free layout found for the embedded ruleset; lookups fall back to the map")
	}
	for name, slot := range rs.index {
		if got, ok := rs.names.lookup(name); !ok || got != slot {
			t.Errorf("lookup(%q) = %d, %v; want %d", name, got, ok, slot)
		}
	}
	for _, name := range []string{"", "org", "org.countryx", "params.eu_member_states", "derived.nope", "ai.fine_tunf"} {
		if _, ok := rs.names.lookup(name); ok {
			t.Errorf("lookup(%q) found a slot", name)
		}
	}
	// The fallback behaves the same.
	fb := &nameTable{byName: rs.index}
	for name, slot := range rs.index {
		if got, ok := fb.lookup(name); !ok || got != slot {
			t.Errorf("fallback lookup(%q) = %d, %v", name, got, ok)
		}
	}
}
