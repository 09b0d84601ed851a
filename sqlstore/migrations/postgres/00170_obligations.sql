-- SPDX-License-Identifier: EUPL-1.2
-- Obligations of an award (obligation.go): what an allocation's holder
-- owes by when (reports, acknowledgement, ethics conditions), instantiated
-- from the access mode's terms when the allocation is created; the notices
-- the sweep sent for each (each once, whichever instance sweeps: the
-- primary key refuses a second); and an allocation's declared breach,
-- which suspends it at its site until cleared. A call may refuse new
-- proposals of organizations with an overdue obligation.
-- +goose Up
ALTER TABLE calls ADD COLUMN block_overdue_organizations BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE obligations (
    id                TEXT PRIMARY KEY,
    allocation_id     TEXT NOT NULL REFERENCES allocations (id),
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    detail            TEXT NOT NULL DEFAULT '',
    due_at            TIMESTAMPTZ NOT NULL,
    breach_after_days INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL,
    report            TEXT NOT NULL DEFAULT '',
    outcome_id        TEXT NOT NULL DEFAULT '',
    submitted_by      TEXT NOT NULL DEFAULT '',
    submitted_at      TIMESTAMPTZ,
    reviewed_by       TEXT NOT NULL DEFAULT '',
    reviewed_at       TIMESTAMPTZ,
    return_reason     TEXT NOT NULL DEFAULT '',
    overdue_at        TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    version           INTEGER NOT NULL
);
CREATE INDEX obligations_allocation ON obligations (allocation_id, due_at);
CREATE INDEX obligations_organization ON obligations (organization_id, state, due_at);
CREATE INDEX obligations_pending ON obligations (state, due_at);

CREATE TABLE obligation_notices (
    obligation_id TEXT NOT NULL REFERENCES obligations (id),
    notice        TEXT NOT NULL,
    sent_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (obligation_id, notice)
);

CREATE TABLE allocation_breaches (
    allocation_id TEXT PRIMARY KEY REFERENCES allocations (id),
    reason        TEXT NOT NULL,
    declared_by   TEXT NOT NULL DEFAULT '',
    declared_at   TIMESTAMPTZ NOT NULL,
    automatic     BOOLEAN NOT NULL DEFAULT FALSE,
    cleared_at    TIMESTAMPTZ,
    cleared_by    TEXT NOT NULL DEFAULT '',
    clear_reason  TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE allocation_breaches;
DROP TABLE obligation_notices;
DROP TABLE obligations;
ALTER TABLE calls DROP COLUMN block_overdue_organizations;
