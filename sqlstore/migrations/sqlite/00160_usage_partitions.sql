-- SPDX-License-Identifier: EUPL-1.2
-- PostgreSQL only: usage_records partitioned by month (see the PostgreSQL
-- migration). SQLite has no partitioned tables, and the embedded store is
-- not meant for a federation year's 10^8 records: its usage_records stays
-- one table keyed by (cluster, job_id).
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
