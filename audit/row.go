// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/pactum/pactum"
)

// The row path checks exactly what Add checks, from the stored bytes: it
// hashes the same length-prefixed encoding (Hash) without building an
// event, parsing its time or allocating per row, which is what made a
// long chain slow to verify.

// AppendEncoding appends to buf the bytes Hash hashes for the event r
// holds, and returns the extended buffer.
func AppendEncoding(buf []byte, r *pactum.AuditRow) []byte {
	buf = appendField(buf, []byte(version))
	var seq [20]byte
	buf = appendField(buf, strconv.AppendInt(seq[:0], r.Seq, 10))
	buf = appendField(buf, r.ID)
	buf = appendField(buf, r.At)
	buf = appendField(buf, r.ActorID)
	buf = appendField(buf, r.Action)
	buf = appendField(buf, r.SubjectType)
	buf = appendField(buf, r.SubjectID)
	buf = appendField(buf, r.Before)
	buf = appendField(buf, r.After)
	buf = appendField(buf, r.PrevHash)
	return buf
}

func appendField(buf, s []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
	return append(buf, s...)
}

// AddRow checks the next event, given as its stored bytes, like Add, and
// reports whether the chain is still good. It keeps nothing of r.
func (v *Verifier) AddRow(r *pactum.AuditRow) bool {
	if v.bad != nil {
		return false
	}
	v.n++
	switch {
	case r.Seq != v.last+1:
		v.failRow(r, v.seqReason(r.Seq))
	case !bytes.Equal(r.PrevHash, v.prev[:]):
		v.failRow(r, reasonPrev)
	case !v.rowHashMatches(r):
		v.failRow(r, reasonEdited)
	case v.pins != nil && v.pins[r.Seq] != "" && v.pins[r.Seq] != string(r.Hash):
		v.failRow(r, reasonPin)
	default:
		v.last = r.Seq
		copy(v.prev[:], r.Hash) // 64 bytes: its hash verified
		return true
	}
	return false
}

// rowHashMatches recomputes r's hash into the verifier's buffers.
func (v *Verifier) rowHashMatches(r *pactum.AuditRow) bool {
	v.buf = AppendEncoding(v.buf[:0], r)
	sum := sha256.Sum256(v.buf)
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	return bytes.Equal(hx[:], r.Hash)
}

func (v *Verifier) failRow(r *pactum.AuditRow, reason string) {
	v.bad = &pactum.AuditProblem{Seq: r.Seq, ID: string(r.ID), Reason: reason}
}
