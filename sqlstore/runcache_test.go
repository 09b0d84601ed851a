// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestRunCache: GetRun answers the same run from its cache as from the
// row; a caller changing its copy changes nothing for the next; a
// publication shows at once; a run whose transaction rolled back is not
// found though the transaction read it; on each engine.
func TestRunCache(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		share := 0.2
		run := &pactum.AllocationRun{ID: newID(), CallID: s.f.Call.ID, State: pactum.RunDraft, InputHash: "h", CreatedBy: s.f.Manager.ID, Version: 1,
			Systems:  []pactum.RunSystem{{SystemID: "leonardo-booster", CapacityGPUHours: 1000, GrantedGPUHours: 800}},
			Outcomes: []pactum.RunOutcome{{ProposalID: "p1", Title: "First", Outcome: pactum.RunOutcomeFull, Grants: []pactum.Grant{{SystemID: "leonardo-booster", Amount: 800}}, Explanation: []string{"fits"}}}}
		in := pactum.AllocationRunInput{ReservedShare: &share, Capacities: map[string]float64{"leonardo-booster": 1000}}
		if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			run.CreatedAt = tx.Now()
			return tx.InsertRun(ctx, run, in, []byte(`{}`))
		}); err != nil {
			t.Fatal(err)
		}
		first, firstIn, err := s.db.GetRun(ctx, run.ID) // decoded from the row
		if err != nil {
			t.Fatal(err)
		}
		first.Outcomes[0].Title, first.Outcomes[0].Grants[0].Amount, first.Systems[0].GrantedGPUHours = "changed", 1, 2
		firstIn.Capacities["leonardo-booster"], *firstIn.ReservedShare = 5, 0.9
		again, againIn, err := s.db.GetRun(ctx, run.ID) // from the cache
		if err != nil {
			t.Fatal(err)
		}
		if again.Outcomes[0].Title != "First" || again.Outcomes[0].Grants[0].Amount != 800 || again.Systems[0].GrantedGPUHours != 800 ||
			againIn.Capacities["leonardo-booster"] != 1000 || *againIn.ReservedShare != 0.2 || again.State != pactum.RunDraft || again.Version != 1 {
			t.Fatalf("a changed copy reached the cache: %+v %+v", again, againIn)
		}

		// Published: the state comes from the row.
		if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			r, _, err := tx.GetRun(ctx, run.ID)
			if err != nil {
				return err
			}
			now := tx.Now()
			r.State, r.PublishedBy, r.PublishedAt, r.Version = pactum.RunPublished, s.f.Manager.ID, &now, 2
			return tx.UpdateRunPublished(ctx, r, 1)
		}); err != nil {
			t.Fatal(err)
		}
		pub, _, err := s.db.GetRun(ctx, run.ID)
		if err != nil || pub.State != pactum.RunPublished || pub.Version != 2 || pub.PublishedBy != s.f.Manager.ID || pub.PublishedAt == nil ||
			pub.Outcomes[0].Title != "First" {
			t.Fatalf("published run: %+v %v", pub, err)
		}

		// Inserted and read in a transaction that rolls back: not found.
		ghost := *run
		ghost.ID, ghost.State, ghost.Version, ghost.PublishedBy, ghost.PublishedAt = newID(), pactum.RunDraft, 1, "", nil
		rollback := errors.New("roll back")
		err = pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			if err := tx.InsertRun(ctx, &ghost, in, []byte(`{}`)); err != nil {
				return err
			}
			if _, _, err := tx.GetRun(ctx, ghost.ID); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("rolled back: %v", err)
		}
		if _, _, err := s.db.GetRun(ctx, ghost.ID); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("a rolled-back run: %v, want not found", err)
		}
	})
}
