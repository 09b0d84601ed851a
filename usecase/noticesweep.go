// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pactum/pactum"
)

// NoticeSweep is what one notice sweep sent.
type NoticeSweep struct {
	Expiring     int `json:"expiring"`
	ExpiryNotes  int `json:"expiry_notices"`
	SilentAgents int `json:"silent_agents"`
	ReviewsDue   int `json:"reviews_due"`
}

// RunNoticeSweeper sweeps notices as the system every interval until ctx
// ends, logging errors: allocations ending in 30, 14 or 7 days, reviews
// still awaited ReviewDueDays before the decision is due, and site agents
// silent for silentAfter. Each notice is sent once however many
// instances sweep (its key is recorded in the transaction that sends it).
func (a *App) RunNoticeSweeper(ctx context.Context, interval, silentAfter time.Duration) {
	for {
		if r, err := a.SweepNoticesAs(ctx, pactum.SystemUser(), silentAfter); err != nil && ctx.Err() == nil {
			a.logger.Error("notice sweep", "error", err)
		} else if r != nil && r.ExpiryNotes+r.SilentAgents+r.ReviewsDue > 0 {
			a.logger.Info("notice sweep", "expiry_notices", r.ExpiryNotes, "silent_agents", r.SilentAgents, "reviews_due", r.ReviewsDue)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// SweepNoticesAs runs one notice sweep on behalf of u (the system, or an
// access manager; EFORBIDDEN for anyone else).
func (a *App) SweepNoticesAs(ctx context.Context, u *pactum.User, silentAfter time.Duration) (*NoticeSweep, error) {
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers sweep notices.")
	}
	if silentAfter <= 0 {
		// The threshold at which ListAgents shows the agent silent.
		silentAfter = a.agentSilentAfter
	}
	now := a.now()
	r := &NoticeSweep{}
	horizon := time.Duration(pactum.ExpiryNoticeDays[0]) * 24 * time.Hour
	als, err := a.store.ListExpiringAllocations(ctx, now, now.Add(horizon), sweepBatch)
	if err != nil {
		return nil, err
	}
	r.Expiring = len(als)
	for _, al := range als {
		err := a.update(ctx, u, func(tx pactum.Tx) error {
			days, due := pactum.ExpiryNoticeDue(al.EndsAt, tx.Now())
			if days == 0 {
				return nil
			}
			send := false
			for _, d := range due {
				isNew, err := tx.InsertSweepNotice(ctx, "allocation:"+al.ID, "expiry-"+strconv.Itoa(d), tx.Now())
				if err != nil {
					return err
				}
				send = send || (isNew && d == days)
			}
			if !send {
				return nil
			}
			r.ExpiryNotes++
			if err := tx.Record("allocation.expiry_notice", "allocation", al.ID, nil, map[string]any{"days": days, "ends_at": al.EndsAt}); err != nil {
				return err
			}
			return a.notifyOrganization(ctx, tx, al.OrganizationID, pactum.NotifyExpiry,
				fmt.Sprintf("Allocation %s on %s ends in %d days", al.ID, al.SystemID, days),
				fmt.Sprintf("Allocation %s on %s ends at %s (within %d days). Copy your data off the system's storage before then; "+
					"jobs are not admitted after the end (pactum allocations show %s).", al.ID, al.SystemID,
					al.EndsAt.Format("2006-01-02 15:04 MST"), days, al.ID))
		})
		if err != nil {
			return nil, err
		}
	}
	due, err := a.store.ListDueReviews(ctx, now, now.Add(pactum.ReviewDueDays*24*time.Hour), sweepBatch)
	if err != nil {
		return nil, err
	}
	for _, d := range due {
		err := a.update(ctx, u, func(tx pactum.Tx) error {
			isNew, err := tx.InsertSweepNotice(ctx, "assignment:"+d.AssignmentID, "due", tx.Now())
			if err != nil || !isNew {
				return err
			}
			r.ReviewsDue++
			if err := tx.Record("review.due_notice", "assignment", d.AssignmentID, nil, map[string]any{"due_at": d.DueAt}); err != nil {
				return err
			}
			return a.notify(ctx, tx, &pactum.Notification{UserID: d.ReviewerID, ProposalID: d.ProposalID, Kind: pactum.NotifyReviewDue,
				Subject: fmt.Sprintf("Your %s review of “%s” is due", d.Stage, d.Title),
				Body: fmt.Sprintf("The decision on proposal %s is due at %s and your %s review is not in yet. Submit it (pactum reviews submit %s), "+
					"or recuse yourself if you have a conflict of interest.", d.ProposalID, d.DueAt.Format("2006-01-02 15:04 MST"), d.Stage, d.ProposalID)})
		})
		if err != nil {
			return nil, err
		}
	}
	silent, err := a.store.ListSilentAgents(ctx, now.Add(-silentAfter), sweepBatch)
	if err != nil {
		return nil, err
	}
	for _, l := range silent {
		err := a.update(ctx, u, func(tx pactum.Tx) error {
			isNew, err := tx.InsertSweepNotice(ctx, "agent:"+l.Site+"/"+l.Cluster, "silent-"+strconv.FormatInt(l.RenewedAt.Unix(), 10), tx.Now())
			if err != nil || !isNew {
				return err
			}
			r.SilentAgents++
			if err := tx.Record("agent.silent", "site", l.Site, nil, l); err != nil {
				return err
			}
			subject := fmt.Sprintf("The site agent of %s (cluster %s) is silent", l.Site, l.Cluster)
			body := fmt.Sprintf("The agent of site %s, cluster %s (%s), last reported at %s, more than %s ago: allocations there are not "+
				"provisioned, suspended or accounted until it runs again. Check the agent (pactum-agent) and its token.",
				l.Site, l.Cluster, l.Holder, l.RenewedAt.Format(time.RFC3339), silentAfter)
			if err := a.notifyManagers(ctx, tx, pactum.NotifyAgentSilent, subject, body); err != nil {
				return err
			}
			role := pactum.RoleSiteOperator
			ops, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Limit: 1000})
			if err != nil {
				return err
			}
			for _, op := range ops {
				if op.Site == l.Site {
					if err := a.notify(ctx, tx, &pactum.Notification{UserID: op.ID, Kind: pactum.NotifyAgentSilent, Subject: subject, Body: body}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}
