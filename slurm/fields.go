// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"bytes"
	"math"
	"time"
)

// The values of sacct's fields, each parsed from the line's bytes without
// an allocation: counts, TRES lists, states, times.

// counter parses a count that Slurm may print as NO_VAL64 or INFINITE64
// (2^64−2, 2^64−1, "no value"), which give -1; others must fit in int64.
func counter(b []byte) (int64, bool) {
	switch string(b) {
	case "18446744073709551614", "18446744073709551615":
		return -1, true
	}
	return atoi64(b)
}

// gpuUtil returns the gres/gpuutil entry of a TRESUsageInTot field, or -1
// when there is none; other entries (cpu=00:01:40, mem=2G, ...) are not
// looked at.
func gpuUtil(b []byte) (int64, bool) {
	const key = "gres/gpuutil="
	for len(b) > 0 {
		pair := b
		if k := bytes.IndexByte(b, ','); k >= 0 {
			pair, b = b[:k], b[k+1:]
		} else {
			b = nil
		}
		if len(pair) > len(key) && string(pair[:len(key)]) == key {
			return counter(pair[len(key):])
		}
	}
	return -1, true
}

// allocTRES is an AllocTRES field and the counts Record takes from it.
type allocTRES struct {
	s                                       string
	cpus, gpus, nodes, billing, mem, energy int64
}

// tres returns the parsed AllocTRES field b. A listing has few distinct
// AllocTRES values (jobs come in a few shapes), so each is parsed once and
// remembered, up to maxIntern of them.
func (p *Parser) tres(b []byte) (allocTRES, bool) {
	if p.lastTRES >= 0 && string(b) == p.tresVals[p.lastTRES].s {
		return p.tresVals[p.lastTRES], true
	}
	if i, ok := p.tresIdx[string(b)]; ok {
		p.lastTRES = i
		return p.tresVals[i], true
	}
	t, ok := parseAllocTRES(b)
	if !ok {
		return t, false
	}
	t.s = string(b)
	if len(p.tresVals) < maxIntern {
		p.tresIdx[t.s] = len(p.tresVals)
		p.lastTRES = len(p.tresVals)
		p.tresVals = append(p.tresVals, t)
	}
	return t, true
}

// parseAllocTRES reads "billing=8,cpu=8,gres/gpu=4,mem=64G,node=1". GPUs
// count gres/gpu, or, when only typed entries (gres/gpu:a100=4) are
// present, their sum: never both, which would double-count. energy is -1
// when absent.
func parseAllocTRES(tres []byte) (allocTRES, bool) {
	t := allocTRES{energy: -1}
	var typed int64
	haveGPU := false
	for len(tres) > 0 {
		var pair []byte
		if k := bytes.IndexByte(tres, ','); k >= 0 {
			pair, tres = tres[:k], tres[k+1:]
			if len(tres) == 0 {
				return t, false // trailing comma
			}
		} else {
			pair, tres = tres, nil
		}
		eq := bytes.IndexByte(pair, '=')
		if eq <= 0 {
			return t, false
		}
		key, val := pair[:eq], pair[eq+1:]
		if string(key) == "energy" { // joules, possibly NO_VAL64
			var ok bool
			if t.energy, ok = counter(val); !ok {
				return t, false
			}
			continue
		}
		v, ok := parseCount(val)
		if !ok {
			return t, false
		}
		switch string(key) {
		case "cpu":
			t.cpus = v
		case "node":
			t.nodes = v
		case "billing":
			t.billing = v
		case "mem":
			t.mem = v
		case "gres/gpu":
			t.gpus, haveGPU = v, true
		default:
			if len(key) > 9 && string(key[:9]) == "gres/gpu:" {
				if typed > math.MaxInt64-v {
					return t, false
				}
				typed += v
			}
		}
	}
	if !haveGPU {
		t.gpus = typed
	}
	return t, true
}

// jobState reports whether st is a job state as sacct prints them:
// upper-case letters and '_' (OUT_OF_MEMORY), at most 32. The server
// accepts no other, and a stray byte (a '\r' from a mangled dump) must not
// pass for one.
func jobState(st []byte) bool {
	if len(st) == 0 || len(st) > 32 {
		return false
	}
	for _, c := range st {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// finalState reports whether a job in state st has ended for good.
// REQUEUED is not final: the job runs again under the same id.
func finalState(st []byte) bool {
	switch string(st) {
	case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
		"PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED":
		return true
	}
	return false
}

func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// atoi parses a non-negative decimal integer of at most 18 digits.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// atoi64 parses a non-negative decimal integer that fits in int64.
func atoi64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64 // 19 digits fit
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// parseTime parses sacct's "2006-01-02T15:04:05" (UTC, as the runner's
// TZ=UTC makes it); "Unknown", "None" and "" give the zero time.
func (p *Parser) parseTime(b []byte) (time.Time, bool) {
	if len(b) != 19 {
		switch string(b) {
		case "Unknown", "None", "":
			return time.Time{}, true
		}
		return time.Time{}, false
	}
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	// Fixed positions: check every digit at once, then combine.
	for _, k := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if b[k] < '0' || b[k] > '9' {
			return time.Time{}, false
		}
	}
	d2 := func(k int) int64 { return int64(b[k]-'0')*10 + int64(b[k+1]-'0') }
	y := d2(0)*100 + d2(2)
	mo, d, h, mi, sec := d2(5), d2(8), d2(11), d2(14), d2(17)
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false
	}
	// Consecutive times mostly fall on the same day.
	days := p.lastDays
	if string(b[:10]) != string(p.lastDate[:]) {
		days = daysFromCivil(y, mo, d)
		copy(p.lastDate[:], b[:10])
		p.lastDays = days
	}
	return time.Unix(days*86400+h*3600+mi*60+sec, 0).UTC(), true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm), avoiding time.Date in the hot path.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // floor division: year 0's January and February are y = -1
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
