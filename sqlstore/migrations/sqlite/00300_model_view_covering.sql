-- SPDX-License-Identifier: EUPL-1.2
-- An organization's allocations' grants read from the index alone
-- (ListOrganizationUsage), as on PostgreSQL. model_days needs nothing
-- here: it is WITHOUT ROWID, so its rows are stored in key order.
-- +goose Up
CREATE INDEX allocations_org_grant ON allocations (organization_id, id, system_id, state, amount, unit);
DROP INDEX allocations_org;

-- +goose Down
CREATE INDEX allocations_org ON allocations (organization_id, id);
DROP INDEX allocations_org_grant;
