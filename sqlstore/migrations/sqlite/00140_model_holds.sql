-- SPDX-License-Identifier: EUPL-1.2
-- Holding a model's jobs (modelhold.go). A call may make it a term of its
-- awards that a model reaching the systemic-risk threshold's margin is
-- held until an access manager acknowledges; model_holds keeps each
-- model's hold (at most one: the acknowledgement covers the Art. 52
-- event) and its acknowledgement. The site agents read the held models
-- with their desired state.
-- +goose Up
ALTER TABLE calls ADD COLUMN hold_models_at_systemic_risk INTEGER NOT NULL DEFAULT 0;

CREATE TABLE model_holds (
    model_id        TEXT PRIMARY KEY REFERENCES models (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    call_id         TEXT NOT NULL REFERENCES calls (id),
    reason          TEXT NOT NULL,
    held_at         TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX model_holds_organization ON model_holds (organization_id);

-- +goose Down
DROP TABLE model_holds;
ALTER TABLE calls DROP COLUMN hold_models_at_systemic_risk;
