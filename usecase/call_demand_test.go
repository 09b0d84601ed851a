// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestCallDemand: each of the call's systems with what submitted
// proposals request (drafts and withdrawn ones not counted) and decisions
// granted, against its capacity; for access managers and auditors only.
func TestCallDemand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		as := storetest.As(w.f.ApplicantA)
		approved := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(as, approved); err != nil || approved.State != pactum.ProposalApproved {
			t.Fatalf("submit: %s %v", approved.State, err)
		}
		draft := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.CreateProposal(as, draft); err != nil {
			t.Fatal(err)
		}
		ds, err := w.uc.CallDemand(storetest.As(w.f.Auditor), w.f.Call.ID)
		if err != nil || len(ds) != len(w.f.Call.SystemIDs) {
			t.Fatalf("demand %+v %v", ds, err)
		}
		for _, d := range ds {
			req, granted := 0.0, 0.0
			if d.SystemID == "leonardo-booster" {
				req, granted = 20000, 20000
			}
			if d.Requested != req || d.Granted != granted || d.Capacity <= 0 {
				t.Errorf("%s: %+v, want requested %g and granted %g", d.SystemID, d, req, granted)
			}
		}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Reviewer, w.f.Operator} {
			if _, err := w.uc.CallDemand(storetest.As(u), w.f.Call.ID); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
				t.Errorf("%s: %v", u.Role, err)
			}
		}
		if _, err := w.uc.CallDemand(storetest.As(w.f.Manager), "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("unknown call: %v", err)
		}
	})
}
