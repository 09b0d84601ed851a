// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// ReportIncident records an incident on an allocation (pactum.Incident):
// members of the holding organization and operators of the hosting site
// report; access managers and auditors, who see it, may not
// (EFORBIDDEN); anyone else, reviewers included, learns nothing
// (ENOTFOUND for the allocation). A model named must be one of the
// allocation's organization (ENOTFOUND otherwise); whether it has
// systemic risk is read from the supervision of compute
// (pactum.HasSystemicRisk) and fixes the Art. 55(1)(c) duty among the
// deadlines. EINVALID names every wrong field, before anything is read.
// One transaction: the incident, its audit event (the whole incident)
// and the access managers' notifications.
func (a *App) ReportIncident(ctx context.Context, in pactum.IncidentInput) (*pactum.Incident, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidateIncident(&in, a.now()); err != nil {
		return nil, err
	}
	var out *pactum.Incident
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		al, site, err := visibleAllocation(ctx, tx, in.AllocationID)
		if err != nil {
			return err
		}
		if !pactum.CanReportIncident(u, al, site) {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only members of the holding organization and operators of the hosting site report incidents.")
		}
		callID, err := tx.GetAllocationCall(ctx, al.ID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if in.OccurredAt.IsZero() {
			in.OccurredAt = now
		}
		inc := &pactum.Incident{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, CallID: callID,
			Kind: in.Kind, Severity: in.Severity, Harm: in.Harm, Title: strings.TrimSpace(in.Title), Description: in.Description,
			OccurredAt: in.OccurredAt.UTC().Truncate(time.Microsecond), ReportedAt: now, ReportedBy: u.ID, ReporterRole: u.Role,
			State: pactum.IncidentReported, UpdatedAt: now, Version: 1}
		if in.ModelID != "" {
			m, err := tx.GetModel(ctx, in.ModelID)
			if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
				return err
			}
			if m == nil || m.OrganizationID != al.OrganizationID {
				return &pactum.Error{Code: pactum.ENOTFOUND, Message: fmt.Sprintf("Model %q not found.", in.ModelID),
					Fields: []pactum.FieldError{{Field: "model_id", Message: "is not a model of the allocation's organization"}}}
			}
			alerts, err := tx.ListComputeAlerts(ctx, pactum.ModelSubject(m.Num))
			if err != nil {
				return err
			}
			_, err = tx.GetModelHold(ctx, m.ID)
			if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
				return err
			}
			inc.ModelID, inc.Model = m.ID, m.Label()
			inc.SystemicRisk = pactum.HasSystemicRisk(pactum.ModelSubject(m.Num), alerts, err == nil)
		}
		inc.SetDeadlines()
		if err := tx.InsertIncident(ctx, inc); err != nil {
			return err
		}
		if err := tx.Record("incident.report", "incident", inc.ID, nil, inc); err != nil {
			return err
		}
		inc.Overdue = inc.IsOverdue(now)
		out = inc
		subject := fmt.Sprintf("Incident reported on allocation %s: %s", al.ID, inc.Title)
		return a.notifyManagers(ctx, tx, pactum.NotifyIncident, subject, incidentNotice(inc)+
			" Triage it with: pactum incidents triage "+inc.ID+" --note TEXT")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// incidentNotice describes an incident and its earliest deadline.
func incidentNotice(i *pactum.Incident) string {
	s := fmt.Sprintf("%s incident (%s severity", strings.ReplaceAll(string(i.Kind), "_", " "), i.Severity)
	if i.Harm != "" {
		s += ", " + strings.ReplaceAll(string(i.Harm), "_", " ")
	}
	s += ")"
	if i.Model != "" {
		s += " involving model " + i.Model
	}
	if i.SystemicRisk {
		s += ", a general-purpose model with systemic risk: its provider reports to the AI Office (AI Act Art. 55(1)(c))"
	}
	s += "."
	if len(i.Deadlines) > 0 {
		d := i.Deadlines[0]
		s += fmt.Sprintf(" Earliest deadline %s (%s): %s", d.DueAt.Format("2006-01-02 15:04 MST"), d.Basis, d.Duty)
	}
	return s
}

// visibleIncident returns incident id if the caller may see its
// allocation, ENOTFOUND otherwise, with Overdue set at now.
func (a *App) visibleIncident(ctx context.Context, q pactum.Queries, u *pactum.User, id string) (*pactum.Incident, error) {
	inc, err := q.GetIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	al, site, err := q.GetAllocation(ctx, inc.AllocationID)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeAllocation(u, al, site) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Incident %q not found.", id)
	}
	inc.Overdue = inc.IsOverdue(a.now())
	return inc, nil
}

// FindIncident returns an incident whose allocation the caller may see
// (the holding organization's members, the hosting site's operators,
// access managers, auditors), ENOTFOUND otherwise.
func (a *App) FindIncident(ctx context.Context, id string) (*pactum.Incident, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return a.visibleIncident(ctx, a.store, u, id)
}

// FindIncidents lists the incidents the caller may see, newest first
// (with f.Overdue, those past their deadline and not closed, earliest due
// first): scoped like allocations, so reviewers see none. Naming an allocation
// the caller may not see is ENOTFOUND.
func (a *App) FindIncidents(ctx context.Context, f pactum.IncidentFilter) ([]*pactum.Incident, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.AllocationID != nil {
		if _, _, err := visibleAllocation(ctx, a.store, *f.AllocationID); err != nil {
			return nil, 0, err
		}
	}
	if f.State != nil && !f.State.Valid() {
		return nil, 0, invalid("The filter is not valid.", "state", "must be one of reported, triaged, closed")
	}
	now := a.now()
	f.OverdueAt = nil
	if f.Overdue {
		f.OverdueAt = &now
	}
	list, total, err := a.store.ListIncidents(ctx, pactum.AllocationScope(u), f)
	if err != nil {
		return nil, 0, err
	}
	for _, i := range list {
		i.Overdue = i.IsOverdue(now)
	}
	return list, total, nil
}

