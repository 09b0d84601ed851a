-- SPDX-License-Identifier: EUPL-1.2
-- Flags on an allocation's usage, recorded once per allocation and kind
-- when ingestion first meets their condition (pactum.UsageFlag): for
-- not_as_asked, that the jobs' labelled GPU-hours became mostly
-- evaluation, inference or other work. raised says whether the flag was
-- raised (the grant was mostly for pre-training) and notified; either way
-- the row keeps ingestion from looking again. Bookkeeping beside the
-- audit log, like compute_alerts: the event allocation.usage_flag records
-- each flag raised.
-- +goose Up
CREATE TABLE usage_flags (
    allocation_id        TEXT NOT NULL REFERENCES allocations (id),
    kind                 TEXT NOT NULL,
    raised               INTEGER NOT NULL,
    training_gpu_seconds INTEGER NOT NULL,
    other_gpu_seconds    INTEGER NOT NULL,
    flagged_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (allocation_id, kind)
);

-- +goose Down
DROP TABLE usage_flags;
