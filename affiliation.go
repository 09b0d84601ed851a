// SPDX-License-Identifier: EUPL-1.2

package pactum

import "time"

// KeepsAffiliationHistory checks that a reviewer profile's new affiliations
// next keep every affiliation of the previous profile prev, recorded open
// until recordedAt (the previous profile's update time). Affiliations are
// history, not settings: deleting one, or back-dating its end, would
// silently stop conflict detection (a reviewer could drop the employer of an
// applicant the day before assignment). So an affiliation is matched by
// organization and start date and may only be ended (Until set, on or after
// recordedAt's date for one recorded as open) or ended later; it is never
// removed, re-dated or renamed. EINVALID naming the affiliation otherwise.
func KeepsAffiliationHistory(prev, next []Affiliation, recordedAt time.Time) error {
	var v Validator
	since := DateOf(recordedAt)
	for i, old := range prev {
		f := "affiliations"
		j := indexAffiliation(next, old)
		if j < 0 {
			v.Add(f, "must keep %s; end it with an until date instead of removing it", describeAffiliation(old, i))
			continue
		}
		f += "[" + itoa(j) + "].until"
		nu := next[j].Until
		switch {
		case old.Until.IsZero() && !nu.IsZero():
			v.Check(!nu.Time().Before(since.Time()), f, "must not be before %s, when the affiliation was last recorded as current", since)
		case !old.Until.IsZero() && !nu.IsZero():
			v.Check(!nu.Time().Before(old.Until.Time()), f, "must not be earlier than the recorded end %s", old.Until)
		}
	}
	return v.Err("The reviewer profile would rewrite affiliation history.")
}

// indexAffiliation finds old in list by organization and start date.
func indexAffiliation(list []Affiliation, old Affiliation) int {
	ref := orgRef{old.OrganizationID, old.Organization}
	for i, a := range list {
		if ref.matches(a.OrganizationID, a.Organization) && a.From.Equal(old.From) {
			return i
		}
	}
	return -1
}

func describeAffiliation(a Affiliation, i int) string {
	s := "affiliation " + itoa(i) + " (" + a.Organization
	if !a.From.IsZero() {
		s += " from " + a.From.String()
	}
	return s + ")"
}
