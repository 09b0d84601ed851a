// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// FindConditions returns the allocation's conditions and whether each is
// met, to whoever may see the allocation; ENOTFOUND otherwise.
func (a *App) FindConditions(ctx context.Context, allocationID string) ([]pactum.ConditionStatus, error) {
	_, conds, err := a.conditions(ctx, allocationID)
	return conds, err
}

// conditions reads an allocation the caller may see and its conditions'
// statuses.
func (a *App) conditions(ctx context.Context, allocationID string) (*pactum.Allocation, []pactum.ConditionStatus, error) {
	al, _, err := visibleAllocation(ctx, a.store, allocationID)
	if err != nil {
		return nil, nil, err
	}
	acks, err := a.store.ListConditionAcks(ctx, al.ID)
	if err != nil {
		return nil, nil, err
	}
	grace, err := a.store.GetConditionGrace(ctx, al.ID)
	if err != nil {
		return nil, nil, err
	}
	return al, pactum.WithGrace(pactum.ConditionStatuses(al, acks), grace), nil
}

// AcknowledgeCondition meets a condition with the caller's statement,
// recorded in the audit log. Applicants of the allocation's organization
// only (EFORBIDDEN for others who may see it); ENOTFOUND for an unknown
// rule; ECONFLICT once the allocation has expired; EINVALID for an empty
// statement. Acknowledging again returns the first acknowledgement.
func (a *App) AcknowledgeCondition(ctx context.Context, allocationID, ruleID, statement string) (*pactum.ConditionStatus, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidateStatement(statement); err != nil {
		return nil, err
	}
	var out *pactum.ConditionStatus
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		al, _, err := visibleAllocation(ctx, tx, allocationID)
		if err != nil {
			return err
		}
		if u.Role != pactum.RoleApplicant || u.OrganizationID != al.OrganizationID {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only applicants of the allocation's organization acknowledge its conditions.")
		}
		acks, err := tx.ListConditionAcks(ctx, al.ID)
		if err != nil {
			return err
		}
		conds := pactum.ConditionStatuses(al, acks)
		i := slices.IndexFunc(conds, func(c pactum.ConditionStatus) bool { return c.RuleID == ruleID })
		if i < 0 {
			return pactum.Errorf(pactum.ENOTFOUND, "Allocation %s has no condition %q.", al.ID, ruleID)
		}
		c := conds[i]
		if c.Met {
			out = &c // a retried request changes nothing
			return nil
		}
		if al.State == pactum.AllocationExpired {
			return pactum.Errorf(pactum.ECONFLICT, "Allocation %s has expired; its conditions can no longer be acknowledged.", al.ID)
		}
		ack := pactum.ConditionAck{AllocationID: al.ID, RuleID: ruleID, Statement: strings.TrimSpace(statement), AcknowledgedBy: u.ID, AcknowledgedAt: tx.Now()}
		if err := tx.InsertConditionAck(ctx, ack); err != nil {
			return err
		}
		at := ack.AcknowledgedAt
		c.Met, c.Statement, c.AcknowledgedBy, c.AcknowledgedAt = true, ack.Statement, u.ID, &at
		out = &c
		return tx.Record("allocation.acknowledge_condition", "allocation", al.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Admission says whether the caller may run jobs under an allocation now
// (pactum.Admit), to whoever may see the allocation; ENOTFOUND otherwise.
func (a *App) Admission(ctx context.Context, allocationID string) (*pactum.Admission, error) {
	al, conds, err := a.conditions(ctx, allocationID)
	if err != nil {
		return nil, err
	}
	ad := pactum.Admit(al, conds, pactum.UserFromContext(ctx), a.now())
	if ad.HeldModels, err = a.store.ListHeldModels(ctx, al.ID); err != nil {
		return nil, err
	}
	b, err := a.store.GetBreach(ctx, al.ID)
	if err != nil {
		return nil, err
	}
	if b.Active() {
		ad.Reasons = append(ad.Reasons, "The allocation is suspended: a breach is declared ("+b.Reason+"); no new jobs until an access manager clears it.")
		ad.Allowed = false
	}
	return ad, nil
}

// DesiredState returns the desired state of a site's allocations
// (pactum.DesireSite), of one system when systemID is set: every
// allocation not expired, and expired ones for pactum.RemovalGrace. The
// site's operators, access managers and auditors; EFORBIDDEN otherwise.
// ENOTFOUND when no system of the catalogue is hosted by site, or systemID
// is not one of its systems: an agent given a typo must not read "no
// allocations" and empty its cluster.
func (a *App) DesiredState(ctx context.Context, site string, systemID *string) (*pactum.SiteState, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.CanReadAll(u) && !(u.Role == pactum.RoleSiteOperator && u.Site == site) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators, access managers and auditors read a site's desired state.")
	}
	now := a.now()
	var allocs []pactum.SiteAllocation
	err = pactum.View(ctx, a.store, func(q pactum.Queries) error {
		if err := knownSite(ctx, q, site, systemID); err != nil {
			return err
		}
		allocs, err = q.ListSiteAllocations(ctx, site, systemID, now.Add(-pactum.RemovalGrace))
		return err
	})
	if err != nil {
		return nil, err
	}
	return pactum.DesireSite(site, allocs, now), nil
}

// ReportDrift keeps drift an agent found and restored (FindDriftReports
// lists it) and records it as an audit event. The site's operators only
// (EFORBIDDEN); EINVALID for a bad report.
func (a *App) ReportDrift(ctx context.Context, site string, r pactum.DriftReport) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if u.Role != pactum.RoleSiteOperator || u.Site != site {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators report drift on its clusters.")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		d := &pactum.SiteDrift{ID: newID(), Site: site, Cluster: r.Cluster, Items: r.Items, ReportedBy: u.ID, ReportedAt: tx.Now()}
		if err := tx.InsertDriftReport(ctx, d); err != nil {
			return err
		}
		return tx.Record("site.drift", "site", site, nil, r)
	})
}

