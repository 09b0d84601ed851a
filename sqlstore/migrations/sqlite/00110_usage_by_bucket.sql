-- SPDX-License-Identifier: EUPL-1.2
-- PostgreSQL only: the index on each bucket's records, for users' usage
-- pages at federation scale (see the PostgreSQL migration). On SQLite it
-- halved the measured ingestion rate (BenchmarkSacct: 190,000-200,000
-- records/s without it, 87,000-105,000 with it), and the embedded store is
-- not meant for a federation year's 10^8 records, so a page scans.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
