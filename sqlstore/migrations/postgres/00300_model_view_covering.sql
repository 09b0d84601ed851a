-- SPDX-License-Identifier: EUPL-1.2
-- Covering indexes for a model's compute (ListOrganizationUsage,
-- ListModelDays), so that they are read from the index alone rather than
-- a heap page per row: an organization's allocations' grants (100 rows,
-- each on its own page, at federation scale), and a model's days (365
-- rows, interleaved with every other model's, since ingest adds each day's
-- rows for all models at once). Measured with 10^8 usage records
-- (BenchmarkScale/model-compute): the two reads fell from 1.1 and 0.85 ms
-- to 0.8 and 0.18 ms. Past days' rows no longer change, so their pages
-- stay all-visible and the index-only scan reads no heap; updates of the
-- day's flop and GPU-seconds were already mostly not HOT.
-- +goose Up
CREATE INDEX allocations_org_grant ON allocations (organization_id, id) INCLUDE (system_id, state, amount, unit);
DROP INDEX allocations_org;
CREATE UNIQUE INDEX model_days_cover ON model_days (model_num, day) INCLUDE (gpu_seconds, flop);
ALTER TABLE model_days DROP CONSTRAINT model_days_pkey;
-- Renames model_days_cover to model_days_pkey.
ALTER TABLE model_days ADD CONSTRAINT model_days_pkey PRIMARY KEY USING INDEX model_days_cover;

-- +goose Down
CREATE UNIQUE INDEX model_days_plain ON model_days (model_num, day);
ALTER TABLE model_days DROP CONSTRAINT model_days_pkey;
ALTER TABLE model_days ADD CONSTRAINT model_days_pkey PRIMARY KEY USING INDEX model_days_plain;
CREATE INDEX allocations_org ON allocations (organization_id, id);
DROP INDEX allocations_org_grant;