// knownSite returns ENOTFOUND unless the catalogue has a system hosted by
// site and, when systemID is set, that system is the site's.
func knownSite(ctx context.Context, q pactum.Queries, site string, systemID *string) error {
	systems, err := q.ListSystems(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, s := range systems {
		if s.Site != site {
			continue
		}
		found = true
		if systemID != nil && s.ID == *systemID {
			return nil
		}
	}
	switch {
	case !found:
		return pactum.Errorf(pactum.ENOTFOUND, "No system of the catalogue is hosted by site %q.", site)
	case systemID != nil:
		return pactum.Errorf(pactum.ENOTFOUND, "Site %s hosts no system %q.", site, *systemID)
	}
	return nil
}

// Heartbeat takes or renews the lease of h.Holder on the site's cluster
// (pactum.SiteService). The lease is not audited: it changes every minute
// and says only which agent runs.
func (a *App) Heartbeat(ctx context.Context, site string, h pactum.AgentHeartbeat) (*pactum.AgentLease, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != pactum.RoleSiteOperator || u.Site != site {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators run its agents.")
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	var got *pactum.AgentLease
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		now := tx.Now()
		got, err = tx.ClaimAgentLease(ctx, pactum.AgentLease{Site: site, Cluster: h.Cluster, Holder: h.Holder, Result: h.Result,
			RenewedAt: now, ExpiresAt: now.Add(pactum.AgentLeaseTTL)})
		return err
	})
	if err != nil {
		return nil, err
	}
	if got.Holder != h.Holder {
		return got, pactum.Errorf(pactum.ECONFLICT, "Another agent, %s, holds cluster %s of site %s until %s (its last result: %s); stop it, or wait for its lease to expire.",
			got.Holder, h.Cluster, site, got.ExpiresAt.Format(time.RFC3339), got.Result)
	}
	return got, nil
}
