// SPDX-License-Identifier: EUPL-1.2

// Package audit seals audit events into a hash chain and verifies it.
//
// Each event's hash is SHA-256 over a length-prefixed encoding of its fields
// and of its predecessor's hash, so changing any field of any event, deleting
// an event, or reordering events breaks the chain at the first affected
// event, and Verifier names it. The package knows nothing of storage: stores
// call Seal inside the transaction that makes the change, and feed events to
// a Verifier in sequence order.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/pactum/pactum"
)

// Genesis is the PrevHash of the first event.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// version is mixed into every hash so a future change of encoding cannot
// be confused with this one.
const version = "pactum-audit-v1"

// TimeFormat is how event times enter the hash. Stores keep microseconds,
// so times are truncated to them before sealing.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Seal sets e.PrevHash to prev and computes e.Hash. It truncates e.At to
// microseconds (the precision both databases keep) so that the hash verifies
// after a round trip through storage.
func Seal(prev string, e *pactum.AuditEvent) {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = prev
	e.Hash = Hash(e)
}

// Hash computes the hash an event should carry, from all its fields but
// Hash itself.
func Hash(e *pactum.AuditEvent) string {
	h := sha256.New()
	field(h, version)
	field(h, strconv.FormatInt(e.Seq, 10))
	field(h, e.ID)
	field(h, e.At.UTC().Format(TimeFormat))
	field(h, e.ActorID)
	field(h, e.Action)
	field(h, e.SubjectType)
	field(h, e.SubjectID)
	field(h, string(e.Before))
	field(h, string(e.After))
	field(h, e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// field writes one length-prefixed field, so that no two different events
// can encode to the same bytes by moving text between fields.
func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// Verifier checks events fed to it in sequence order. It keeps only the
// last hash, so it verifies a log of any length in constant memory.
type Verifier struct {
	n    int64
	last int64
	// prev is the last good event's hash: always 64 hex digits, since an
	// event whose hash does not verify never becomes prev.
	prev [64]byte
	bad  *pactum.AuditProblem
	pins map[int64]string
	// buf is AddRow's encoding buffer, reused from row to row.
	buf []byte
}

// Reasons a chain fails, shared by Add and AddRow.
const (
	reasonPrev   = "its previous-hash does not match the event before it: an event was deleted, inserted or reordered"
	reasonEdited = "its content does not match its hash: the event was edited"
	reasonPin    = "its hash differs from the signed checkpoint of this event: the history up to here was rewritten after the checkpoint was signed"
)

func (v *Verifier) seqReason(seq int64) string {
	if seq > v.last+1 {
		return fmt.Sprintf("sequence jumps from %d to %d: event %d is missing or out of place", v.last, seq, v.last+1)
	}
	return fmt.Sprintf("sequence goes back from %d to %d: events are out of order", v.last, seq)
}

// Pin makes the verifier hold event seq to hash, as a signed checkpoint
// states it: a chain recomputed after the checkpoint then fails there.
func (v *Verifier) Pin(seq int64, hash string) {
	if v.pins == nil {
		v.pins = map[int64]string{}
	}
	v.pins[seq] = hash
}

// NewVerifier returns a verifier expecting the first event of the chain.
func NewVerifier() *Verifier {
	v := &Verifier{}
	copy(v.prev[:], Genesis)
	return v
}

// Add checks the next event and reports whether the chain is still good.
// After the first bad event it records nothing more.
func (v *Verifier) Add(e *pactum.AuditEvent) bool {
	if v.bad != nil {
		return false
	}
	v.n++
	switch {
	case e.Seq != v.last+1:
		v.fail(e, v.seqReason(e.Seq))
	case e.PrevHash != string(v.prev[:]):
		v.fail(e, reasonPrev)
	case Hash(e) != e.Hash:
		v.fail(e, reasonEdited)
	case v.pins[e.Seq] != "" && v.pins[e.Seq] != e.Hash:
		v.fail(e, reasonPin)
	default:
		v.last = e.Seq
		copy(v.prev[:], e.Hash)
		return true
	}
	return false
}

func (v *Verifier) fail(e *pactum.AuditEvent, reason string) {
	v.bad = &pactum.AuditProblem{Seq: e.Seq, ID: e.ID, Reason: reason}
}

// Report finishes verification. headSeq and headHash are what the store
// recorded as the chain's end when it last wrote; a chain that stops short of
// them has lost its newest events.
func (v *Verifier) Report(headSeq int64, headHash string) *pactum.AuditReport {
	prev := string(v.prev[:])
	r := &pactum.AuditReport{Events: v.n, HeadHash: prev}
	if v.bad == nil && (headSeq != v.last || (headSeq > 0 && headHash != prev)) {
		v.bad = &pactum.AuditProblem{Seq: v.last + 1, Reason: fmt.Sprintf(
			"the chain ends at event %d but the recorded head is event %d: the newest events were deleted or the head was altered", v.last, headSeq)}
	}
	if v.bad == nil {
		for seq := range v.pins {
			if seq > v.last {
				v.bad = &pactum.AuditProblem{Seq: seq, Reason: fmt.Sprintf(
					"a signed checkpoint names event %d, but the chain ends at event %d: events were deleted", seq, v.last)}
				break
			}
		}
	}
	r.FirstBad = v.bad
	r.OK = v.bad == nil
	return r
}
