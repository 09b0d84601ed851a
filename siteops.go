// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// SiteDrift is a drift report as pactum keeps it: the differences an agent
// of the site found on one of its clusters and restored, when and by whom
// it was reported.
type SiteDrift struct {
	ID      string      `json:"id"`
	Site    string      `json:"site"`
	Cluster string      `json:"cluster"`
	Items   []DriftItem `json:"items"`
	// ReportedBy is the site operator whose agent reported it.
	ReportedBy string    `json:"reported_by"`
	ReportedAt time.Time `json:"reported_at"`
}

// MaxDriftList bounds how many drift reports one listing returns.
const MaxDriftList = 500

// UsageCluster is what pactum has taken in from one cluster's accounting:
// the records it keeps and its last batch that changed any.
type UsageCluster struct {
	Cluster string `json:"cluster"`
	// Site is the site whose operator posted the last batch ("" for a
	// cluster last written before pactum kept it).
	Site string `json:"site"`
	// Records counts the job records kept.
	Records int64 `json:"records"`
	// LastBatchAt is when the last batch that wrote records was taken
	// in; LastWritten and LastNew count the records it wrote and, of
	// those, the jobs new to pactum. A batch of records pactum already
	// had changes nothing and is not counted here.
	LastBatchAt *time.Time `json:"last_batch_at,omitempty"`
	LastWritten int64      `json:"last_written"`
	LastNew     int64      `json:"last_new"`
}

// SiteOpsService reads what a hosting site's operators watch: the drift
// their agents restored and how usage ingestion stands.
type SiteOpsService interface {
	// FindDriftReports returns the site's drift reports, newest first, at
	// most limit (1–MaxDriftList; 0: 50), and how many the site has. The
	// site's operators, access managers and auditors; ENOTFOUND for a
	// site the catalogue does not know, and for another site's operator;
	// EFORBIDDEN for other roles; EINVALID for a bad limit.
	FindDriftReports(ctx context.Context, site string, limit int) ([]*SiteDrift, int, error)
	// UsageIngestStatus returns, by cluster, what pactum has taken in from
	// the clusters of the site: those whose last batch its operators
	// posted and those its agents hold a lease on. Who may call and the
	// errors are as for FindDriftReports.
	UsageIngestStatus(ctx context.Context, site string) ([]UsageCluster, error)
	// SiteAllocations returns one page (limit 1–MaxSiteAllocationPage,
	// offset 0 or more) of the site's desired state (DesiredState: its
	// allocations not expired or expired within RemovalGrace, by ID) and
	// how many it holds in each state. Who may call and the errors are as
	// for FindDriftReports, with EINVALID for a bad limit or offset.
	SiteAllocations(ctx context.Context, site string, limit, offset int) (*SiteAllocations, error)
}

// MaxSiteAllocationPage bounds a page of SiteAllocations.
const MaxSiteAllocationPage = 500

// SiteAllocations is a page of a site's desired state.
type SiteAllocations struct {
	Site        string              `json:"site"`
	Allocations []DesiredAllocation `json:"allocations"`
	// Total counts the site's allocations in the desired state; ByState
	// by state.
	Total   int                     `json:"total"`
	ByState map[AllocationState]int `json:"by_state"`
}

// SiteOpsQueries read drift reports and usage ingestion.
type SiteOpsQueries interface {
	// ListDriftReports returns the site's reports, newest first, at most
	// limit, and the number the site has.
	ListDriftReports(ctx context.Context, site string, limit int) ([]*SiteDrift, int, error)
	// ListUsageClusters returns every cluster usage was taken in from, by
	// name.
	ListUsageClusters(ctx context.Context) ([]UsageCluster, error)
	// ListSiteAllocationsPage is ListSiteAllocations of every system of
	// the site, one page by allocation ID.
	ListSiteAllocationsPage(ctx context.Context, site string, expiredSince time.Time, limit, offset int) ([]SiteAllocation, error)
	// CountSiteAllocations counts the allocations ListSiteAllocations
	// would return for the site, by state.
	CountSiteAllocations(ctx context.Context, site string, expiredSince time.Time) (map[AllocationState]int, error)
}

// SiteOpsWrites keep drift reports and usage batches.
type SiteOpsWrites interface {
	// InsertDriftReport stores a drift report.
	InsertDriftReport(ctx context.Context, d *SiteDrift) error
	// NoteUsageBatch records on the cluster's row (LockUsageCluster made
	// it) the site that posted its last batch writing records, and what
	// that batch wrote.
	NoteUsageBatch(ctx context.Context, cluster, site string, written, added int64, at time.Time) error
}

// CheckpointCheck is one signed audit checkpoint held to the chain: whose
// key signed it, whether the signature verifies and the key is the trusted
// one, and whether the chain has the stated hash at the stated event.
type CheckpointCheck struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	PublicKey string    `json:"public_key"`
	// KeyID is a short name of the key: the first 16 hex digits of the
	// SHA-256 of the public key's bytes.
	KeyID       string `json:"key_id"`
	SignatureOK bool   `json:"signature_ok"`
	// Trusted: signed with the trusted key given (false when none was).
	Trusted bool `json:"trusted"`
	// InChain: the chain's event Seq has Hash.
	InChain bool `json:"in_chain"`
	// OK: all three hold.
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// CheckpointReport is signed checkpoints held to the chain, and the
// chain's own verification.
type CheckpointReport struct {
	Chain       *AuditReport      `json:"chain"`
	Trusted     string            `json:"trusted"`
	TrustedID   string            `json:"trusted_key_id"`
	Checkpoints []CheckpointCheck `json:"checkpoints"`
	OK          bool              `json:"ok"`
}

// MaxCheckpoints bounds how many checkpoints one verification takes.
const MaxCheckpoints = 100
