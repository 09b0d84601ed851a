-- SPDX-License-Identifier: EUPL-1.2
-- Cluster usernames make applicants members of their organization's
-- allocations on the scheduler; acknowledgements meet an award's
-- conditions (screening findings with effect condition).
-- +goose Up
ALTER TABLE users ADD COLUMN username TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_username ON users (username) WHERE username <> '';
CREATE INDEX users_org ON users (organization_id);

CREATE TABLE condition_acks (
    allocation_id   TEXT NOT NULL REFERENCES allocations (id),
    rule_id         TEXT NOT NULL,
    statement       TEXT NOT NULL,
    acknowledged_by TEXT NOT NULL REFERENCES users (id),
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (allocation_id, rule_id)
);

-- +goose Down
DROP TABLE condition_acks;
DROP INDEX users_org;
DROP INDEX users_username;
ALTER TABLE users DROP COLUMN username;
