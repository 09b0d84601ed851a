// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// CarryReport says what CarryForward did.
type CarryReport struct {
	// Reviews are the proposals placed on a review track.
	Reviews []string `json:"reviews"`
	// Graces are the allocations given a grace period for their
	// conditions, and GraceUntil its end.
	Graces     []string   `json:"graces"`
	GraceUntil *time.Time `json:"grace_until,omitempty"`
}

// CarryForward places rows written by an older pactum into behaviour that
// came later, so every workflow can go on after an upgrade. It is run by
// the server at start (and by init), as the system, and does nothing the
// second time:
//
//   - A proposal in review without a review track (written before review
//     stages existed) gets one, planned as a proposal routed to review now
//     would be (pactum.NewReviewTrack: its call's mode and its screening),
//     starting now; its allocation runs and assignments then see it.
//   - An allocation, not expired, created before this database enforced
//     award conditions, with conditions unmet, gets pactum.ConditionGrace
//     to acknowledge them: its jobs keep running meanwhile, and its
//     organization's applicants are told now, with the date.
//
// Each change is audit-logged (review.open; allocation.condition_grace).
// Instances starting together on one database each try; the one whose
// insert conflicts leaves it to the other.
func (a *App) CarryForward(ctx context.Context) (*CarryReport, error) {
	sys := pactum.SystemUser()
	rep := &CarryReport{Reviews: []string{}, Graces: []string{}}
	ids, err := a.store.ListStrandedReviews(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		placed := false
		err := a.update(ctx, sys, func(tx pactum.Tx) error {
			p, err := tx.GetProposal(ctx, id)
			if err != nil {
				return err
			}
			if p.State != pactum.ProposalInReview {
				return nil
			}
			if _, _, err := tx.GetReviewTrack(ctx, id); err == nil {
				return nil // placed by another instance meanwhile
			} else if pactum.ErrorCode(err) != pactum.ENOTFOUND {
				return err
			}
			call, err := tx.GetCall(ctx, p.CallID)
			if err != nil {
				return err
			}
			placed = true
			return openReview(ctx, tx, p, call)
		})
		if pactum.ErrorCode(err) == pactum.ECONFLICT {
			continue // another instance starting at the same time placed it
		} else if err != nil {
			return rep, fmt.Errorf("place proposal %s on its review track: %w", id, err)
		}
		if placed {
			rep.Reviews = append(rep.Reviews, id)
			a.logger.Info("upgrade: proposal in review placed on its review track", "proposal", id)
		}
	}

	allocs, err := a.store.ListAllocationsBeforeConditions(ctx)
	if err != nil {
		return rep, err
	}
	for _, al := range allocs {
		given := false
		var until time.Time
		err := a.update(ctx, sys, func(tx pactum.Tx) error {
			acks, err := tx.ListConditionAcks(ctx, al.ID)
			if err != nil {
				return err
			}
			unmet := pactum.Unmet(pactum.ConditionStatuses(al, acks))
			if len(unmet) == 0 {
				return nil
			}
			if g, err := tx.GetConditionGrace(ctx, al.ID); err != nil || g != nil {
				return err
			}
			now := tx.Now()
			until = now.Add(pactum.ConditionGrace)
			if err := tx.InsertConditionGrace(ctx, al.ID, until, now); err != nil {
				return err
			}
			rules := make([]string, len(unmet))
			for i, c := range unmet {
				rules[i] = c.RuleID
			}
			if err := tx.Record("allocation.condition_grace", "allocation", al.ID, nil,
				map[string]any{"grace_until": until, "unmet": rules, "reason": "running before award conditions were enforced"}); err != nil {
				return err
			}
			given = true
			subject := "Allocation " + al.ID + ": acknowledge its award conditions by " + until.UTC().Format("2006-01-02")
			body := "This allocation was running before pactum enforced award conditions. Its conditions " + strings.Join(rules, ", ") +
				" are not acknowledged yet. Jobs keep running until " + until.UTC().Format(time.RFC3339) +
				"; after that, the site suspends the allocation until they are. Acknowledge each with: pactum allocations conditions ack " +
				al.ID + " RULE_ID --statement TEXT"
			return a.notifyOrganization(ctx, tx, al.OrganizationID, pactum.NotifyObligation, subject, body)
		})
		if pactum.ErrorCode(err) == pactum.ECONFLICT {
			continue // given by another instance starting at the same time
		} else if err != nil {
			return rep, fmt.Errorf("grace for allocation %s: %w", al.ID, err)
		}
		if given {
			rep.Graces = append(rep.Graces, al.ID)
			u := until.UTC()
			rep.GraceUntil = &u
			a.logger.Info("upgrade: allocation running before award conditions given a grace period", "allocation", al.ID, "until", u)
		}
	}
	return rep, nil
}
