-- SPDX-License-Identifier: EUPL-1.2
-- A user's usage page (one bucket's records, latest started first) reads
-- this index instead of every record: with 10^8 records a scan takes
-- seconds, and the page must answer in milliseconds (BenchmarkScale, on
-- 400,000 records: p50 26 ms scanning, 0.9 ms with the index). 00005 left
-- it out for the sake of ingestion; on PostgreSQL, whose new records
-- arrive by COPY, it costs about a quarter of the ingestion rate
-- (BenchmarkSacct: 124,000-143,000 records/s without it, 95,000-104,000
-- with it), and the page is the query users wait for. SQLite keeps no such
-- index (its migration says why).
-- +goose Up
CREATE INDEX usage_records_bucket ON usage_records (bucket, (COALESCE(start_at, 0)) DESC, job_id DESC);

-- +goose Down
DROP INDEX usage_records_bucket;
