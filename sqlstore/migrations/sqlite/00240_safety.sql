-- SPDX-License-Identifier: EUPL-1.2
-- auth_epoch counts changes that end a credential or change its user
-- (a token revoked, a user deactivated, reactivated or renamed): every
-- instance compares it with the one its token cache was filled at on each
-- request, so a change on one instance is in force on all at once.
-- condition_graces gives allocations that were running before award
-- conditions existed time to acknowledge them (usecase/upgrade.go): until
-- grace_until an unmet condition does not stop their jobs; noticed_at is
-- when their applicants were told.
-- +goose Up
CREATE TABLE auth_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO auth_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE condition_graces (
    allocation_id TEXT PRIMARY KEY REFERENCES allocations (id),
    grace_until   TIMESTAMP NOT NULL,
    noticed_at    TIMESTAMP
);

-- +goose Down
DROP TABLE condition_graces;
DROP TABLE auth_epoch;
