-- SPDX-License-Identifier: EUPL-1.2
-- Job ids are compared byte by byte: the store reads a cluster's greatest
-- stored job id (MAX) and compares ids with it in Go, to skip looking up
-- jobs that cannot be stored yet. Under a database's linguistic collation
-- (en_US.UTF-8 and the like) MAX orders ids differently from Go — it
-- weighs "_" in array job ids such as 1234_5 after the digits — and a
-- stored job could be taken for a new one. The "C" collation is Go's order
-- (and SQLite's default), and its index compares faster too.
-- +goose Up
ALTER TABLE usage_records ALTER COLUMN job_id TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE usage_records ALTER COLUMN job_id TYPE TEXT COLLATE "default";
