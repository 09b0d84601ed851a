-- SPDX-License-Identifier: EUPL-1.2
-- Review workflow, conflicts of interest, notifications and allocation runs
-- (issue 5). Structured values that are read and written whole are JSON
-- text, as in proposals.content.
-- +goose Up
CREATE TABLE call_rubrics (
    call_id    TEXT PRIMARY KEY REFERENCES calls (id),
    rubric     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reviewer_profiles (
    user_id            TEXT PRIMARY KEY REFERENCES users (id),
    expertise          TEXT NOT NULL,
    affiliations       TEXT NOT NULL,
    declared_conflicts TEXT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL
);

-- review_tracks holds the review sub-state of proposals in review: the plan
-- of stages, the current one, and the panel's verdict (JSON) once ranked.
CREATE TABLE review_tracks (
    proposal_id      TEXT PRIMARY KEY REFERENCES proposals (id),
    call_id          TEXT NOT NULL REFERENCES calls (id),
    stage            TEXT NOT NULL,
    stages           TEXT NOT NULL,
    stage_started_at TIMESTAMPTZ NOT NULL,
    panel            TEXT,
    updated_at       TIMESTAMPTZ NOT NULL,
    version          INTEGER NOT NULL
);
CREATE INDEX review_tracks_call_stage ON review_tracks (call_id, stage);

CREATE TABLE review_assignments (
    id          TEXT PRIMARY KEY,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    call_id     TEXT NOT NULL REFERENCES calls (id),
    stage       TEXT NOT NULL,
    reviewer_id TEXT NOT NULL REFERENCES users (id),
    state       TEXT NOT NULL,
    affinity    INTEGER NOT NULL,
    matched     TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     INTEGER NOT NULL,
    UNIQUE (proposal_id, stage, reviewer_id)
);
CREATE INDEX review_assignments_reviewer ON review_assignments (reviewer_id, proposal_id);
CREATE INDEX review_assignments_call ON review_assignments (call_id, stage);

CREATE TABLE conflicts (
    id           TEXT PRIMARY KEY,
    proposal_id  TEXT NOT NULL REFERENCES proposals (id),
    reviewer_id  TEXT NOT NULL REFERENCES users (id),
    reason       TEXT NOT NULL,
    severity     TEXT NOT NULL,
    status       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    detected_at  TIMESTAMPTZ NOT NULL,
    waived_by    TEXT NOT NULL DEFAULT '',
    waive_reason TEXT NOT NULL DEFAULT '',
    waived_at    TIMESTAMPTZ,
    UNIQUE (proposal_id, reviewer_id, reason)
);
CREATE INDEX conflicts_reviewer ON conflicts (reviewer_id, proposal_id);

-- reviews: author_key is the reviewer's user ID, or "site:<site>" for a
-- technical assessment, which is one per hosting site whichever of its
-- operators writes it.
CREATE TABLE reviews (
    id             TEXT PRIMARY KEY,
    proposal_id    TEXT NOT NULL REFERENCES proposals (id),
    stage          TEXT NOT NULL,
    author_key     TEXT NOT NULL,
    reviewer_id    TEXT NOT NULL REFERENCES users (id),
    site           TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    score          DOUBLE PRECISION,
    body           TEXT NOT NULL,
    submitted_at   TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    version        INTEGER NOT NULL,
    UNIQUE (proposal_id, stage, author_key)
);

CREATE TABLE review_replies (
    proposal_id  TEXT PRIMARY KEY REFERENCES proposals (id),
    author_id    TEXT NOT NULL REFERENCES users (id),
    text         TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL
);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    proposal_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE allocation_runs (
    id           TEXT PRIMARY KEY,
    call_id      TEXT NOT NULL REFERENCES calls (id),
    state        TEXT NOT NULL,
    input_hash   TEXT NOT NULL,
    instance     TEXT NOT NULL,
    result       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    published_by TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMPTZ,
    version      INTEGER NOT NULL
);
CREATE INDEX allocation_runs_call ON allocation_runs (call_id, id);

-- +goose Down
DROP TABLE allocation_runs;
DROP TABLE notifications;
DROP TABLE review_replies;
DROP TABLE reviews;
DROP TABLE conflicts;
DROP TABLE review_assignments;
DROP TABLE review_tracks;
DROP TABLE reviewer_profiles;
DROP TABLE call_rubrics;
