// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// InsertDriftReport implements pactum.SiteOpsWrites.
func (tx *Tx) InsertDriftReport(ctx context.Context, d *pactum.SiteDrift) error {
	items, err := json.Marshal(d.Items)
	if err != nil {
		return fmt.Errorf("drift report items: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drift_reports (id, site, cluster, items, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		d.ID, d.Site, d.Cluster, string(items), d.ReportedBy, d.ReportedAt.UTC()); err != nil {
		return fmt.Errorf("insert drift report: %w", mapError(err))
	}
	return nil
}

// ListDriftReports implements pactum.SiteOpsQueries.
func (q *queries) ListDriftReports(ctx context.Context, site string, limit int) ([]*pactum.SiteDrift, int, error) {
	var w where
	w.add("site = ?", site)
	return listCounted(ctx, q.q, "list drift reports", `SELECT id, site, cluster, items, reported_by, reported_at FROM drift_reports`,
		&w, "reported_at DESC, id DESC", limit, 0, func(row scanner, _ ...any) (*pactum.SiteDrift, error) {
			d := &pactum.SiteDrift{}
			var items string
			if err := row.Scan(&d.ID, &d.Site, &d.Cluster, &items, &d.ReportedBy, &d.ReportedAt); err != nil {
				return nil, err
			}
			if err := json.Unmarshal([]byte(items), &d.Items); err != nil {
				return nil, fmt.Errorf("drift report %s: %w", d.ID, err)
			}
			d.ReportedAt = d.ReportedAt.UTC()
			return d, nil
		})
}

// NoteUsageBatch implements pactum.SiteOpsWrites.
func (tx *Tx) NoteUsageBatch(ctx context.Context, cluster, site string, written, added int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clusters SET site = $1, last_batch_at = $2, last_written = $3, last_new = $4 WHERE cluster = $5`,
		site, at.UTC(), written, added, cluster); err != nil {
		return fmt.Errorf("note usage batch of %s: %w", cluster, mapError(err))
	}
	return nil
}

// ListUsageClusters implements pactum.SiteOpsQueries.
func (q *queries) ListUsageClusters(ctx context.Context) ([]pactum.UsageCluster, error) {
	var out []pactum.UsageCluster
	err := eachRow(ctx, q.q, `SELECT cluster, site, records, last_batch_at, last_written, last_new FROM usage_clusters ORDER BY cluster`, nil,
		func(rows *sql.Rows) error {
			var c pactum.UsageCluster
			var at sql.NullTime
			if err := rows.Scan(&c.Cluster, &c.Site, &c.Records, &at, &c.LastWritten, &c.LastNew); err != nil {
				return err
			}
			if at.Valid {
				t := at.Time.UTC()
				c.LastBatchAt = &t
			}
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list usage clusters: %w", mapError(err))
	}
	return out, nil
}

// ListSiteAllocationsPage implements pactum.SiteOpsQueries.
func (q *queries) ListSiteAllocationsPage(ctx context.Context, site string, expiredSince time.Time, limit, offset int) ([]pactum.SiteAllocation, error) {
	return q.siteAllocations(ctx, site, nil, expiredSince, limit, offset)
}

// CountSiteAllocations implements pactum.SiteOpsQueries.
func (q *queries) CountSiteAllocations(ctx context.Context, site string, expiredSince time.Time) (map[pactum.AllocationState]int, error) {
	out := map[pactum.AllocationState]int{}
	err := eachRow(ctx, q.q, `SELECT a.state, COUNT(*) FROM allocations a JOIN systems s ON s.id = a.system_id
		WHERE s.site = $1 AND (a.state <> $2 OR a.updated_at >= $3) GROUP BY a.state`,
		[]any{site, string(pactum.AllocationExpired), expiredSince}, func(rows *sql.Rows) error {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			out[pactum.AllocationState(st)] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("count allocations of %s: %w", site, mapError(err))
	}
	return out, nil
}
