-- SPDX-License-Identifier: EUPL-1.2
-- Usage accounting. usage_records keeps one row per (cluster, job id),
-- replaced only while the job runs. Each record points to its bucket: the
-- totals of one cluster user under one allocation, which, like the totals
-- per allocation, the same transaction changes by exactly each record's
-- difference. Thresholds crossed are kept once each.
--
-- usage_records is written a million rows at a time in a bulk load, so it
-- is kept narrow and has one B-tree only, its primary key, which job ids
-- fill in order: no foreign key (the store resolves every bucket first), no
-- allocation or account column (the bucket has them), job times as Unix
-- seconds, and no secondary index. An index on bucket halved the measured
-- ingestion rate (random inserts into it touch a page per record), while
-- the only query that would use it, listing one allocation's records, is
-- rare and can scan.
-- +goose Up
CREATE TABLE usage_clusters (
    cluster    TEXT PRIMARY KEY,
    records    INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE usage_buckets (
    id            INTEGER PRIMARY KEY,
    allocation_id TEXT NOT NULL REFERENCES allocations (id),
    username      TEXT NOT NULL,
    jobs          INTEGER NOT NULL,
    gpu_seconds   INTEGER NOT NULL,
    node_seconds  INTEGER NOT NULL,
    cpu_seconds   INTEGER NOT NULL,
    UNIQUE (allocation_id, username)
);

CREATE TABLE usage_records (
    cluster      TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    bucket       INTEGER NOT NULL,
    state        TEXT NOT NULL,
    final        INTEGER NOT NULL,
    start_at     INTEGER,
    end_at       INTEGER,
    elapsed      INTEGER NOT NULL,
    gpu_seconds  INTEGER NOT NULL,
    node_seconds INTEGER NOT NULL,
    cpu_seconds  INTEGER NOT NULL,
    PRIMARY KEY (cluster, job_id)
) WITHOUT ROWID;

CREATE TABLE usage_totals (
    allocation_id  TEXT PRIMARY KEY REFERENCES allocations (id),
    jobs           INTEGER NOT NULL,
    gpu_seconds    INTEGER NOT NULL,
    node_seconds   INTEGER NOT NULL,
    cpu_seconds    INTEGER NOT NULL,
    charge_seconds INTEGER NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE usage_thresholds (
    allocation_id  TEXT NOT NULL REFERENCES allocations (id),
    percent        INTEGER NOT NULL,
    charge_seconds INTEGER NOT NULL,
    crossed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (allocation_id, percent)
);

-- +goose Down
DROP TABLE usage_thresholds;
DROP TABLE usage_totals;
DROP TABLE usage_records;
DROP TABLE usage_buckets;
DROP TABLE usage_clusters;
