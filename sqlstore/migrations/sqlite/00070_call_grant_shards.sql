-- SPDX-License-Identifier: EUPL-1.2
-- A call's running total per system is kept in several rows (shards), each
-- holding a share of the system's capacity, so that concurrent approvals on
-- PostgreSQL — on one or several server instances — rarely wait for the
-- same row lock (capacity.go). The shares of a call and system never add
-- up to more than 1, and no shard grants beyond its share, so the sum never
-- exceeds the capacity. A call and system has all its shards or none
-- (grantShards in capacity.go: 8). An existing total becomes shard 0 with
-- the whole capacity, the other seven shards with none; the shares are
-- rebalanced the first time shard 0 runs short.
-- +goose Up
CREATE TABLE call_grant_shards (
    call_id   TEXT NOT NULL REFERENCES calls (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    shard     INTEGER NOT NULL,
    granted   REAL NOT NULL,
    share     REAL NOT NULL,
    PRIMARY KEY (call_id, system_id, shard)
);
INSERT INTO call_grant_shards (call_id, system_id, shard, granted, share)
    SELECT call_id, system_id, 0, granted, 1 FROM call_grants;
INSERT INTO call_grant_shards (call_id, system_id, shard, granted, share)
    SELECT call_id, system_id, s.n, 0, 0 FROM call_grants CROSS JOIN
    (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) AS s;
DROP TABLE call_grants;

-- +goose Down
CREATE TABLE call_grants (
    call_id   TEXT NOT NULL REFERENCES calls (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    granted   REAL NOT NULL,
    PRIMARY KEY (call_id, system_id)
);
INSERT INTO call_grants (call_id, system_id, granted)
    SELECT call_id, system_id, SUM(granted) FROM call_grant_shards GROUP BY call_id, system_id;
DROP TABLE call_grant_shards;
