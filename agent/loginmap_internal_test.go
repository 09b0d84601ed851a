// SPDX-License-Identifier: EUPL-1.2

package agent

import "testing"

// TestUsageAttributedToUsername: usage read back under a site login goes
// to the pactum username the map gave it; without a map the login is the
// username.
func TestUsageAttributedToUsername(t *testing.T) {
	a := &Agent{usernames: invert(map[string]string{"ada": "u1234"})}
	if got := a.pactumUsername("u1234"); got != "ada" {
		t.Errorf("u1234 → %q, want ada", got)
	}
	if got := a.pactumUsername("other"); got != "other" {
		t.Errorf("an unmapped login → %q", got)
	}
	if got := (&Agent{}).pactumUsername("ada"); got != "ada" {
		t.Errorf("no map → %q", got)
	}
}
