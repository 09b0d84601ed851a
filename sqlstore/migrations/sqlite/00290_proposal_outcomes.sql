-- SPDX-License-Identifier: EUPL-1.2
-- Indexes derived from each proposal's screening and decision, written with
-- its row (putOutcomes), so that a call's proposals can be listed by
-- screening outcome, decision outcome and screening rule without decoding
-- the screening JSON of every row (ListProposals). proposal_outcomes has one
-- row per proposal: screening is approve/refer/deny or '' (not screened),
-- decision accepted/rejected or '' (undecided). proposal_rules has one row
-- per rule that fired (a finding) on a proposal. Existing proposals are
-- filled in from their JSON here.
-- +goose Up
CREATE TABLE proposal_outcomes (
    proposal_id TEXT PRIMARY KEY REFERENCES proposals (id),
    call_id     TEXT NOT NULL,
    screening   TEXT NOT NULL,
    decision    TEXT NOT NULL
);
CREATE INDEX proposal_outcomes_screening ON proposal_outcomes (call_id, screening, proposal_id);
CREATE INDEX proposal_outcomes_decision ON proposal_outcomes (call_id, decision, proposal_id);
CREATE TABLE proposal_rules (
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    rule_id     TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    PRIMARY KEY (proposal_id, rule_id)
);
CREATE INDEX proposal_rules_rule ON proposal_rules (rule_id, call_id, proposal_id);
-- A call's proposals newest first, a page at a time, without sorting
-- them all (the portal's call page).
CREATE INDEX proposals_call_id ON proposals (call_id, id);
INSERT INTO proposal_outcomes (proposal_id, call_id, screening, decision)
    SELECT id, call_id, COALESCE(json_extract(screening, '$.outcome'), ''),
        CASE WHEN decision IS NULL THEN '' WHEN json_extract(decision, '$.accept') THEN 'accepted' ELSE 'rejected' END
    FROM proposals;
INSERT OR IGNORE INTO proposal_rules (proposal_id, rule_id, call_id)
    SELECT p.id, json_extract(f.value, '$.rule_id'), p.call_id
    FROM proposals p, json_each(p.screening, '$.findings') f
    WHERE p.screening IS NOT NULL AND json_type(p.screening, '$.findings') = 'array'
        AND json_extract(f.value, '$.rule_id') IS NOT NULL;

-- +goose Down
DROP INDEX proposals_call_id;
DROP TABLE proposal_rules;
DROP TABLE proposal_outcomes;
