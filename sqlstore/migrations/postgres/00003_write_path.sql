-- SPDX-License-Identifier: EUPL-1.2
-- Lighten the write path: every submission writes five or six audit events,
-- and each index is one more B-tree insert per row. Events are found by
-- sequence number or subject; their UUIDs are unique by construction
-- (UUIDv7), so the unique index on id bought nothing but cost.
-- +goose Up
ALTER TABLE audit_events DROP CONSTRAINT audit_events_id_key;

-- +goose Down
ALTER TABLE audit_events ADD CONSTRAINT audit_events_id_key UNIQUE (id);
