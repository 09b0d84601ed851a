// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// SacctFormat is the --format list that Query asks sacct for and that
// Parser expects, in this order, '|'-separated (--parsable2).
const SacctFormat = "JobIDRaw,JobID,Cluster,Account,User,State,AllocTRES,ElapsedRaw,Submit,Start,End"

// nFields is the number of fields in SacctFormat.
const nFields = 11

// Record is one job allocation (or, if asked for, one step) from sacct.
type Record struct {
	Cluster string
	// JobID is the raw job id (JobIDRaw), unique per cluster: the key the
	// server deduplicates on. For an array task it differs from the id
	// users see ("10" for "9_0").
	JobID string
	// ArrayJobID is the array's id for an array task ("9" for "9_0"), ""
	// otherwise. ArrayTaskID is the task's index, or -1. ArrayTasks is the
	// still-pending range of an array ("3-5%2" for "9_[3-5%2]"), else "".
	ArrayJobID  string
	ArrayTaskID int64
	ArrayTasks  string
	// Step is the step name for a job step ("batch", "extern", "0"), ""
	// for the allocation; steps appear only with Parser.Steps.
	Step    string
	Account string
	User    string
	// State is the base state: "CANCELLED by 0" gives "CANCELLED".
	State string
	// Final is set once the job has ended: its usage will not change.
	Final bool
	// Elapsed is the wall time so far, in seconds (ElapsedRaw).
	Elapsed int64
	// Submit, Start and End are UTC; zero when sacct says Unknown or None
	// (not started, or still running).
	Submit, Start, End time.Time
	// From AllocTRES: GPUs counts gres/gpu (or, absent that, the sum of
	// the typed gres/gpu:TYPE entries, never both); MemMB is in MiB.
	CPUs, GPUs, Nodes, Billing, MemMB int64
	// AllocTRES is the raw field, for other TRES (ParseTRES).
	AllocTRES string
}

// GPUSeconds is the job's GPU usage: allocated GPUs × elapsed seconds.
func (r *Record) GPUSeconds() int64 { return r.GPUs * r.Elapsed }

// NodeSeconds is allocated nodes × elapsed seconds.
func (r *Record) NodeSeconds() int64 { return r.Nodes * r.Elapsed }

// CPUSeconds is allocated CPUs × elapsed seconds.
func (r *Record) CPUSeconds() int64 { return r.CPUs * r.Elapsed }

// LineError is a sacct line that could not be parsed; the parser skips it
// and goes on.
type LineError struct {
	Line int    // 1-based
	Text string // the line, cut to 200 bytes
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("sacct line %d: %v: %q", e.Line, e.Err, e.Text)
}

func (e *LineError) Unwrap() error { return e.Err }

// MaxMalformed bounds the LineErrors a Parser keeps; it still counts the
// rest (MalformedCount), so a file of garbage cannot exhaust memory.
const MaxMalformed = 1000

// maxLine is the longest line the parser accepts; longer ones are
// reported as malformed. Real lines are a few hundred bytes.
const maxLine = 64 << 10

// Parser reads sacct --parsable2 --noheader output with the fields in
// SacctFormat, one record at a time, without a per-field allocation.
// Malformed lines are recorded with their line number and skipped.
type Parser struct {
	// Steps makes the parser return job steps (123.batch, 123.0) too;
	// by default it skips them, since usage is counted per allocation.
	Steps bool

	r        *bufio.Reader
	rec      Record
	line     int
	bad      []LineError
	badCount int
	err      error
	fields   [nFields][]byte
	skipRest bool
	intern   map[string]string
	last     [nFields]string // per field, the string of the previous record
	tresIdx  map[string]int  // AllocTRES strings seen, into tresVals
	tresVals []allocTRES
	lastTRES int      // index of the previous record's AllocTRES, -1 for none
	lastDate [10]byte // the date part parseTime saw last ...
	lastDays int64    // ... and its day number
}

// maxIntern bounds the strings a Parser shares between records (cluster,
// account, user, AllocTRES and step names repeat across a listing), so
// that a listing of a million jobs costs one small allocation per record,
// its job id, and not one per field.
const maxIntern = 1 << 14

// field returns field i as a string: the previous record's when it is the
// same (cluster, often account and state), else str's.
func (p *Parser) field(i int, b []byte) string {
	if string(b) == p.last[i] {
		return p.last[i]
	}
	s := p.str(b)
	p.last[i] = s
	return s
}

// str returns b as a string, shared with earlier records when it repeats.
func (p *Parser) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < maxIntern {
		p.intern[s] = s
	}
	return s
}

// NewParser returns a parser reading from r.
func NewParser(r io.Reader) *Parser {
	return &Parser{r: bufio.NewReaderSize(r, maxLine), intern: map[string]string{}, tresIdx: map[string]int{}, lastTRES: -1}
}

// Next advances to the next well-formed record and reports whether there
// is one. At the end, Err says whether reading failed.
func (p *Parser) Next() bool {
	for p.err == nil {
		b, err := p.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !p.skipRest {
				p.line++
				p.malformed(b, errors.New("line too long"))
			}
			p.skipRest = true
			continue
		}
		if err != nil && err != io.EOF {
			p.err = err
			return false
		}
		if len(b) == 0 && err == io.EOF {
			p.err = io.EOF
			return false
		}
		if p.skipRest { // the tail of an over-long line
			p.skipRest = false
			if err == io.EOF {
				p.err = io.EOF
			}
			continue
		}
		p.line++
		if err == io.EOF {
			p.err = io.EOF
		}
		b = trimEOL(b)
		if len(b) == 0 {
			continue
		}
		ok, perr := p.parse(b)
		if perr != nil {
			p.malformed(b, perr)
			continue
		}
		if ok {
			return true
		}
	}
	return false
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func (p *Parser) malformed(b []byte, err error) {
	p.badCount++
	if len(p.bad) >= MaxMalformed {
		return
	}
	if len(b) > 200 {
		b = b[:200]
	}
	p.bad = append(p.bad, LineError{Line: p.line, Text: string(trimEOL(b)), Err: err})
}

