-- SPDX-License-Identifier: EUPL-1.2
-- Audit events committed but not yet sealed into the hash chain: on
-- PostgreSQL a use case's transaction writes its events here, one row per
-- transaction in commit-causal order (n), and the sequencer (sequencer.go)
-- moves them into audit_events, chained, shortly after commit. SQLite seals
-- in the writer's own transaction and leaves this table empty.
-- +goose Up
CREATE TABLE audit_pending (
    n      BIGSERIAL PRIMARY KEY,
    events TEXT NOT NULL
);
ALTER TABLE audit_pending ALTER COLUMN events SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE audit_pending;
