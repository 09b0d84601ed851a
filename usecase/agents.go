// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"slices"

	"github.com/pactum/pactum"
)

// ListAgents returns the sites' agents as last heard from
// (pactum.SiteService): every site's for access managers and auditors,
// their own site's for site operators.
func (a *App) ListAgents(ctx context.Context, site string) ([]pactum.AgentStatus, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleSiteOperator:
		if site != "" && site != u.Site {
			return nil, pactum.Errorf(pactum.ENOTFOUND, "No system of the catalogue is hosted by site %q.", site)
		}
		site = u.Site
	default:
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers, auditors and site operators see the sites' agents.")
	}
	if site != "" {
		if err := knownSite(ctx, a.store, site, nil); err != nil {
			return nil, err
		}
	}
	systems, err := a.store.ListSystems(ctx)
	if err != nil {
		return nil, err
	}
	var sites []string
	for _, s := range systems {
		if (site == "" || s.Site == site) && !slices.Contains(sites, s.Site) {
			sites = append(sites, s.Site)
		}
	}
	leases, err := a.store.ListAgentLeases(ctx)
	if err != nil {
		return nil, err
	}
	if site != "" {
		leases = slices.DeleteFunc(leases, func(l pactum.AgentLease) bool { return l.Site != site })
	}
	return pactum.AgentStatuses(sites, leases, a.now(), a.agentSilentAfter), nil
}
