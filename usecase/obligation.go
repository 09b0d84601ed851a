// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// createObligations instantiates the obligations of al's access mode
// (pactum.NewObligations) in the transaction that created al,
// audit-logged. Nothing without terms for the mode.
func (a *App) createObligations(ctx context.Context, tx pactum.Tx, p *pactum.Proposal, al *pactum.Allocation) error {
	for _, o := range pactum.NewObligations(al, a.obligations.For(p.Mode), tx.Now(), newID) {
		if err := tx.InsertObligation(ctx, o); err != nil {
			return err
		}
		if err := tx.Record("obligation.create", "obligation", o.ID, nil, o); err != nil {
			return err
		}
	}
	return nil
}

// blockOverdue refuses a proposal of orgID to call when the call's terms
// block organizations with an overdue obligation and orgID has one:
// ECONFLICT naming it and its allocation.
func blockOverdue(ctx context.Context, tx pactum.Tx, call *pactum.Call, orgID string) error {
	if !call.BlockOverdueOrganizations {
		return nil
	}
	o, err := tx.FirstOverdueObligation(ctx, orgID, tx.Now())
	if err != nil || o == nil {
		return err
	}
	return pactum.Errorf(pactum.ECONFLICT, "The call refuses proposals of organizations with an overdue obligation: obligation %s (%s) of allocation %s was due %s. Submit it (pactum obligations submit %s) and wait for an access manager to accept it.",
		o.ID, o.Title, o.AllocationID, o.DueAt.Format(time.RFC3339), o.ID)
}

// visibleObligation reads an obligation the caller may see (whoever may
// see its allocation; ENOTFOUND otherwise) with its allocation.
func visibleObligation(ctx context.Context, q pactum.Queries, id string) (*pactum.Obligation, *pactum.Allocation, error) {
	o, _, err := q.GetObligation(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	al, _, err := visibleAllocation(ctx, q, o.AllocationID)
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Obligation %q not found.", id)
	} else if err != nil {
		return nil, nil, err
	}
	return o, al, nil
}

// FindObligations lists the obligations the caller may see (those of the
// allocations they may see) by due date, and the total matching.
func (a *App) FindObligations(ctx context.Context, f pactum.ObligationFilter) ([]*pactum.Obligation, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	return a.store.ListObligations(ctx, pactum.AllocationScope(u), f)
}

// FindObligationByID returns an obligation the caller may see; ENOTFOUND
// otherwise.
func (a *App) FindObligationByID(ctx context.Context, id string) (*pactum.Obligation, error) {
	o, _, err := visibleObligation(ctx, a.store, id)
	return o, err
}

