-- SPDX-License-Identifier: EUPL-1.2
-- A proposal's decision override: requested by one access manager with a
-- justification, applied when a second confirms it. One JSON document, as
-- the screening and the decision are; NULL when there is none.
-- +goose Up
ALTER TABLE proposals ADD COLUMN decision_override TEXT;

-- +goose Down
ALTER TABLE proposals DROP COLUMN decision_override;
