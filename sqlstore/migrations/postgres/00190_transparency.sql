-- SPDX-License-Identifier: EUPL-1.2
-- Time to access and the public transparency report (timetoaccess.go,
-- transparency.go). transparency_reports keeps each generated report whole
-- (body: the JSON the API serves) with its period and audit position; a
-- report is immutable once published_at is set. proposals_submitted
-- serves the report's cohort (proposals submitted in a period) and the
-- time-to-access lists without scanning every proposal.
-- +goose Up
CREATE TABLE transparency_reports (
    id           TEXT PRIMARY KEY,
    period_from  TEXT NOT NULL,
    period_until TEXT NOT NULL,
    k            INTEGER NOT NULL,
    audit_seq    BIGINT NOT NULL,
    audit_head   TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    published_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transparency_reports_created ON transparency_reports (created_at, id);
CREATE INDEX proposals_submitted ON proposals (submitted_at, id);

-- +goose Down
DROP INDEX proposals_submitted;
DROP TABLE transparency_reports;
