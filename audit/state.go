// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// Every write of a state row records the row's whole new value as its
// event's After snapshot (the domain value, JSON-encoded, sometimes with
// notes beside it: a reason, a screening outcome). Folding the snapshots
// of a subject in chain order therefore rebuilds the row; Replay keeps the
// last one, and Compare holds it to the row the table holds now.

// Replay folds the After snapshots of the events that write state rows,
// per subject, in chain order. Feed it every event with Add.
type Replay struct {
	// writes tells which (subject type, action) pairs write a state row,
	// keyed subjectType + "\x00" + action.
	writes map[string]bool
	rows   map[string]*Replayed
	key    []byte
}

// Replayed is what the log says of one row: its last snapshot and the
// event that wrote it.
type Replayed struct {
	After []byte
	Seq   int64
}

// NewReplay returns a replay of the events whose subject type and action
// are among writes: subject type → the actions that write its row.
func NewReplay(writes map[string][]string) *Replay {
	r := &Replay{writes: map[string]bool{}, rows: map[string]*Replayed{}}
	for st, actions := range writes {
		for _, a := range actions {
			r.writes[st+"\x00"+a] = true
		}
	}
	return r
}

// Add folds in one event, if it writes a state row. It copies what it
// keeps, so row may be reused after.
func (r *Replay) Add(row *pactum.AuditRow) {
	r.key = append(append(append(r.key[:0], row.SubjectType...), 0), row.Action...)
	if !r.writes[string(r.key)] {
		return
	}
	r.key = append(append(append(r.key[:0], row.SubjectType...), 0), row.SubjectID...)
	if rep := r.rows[string(r.key)]; rep != nil {
		rep.After, rep.Seq = append(rep.After[:0], row.After...), row.Seq
		return
	}
	r.rows[string(r.key)] = &Replayed{After: bytes.Clone(row.After), Seq: row.Seq}
}

// Take returns and forgets what the log says of a subject; ok is false if
// no event wrote it.
func (r *Replay) Take(subjectType, id string) (rep *Replayed, ok bool) {
	k := subjectType + "\x00" + id
	rep, ok = r.rows[k]
	delete(r.rows, k)
	return rep, ok
}

// Rest returns the ids of the subjects of subjectType not yet taken, in
// order: rows the log wrote that the table no longer holds.
func (r *Replay) Rest(subjectType string) []string {
	var ids []string
	prefix := subjectType + "\x00"
	for k := range r.rows {
		if id, ok := strings.CutPrefix(k, prefix); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Compare holds row, as the table holds it, to the snapshot the log
// rebuilt, and returns the first field (in the order of row's type) on
// which they differ, or nil. Only the fields of row's type are compared:
// other keys of the snapshot are notes. Times compare as instants to the
// microsecond, the precision both databases keep.
func Compare(table, id string, rep *Replayed, row any) (*pactum.StateDifference, error) {
	stored, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", table, id, err)
	}
	if bytes.Equal(stored, rep.After) {
		return nil, nil
	}
	var logged, held map[string]json.RawMessage
	if err := json.Unmarshal(rep.After, &logged); err != nil {
		return &pactum.StateDifference{Table: table, ID: id, Seq: rep.Seq, Log: jsonOrString(rep.After),
			Reason: "the log's last snapshot of the row is not a JSON object: it cannot rebuild the row"}, nil
	}
	if err := json.Unmarshal(stored, &held); err != nil {
		return nil, fmt.Errorf("%s %s: %w", table, id, err)
	}
	for _, f := range fieldsOf(reflect.TypeOf(row)) {
		l, h := logged[f], held[f]
		if sameJSON(l, h) {
			continue
		}
		d := &pactum.StateDifference{Table: table, ID: id, Field: f, Seq: rep.Seq, Log: l, Stored: h}
		switch {
		case l == nil:
			d.Reason = "the log's last snapshot of the row lacks this field"
		case h == nil:
			d.Reason = "the table lacks this field"
		default:
			d.Reason = "the table holds a value the log never wrote"
		}
		return d, nil
	}
	return nil, nil
}

func jsonOrString(b []byte) json.RawMessage {
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// sameJSON reports whether two JSON values are equal as values: objects
// regardless of key order, numbers as numbers, RFC 3339 times as instants
// to the microsecond; absent equals null. A field absent on one side —
// as an object key, at any depth — equals its zero value (null, false, 0,
// "", [] or {}) on the other: an event logged by an older pactum lacks
// the fields added since, which its rows read as zero after the upgrade.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if len(a) == 0 || len(b) == 0 {
		// An absent field.
		if len(b) == 0 {
			a, b = b, a
		}
		return json.Unmarshal(b, &vb) == nil && zeroValue(vb)
	}
	if len(a) > 0 && json.Unmarshal(a, &va) != nil {
		return false
	}
	if len(b) > 0 && json.Unmarshal(b, &vb) != nil {
		return false
	}
	return sameValue(va, vb)
}

func sameValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok && zeroValue(v) {
				continue
			}
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		for k, w := range b {
			if _, ok := a[k]; !ok && !zeroValue(w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case string:
		b, ok := b.(string)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		ta, errA := time.Parse(time.RFC3339Nano, a)
		tb, errB := time.Parse(time.RFC3339Nano, b)
		return errA == nil && errB == nil && ta.Truncate(time.Microsecond).Equal(tb.Truncate(time.Microsecond))
	default:
		return a == b
	}
}

// zeroValue reports whether a decoded JSON value is its type's zero: null,
// false, 0, "", [] or {}.
func zeroValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// fieldsOf lists the JSON keys of a struct type (through pointers and
// embedded structs), in declaration order.
func fieldsOf(t reflect.Type) []string {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]string)
	}
	var out []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if f.Anonymous && name == "" {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	walk(t)
	fieldCache.Store(t, out)
	return out
}

var fieldCache sync.Map
