-- SPDX-License-Identifier: EUPL-1.2
-- Crash recovery of idempotent requests. A claim records who holds it
-- (owner: the server instance; attempt: this run of the request) and since
-- when (claimed_at). The work's own transaction marks the claim as done
-- (subject_type, subject_id: the subject of its first audit event;
-- replay_status: the status to answer with), so a retry after a crash knows
-- whether the work committed even though the answer was never stored.
-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN attempt TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN claimed_at TIMESTAMPTZ;
ALTER TABLE idempotency_keys ADD COLUMN subject_type TEXT;
ALTER TABLE idempotency_keys ADD COLUMN subject_id TEXT;
ALTER TABLE idempotency_keys ADD COLUMN replay_status INTEGER;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN replay_status;
ALTER TABLE idempotency_keys DROP COLUMN subject_id;
ALTER TABLE idempotency_keys DROP COLUMN subject_type;
ALTER TABLE idempotency_keys DROP COLUMN claimed_at;
ALTER TABLE idempotency_keys DROP COLUMN attempt;
ALTER TABLE idempotency_keys DROP COLUMN owner;
