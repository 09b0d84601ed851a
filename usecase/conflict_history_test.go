// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestConflictFoundBeforeAssignmentStaysHidden: a conflict detected when
// assigning (the reviewer never held the proposal) is on file for access
// managers, but the reviewer's own list does not show it, so they cannot
// learn that a proposal from their former employer exists; a conflict from
// their own recusal (they knew the proposal) is shown to them.
func TestConflictFoundBeforeAssignmentStaysHidden(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		it4i := w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
		revs := map[string]*pactum.User{}
		for _, e := range []string{"x@uni.example", "y@uni.example"} {
			u := w.reviewer(t, e, []string{"language_model"})
			revs[u.ID] = u
		}
		former := w.reviewer(t, "former@uni.example", []string{"language_model"},
			pactum.Affiliation{OrganizationID: w.f.OrgA.ID, Organization: "Aleph", From: pactum.MustDate("2020-01-01"), Until: pactum.MustDate("2025-06-30")})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "Legal LLM", 0.5, req("karolina-gpu", 1000)))
		w.technical(t, it4i, p)
		w.advance(t, p)
		rep, err := w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil || len(rep.Conflicts) != 1 || rep.Conflicts[0].ReviewerID != former.ID || rep.Conflicts[0].Disclosed {
			t.Fatalf("assignment: %+v %v", rep, err)
		}
		all, _, err := w.uc.FindConflicts(mgr, pactum.ConflictFilter{ReviewerID: &former.ID})
		if err != nil || len(all) != 1 || all[0].ProposalID != p.ID {
			t.Fatalf("manager's view: %+v %v", all, err)
		}
		mine, n, err := w.uc.FindConflicts(storetest.As(former), pactum.ConflictFilter{})
		if err != nil || len(mine) != 0 || n != 0 {
			t.Fatalf("the reviewer learns of the proposal: %+v (total %d) %v", mine, n, err)
		}
		if pactum.CanSeeConflict(former, all[0]) {
			t.Error("CanSeeConflict lets the reviewer read an undisclosed conflict")
		}

		holder := revs[rep.Assignments[0].ReviewerID]
		if _, err := w.uc.Recuse(storetest.As(holder), rep.Assignments[0].ID, "I advise the applicant."); err != nil {
			t.Fatal(err)
		}
		mine, _, err = w.uc.FindConflicts(storetest.As(holder), pactum.ConflictFilter{})
		if err != nil || len(mine) != 1 || !mine[0].Disclosed || mine[0].ProposalID != p.ID {
			t.Fatalf("the recused reviewer's own conflict: %+v %v", mine, err)
		}
	})
}

// TestAffiliationsAreHistory: a reviewer cannot delete, rename or back-date
// an affiliation (which would stop conflict detection), only end it; and an
// ended affiliation still conflicts for RecentAffiliationYears.
func TestAffiliationsAreHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		it4i := w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
		aleph := pactum.Affiliation{OrganizationID: w.f.OrgA.ID, Organization: "Aleph", From: pactum.MustDate("2021-03-01")}
		r := w.reviewer(t, "r@uni.example", []string{"language_model"}, aleph)
		as := storetest.As(r)
		w.clock.Advance(30 * 24 * time.Hour)
		update := func(aff ...pactum.Affiliation) error {
			return w.uc.UpdateReviewerProfile(as, &pactum.ReviewerProfile{UserID: r.ID, Expertise: []string{"language_model"}, Affiliations: aff})
		}
		other := pactum.Affiliation{Organization: "Uni", From: pactum.MustDate("2019-01-01")}
		wantField(t, update(other), "affiliations")
		renamed := aleph
		renamed.OrganizationID, renamed.Organization = "", "Somebody Else"
		wantField(t, update(renamed), "affiliations")
		backdated := aleph
		backdated.Until = pactum.MustDate("2022-01-01")
		wantField(t, update(backdated), "affiliations[0].until")
		if mgrErr := w.uc.UpdateReviewerProfile(storetest.As(w.f.Manager), &pactum.ReviewerProfile{UserID: r.ID}); pactum.ErrorCode(mgrErr) != pactum.EINVALID {
			t.Errorf("an access manager erased the history: %v", mgrErr)
		}

		ended := aleph
		ended.Until = pactum.DateOf(w.clock.Now())
		if err := update(ended, other); err != nil {
			t.Fatalf("ending an affiliation: %v", err)
		}
		earlier := ended
		earlier.Until = pactum.DateOf(w.clock.Now().AddDate(0, 0, -1))
		wantField(t, update(earlier, other), "affiliations[0].until")
		prof, err := w.uc.FindReviewerProfile(as, r.ID)
		if err != nil || len(prof.Affiliations) != 2 || !prof.Affiliations[0].Until.Equal(ended.Until) {
			t.Fatalf("profile: %+v %v", prof, err)
		}

		// Ended, it still counts as a recent affiliation a week later.
		w.clock.Advance(7 * 24 * time.Hour)
		w.reviewer(t, "x@uni.example", []string{"language_model"})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "Legal LLM", 0.5, req("karolina-gpu", 1000)))
		w.technical(t, it4i, p)
		w.advance(t, p)
		rep, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StagePeer)
		if err != nil || len(rep.Conflicts) != 1 || rep.Conflicts[0].ReviewerID != r.ID || rep.Conflicts[0].Reason != pactum.ConflictRecentOrganization {
			t.Fatalf("after ending: %+v %v", rep, err)
		}
	})
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if pactum.ErrorCode(err) != pactum.EINVALID {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
	for _, f := range pactum.ErrorFields(err) {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("error %v does not name %s", err, field)
}
