-- SPDX-License-Identifier: EUPL-1.2
-- Time to access and the public transparency report (timetoaccess.go,
-- transparency.go). transparency_reports keeps each generated report whole
-- (body: the JSON the API serves) with its period and audit position; a
-- report is immutable once published_at is set.
-- proposal_facts is an index derived from each submitted proposal
-- (pactum.FactsOf), written with its row: what the time to access and the
-- report read, so they never decode proposals' content and screening. The
-- rows of proposals submitted before this migration are inserted here as
-- placeholders (derived IS FALSE) that the store fills in from the
-- proposal before any read (fillProposalFacts). Times are microseconds
-- since 1970 UTC: 100,000 of them are read per report, and parsing a
-- SQLite timestamp's text was a fifth of its time. The facts are
-- narrow: a period's are found by scanning them all in key order (SQLite
-- keeps them clustered by it), cheaper than an index on submitted_at
-- whose every hit is a seek into the table.
-- +goose Up
CREATE TABLE transparency_reports (
    id           TEXT PRIMARY KEY,
    period_from  TEXT NOT NULL,
    period_until TEXT NOT NULL,
    k            INTEGER NOT NULL,
    audit_seq    BIGINT NOT NULL,
    audit_head   TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL,
    published_at TIMESTAMP,
    published_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transparency_reports_created ON transparency_reports (created_at, id);

CREATE TABLE proposal_facts (
    proposal_id     TEXT PRIMARY KEY REFERENCES proposals (id),
    call_id         TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    mode            TEXT NOT NULL,
    state           TEXT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    decision_due_at BIGINT,
    decided_at      BIGINT,
    accepted        INTEGER NOT NULL,
    grants          TEXT NOT NULL,
    risk_class      TEXT NOT NULL,
    parameter_count REAL NOT NULL,
    estimate_flop   REAL NOT NULL,
    derived         INTEGER NOT NULL
) WITHOUT ROWID;
-- The report reads allocations' proposal and system by a scan of this
-- index, not of their rows (conditions make them long).
CREATE INDEX allocations_report ON allocations (id, proposal_id, system_id);
CREATE INDEX proposal_facts_derived ON proposal_facts (derived);
INSERT INTO proposal_facts (proposal_id, call_id, organization_id, mode, state, submitted_at, decision_due_at, accepted, grants,
    risk_class, parameter_count, estimate_flop, derived)
    SELECT id, call_id, organization_id, mode, state, 0, NULL, FALSE, '[]', '', 0, 0, FALSE
    FROM proposals WHERE submitted_at IS NOT NULL;

-- +goose Down
DROP INDEX allocations_report;
DROP TABLE proposal_facts;
DROP TABLE transparency_reports;
