-- SPDX-License-Identifier: EUPL-1.2
-- A conflict of interest records whether the reviewer already knew the
-- proposal (they recused themselves, or held an assignment on it). Only
-- disclosed conflicts are shown to the reviewer; the others would tell them
-- that a proposal exists. Existing conflicts stay hidden from reviewers:
-- nothing says whether they knew, so the safe answer is no.
-- +goose Up
ALTER TABLE conflicts ADD COLUMN disclosed BOOLEAN NOT NULL DEFAULT FALSE;
-- +goose Down
ALTER TABLE conflicts DROP COLUMN disclosed;
