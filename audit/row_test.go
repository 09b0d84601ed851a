// SPDX-License-Identifier: EUPL-1.2

package audit_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// rowOf is e as a store hands it to AddRow.
func rowOf(e *pactum.AuditEvent) *pactum.AuditRow {
	return &pactum.AuditRow{Seq: e.Seq, ID: []byte(e.ID), At: []byte(e.At.UTC().Format(audit.TimeFormat)), ActorID: []byte(e.ActorID),
		Action: []byte(e.Action), SubjectType: []byte(e.SubjectType), SubjectID: []byte(e.SubjectID), Before: e.Before, After: e.After,
		PrevHash: []byte(e.PrevHash), Hash: []byte(e.Hash)}
}

// verifyRows verifies events as stored rows, through a Pipe, reusing one
// row as stores do.
func verifyRows(events []*pactum.AuditEvent, headSeq int64, headHash string) *pactum.AuditReport {
	v := audit.NewVerifier()
	p := audit.NewPipe(v.AddRow)
	var reused pactum.AuditRow
	for _, e := range events {
		reused = *rowOf(e)
		if !p.Add(&reused) {
			break
		}
		reused = pactum.AuditRow{ID: []byte("overwritten")} // the pipe must have copied
	}
	p.Close()
	return v.Report(headSeq, headHash)
}

func TestVerifyRows(t *testing.T) {
	ev := chain(2000) // several batches
	if r := verifyRows(ev, 2000, ev[1999].Hash); !r.OK || r.Events != 2000 || r.HeadHash != ev[1999].Hash {
		t.Fatalf("got %+v", r)
	}
	ev[1500].After = json.RawMessage(`{}`)
	if r := verifyRows(ev, 2000, ev[1999].Hash); r.OK || r.FirstBad.Seq != 1501 || r.Events != 1501 {
		t.Fatalf("an edit in a later batch: %+v %+v", r, r.FirstBad)
	}
	v := audit.NewVerifier()
	v.Pin(3, strings.Repeat("0", 64))
	for _, e := range ev[:5] {
		v.AddRow(rowOf(e))
	}
	if r := v.Report(5, ev[4].Hash); r.OK || r.FirstBad.Seq != 3 || !strings.Contains(r.FirstBad.Reason, "checkpoint") {
		t.Errorf("a pinned hash: %+v", r.FirstBad)
	}
}

func TestReplayCompare(t *testing.T) {
	type row struct {
		ID     string     `json:"id"`
		Amount float64    `json:"amount"`
		At     time.Time  `json:"at"`
		Until  *time.Time `json:"until,omitempty"`
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
	r := audit.NewReplay(map[string][]string{"thing": {"thing.create", "thing.change"}})
	add := func(seq int64, action, id, after string) {
		r.Add(&pactum.AuditRow{Seq: seq, Action: []byte(action), SubjectType: []byte("thing"), SubjectID: []byte(id), After: []byte(after)})
	}
	add(1, "thing.create", "a", `{"id":"a","amount":1,"at":"2026-11-26T10:00:00.123456Z"}`)
	add(2, "thing.note", "a", `{"note":"not a write"}`)
	// The last write of a, in another zone and with a note beside the row.
	add(3, "thing.change", "a", `{"id":"a","amount":2,"at":"2026-11-26T11:00:00.123456+01:00","reason":"more"}`)
	add(4, "thing.create", "b", `{"id":"b","amount":1,"at":"2026-11-26T10:00:00.123456Z"}`)

	rep, ok := r.Take("thing", "a")
	if !ok || rep.Seq != 3 {
		t.Fatalf("a: %+v %v", rep, ok)
	}
	if d, err := audit.Compare("things", "a", rep, &row{ID: "a", Amount: 2, At: at}); err != nil || d != nil {
		t.Errorf("the same row: %+v %v", d, err)
	}
	d, err := audit.Compare("things", "a", rep, &row{ID: "a", Amount: 2, At: at, Until: &at})
	if err != nil || d == nil || d.Field != "until" || d.Log != nil || string(d.Stored) != `"2026-11-26T10:00:00.123456Z"` {
		t.Errorf("a field the log never wrote: %+v %v", d, err)
	}
	if d, _ := audit.Compare("things", "a", rep, &row{ID: "a", Amount: 3, At: at}); d == nil || d.Field != "amount" || string(d.Log) != "2" || string(d.Stored) != "3" {
		t.Errorf("an edited amount: %+v", d)
	}
	if rest := r.Rest("thing"); len(rest) != 1 || rest[0] != "b" {
		t.Errorf("rest: %v", rest)
	}
}

func TestNoted(t *testing.T) {
	type row struct {
		State string `json:"state"`
	}
	b, err := json.Marshal(pactum.Noted(&row{State: "withdrawn"}, map[string]any{"reason": "merged", "state": "ignored"}))
	if err != nil || string(b) != `{"state":"withdrawn","reason":"merged"}` {
		t.Errorf("got %s %v", b, err)
	}
}
