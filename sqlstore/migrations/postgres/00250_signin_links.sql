-- SPDX-License-Identifier: EUPL-1.2
-- One-time sign-in links (signinlink.go): made by the operator for a user,
-- redeemed once for a browser session. Only the SHA-256 of a link's code
-- is kept.
-- +goose Up
CREATE TABLE signin_links (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- +goose Down
DROP TABLE signin_links;
