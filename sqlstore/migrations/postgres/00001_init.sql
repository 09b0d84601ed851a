-- SPDX-License-Identifier: EUPL-1.2
-- +goose Up
CREATE TABLE systems (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    site                TEXT NOT NULL,
    country             TEXT NOT NULL,
    partition_name      TEXT NOT NULL,
    accelerator         TEXT NOT NULL,
    nodes               BIGINT NOT NULL,
    gpus_per_node       BIGINT NOT NULL,
    peak_tflops_per_gpu DOUBLE PRECISION NOT NULL,
    unit                TEXT NOT NULL,
    capacity_per_period DOUBLE PRECISION NOT NULL,
    software            TEXT NOT NULL,
    scheduler           TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE organizations (
    id                  TEXT PRIMARY KEY,
    legal_name          TEXT NOT NULL,
    country             TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    founded_on          TEXT NOT NULL,
    staff               BIGINT NOT NULL,
    turnover_eur        BIGINT NOT NULL,
    balance_sheet_eur   BIGINT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (country, registration_number)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id),
    site            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE calls (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    opens_at    TIMESTAMPTZ NOT NULL,
    cutoff_at   TIMESTAMPTZ NOT NULL,
    modes       TEXT NOT NULL,
    system_ids  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE proposals (
    id              TEXT PRIMARY KEY,
    call_id         TEXT NOT NULL REFERENCES calls (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    applicant_id    TEXT NOT NULL REFERENCES users (id),
    mode            TEXT NOT NULL,
    title           TEXT NOT NULL,
    state           TEXT NOT NULL,
    content         TEXT NOT NULL,
    screening       TEXT,
    decision        TEXT,
    submitted_at    TIMESTAMPTZ,
    decision_due_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX proposals_org ON proposals (organization_id, id);
CREATE INDEX proposals_call_state ON proposals (call_id, state);
CREATE INDEX proposals_state ON proposals (state, id);

CREATE TABLE proposal_requests (
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    system_id   TEXT NOT NULL REFERENCES systems (id),
    amount      DOUBLE PRECISION NOT NULL,
    storage_tb  DOUBLE PRECISION NOT NULL,
    support     TEXT NOT NULL,
    PRIMARY KEY (proposal_id, system_id)
);

CREATE TABLE allocations (
    id              TEXT PRIMARY KEY,
    proposal_id     TEXT NOT NULL REFERENCES proposals (id),
    call_id         TEXT NOT NULL REFERENCES calls (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    system_id       TEXT NOT NULL REFERENCES systems (id),
    amount          DOUBLE PRECISION NOT NULL,
    unit            TEXT NOT NULL,
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL,
    conditions      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX allocations_system_call ON allocations (system_id, call_id);
CREATE INDEX allocations_org ON allocations (organization_id, id);
CREATE INDEX allocations_proposal ON allocations (proposal_id);

-- audit_head holds the chain's end. Writers update it first in their
-- transaction, which serialises them, so the chain never forks.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq          BIGINT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    before_json  TEXT NOT NULL,
    after_json   TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_events (subject_type, subject_id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE audit_head;
DROP TABLE allocations;
DROP TABLE proposal_requests;
DROP TABLE proposals;
DROP TABLE calls;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE systems;
