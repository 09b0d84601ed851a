-- SPDX-License-Identifier: EUPL-1.2
-- Deactivated users and token scopes (user.go). users.deactivated_at is
-- set while a user is deactivated: their tokens are refused and none can be
-- issued to them. tokens.scope limits what a token may do (read-only,
-- site-agent, full); existing tokens keep what they could do: full.
-- +goose Up
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';

-- +goose Down
ALTER TABLE tokens DROP COLUMN scope;
ALTER TABLE users DROP COLUMN deactivated_at;
