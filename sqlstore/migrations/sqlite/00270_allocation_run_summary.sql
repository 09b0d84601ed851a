-- SPDX-License-Identifier: EUPL-1.2
-- summary is an allocation run's result without its outcomes, for lists:
-- a call's runs page read every run's whole result (2 MB for 2,000
-- proposals) to show a line per run, and each what-if adds a run. Runs
-- stored before it have none; lists read their result instead.
-- +goose Up
ALTER TABLE allocation_runs ADD COLUMN summary TEXT;

-- +goose Down
ALTER TABLE allocation_runs DROP COLUMN summary;
