-- SPDX-License-Identifier: EUPL-1.2
-- OpenID Connect sign-in (identity.go). identity_links ties a provider's
-- (issuer, subject) to a user, made at the first sign-in by a verified
-- e-mail: one user per subject, one link per user and issuer. sessions
-- are the browsers' sign-in sessions: only the SHA-256 of a session's
-- secret is kept; a session ends at expires_at, when idle too long since
-- last_seen_at, or when revoked (sign-out, deactivation of its user).
-- +goose Up
CREATE TABLE identity_links (
    issuer    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    user_id   TEXT NOT NULL REFERENCES users (id),
    email     TEXT NOT NULL,
    linked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX identity_links_user ON identity_links (user_id, issuer);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    secret_hash  TEXT NOT NULL UNIQUE,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;
DROP TABLE identity_links;
