-- SPDX-License-Identifier: EUPL-1.2
-- PostgreSQL only (lz4 compression of large texts); SQLite does not compress.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
