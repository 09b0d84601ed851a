// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"slices"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// fieldNames lists the fields an EINVALID error names.
func fieldNames(err error) []string {
	var out []string
	for _, f := range pactum.ErrorFields(err) {
		out = append(out, f.Field)
	}
	return out
}

// TestDraftMayBeIncomplete: a draft with only a call and a title is saved
// and updated; what it gives must still be well-formed (control
// characters, ranges, a system the call offers, a known mode), and the
// missing parts are named when it is screened or submitted, after which
// the completed draft goes through.
func TestDraftMayBeIncomplete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ctxA := storetest.As(w.f.ApplicantA)
		p := &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: w.f.Call.ID, Title: "Half-written"}}
		if err := w.uc.CreateProposal(ctxA, p); err != nil {
			t.Fatalf("an incomplete draft is refused: %v", err)
		}
		got, err := w.uc.FindProposalByID(ctxA, p.ID)
		if err != nil || got.State != pactum.ProposalDraft || got.Title != "Half-written" || got.Mode != "" {
			t.Fatalf("stored draft %+v %v", got, err)
		}

		// Malformed content is refused even in a draft, each field named.
		bad := *got
		bad.Summary = "tab\x07bell"
		bad.DurationMonths = 99
		bad.Mode = "turbo"
		bad.Requests = []pactum.ResourceRequest{{SystemID: "no-such-system", Amount: -5}}
		bad.Team = []pactum.TeamMember{{Name: "Ann", Email: "not an address", Organization: "Lab"}}
		err = w.uc.UpdateProposal(ctxA, &bad)
		wantCode(t, err, pactum.EINVALID)
		for _, f := range []string{"summary", "duration_months", "mode", "requests[0].system_id", "requests[0].amount", "team[0].email"} {
			if !slices.Contains(fieldNames(err), f) {
				t.Errorf("malformed draft: %s not named in %v", f, fieldNames(err))
			}
		}
		err = w.uc.CreateProposal(ctxA, &pactum.Proposal{ProposalInput: pactum.ProposalInput{Title: "No call"}})
		wantCode(t, err, pactum.EINVALID)
		err = w.uc.CreateProposal(ctxA, &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: "call-nope", Title: "Unknown call"}})
		wantCode(t, err, pactum.EINVALID)

		// A partial update: a system with no amount yet is kept.
		partial := *got
		partial.Mode = pactum.ModeFastLane
		partial.Requests = []pactum.ResourceRequest{{SystemID: w.f.Call.SystemIDs[0]}}
		if err := w.uc.UpdateProposal(ctxA, &partial); err != nil {
			t.Fatalf("partial update: %v", err)
		}

		// Submitting (and the dry run) name what is still missing.
		_, err = w.uc.SubmitProposal(ctxA, p.ID)
		wantCode(t, err, pactum.EINVALID)
		missing := fieldNames(err)
		for _, f := range []string{"summary", "requests[0].amount", "duration_months", "ai_work.model_type", "ai_work.intended_use", "ai_work.data_provenance.sources"} {
			if !slices.Contains(missing, f) {
				t.Errorf("submit: %s not named as missing in %v", f, missing)
			}
		}
		_, err = w.uc.ScreenProposal(ctxA, &partial.ProposalInput)
		wantCode(t, err, pactum.EINVALID)
		if !slices.Equal(fieldNames(err), missing) {
			t.Errorf("the dry run names %v, submission %v", fieldNames(err), missing)
		}
		if got, _ := w.uc.FindProposalByID(ctxA, p.ID); got.State != pactum.ProposalDraft {
			t.Errorf("a refused submission moved the draft to %s", got.State)
		}

		// Completed, it is submitted.
		full := storetest.NewProposal(w.f.Call.ID)
		full.ID = p.ID
		if err := w.uc.UpdateProposal(ctxA, full); err != nil {
			t.Fatal(err)
		}
		if sub, err := w.uc.SubmitProposal(ctxA, p.ID); err != nil || sub.State == pactum.ProposalDraft {
			t.Fatalf("complete draft: %v", err)
		}
	})
}
