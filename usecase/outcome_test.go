// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"encoding/json"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

func publication(allocationID string) pactum.OutcomeInput {
	return pactum.OutcomeInput{AllocationID: allocationID, Kind: pactum.OutcomePublication, OutcomeFields: pactum.OutcomeFields{
		Title: "Continued pre-training for legal text", DOI: "doi:10.48550/arXiv.2611.01234", Venue: "ACL 2026", Year: 2026}}
}

// TestOutcomes: the holder enters, edits and removes outcomes, each change
// audit-logged; they are listed per allocation, organization and (for
// access managers and auditors) call; others never see them.
func TestOutcomes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		al := w.allocation(t, 1000)
		ctxA := storetest.As(w.f.ApplicantA)

		pub, err := w.uc.AddOutcome(ctxA, publication(al.ID))
		if err != nil || pub.DOI != "10.48550/arXiv.2611.01234" || pub.CallID != w.f.Call.ID || pub.OrganizationID != w.f.OrgA.ID || pub.Version != 1 {
			t.Fatalf("added: %+v %v", pub, err)
		}
		m := w.model(t, w.f.ApplicantA, pactum.Model{Name: "lex", Version: "7b"})
		open := true
		mod, err := w.uc.AddOutcome(ctxA, pactum.OutcomeInput{AllocationID: al.ID, Kind: pactum.OutcomeModel, OutcomeFields: pactum.OutcomeFields{
			Title: "lex-7b", URL: "https://huggingface.co/aleph/lex-7b", Licence: "Apache-2.0", OpenWeights: &open, ModelID: m.ID}})
		if err != nil || mod.OpenWeights == nil || !*mod.OpenWeights || mod.ModelID != m.ID {
			t.Fatalf("model released: %+v %v", mod, err)
		}
		fund, err := w.uc.AddOutcome(ctxA, pactum.OutcomeInput{AllocationID: al.ID, Kind: pactum.OutcomeFunding,
			OutcomeFields: pactum.OutcomeFields{Title: "Seed round", Funder: "EIC Accelerator", AmountEUR: 2.5e6}})
		if err != nil || fund.AmountEUR != 2.5e6 {
			t.Fatalf("funding: %+v %v", fund, err)
		}

		// Who may enter them.
		for u, code := range map[*pactum.User]string{w.f.ApplicantB: pactum.ENOTFOUND, w.f.Reviewer: pactum.ENOTFOUND,
			w.f.Operator: pactum.EFORBIDDEN, w.f.Manager: pactum.EFORBIDDEN, w.f.Auditor: pactum.EFORBIDDEN} {
			if _, err := w.uc.AddOutcome(storetest.As(u), publication(al.ID)); pactum.ErrorCode(err) != code {
				t.Errorf("%s added: %v, want %s", u.Email, err, code)
			}
		}
		other := w.model(t, w.f.ApplicantB, pactum.Model{Name: "b", Version: "1"})
		bad := pactum.OutcomeInput{AllocationID: al.ID, Kind: pactum.OutcomeModel, OutcomeFields: pactum.OutcomeFields{
			Title: "b", URL: "https://example.org/b", Licence: "MIT", OpenWeights: &open, ModelID: other.ID}}
		if _, err := w.uc.AddOutcome(ctxA, bad); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another organization's model: %v", err)
		}
		bad = publication(al.ID)
		bad.DOI, bad.Title = "10.12/short", "a\x1b[2Jb"
		_, err = w.uc.AddOutcome(ctxA, bad)
		if fs := pactum.ErrorFields(err); pactum.ErrorCode(err) != pactum.EINVALID || len(fs) != 2 {
			t.Errorf("bad DOI and title: %v %v", err, fs)
		}

		// Lists.
		list := func(u *pactum.User, f pactum.OutcomeFilter) (int, error) {
			_, n, err := w.uc.FindOutcomes(storetest.As(u), f)
			return n, err
		}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Operator, w.f.Manager, w.f.Auditor} {
			if n, err := list(u, pactum.OutcomeFilter{AllocationID: &al.ID}); n != 3 || err != nil {
				t.Errorf("%s: %d outcomes of the allocation, %v", u.Email, n, err)
			}
			if n, err := list(u, pactum.OutcomeFilter{OrganizationID: &w.f.OrgA.ID}); n != 3 || err != nil {
				t.Errorf("%s: %d outcomes of the organization, %v", u.Email, n, err)
			}
			if _, err := w.uc.FindOutcome(storetest.As(u), pub.ID); err != nil {
				t.Errorf("%s cannot see an outcome: %v", u.Email, err)
			}
		}
		kind := pactum.OutcomeFunding
		if n, _ := list(w.f.Manager, pactum.OutcomeFilter{CallID: &w.f.Call.ID, Kind: &kind}); n != 1 {
			t.Errorf("%d funding outcomes of the call, want 1", n)
		}
		if n, err := list(w.f.Auditor, pactum.OutcomeFilter{CallID: &w.f.Call.ID}); n != 3 || err != nil {
			t.Errorf("auditor: %d outcomes of the call, %v", n, err)
		}
		if _, err := list(w.f.ApplicantA, pactum.OutcomeFilter{CallID: &w.f.Call.ID}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("an applicant listed a call's outcomes: %v", err)
		}
		for _, u := range []*pactum.User{w.f.Reviewer, w.f.ApplicantB} {
			if _, err := w.uc.FindOutcome(storetest.As(u), pub.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s: show gave %v", u.Email, err)
			}
			if _, err := list(u, pactum.OutcomeFilter{AllocationID: &al.ID}); pactum.ErrorCode(err) != pactum.ENOTFOUND {
				t.Errorf("%s: allocation list gave %v", u.Email, err)
			}
			if n, err := list(u, pactum.OutcomeFilter{}); n != 0 || err != nil {
				t.Errorf("%s lists %d outcomes: %v", u.Email, n, err)
			}
		}
		if _, err := list(w.f.ApplicantB, pactum.OutcomeFilter{OrganizationID: &w.f.OrgA.ID}); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another organization's list: %v", err)
		}

		// Edit: the holder; version guarded; a retry is harmless.
		f := pub.OutcomeFields
		f.Venue = "ACL 2026 (main)"
		if _, err := w.uc.UpdateOutcome(storetest.As(w.f.Operator), pub.ID, 1, f); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("the site edited: %v", err)
		}
		up, err := w.uc.UpdateOutcome(ctxA, pub.ID, 1, f)
		if err != nil || up.Venue != "ACL 2026 (main)" || up.Version != 2 || up.Kind != pactum.OutcomePublication {
			t.Fatalf("updated: %+v %v", up, err)
		}
		if again, err := w.uc.UpdateOutcome(ctxA, pub.ID, 1, f); err != nil || again.Version != 2 {
			t.Errorf("a retried edit: %+v %v", again, err)
		}
		f.Venue = "EMNLP"
		if _, err := w.uc.UpdateOutcome(ctxA, pub.ID, 1, f); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Errorf("stale version: %v", err)
		}
		f.Funder = "x"
		if _, err := w.uc.UpdateOutcome(ctxA, pub.ID, 2, f); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("funder on a publication: %v", err)
		}

		// Remove.
		if err := w.uc.RemoveOutcome(storetest.As(w.f.Manager), fund.ID); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Errorf("a manager removed: %v", err)
		}
		if err := w.uc.RemoveOutcome(storetest.As(w.f.ApplicantB), fund.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("another organization removed: %v", err)
		}
		if err := w.uc.RemoveOutcome(ctxA, fund.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.uc.RemoveOutcome(ctxA, fund.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("removed twice: %v", err)
		}
		if n, _ := list(w.f.ApplicantA, pactum.OutcomeFilter{AllocationID: &al.ID}); n != 2 {
			t.Errorf("%d outcomes after removal, want 2", n)
		}

		for action, want := range map[string]int{"outcome.add": 3, "outcome.update": 1, "outcome.remove": 1} {
			if n := len(w.events(t, action)); n != want {
				t.Errorf("%d %s events, want %d", n, action, want)
			}
		}
		rm := w.events(t, "outcome.remove")[0]
		var before pactum.AllocationOutcome
		if err := json.Unmarshal(rm.Before, &before); err != nil || before.Funder != "EIC Accelerator" || (len(rm.After) != 0 && string(rm.After) != "null") {
			t.Errorf("removal event: %+v %v", before, err)
		}
	})
}
