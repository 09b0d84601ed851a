-- SPDX-License-Identifier: EUPL-1.2
-- Supervision of compute (model.go). Models are registered by their
-- organization; num is their compact key in the usage tables. A job's
-- record keeps its claim as one integer, the model it resolved to (0:
-- none) times 8 plus its phase code (pactum.Phase.Code), and Slurm's
-- measured GPU utilisation and energy when there were any (NULL
-- otherwise): measurements only, never derived figures, and as few
-- columns as that takes, since every column of usage_records costs
-- ingestion (BenchmarkSacct).
--
-- model_usage holds running totals of the measurements per (model,
-- allocation, phase), from which a model's FLOP and energy are computed
-- when read, with the catalogue and the declared MFU of that moment; and
-- model_days each model's training compute per day (the day a job ended,
-- or its running record was read): a model's figures and its burn rate
-- are sums over a few hundred rows, never a scan of the records.
-- compute_totals holds each model's cumulative training FLOP and each
-- organization's upper bound (every GPU-hour counted), added to in the
-- ingesting transaction with the parameters of that moment, for the
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

ALTER TABLE usage_records ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN gpu_util REAL;
ALTER TABLE usage_records ADD COLUMN energy_raw INTEGER;

CREATE TABLE model_usage (
    model_num            INTEGER NOT NULL,
    allocation_id        TEXT NOT NULL REFERENCES allocations (id),
    phase                INTEGER NOT NULL,
    organization_id      TEXT NOT NULL,
    jobs                 INTEGER NOT NULL,
    gpu_seconds          INTEGER NOT NULL,
    util_gpu_seconds     INTEGER NOT NULL,
    util_weighted        REAL NOT NULL,
    energy_gpu_seconds   INTEGER NOT NULL,
    energy_measured_j    REAL NOT NULL,
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
ALTER TABLE usage_records DROP COLUMN energy_raw;
ALTER TABLE usage_records DROP COLUMN gpu_util;
ALTER TABLE usage_records DROP COLUMN claim;
DROP TABLE models;