// Record returns the current record. It is overwritten by the next call
// to Next; copy it to keep it (its strings stay valid).
func (p *Parser) Record() *Record { return &p.rec }

// Line returns the number of the current line.
func (p *Parser) Line() int { return p.line }

// Err returns the read error that stopped the parser, nil at a clean end.
func (p *Parser) Err() error {
	if p.err == io.EOF {
		return nil
	}
	return p.err
}

// Malformed returns the lines skipped so far (at most MaxMalformed).
func (p *Parser) Malformed() []LineError {
	if p.bad == nil {
		return []LineError{}
	}
	return p.bad
}

// MalformedCount returns how many lines were skipped, all of them.
func (p *Parser) MalformedCount() int { return p.badCount }

var (
	errFields  = fmt.Errorf("want %d '|'-separated fields (%s)", nFields, SacctFormat)
	errJobID   = errors.New("bad JobIDRaw")
	errArray   = errors.New("bad array job id")
	errElapsed = errors.New("bad ElapsedRaw")
	errTime    = errors.New("bad time")
	errTRES    = errors.New("bad AllocTRES")
	errState   = errors.New("empty State")
	errUsage   = errors.New("usage (AllocTRES × ElapsedRaw) out of range")
)

// allocTRES is an AllocTRES field and the counts Record takes from it.
type allocTRES struct {
	s                               string
	cpus, gpus, nodes, billing, mem int64
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
// present, their sum: never both, which would double-count.
func parseAllocTRES(tres []byte) (allocTRES, bool) {
	var t allocTRES
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

// parse fills p.rec from one line. It returns false (and no error) for a
// step that is being skipped.
func (p *Parser) parse(b []byte) (bool, error) {
	// The cheap test first: most lines of a full listing are steps.
	i := bytes.IndexByte(b, '|')
	if i <= 0 {
		return false, errFields
	}
	dot := bytes.IndexByte(b[:i], '.')
	if dot >= 0 && !p.Steps {
		if dot == 0 || !digits(b[:dot]) {
			return false, errJobID
		}
		return false, nil
	}
	f := &p.fields
	f[0] = b[:i]
	n := 1
	for from := i + 1; ; {
		j := bytes.IndexByte(b[from:], '|')
		if j < 0 {
			if n != nFields-1 {
				return false, errFields
			}
			f[n] = b[from:]
			break
		}
		if n == nFields-1 {
			return false, errFields
		}
		f[n] = b[from : from+j]
		n++
		from += j + 1
	}
	r := &p.rec
	// Validate before allocating the line's string.
	raw, step := f[0], []byte(nil)
	if dot >= 0 {
		raw, step = f[0][:dot], f[0][dot+1:]
		if len(step) == 0 {
			return false, errJobID
		}
	}
	if !digits(raw) {
		return false, errJobID
	}
	elapsed, ok := atoi(f[7])
	if !ok {
		return false, errElapsed
	}
	var submit, start, end time.Time
	if submit, ok = p.parseTime(f[8]); !ok {
		return false, errTime
	}
	if start, ok = p.parseTime(f[9]); !ok {
		return false, errTime
	}
	if end, ok = p.parseTime(f[10]); !ok {
		return false, errTime
	}
	st := f[5]
	if k := bytes.IndexByte(st, ' '); k >= 0 {
		st = st[:k] // "CANCELLED by 0"
	}
	if len(st) == 0 {
		return false, errState
	}
	t, ok := p.tres(f[6])
	if !ok {
		return false, errTRES
	}
	// Usage is counts × seconds: a line whose product does not fit is
	// garbage, and would otherwise charge a negative amount.
	if elapsed > 0 {
		if lim := math.MaxInt64 / elapsed; t.cpus > lim || t.gpus > lim || t.nodes > lim {
			return false, errUsage
		}
	}

	*r = Record{
		Cluster: p.field(2, f[2]), JobID: string(raw), Account: p.field(3, f[3]), User: p.field(4, f[4]),
		State: p.field(5, st), Final: finalState(st),
		Elapsed: elapsed, Submit: submit, Start: start, End: end,
		CPUs: t.cpus, GPUs: t.gpus, Nodes: t.nodes, Billing: t.billing, MemMB: t.mem,
		AllocTRES: t.s, ArrayTaskID: -1,
	}
	if step != nil {
		r.Step = p.str(step)
	}
	// Array tasks: JobID is "ARRAY_TASK" or "ARRAY_[RANGE]" (pending),
	// possibly with ".step".
	id := f[1]
	if k := bytes.IndexByte(id, '.'); k >= 0 {
		id = id[:k]
	}
	if u := bytes.IndexByte(id, '_'); u >= 0 {
		arr, task := id[:u], id[u+1:]
		if !digits(arr) || len(task) == 0 {
			return false, errArray
		}
		r.ArrayJobID = string(arr)
		if task[0] == '[' {
			if len(task) < 3 || task[len(task)-1] != ']' {
				return false, errArray
			}
			r.ArrayTasks = string(task[1 : len(task)-1])
		} else if r.ArrayTaskID, ok = atoi(task); !ok {
			return false, errArray
		}
	}
	return true, nil
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
