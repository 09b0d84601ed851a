-- SPDX-License-Identifier: EUPL-1.2
-- Idempotency keys: a client that retries a POST with the same
-- Idempotency-Key gets the first answer again instead of a second proposal.
-- status is NULL while the first request is still running.
-- +goose Up
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,
    content_type TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
