// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// TestConcurrentAutoApprovals submits many fast-lane proposals at once on
// a system with room for only half of them. The capacity is reserved last
// in each submission's transaction (route), and a submission that finds it
// short runs again routed to review: exactly the ones that fit are
// approved, the others wait in review with the shortfall as a finding and
// no allocation, the running total is the capacity, and the audit chain
// stays whole.
func TestConcurrentAutoApprovals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		const n, each = 30, 500.0 // Karolina offers 7,500 node-hours: room for 15
		props := make([]*pactum.Proposal, n)
		var wg sync.WaitGroup
		for i := range props {
			props[i] = storetest.NewProposal(w.f.Call.ID)
			props[i].Requests = []pactum.ResourceRequest{{SystemID: "karolina-gpu", Amount: each}}
			wg.Go(func() {
				if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), props[i]); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		states := map[pactum.ProposalState]int{}
		for _, p := range props {
			states[p.State]++
			if p.State != pactum.ProposalInReview {
				continue
			}
			var found bool
			for _, f := range p.Screening.Findings {
				found = found || strings.Contains(f.Message, "exceed its capacity")
			}
			if !found {
				t.Errorf("%s went to review without the capacity finding: %+v", p.ID, p.Screening.Findings)
			}
		}
		if states[pactum.ProposalApproved] != 15 || states[pactum.ProposalInReview] != 15 {
			t.Fatalf("states %v, want 15 approved and 15 in review", states)
		}
		w.wantKarolinaFull(t)
		if r, err := usecase.VerifyAudit(context.Background(), w.db); err != nil || !r.OK {
			t.Errorf("audit after concurrent submissions: %+v %v", r, err)
		}
	})
}
