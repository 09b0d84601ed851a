-- SPDX-License-Identifier: EUPL-1.2
-- Supervision of compute (model.go). Models are registered by their
-- organization; num is their compact key in the usage tables. A job's
-- record keeps the model its claim resolved to (0: none), its phase code
-- (pactum.Phase.Code), Slurm's measured GPU utilisation and energy when
-- there were any, and the FLOP and energy computed at ingestion, so that
-- replacing a running job's record changes the totals by exactly the
-- difference even if the catalogue or the model's declared MFU changed
-- in between.
--
-- model_usage holds running totals per (model, allocation, phase), and
-- model_days each model's training compute per day (the day a job ended,
-- or its running record was read): a model's figures and its burn rate
-- are sums over a few hundred rows, never a scan of the records. compute_totals holds each
-- model's cumulative training FLOP and each organization's upper bound
-- (every GPU-hour counted), updated in the ingesting transaction, for the
-- alerts in compute_alerts, recorded once each.
-- +goose Up
CREATE TABLE models (
    num                      INTEGER PRIMARY KEY,
    id                       TEXT NOT NULL UNIQUE,
    organization_id          TEXT NOT NULL REFERENCES organizations (id),
    name                     TEXT NOT NULL,
    version                  TEXT NOT NULL,
    base_model               TEXT NOT NULL,
    base_model_flop          REAL NOT NULL,
    base_model_systemic_risk INTEGER NOT NULL,
    prior_training_flop      REAL NOT NULL,
    parameter_count          REAL NOT NULL,
    training_tokens          REAL NOT NULL,
    declared_mfu             REAL NOT NULL,
    created_at               TIMESTAMP NOT NULL,
    created_by               TEXT NOT NULL,
    UNIQUE (organization_id, name, version)
);

ALTER TABLE usage_records ADD COLUMN model_num INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN phase INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN gpu_util REAL;
ALTER TABLE usage_records ADD COLUMN energy_raw INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN flop REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN energy_j REAL NOT NULL DEFAULT 0;

CREATE TABLE model_usage (
    model_num            INTEGER NOT NULL,
    allocation_id        TEXT NOT NULL REFERENCES allocations (id),
    phase                INTEGER NOT NULL,
    organization_id      TEXT NOT NULL,
    jobs                 INTEGER NOT NULL,
    gpu_seconds          INTEGER NOT NULL,
    gpu_seconds_measured INTEGER NOT NULL,
    flop_measured        REAL NOT NULL,
    flop_declared        REAL NOT NULL,
    energy_gpu_seconds   INTEGER NOT NULL,
    energy_measured_j    REAL NOT NULL,
    energy_estimated_j   REAL NOT NULL,
    energy_implausible   INTEGER NOT NULL,
    PRIMARY KEY (model_num, allocation_id, phase)
) WITHOUT ROWID;
CREATE INDEX model_usage_organization ON model_usage (organization_id);
CREATE INDEX model_usage_allocation ON model_usage (allocation_id);

CREATE TABLE model_days (
    model_num   INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    gpu_seconds INTEGER NOT NULL,
    flop        REAL NOT NULL,
    PRIMARY KEY (model_num, day)
) WITHOUT ROWID;

CREATE TABLE compute_totals (
    subject    TEXT PRIMARY KEY,
    flop       REAL NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE compute_alerts (
    subject    TEXT NOT NULL,
    threshold  REAL NOT NULL,
    fraction   REAL NOT NULL,
    flop       REAL NOT NULL,
    crossed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subject, threshold, fraction)
);

-- +goose Down
DROP TABLE compute_alerts;
DROP TABLE compute_totals;
DROP TABLE model_days;
DROP TABLE model_usage;
ALTER TABLE usage_records DROP COLUMN energy_j;
ALTER TABLE usage_records DROP COLUMN flop;
ALTER TABLE usage_records DROP COLUMN energy_raw;
ALTER TABLE usage_records DROP COLUMN gpu_util;
ALTER TABLE usage_records DROP COLUMN phase;
ALTER TABLE usage_records DROP COLUMN model_num;
DROP TABLE models;