// FindOverdueIncidents lists the incidents past their earliest deadline
// and not closed, earliest due first: access managers and auditors.
func (a *App) FindOverdueIncidents(ctx context.Context, limit, offset int) ([]*pactum.Incident, int, error) {
	if _, err := reader(ctx, "list overdue incidents"); err != nil {
		return nil, 0, err
	}
	now := a.now()
	list, total, err := a.store.ListIncidents(ctx, pactum.Scope{All: true}, pactum.IncidentFilter{OverdueAt: &now, Limit: limit, Offset: offset})
	if err != nil {
		return nil, 0, err
	}
	for _, i := range list {
		i.Overdue = true
	}
	return list, total, nil
}

// TriageIncident moves a reported incident to triaged with the access
// manager's note and, optionally, a revised severity, which recomputes
// its deadlines. Access managers only (EFORBIDDEN); EINVALID for an empty
// note or unknown severity; ECONFLICT for an incident triaged otherwise
// or closed. The same triage again returns the incident unchanged, so a
// retried request is harmless. The whole incident is audit-logged and the
// reporter told.
func (a *App) TriageIncident(ctx context.Context, id string, in pactum.TriageInput) (*pactum.Incident, error) {
	u, err := manager(ctx, "triage incidents")
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidateIncidentNote("note", in.Note); err != nil {
		return nil, err
	}
	if in.Severity != "" && !in.Severity.Valid() {
		return nil, invalid("The triage is not valid.", "severity", "must be one of low, moderate, high, critical")
	}
	note := strings.TrimSpace(in.Note)
	var out *pactum.Incident
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		inc, err := a.visibleIncident(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if inc.State == pactum.IncidentTriaged && inc.TriageNote == note && (in.Severity == "" || in.Severity == inc.Severity) {
			out = inc // a retried request changes nothing
			return nil
		}
		if inc.State != pactum.IncidentReported {
			return pactum.Errorf(pactum.ECONFLICT, "Incident %s is %s: only a reported incident is triaged.", inc.ID, inc.State)
		}
		now := tx.Now()
		old := inc.Version
		inc.State, inc.TriagedAt, inc.TriagedBy, inc.TriageNote = pactum.IncidentTriaged, &now, u.ID, note
		if in.Severity != "" && in.Severity != inc.Severity {
			inc.Severity = in.Severity
			inc.SetDeadlines()
		}
		inc.UpdatedAt, inc.Version = now, old+1
		inc.Overdue = false // not stored; set below for the answer
		if err := tx.UpdateIncident(ctx, inc, old); err != nil {
			return err
		}
		if err := tx.Record("incident.triage", "incident", inc.ID, nil, inc); err != nil {
			return err
		}
		inc.Overdue = inc.IsOverdue(now)
		out = inc
		return a.notify(ctx, tx, &pactum.Notification{UserID: inc.ReportedBy, Kind: pactum.NotifyIncident,
			Subject: fmt.Sprintf("Incident triaged: %s", inc.Title),
			Body:    fmt.Sprintf("An access manager triaged incident %s: %s %s", inc.ID, note, incidentNotice(inc))})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CloseIncident closes a triaged incident with its outcome. Access
// managers only (EFORBIDDEN); EINVALID for an empty outcome; ECONFLICT
// for an incident not triaged yet. Closing again returns the first
// closing unchanged, so a retried request is harmless. The whole incident
// is audit-logged and the reporter told.
func (a *App) CloseIncident(ctx context.Context, id, outcome string) (*pactum.Incident, error) {
	u, err := manager(ctx, "close incidents")
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidateIncidentNote("outcome", outcome); err != nil {
		return nil, err
	}
	var out *pactum.Incident
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		inc, err := a.visibleIncident(ctx, tx, u, id)
		if err != nil {
			return err
		}
		switch inc.State {
		case pactum.IncidentClosed:
			out = inc // a retried request changes nothing
			return nil
		case pactum.IncidentReported:
			return pactum.Errorf(pactum.ECONFLICT, "Incident %s is not triaged yet: triage it first (pactum incidents triage %s).", inc.ID, inc.ID)
		}
		now := tx.Now()
		old := inc.Version
		inc.State, inc.ClosedAt, inc.ClosedBy, inc.Outcome = pactum.IncidentClosed, &now, u.ID, strings.TrimSpace(outcome)
		inc.UpdatedAt, inc.Version, inc.Overdue = now, old+1, false
		if err := tx.UpdateIncident(ctx, inc, old); err != nil {
			return err
		}
		if err := tx.Record("incident.close", "incident", inc.ID, nil, inc); err != nil {
			return err
		}
		out = inc
		return a.notify(ctx, tx, &pactum.Notification{UserID: inc.ReportedBy, Kind: pactum.NotifyIncident,
			Subject: fmt.Sprintf("Incident closed: %s", inc.Title),
			Body:    fmt.Sprintf("An access manager closed incident %s. Outcome: %s", inc.ID, inc.Outcome)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountOpenIncidents counts an allocation's incidents that are not closed
// (reported or triaged): the "incidents open" of its compliance status.
// Whoever may see the allocation; ENOTFOUND otherwise.
func (a *App) CountOpenIncidents(ctx context.Context, allocationID string) (int, error) {
	if _, _, err := visibleAllocation(ctx, a.store, allocationID); err != nil {
		return 0, err
	}
	return a.store.CountOpenIncidents(ctx, allocationID)
}
