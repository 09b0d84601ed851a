// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pactum/pactum"
)

// siteWatcher checks that the caller may watch site: its operators,
// access managers and auditors. Another site's operator gets ENOTFOUND,
// as for a site the catalogue does not know.
func (a *App) siteWatcher(ctx context.Context, site string) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleSiteOperator:
		if u.Site != site {
			return pactum.Errorf(pactum.ENOTFOUND, "No system of the catalogue is hosted by site %q.", site)
		}
	default:
		return pactum.Errorf(pactum.EFORBIDDEN, "Only the site's operators, access managers and auditors watch a site.")
	}
	return knownSite(ctx, a.store, site, nil)
}

// FindDriftReports returns the site's drift reports, newest first, at most
// limit (1–pactum.MaxDriftList; 0: 50), and how many the site has
// (pactum.SiteOpsService).
func (a *App) FindDriftReports(ctx context.Context, site string, limit int) ([]*pactum.SiteDrift, int, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > pactum.MaxDriftList {
		return nil, 0, invalid("The listing is not valid.", "limit", fmt.Sprintf("must be between 1 and %d", pactum.MaxDriftList))
	}
	if err := a.siteWatcher(ctx, site); err != nil {
		return nil, 0, err
	}
	return a.store.ListDriftReports(ctx, site, limit)
}

// UsageIngestStatus returns, by cluster, what pactum has taken in from the
// site's clusters: those whose last batch the site's operators posted and
// those its agents hold a lease on (pactum.SiteOpsService). A leased
// cluster from which nothing was taken in yet is listed with no records.
func (a *App) UsageIngestStatus(ctx context.Context, site string) ([]pactum.UsageCluster, error) {
	if err := a.siteWatcher(ctx, site); err != nil {
		return nil, err
	}
	var clusters []pactum.UsageCluster
	var leases []pactum.AgentLease
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		var err error
		if clusters, err = q.ListUsageClusters(ctx); err != nil {
			return err
		}
		leases, err = q.ListAgentLeases(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	leased := map[string]bool{}
	for _, l := range leases {
		if l.Site == site {
			leased[l.Cluster] = true
		}
	}
	out := []pactum.UsageCluster{}
	for _, c := range clusters {
		if c.Site == site || leased[c.Cluster] {
			out = append(out, c)
			delete(leased, c.Cluster)
		}
	}
	for c := range leased {
		out = append(out, pactum.UsageCluster{Cluster: c, Site: site})
	}
	slices.SortFunc(out, func(x, y pactum.UsageCluster) int { return strings.Compare(x.Cluster, y.Cluster) })
	return out, nil
}

// SiteAllocations returns one page of the site's desired state and its
// count by state (pactum.SiteOpsService), on one snapshot.
func (a *App) SiteAllocations(ctx context.Context, site string, limit, offset int) (*pactum.SiteAllocations, error) {
	var v pactum.Validator
	v.Check(limit >= 1 && limit <= pactum.MaxSiteAllocationPage, "limit", "must be between 1 and %d", pactum.MaxSiteAllocationPage)
	v.Check(offset >= 0 && offset <= 1<<30, "offset", "must be 0 or more")
	if err := v.Err("The listing is not valid."); err != nil {
		return nil, err
	}
	if err := a.siteWatcher(ctx, site); err != nil {
		return nil, err
	}
	now := a.now()
	since := now.Add(-pactum.RemovalGrace)
	var page []pactum.SiteAllocation
	out := &pactum.SiteAllocations{Site: site}
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		var err error
		if out.ByState, err = q.CountSiteAllocations(ctx, site, since); err != nil {
			return err
		}
		page, err = q.ListSiteAllocationsPage(ctx, site, since, limit, offset)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, n := range out.ByState {
		out.Total += n
	}
	out.Allocations = pactum.DesireSite(site, page, now).Allocations
	return out, nil
}
