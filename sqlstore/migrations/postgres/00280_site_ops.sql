-- SPDX-License-Identifier: EUPL-1.2
-- What a site's operators watch (siteops.go). drift_reports keeps each
-- drift report an agent posts (before, reports were only audit events
-- "site.drift", which stay in the log; they are not copied here). The
-- usage_clusters row of a cluster gains the site whose operator posted
-- its last batch that wrote records, and what that batch wrote; the site
-- of a cluster already known is taken from one of its records.
-- +goose Up
CREATE TABLE drift_reports (
    id          TEXT PRIMARY KEY,
    site        TEXT NOT NULL,
    cluster     TEXT NOT NULL,
    items       TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX drift_reports_site ON drift_reports (site, reported_at);

ALTER TABLE usage_clusters ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_clusters ADD COLUMN last_batch_at TIMESTAMPTZ;
ALTER TABLE usage_clusters ADD COLUMN last_written INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_clusters ADD COLUMN last_new INTEGER NOT NULL DEFAULT 0;
UPDATE usage_clusters SET site = COALESCE((SELECT s.site FROM usage_records r JOIN usage_buckets b ON b.id = r.bucket
    JOIN allocations a ON a.id = b.allocation_id JOIN systems s ON s.id = a.system_id
    WHERE r.cluster = usage_clusters.cluster LIMIT 1), '');

-- +goose Down
ALTER TABLE usage_clusters DROP COLUMN last_new;
ALTER TABLE usage_clusters DROP COLUMN last_written;
ALTER TABLE usage_clusters DROP COLUMN last_batch_at;
ALTER TABLE usage_clusters DROP COLUMN site;
DROP TABLE drift_reports;
