// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestRecuseWaiveAndProfileChange covers conflicts found after assignment:
// a reviewer recuses, which records a declared conflict and hides the
// proposal from them; re-assigning fills the gap with someone else; an
// apparent conflict, once waived, lets that reviewer be assigned, a real one
// cannot be waived; and a reviewer whose new profile conflicts is recused at
// once.
func TestRecuseWaiveAndProfileChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		it4i := w.user(t, &pactum.User{Email: "ops@it4i.example", Name: "IT4I ops", Role: pactum.RoleSiteOperator, Site: "IT4I"})
		var revs []*pactum.User
		for _, e := range []string{"x@uni.example", "y@uni.example", "z@uni.example"} {
			revs = append(revs, w.reviewer(t, e, []string{"language_model"}))
		}
		former := w.reviewer(t, "former@uni.example", []string{"language_model", "text", "legal"},
			pactum.Affiliation{OrganizationID: w.f.OrgA.ID, Organization: "Aleph", From: pactum.MustDate("2020-01-01"), Until: pactum.MustDate("2025-06-30")})
		p := w.submit(t, w.f.ApplicantA, largeScale(w.f.Call.ID, "Legal LLM", 0.5, req("karolina-gpu", 1000)))
		w.technical(t, it4i, p)
		w.advance(t, p)

		rep, err := w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Conflicts) != 1 || rep.Conflicts[0].ReviewerID != former.ID || rep.Conflicts[0].Severity != pactum.SeverityApparent {
			t.Fatalf("conflicts %+v", rep.Conflicts)
		}
		apparent := rep.Conflicts[0]
		assigned := map[string]*pactum.Assignment{}
		for _, a := range rep.Assignments {
			assigned[a.ReviewerID] = a
		}
		if len(assigned) != 2 || assigned[former.ID] != nil {
			t.Fatalf("assignments %+v", rep.Assignments)
		}
		var x *pactum.User
		for _, r := range revs {
			if assigned[r.ID] != nil {
				x = r
				break
			}
		}

		// x recuses: a declared conflict, and the proposal disappears.
		if _, err := w.uc.FindReviewTrack(storetest.As(x), p.ID); err != nil {
			t.Fatalf("assigned reviewer cannot see the proposal: %v", err)
		}
		_, err = w.uc.Recuse(storetest.As(revs[0]), assigned[x.ID].ID+"-nope", "x")
		wantCode(t, err, pactum.ENOTFOUND)
		if a, err := w.uc.Recuse(storetest.As(x), assigned[x.ID].ID, "I co-authored with the applicant's CTO last year."); err != nil || a.State != pactum.AssignmentRecused {
			t.Fatalf("recuse: %+v %v", a, err)
		}
		_, err = w.uc.Recuse(storetest.As(x), assigned[x.ID].ID, "again")
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.FindProposalByID(storetest.As(x), p.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		cs, _, err := w.uc.FindConflicts(storetest.As(x), pactum.ConflictFilter{})
		if err != nil || len(cs) != 1 || cs[0].Reason != pactum.ConflictDeclared || cs[0].Severity != pactum.SeverityReal {
			t.Fatalf("x's conflicts: %+v %v", cs, err)
		}
		_, err = w.uc.WaiveConflict(mgr, cs[0].ID, "we need them")
		wantCode(t, err, pactum.ECONFLICT) // real conflicts stay

		// Re-assigning fills the gap with the third reviewer, not x and
		// not the former employee.
		rep, err = w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID == x.ID || rep.Assignments[0].ReviewerID == former.ID {
			t.Fatalf("refill %+v", rep.Assignments)
		}
		z := rep.Assignments[0].ReviewerID

		// z's new profile makes them an employee of the applicant: recused
		// at once, conflict recorded.
		var zu *pactum.User
		for _, r := range revs {
			if r.ID == z {
				zu = r
			}
		}
		if err := w.uc.UpdateReviewerProfile(storetest.As(zu), &pactum.ReviewerProfile{UserID: z, Expertise: []string{"language_model"},
			Affiliations: []pactum.Affiliation{{Organization: "Aleph Lingua GmbH", From: pactum.MustDate("2026-01-01")}}}); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.FindProposalByID(storetest.As(zu), p.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		as, _, _ := w.uc.FindAssignments(storetest.As(zu), pactum.AssignmentFilter{})
		if len(as) != 1 || as[0].State != pactum.AssignmentRecused {
			t.Errorf("z's assignment after the profile change: %+v", as)
		}

		// With the apparent conflict waived, the former employee is the
		// only one left, and gets the proposal.
		if _, err := w.uc.WaiveConflict(storetest.As(w.f.ApplicantA), apparent.ID, "trust me"); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("applicant waiver: %v", err)
		}
		wc, err := w.uc.WaiveConflict(mgr, apparent.ID, "Left 17 months ago, no shared work since; the only legal-NLP expert available.")
		if err != nil || wc.Status != pactum.ConflictWaived || wc.WaivedBy != w.f.Manager.ID {
			t.Fatalf("waive: %+v %v", wc, err)
		}
		rep, err = w.uc.AssignReviewers(mgr, w.f.Call.ID, pactum.StagePeer)
		if err != nil || len(rep.Assignments) != 1 || rep.Assignments[0].ReviewerID != former.ID {
			t.Fatalf("after the waiver: %+v %v", rep, err)
		}
		if _, err := w.uc.FindProposalByID(storetest.As(former), p.ID); err != nil {
			t.Errorf("the waived reviewer cannot see the proposal: %v", err)
		}
	})
}
