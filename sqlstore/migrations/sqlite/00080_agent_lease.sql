-- SPDX-License-Identifier: EUPL-1.2
-- One active site agent per cluster: each agent renews a lease on its
-- (site, cluster) every cycle, with its last result; another agent may take
-- the lease only once it has expired.
-- +goose Up
CREATE TABLE agent_leases (
    site       TEXT NOT NULL,
    cluster    TEXT NOT NULL,
    holder     TEXT NOT NULL,
    result     TEXT NOT NULL DEFAULT '',
    renewed_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (site, cluster)
);

-- +goose Down
DROP TABLE agent_leases;
