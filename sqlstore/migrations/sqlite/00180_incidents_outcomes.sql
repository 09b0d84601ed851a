-- SPDX-License-Identifier: EUPL-1.2
-- Incidents reported on allocations and the outcomes of allocations
-- (incident.go, outcome.go). Both carry the allocation's organization and
-- call, which visibility and the per-organization and per-call lists
-- filter on. An incident's deadlines are computed when it is reported
-- (and when its severity is revised at triage) and kept as JSON, with the
-- earliest in due_at for the overdue list. An outcome's kind-specific
-- fields are JSON. Every change is recorded whole in the audit log.
-- +goose Up
CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    allocation_id   TEXT NOT NULL REFERENCES allocations (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    call_id         TEXT NOT NULL REFERENCES calls (id),
    model_id        TEXT REFERENCES models (id),
    systemic_risk   BOOLEAN NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    harm            TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    reported_at     TIMESTAMP NOT NULL,
    reported_by     TEXT NOT NULL REFERENCES users (id),
    reporter_role   TEXT NOT NULL,
    state           TEXT NOT NULL,
    deadlines       TEXT NOT NULL,
    due_at          TIMESTAMP NOT NULL,
    triaged_at      TIMESTAMP,
    triaged_by      TEXT NOT NULL DEFAULT '',
    triage_note     TEXT NOT NULL DEFAULT '',
    closed_at       TIMESTAMP,
    closed_by       TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX incidents_allocation ON incidents (allocation_id, state);
CREATE INDEX incidents_organization ON incidents (organization_id);
CREATE INDEX incidents_call ON incidents (call_id);
CREATE INDEX incidents_due ON incidents (state, due_at);

CREATE TABLE outcomes (
    id              TEXT PRIMARY KEY,
    allocation_id   TEXT NOT NULL REFERENCES allocations (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    call_id         TEXT NOT NULL REFERENCES calls (id),
    kind            TEXT NOT NULL,
    fields          TEXT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX outcomes_allocation ON outcomes (allocation_id);
CREATE INDEX outcomes_organization ON outcomes (organization_id);
CREATE INDEX outcomes_call ON outcomes (call_id);

-- +goose Down
DROP TABLE outcomes;
DROP TABLE incidents;