// notifyOrganization notifies every applicant of an organization.
func (a *App) notifyOrganization(ctx context.Context, tx pactum.Tx, orgID, kind, subject, body string) error {
	role := pactum.RoleApplicant
	users, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, OrganizationID: &orgID, Limit: 1000})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := a.notify(ctx, tx, &pactum.Notification{UserID: u.ID, Kind: kind, Subject: subject, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// SubmitObligation submits an open or returned obligation, audit-logged;
// the access managers are told. Applicants of the allocation's
// organization only (EFORBIDDEN for others who may see it, ENOTFOUND for
// anyone else); EINVALID for a bad submission; ECONFLICT while a
// submission awaits review or once accepted, unless it is the same
// submission again (a retry), which returns the obligation unchanged.
func (a *App) SubmitObligation(ctx context.Context, id string, in pactum.SubmissionInput) (*pactum.Obligation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	in.Report, in.OutcomeID = strings.TrimSpace(in.Report), strings.TrimSpace(in.OutcomeID)
	var out *pactum.Obligation
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		o, al, err := visibleObligation(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Role != pactum.RoleApplicant || u.OrganizationID != al.OrganizationID {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only applicants of the allocation's organization submit its obligations.")
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if !o.Pending() {
			if o.Report == in.Report && o.OutcomeID == in.OutcomeID {
				out = o // a retried request changes nothing
				return nil
			}
			return pactum.Errorf(pactum.ECONFLICT, "Obligation %s is %s; it cannot be submitted again now.", o.ID, o.State)
		}
		old, now := o.Version, tx.Now()
		o.State, o.Report, o.OutcomeID, o.SubmittedBy, o.SubmittedAt = pactum.ObligationSubmitted, in.Report, in.OutcomeID, u.ID, &now
		o.Version++
		if err := tx.UpdateObligation(ctx, o, old); err != nil {
			return err
		}
		out = o
		if err := tx.Record("obligation.submit", "obligation", o.ID, nil, o); err != nil {
			return err
		}
		return a.notifyManagers(ctx, tx, pactum.NotifyObligation, fmt.Sprintf("Obligation submitted: %s", o.Title),
			fmt.Sprintf("The holder of allocation %s submitted obligation %s (%s). Accept it with: pactum obligations accept %s; or return it with: pactum obligations return %s --reason TEXT",
				o.AllocationID, o.ID, o.Title, o.ID, o.ID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReviewObligation accepts a submitted obligation, or returns it to the
// holder with a reason, audit-logged; the holder's organization is told.
// Access managers only (EFORBIDDEN; ENOTFOUND cannot arise for them);
// EINVALID for a return without a reason; ECONFLICT when nothing is
// submitted. The same review again (a retry) returns the obligation
// unchanged.
func (a *App) ReviewObligation(ctx context.Context, id string, accept bool, reason string) (*pactum.Obligation, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var out *pactum.Obligation
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		o, _, err := visibleObligation(ctx, tx, id)
		if err != nil {
			return err
		}
		if !pactum.HasRole(u, pactum.RoleAccessManager) {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers accept or return obligations.")
		}
		if !accept {
			if err := pactum.ValidateReason(reason); err != nil {
				return err
			}
		}
		switch {
		case accept && o.State == pactum.ObligationAccepted,
			!accept && o.State == pactum.ObligationReturned && o.ReturnReason == reason:
			out = o // a retried request changes nothing
			return nil
		case o.State != pactum.ObligationSubmitted:
			return pactum.Errorf(pactum.ECONFLICT, "Obligation %s is %s: only a submitted obligation can be accepted or returned.", o.ID, o.State)
		}
		old, now := o.Version, tx.Now()
		o.ReviewedBy, o.ReviewedAt, o.Version = u.ID, &now, o.Version+1
		action, subject, body := "obligation.accept", "Obligation accepted: "+o.Title,
			fmt.Sprintf("An access manager accepted obligation %s (%s) of allocation %s.", o.ID, o.Title, o.AllocationID)
		if accept {
			o.State, o.ReturnReason = pactum.ObligationAccepted, ""
		} else {
			o.State, o.ReturnReason = pactum.ObligationReturned, reason
			action, subject = "obligation.return", "Obligation returned: "+o.Title
			body = fmt.Sprintf("An access manager returned obligation %s (%s) of allocation %s, due %s: %s Submit it again with: pactum obligations submit %s",
				o.ID, o.Title, o.AllocationID, o.DueAt.Format(time.RFC3339), reason, o.ID)
		}
		if err := tx.UpdateObligation(ctx, o, old); err != nil {
			return err
		}
		out = o
		if err := tx.Record(action, "obligation", o.ID, nil, o); err != nil {
			return err
		}
		return a.notifyOrganization(ctx, tx, o.OrganizationID, pactum.NotifyObligation, subject, body)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sweepBatch bounds one sweep's obligations; the next sweep takes the rest.
const sweepBatch = 1000

// SweepObligations sends the notices due now (pactum.ObligationNotices):
// reminders to the holder's organization, overdue marks with escalation to
// the access managers, and automatic breaches where the mode's terms set
// BreachAfterDays. Access managers only (EFORBIDDEN). Each obligation is
// swept in a transaction of its own, and each notice is recorded under a
// unique key before it is sent, so that however many instances sweep at
// once, each reminder, escalation and breach happens exactly once.
func (a *App) SweepObligations(ctx context.Context) (*pactum.SweepResult, error) {
	u, err := manager(ctx, "sweep obligations")
	if err != nil {
		return nil, err
	}
	return a.sweep(ctx, u)
}

// RunObligationSweeper sweeps as the system every interval until ctx ends,
// logging what each sweep did and any error; the server runs it.
func (a *App) RunObligationSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r, err := a.sweep(ctx, pactum.SystemUser())
		switch {
		case err != nil && ctx.Err() == nil:
			a.logger.Error("obligation sweep", "error", err)
		case err == nil && r.Reminders+r.Overdue+r.Breaches > 0:
			a.logger.Info("obligation sweep", "checked", r.Checked, "reminders", r.Reminders, "overdue", r.Overdue, "breaches", r.Breaches)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) sweep(ctx context.Context, u *pactum.User) (*pactum.SweepResult, error) {
	days := a.obligations.Reminders()
	now := a.now()
	ids, err := a.store.ListObligationsToSweep(ctx, now.AddDate(0, 0, days[0]), sweepBatch)
	if err != nil {
		return nil, err
	}
	r := &pactum.SweepResult{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		err := a.update(ctx, u, func(tx pactum.Tx) error {
			o, _, err := tx.GetObligation(ctx, id)
			if err != nil {
				return err
			}
			for _, n := range pactum.ObligationNotices(o, days, tx.Now()) {
				isNew, err := tx.InsertObligationNotice(ctx, o.ID, n, tx.Now())
				if err != nil {
					return err
				}
				if !isNew {
					continue
				}
				if err := a.sendNotice(ctx, tx, o, n, r); err != nil {
					return err
				}
			}
			return nil
		})
		if pactum.ErrorCode(err) == pactum.ECONFLICT {
			// Changed under the sweep (say, submitted): the next sweep
			// looks again; nothing of this one was kept.
			a.logger.Info("obligation sweep: changed concurrently, left for the next sweep", "obligation", id)
			continue
		}
		if err != nil {
			return r, fmt.Errorf("obligation %s: %w", id, err)
		}
		r.Checked++
	}
	return r, nil
}

// sendNotice does what notice n of o says, once its record is new.
func (a *App) sendNotice(ctx context.Context, tx pactum.Tx, o *pactum.Obligation, n string, r *pactum.SweepResult) error {
	due := o.DueAt.Format(time.RFC3339)
	switch n {
	case pactum.NoticeOverdue:
		old, now := o.Version, tx.Now()
		o.OverdueAt, o.Version = &now, o.Version+1
		if err := tx.UpdateObligation(ctx, o, old); err != nil {
			return err
		}
		if err := tx.Record("obligation.overdue", "obligation", o.ID, nil, o); err != nil {
			return err
		}
		r.Overdue++
		subject := "Obligation overdue: " + o.Title
		if err := a.notifyOrganization(ctx, tx, o.OrganizationID, pactum.NotifyObligation, subject,
			fmt.Sprintf("Obligation %s (%s) of allocation %s was due %s and is overdue. Submit it with: pactum obligations submit %s --report TEXT",
				o.ID, o.Title, o.AllocationID, due, o.ID)); err != nil {
			return err
		}
		return a.notifyManagers(ctx, tx, pactum.NotifyObligation, subject,
			fmt.Sprintf("Obligation %s (%s) of allocation %s (organization %s) was due %s and is overdue. See pactum allocations compliance %s; declare a breach with: pactum allocations breach %s --reason TEXT",
				o.ID, o.Title, o.AllocationID, o.OrganizationID, due, o.AllocationID, o.AllocationID))
	case pactum.NoticeBreach:
		b := &pactum.Breach{AllocationID: o.AllocationID, Automatic: true, DeclaredAt: tx.Now(),
			Reason: fmt.Sprintf("obligation %s (%s) overdue %d days since %s", o.ID, o.Title, o.BreachAfterDays, due)}
		isNew, err := tx.PutBreach(ctx, b)
		if err != nil || !isNew {
			return err // a breach in force already suspends the allocation
		}
		r.Breaches++
		return a.breachDeclared(ctx, tx, b)
	default:
		if err := tx.Record("obligation.remind", "obligation", o.ID, nil, map[string]any{"notice": n, "due_at": o.DueAt}); err != nil {
			return err
		}
		r.Reminders++
		return a.notifyOrganization(ctx, tx, o.OrganizationID, pactum.NotifyObligation, "Obligation due soon: "+o.Title,
			fmt.Sprintf("Obligation %s (%s) of allocation %s is due %s. Submit it with: pactum obligations submit %s --report TEXT",
				o.ID, o.Title, o.AllocationID, due, o.ID))
	}
}

// breachDeclared records and notifies a breach just put in force.
func (a *App) breachDeclared(ctx context.Context, tx pactum.Tx, b *pactum.Breach) error {
	if err := tx.Record("allocation.breach", "allocation", b.AllocationID, nil, b); err != nil {
		return err
	}
	al, _, err := tx.GetAllocation(ctx, b.AllocationID)
	if err != nil {
		return err
	}
	subject := "Breach declared: allocation " + b.AllocationID + " is suspended"
	body := "A breach of allocation " + b.AllocationID + " is declared: " + b.Reason +
		". Its site suspends the allocation (no new jobs) until an access manager clears the breach."
	if err := a.notifyOrganization(ctx, tx, al.OrganizationID, pactum.NotifyObligation, subject, body); err != nil {
		return err
	}
	return a.notifyManagers(ctx, tx, pactum.NotifyObligation, subject, body+" Clear it with: pactum allocations breach "+b.AllocationID+" --clear --reason TEXT")
}

// Compliance returns an allocation's compliance (pactum.AssessCompliance)
// to whoever may see the allocation; ENOTFOUND otherwise.
func (a *App) Compliance(ctx context.Context, allocationID string) (*pactum.Compliance, error) {
	var c *pactum.Compliance
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		al, _, err := visibleAllocation(ctx, q, allocationID)
		if err != nil {
			return err
		}
		acks, err := q.ListConditionAcks(ctx, al.ID)
		if err != nil {
			return err
		}
		obls, _, err := q.ListObligations(ctx, pactum.Scope{All: true}, pactum.ObligationFilter{AllocationID: &al.ID, Limit: 1000})
		if err != nil {
			return err
		}
		b, err := q.GetBreach(ctx, al.ID)
		if err != nil {
			return err
		}
		open, err := q.CountOpenIncidents(ctx, al.ID)
		if err != nil {
			return err
		}
		c = pactum.AssessCompliance(al, pactum.ConditionStatuses(al, acks), obls, b, open, a.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeclareBreach declares a breach of an allocation with the access
// manager's reason, audit-logged; the site suspends the allocation
// (pactum.DesireBreach) and the holder's organization and the access
// managers are told. Access managers only (EFORBIDDEN; ENOTFOUND for an
// unknown allocation); EINVALID without a reason. Declaring while a
// breach is in force returns it unchanged.
func (a *App) DeclareBreach(ctx context.Context, allocationID, reason string) (*pactum.Breach, error) {
	return a.changeBreach(ctx, allocationID, reason, func(tx pactum.Tx, u *pactum.User, al *pactum.Allocation, reason string) (*pactum.Breach, error) {
		b := &pactum.Breach{AllocationID: al.ID, Reason: reason, DeclaredBy: u.ID, DeclaredAt: tx.Now()}
		isNew, err := tx.PutBreach(ctx, b)
		if err != nil {
			return nil, err
		}
		if !isNew {
			return tx.GetBreach(ctx, al.ID) // in force already: a retry changes nothing
		}
		return b, a.breachDeclared(ctx, tx, b)
	})
}

// ClearBreach clears the breach of an allocation with the access manager's
// reason, audit-logged; the site resumes the allocation and its
// organization is told. Access managers only (EFORBIDDEN); EINVALID
// without a reason; ECONFLICT when no breach was ever declared. Clearing a
// cleared breach returns it unchanged.
func (a *App) ClearBreach(ctx context.Context, allocationID, reason string) (*pactum.Breach, error) {
	return a.changeBreach(ctx, allocationID, reason, func(tx pactum.Tx, u *pactum.User, al *pactum.Allocation, reason string) (*pactum.Breach, error) {
		b, err := tx.GetBreach(ctx, al.ID)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, pactum.Errorf(pactum.ECONFLICT, "Allocation %s has no breach to clear.", al.ID)
		}
		if !b.Active() {
			return b, nil // a retried request changes nothing
		}
		now := tx.Now()
		b.ClearedAt, b.ClearedBy, b.ClearReason = &now, u.ID, reason
		if err := tx.ClearBreach(ctx, b); err != nil {
			return nil, err
		}
		if err := tx.Record("allocation.clear_breach", "allocation", al.ID, nil, b); err != nil {
			return nil, err
		}
		return b, a.notifyOrganization(ctx, tx, al.OrganizationID, pactum.NotifyObligation, "Breach cleared: allocation "+al.ID+" resumes",
			"An access manager cleared the breach of allocation "+al.ID+": "+reason+" Its site resumes the allocation at its next cycle.")
	})
}

// changeBreach runs change in one transaction after the checks declaring
// and clearing share: an allocation the caller may see (ENOTFOUND), an
// access manager (EFORBIDDEN), a valid reason (EINVALID), trimmed.
func (a *App) changeBreach(ctx context.Context, allocationID, reason string,
	change func(tx pactum.Tx, u *pactum.User, al *pactum.Allocation, reason string) (*pactum.Breach, error)) (*pactum.Breach, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var out *pactum.Breach
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		al, _, err := visibleAllocation(ctx, tx, allocationID)
		if err != nil {
			return err
		}
		if !pactum.HasRole(u, pactum.RoleAccessManager) {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers declare or clear a breach.")
		}
		if err := pactum.ValidateReason(reason); err != nil {
			return err
		}
		out, err = change(tx, u, al, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
