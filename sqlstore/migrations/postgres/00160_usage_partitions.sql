-- SPDX-License-Identifier: EUPL-1.2
-- usage_records becomes a table partitioned by month, for a federation
-- year's 10^8 records: each month's records sit in their own table with
-- their own indexes, so a month can be archived or dropped whole, vacuum
-- and index maintenance touch the month being written, and the new
-- records' COPY fills one partition's indexes, not a 10^8-row one.
--
-- The partition key, period, is the month (counted from January 1970) of
-- the job's start, or of the day the record was first stored when the job
-- had not started. It is fixed when the record is first stored and never
-- changes, so a record replaced while its job runs stays in its partition.
-- A partitioned table's unique key must include the partition key, so the
-- key is (cluster, job_id, period): that a job has one record across
-- partitions is kept by the store, which looks every job up under the
-- cluster's lock before it writes (sqlstore/usage.go).
--
-- Partitions are created on demand by the store (LIKE then ATTACH, which
-- lets reads and writes of the other months go on), and ahead of time for
-- the current and next months when a server opens the database.
-- +goose Up
ALTER TABLE usage_records RENAME TO usage_records_unpartitioned;
ALTER TABLE usage_records_unpartitioned RENAME CONSTRAINT usage_records_pkey TO usage_records_unpartitioned_pkey;
ALTER INDEX usage_records_bucket RENAME TO usage_records_unpartitioned_bucket;

CREATE TABLE usage_records (
    cluster      TEXT NOT NULL,
    job_id       TEXT COLLATE "C" NOT NULL,
    bucket       BIGINT NOT NULL,
    state        TEXT NOT NULL,
    final        BOOLEAN NOT NULL,
    start_at     BIGINT,
    end_at       BIGINT,
    elapsed      BIGINT NOT NULL,
    gpu_seconds  BIGINT NOT NULL,
    node_seconds BIGINT NOT NULL,
    cpu_seconds  BIGINT NOT NULL,
    claim        BIGINT NOT NULL DEFAULT 0,
    gpu_util     REAL,
    energy_raw   BIGINT,
    period       INTEGER NOT NULL,
    PRIMARY KEY (cluster, job_id, period)
) PARTITION BY RANGE (period);
CREATE INDEX usage_records_bucket ON usage_records (bucket, (COALESCE(start_at, 0)) DESC, job_id DESC);

-- +goose StatementBegin
CREATE FUNCTION pactum_usage_period(at BIGINT) RETURNS INTEGER LANGUAGE SQL IMMUTABLE AS $$
    SELECT ((EXTRACT(YEAR FROM to_timestamp(at) AT TIME ZONE 'UTC')::INTEGER - 1970) * 12
        + EXTRACT(MONTH FROM to_timestamp(at) AT TIME ZONE 'UTC')::INTEGER - 1)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    p INTEGER;
BEGIN
    FOR p IN SELECT DISTINCT pactum_usage_period(COALESCE(start_at, EXTRACT(EPOCH FROM now())::BIGINT))
            FROM usage_records_unpartitioned LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF usage_records FOR VALUES FROM (%s) TO (%s)',
            format('usage_records_%s_%s', 1970 + p / 12, lpad((p % 12 + 1)::TEXT, 2, '0')), p, p + 1);
    END LOOP;
END $$;
-- +goose StatementEnd

INSERT INTO usage_records (cluster, job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds,
        cpu_seconds, claim, gpu_util, energy_raw, period)
    SELECT cluster, job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds, cpu_seconds,
        claim, gpu_util, energy_raw, pactum_usage_period(COALESCE(start_at, EXTRACT(EPOCH FROM now())::BIGINT))
    FROM usage_records_unpartitioned;
DROP TABLE usage_records_unpartitioned;
DROP FUNCTION pactum_usage_period(BIGINT);

-- +goose Down
ALTER TABLE usage_records RENAME TO usage_records_partitioned;
ALTER INDEX usage_records_bucket RENAME TO usage_records_partitioned_bucket;
ALTER TABLE usage_records_partitioned RENAME CONSTRAINT usage_records_pkey TO usage_records_partitioned_pkey;
CREATE TABLE usage_records (
    cluster      TEXT NOT NULL,
    job_id       TEXT COLLATE "C" NOT NULL,
    bucket       BIGINT NOT NULL,
    state        TEXT NOT NULL,
    final        BOOLEAN NOT NULL,
    start_at     BIGINT,
    end_at       BIGINT,
    elapsed      BIGINT NOT NULL,
    gpu_seconds  BIGINT NOT NULL,
    node_seconds BIGINT NOT NULL,
    cpu_seconds  BIGINT NOT NULL,
    claim        BIGINT NOT NULL DEFAULT 0,
    gpu_util     REAL,
    energy_raw   BIGINT,
    PRIMARY KEY (cluster, job_id)
);
CREATE INDEX usage_records_bucket ON usage_records (bucket, (COALESCE(start_at, 0)) DESC, job_id DESC);
INSERT INTO usage_records (cluster, job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds,
        cpu_seconds, claim, gpu_util, energy_raw)
    SELECT cluster, job_id, bucket, state, final, start_at, end_at, elapsed, gpu_seconds, node_seconds, cpu_seconds,
        claim, gpu_util, energy_raw
    FROM usage_records_partitioned;
DROP TABLE usage_records_partitioned;
