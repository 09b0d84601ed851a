-- SPDX-License-Identifier: EUPL-1.2
-- call_grants keeps, per call and system, the total granted so far: the
-- capacity check is one conditional upsert instead of a sum over every
-- allocation, and its row lock serialises concurrent grants on PostgreSQL.
-- +goose Up
CREATE TABLE call_grants (
    call_id   TEXT NOT NULL REFERENCES calls (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    granted   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (call_id, system_id)
);
INSERT INTO call_grants (call_id, system_id, granted)
    SELECT call_id, system_id, SUM(amount) FROM allocations GROUP BY call_id, system_id;

-- +goose Down
DROP TABLE call_grants;
