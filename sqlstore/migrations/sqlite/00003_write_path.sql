-- SPDX-License-Identifier: EUPL-1.2
-- Lighten the write path: every submission writes five or six audit events,
-- and each index is one more B-tree insert per row. Events are found by
-- sequence number or subject; their UUIDs are unique by construction
-- (UUIDv7), so the unique index on id bought nothing but cost.
-- +goose Up
CREATE TABLE audit_events_new (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    before_json  TEXT NOT NULL,
    after_json   TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
INSERT INTO audit_events_new SELECT seq, id, at, actor_id, action, subject_type, subject_id, before_json, after_json, prev_hash, hash FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_subject ON audit_events (subject_type, subject_id);

-- +goose Down
CREATE UNIQUE INDEX audit_events_id ON audit_events (id);
