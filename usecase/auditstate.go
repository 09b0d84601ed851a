// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// stateWrites lists, for each kind of subject whose table the audit log
// rebuilds, the actions that write its row; each records the row's whole
// new value as its After snapshot. Other events about the same subjects
// (review.open on a proposal, call.rubric on a call) write other tables.
//
// Not rebuilt, and why: tokens (credentials; their last use is stamped on
// every request, unaudited), notifications (messages derived from audited
// decisions), review tracks, replies and rubrics (recorded as partial
// snapshots), allocation runs (the log keeps a summary and the input
// hash; what a run decides is published as audited proposal decisions and
// allocations), condition acknowledgements (append-only, each an event of
// its own), obligation notices and breaches (notices are keys that make
// the sweep send each once; each breach and its clearing is an event of
// its own carrying the breach), proposal_requests and
// call_grant_shards (indexes derived from
// proposals and decisions), and usage: records arrive in bulk from the
// sites' accounting, each batch audited as one usage.ingest event with its
// counts, and are checked against the sites' own accounting, not the log.
// Outcomes are recorded whole too but not rebuilt: one removed leaves its
// removal (After null) as its last event, which the replay does not fold.
var stateWrites = []struct {
	subjectType string
	actions     []string
}{
	{"organization", []string{"organization.create"}},
	{"user", []string{"user.create", "user.set_username"}},
	{"system", []string{"system.upsert"}},
	{"call", []string{"call.create", "call.update"}},
	// proposal.submit and proposal.screen are steps in memory: the row is
	// written once routed (proposal.route).
	{"proposal", []string{"proposal.create", "proposal.update", "proposal.route", "proposal.withdraw", "proposal.decide", "proposal.override_request"}},
	{"allocation", []string{"allocation.create", "allocation.activate", "allocation.suspend", "allocation.exhaust",
		"allocation.expire", "allocation.transition"}},
	{"review", []string{"review.submit", "review.update"}},
	{"assignment", []string{"review.assign", "review.recuse", "assignment.submit"}},
	{"conflict", []string{"conflict.detect", "conflict.waive"}},
	{"reviewer", []string{"reviewer.update"}},
	{"incident", []string{"incident.report", "incident.triage", "incident.close"}},
	{"obligation", []string{"obligation.create", "obligation.submit", "obligation.accept", "obligation.return", "obligation.overdue"}},
}

// VerifyAuditProgress is told, now and then during a long verification,
// what stage it is at and how many events or rows it has done.
type VerifyAuditProgress func(stage string, done int64)

// VerifyAuditState verifies the chain of s like VerifyAudit, then replays
// the log, folding each subject's After snapshots in chain order, and
// compares what it rebuilds with the rows of the tables listed in
// stateWrites, all in one consistent snapshot. The report's State names
// the first differing row (table, id, field, the log's value and the
// table's) and counts the rows that differ or that only one side has. A
// broken chain is reported without comparing the tables: a log that was
// edited proves nothing about them. progress may be nil.
func VerifyAuditState(ctx context.Context, s pactum.Store, progress VerifyAuditProgress, pins ...*audit.Checkpoint) (*pactum.AuditReport, error) {
	if progress == nil {
		progress = func(string, int64) {}
	}
	writes := map[string][]string{}
	for _, w := range stateWrites {
		writes[w.subjectType] = w.actions
	}
	var rep *pactum.AuditReport
	err := pactum.View(ctx, s, func(q pactum.Queries) error {
		replay := audit.NewReplay(writes)
		var n int64
		var err error
		rep, err = verifyChain(ctx, q, pins, func(r *pactum.AuditRow) {
			replay.Add(r)
			if n++; n%progressEvery == 0 {
				progress("events", n)
			}
		})
		if err != nil || !rep.OK {
			return err
		}
		if rep.State, err = compareState(ctx, q, replay, progress); err != nil {
			return err
		}
		rep.OK = rep.State.OK
		return nil
	})
	return rep, err
}

// progressEvery is how many events or rows pass between progress reports.
const progressEvery = 100_000

// compareState holds the rows of every table of stateWrites to replay.
func compareState(ctx context.Context, q pactum.Queries, replay *audit.Replay, progress VerifyAuditProgress) (*pactum.AuditStateReport, error) {
	st := &pactum.AuditStateReport{}
	note := func(d *pactum.StateDifference) {
		st.Differences++
		if st.First == nil {
			st.First = d
		}
	}
	for _, w := range stateWrites {
		var cmpErr error
		table, err := q.ScanStateRows(ctx, w.subjectType, func(id string, row any) bool {
			st.Rows++
			if st.Rows%progressEvery == 0 {
				progress("rows", st.Rows)
			}
			r, ok := replay.Take(w.subjectType, id)
			if !ok {
				note(&pactum.StateDifference{ID: id, Reason: "the table holds a row that no audit event wrote"})
				return true
			}
			d, err := audit.Compare("", id, r, row)
			if err != nil {
				cmpErr = err
				return false
			}
			if d != nil {
				note(d)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if cmpErr != nil {
			return nil, cmpErr
		}
		if st.First != nil && st.First.Table == "" {
			st.First.Table = table
		}
		for _, id := range replay.Rest(w.subjectType) {
			r, _ := replay.Take(w.subjectType, id)
			note(&pactum.StateDifference{Table: table, ID: id, Seq: r.Seq, Log: r.After,
				Reason: "the log wrote this row, but the table no longer holds it"})
		}
		st.Subjects = append(st.Subjects, pactum.AuditStateSubject{SubjectType: w.subjectType, Table: table})
	}
	st.OK = st.Differences == 0
	return st, nil
}
