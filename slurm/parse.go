// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"
	"time"
)

// MaxMalformed bounds the LineErrors a Parser keeps; it still counts the
// rest (MalformedCount), so a file of garbage cannot exhaust memory.
const MaxMalformed = 1000

// maxLine is the longest line the parser accepts; longer ones are
// reported as malformed. Real lines are a few hundred bytes.
const maxLine = 64 << 10

// Parser reads sacct --parsable2 output, one record at a time, without a
// per-field allocation. The first non-empty line must be sacct's header:
// columns are found by name (case-insensitive), others are ignored.
// Required are JobIDRaw, Account, User, State, AllocTRES, ElapsedRaw and,
// unless Parser.Cluster is set, Cluster; JobID, Submit, Start, End,
// ConsumedEnergyRaw, TRESUsageInTot and Comment are read when present.
// Malformed lines are recorded with their line number and skipped: among
// them a line whose field count differs from the header's, except that
// surplus fields are taken as '|' in Comment when the header has no other
// column that could hold one.
type Parser struct {
	// Steps makes the parser return job steps (123.batch, 123.0) too;
	// by default it skips them, since usage is counted per allocation.
	Steps bool
	// FoldSteps reads step lines without returning them, for what only
	// steps report: an allocation's GPUUtil becomes Σ over its steps of
	// (step gpuutil × step ElapsedRaw) ÷ its ElapsedRaw, rounded, or stays
	// -1 when no step has gpuutil or the allocation has no elapsed time.
	// An allocation is therefore returned once the next allocation line,
	// or the end, shows that its steps are over. Step lines are read
	// leniently: only JobIDRaw, ElapsedRaw and TRESUsageInTot matter, and
	// a step of no preceding allocation is ignored. It overrides Steps.
	FoldSteps bool
	// Cluster is the cluster of records whose line has no Cluster value:
	// set, it makes the Cluster column optional, for a listing of one
	// cluster made without it.
	Cluster string

	r        *bufio.Reader
	line     int
	bad      []LineError
	badCount int
	// droppedComments counts the comments dropped as too long or with
	// control characters.
	droppedComments int
	err             error
	skipRest        bool

	// recs are the record Record returns and, with FoldSteps, the
	// allocation whose steps are being read (pend, while pending).
	recs    [2]Record
	out     *Record
	pend    *Record
	pending bool
	fold    stepSum

	header   []byte            // the header line, nil until read
	cols     int               // its column count
	col      [nColumns]int     // per column its field's index; cols (a field always empty) when absent
	absorb   bool              // surplus fields are '|' in Comment
	quickRaw bool              // JobIDRaw can be found before the line is split
	fields   [][]byte          // the current line's fields, cols+1 of them
	intern   map[string]string // strings shared between records
	last     [nColumns]string  // per column, the string of the previous record
	tresIdx  map[string]int    // AllocTRES strings seen, into tresVals
	tresVals []allocTRES
	lastTRES int      // index of the previous record's AllocTRES, -1 for none
	lastDate [10]byte // the date part parseTime saw last ...
	lastDays int64    // ... and its day number
}

// maxIntern bounds the strings a Parser shares between records (cluster,
// account, user, AllocTRES, comments and step names repeat across a
// listing), so that a listing of a million jobs costs one small
// allocation per record, its job id, and not one per field.
const maxIntern = 1 << 14

// field returns column c's value b as a string: the previous record's
// when it is the same (cluster, often account and state), else str's.
func (p *Parser) field(c column, b []byte) string {
	if string(b) == p.last[c] {
		return p.last[c]
	}
	s := p.str(b)
	p.last[c] = s
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
	p := &Parser{r: bufio.NewReaderSize(r, maxLine), intern: map[string]string{}, tresIdx: map[string]int{}, lastTRES: -1}
	p.out = &p.recs[0]
	return p
}

// Next advances to the next well-formed record and reports whether there
// is one. At the end, Err says whether reading failed or the header was
// refused.
func (p *Parser) Next() bool {
	for p.err == nil {
		b, err := p.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !p.skipRest {
				p.line++
				if p.header == nil {
					p.err = &HeaderError{Line: p.line, Text: cut(b)}
					return false
				}
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
			break
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
		if p.header == nil {
			if herr := p.readHeader(b); herr != nil {
				p.err = herr
				return false
			}
			continue
		}
		r, perr := p.parse(b)
		if perr != nil {
			if perr == errJobID && bytes.Equal(b, p.header) {
				continue // the header again, as in listings put end to end
			}
			p.malformed(b, perr)
			continue
		}
		if r == nil { // a step, skipped or folded
			continue
		}
		if !p.FoldSteps {
			p.out = r
			return true
		}
		// With FoldSteps, r waits for its steps; the allocation before
		// it has had all of its own.
		prev, had := p.pend, p.pending
		if had {
			p.finish(prev)
		}
		p.pend, p.pending, p.fold = r, true, stepSum{}
		if had {
			p.out = prev
			return true
		}
	}
	if p.err == io.EOF && p.pending {
		p.finish(p.pend)
		p.out, p.pending = p.pend, false
		return true
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

// cut returns b, without its line end, as a string of at most 200 bytes.
func cut(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(trimEOL(b))
}

func (p *Parser) malformed(b []byte, err error) {
	p.badCount++
	if len(p.bad) >= MaxMalformed {
		return
	}
	p.bad = append(p.bad, LineError{Line: p.line, Text: cut(b), Err: err})
}

// Record returns the current record. It is overwritten by the next call
// to Next; copy it to keep it (its strings stay valid).
func (p *Parser) Record() *Record { return p.out }

// Line returns the number of the line read last: with FoldSteps, a line
// past the current record's.
func (p *Parser) Line() int { return p.line }

// Err returns what stopped the parser: a read error, or a *HeaderError
// for a header it refused; nil at a clean end.
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

// DroppedComments returns how many records lost their comment for being
// longer than MaxComment or holding control characters: the records were
// kept, their claims (a model label) were not.
func (p *Parser) DroppedComments() int { return p.droppedComments }

// readHeader maps the columns of header line b, or says why it cannot.
func (p *Parser) readHeader(b []byte) error {
	names := strings.Split(SacctFormat, ",") // in column order
	for c := range p.col {
		p.col[c] = -1
	}
	heads := strings.Split(string(b), "|")
	p.cols = len(heads)
	p.absorb = true
	seen := make(map[string]bool, len(heads))
	twice := ""
	for i, h := range heads {
		h = strings.TrimSpace(h)
		name := strings.ToLower(h)
		if name == "" {
			p.absorb = false // an unnamed column could hold anything
			continue
		}
		if seen[name] && twice == "" {
			twice = h
		}
		seen[name] = true
		known := false
		for c, n := range names {
			if strings.EqualFold(name, n) {
				p.col[c], known = i, true
			}
		}
		if !known && !pipeFree(name) {
			p.absorb = false
		}
	}
	// A missing column first: a listing without its header fails here,
	// and says so.
	required := []column{colJobIDRaw, colAccount, colUser, colState, colAllocTRES, colElapsed}
	if p.Cluster == "" {
		required = append(required, colCluster)
	}
	for _, c := range required {
		if p.col[c] < 0 {
			return &HeaderError{Line: p.line, Column: names[c], Text: cut(b)}
		}
	}
	if twice != "" {
		return &HeaderError{Line: p.line, Column: twice, Twice: true, Text: cut(b)}
	}
	if p.col[colComment] < 0 {
		p.absorb = false
	}
	// Absent columns read as the extra, always empty field.
	for c := range p.col {
		if p.col[c] < 0 {
			p.col[c] = p.cols
		}
	}
	p.quickRaw = !p.absorb || p.col[colJobIDRaw] < p.col[colComment]
	p.fields = make([][]byte, p.cols+1)
	p.header = bytes.Clone(b)
	return nil
}

// pipeFree reports whether the sacct column name (in lower case), one the
// parser does not read, never holds a '|': numbers, times, states, TRES
// lists and names Slurm restricts. Free text that users or administrators
// choose (JobName, WorkDir, SubmitLine, AdminComment, Constraints, ...)
// can, and so can any column not listed here: a line with surplus fields
// is then malformed rather than read with shifted columns.
func pipeFree(name string) bool {
	switch name {
	case "partition", "qos", "nodelist", "nnodes", "ncpus", "alloccpus", "allocnodes",
		"reqtres", "reqcpus", "reqmem", "reqnodes", "elapsed", "timelimit", "timelimitraw",
		"exitcode", "derivedexitcode", "cputime", "cputimeraw", "consumedenergy", "eligible",
		"reason", "priority", "uid", "gid", "suspended", "totalcpu", "usercpu", "systemcpu",
		"maxrss", "averss", "maxvmsize", "avevmsize", "tresusageinave", "tresusageinmax",
		"tresusageoutave", "tresusageoutmax", "tresusageouttot", "planned", "plannedcpu", "plannedcpuraw":
		return true
	}
	return false
}

var (
	errJobID   = errors.New("bad JobIDRaw")
	errArray   = errors.New("bad array job id")
	errElapsed = errors.New("bad ElapsedRaw")
	errTime    = errors.New("bad time")
	errTRES    = errors.New("bad AllocTRES")
	errState   = errors.New("bad State: want an upper-case job state such as COMPLETED")
	errUsage   = errors.New("usage (AllocTRES × ElapsedRaw) out of range")
	errEnergy  = errors.New("bad ConsumedEnergyRaw")
	errGPUUtil = errors.New("bad gres/gpuutil in TRESUsageInTot")
)

// split cuts line b into p.fields, one per header column, and reports
// whether the count matched; the first n fields, up to from, are already
// cut. A line with more fields than the header is read with the surplus
// '|' in Comment, when p.absorb allows.
func (p *Parser) split(b []byte, n, from int) bool {
	f, last := p.fields, p.cols-1
	for {
		j := bytes.IndexByte(b[from:], '|')
		if j < 0 {
			if n != last {
				return false
			}
			f[n] = b[from:]
			return true
		}
		if n == last {
			return p.absorb && p.splitComment(b)
		}
		f[n] = b[from : from+j]
		n++
		from += j + 1
	}
}

// splitComment cuts line b, which has more fields than the header, taking
// the surplus '|' as part of the Comment field.
func (p *Parser) splitComment(b []byte) bool {
	extra := bytes.Count(b, []byte{'|'}) + 1 - p.cols
	f, c := p.fields, p.col[colComment]
	start, n := 0, 0
	for from := 0; ; {
		j := bytes.IndexByte(b[from:], '|')
		if j < 0 {
			f[n] = b[start:]
			return n == p.cols-1
		}
		from += j + 1
		if n == c && extra > 0 {
			extra-- // the comment goes on past this '|'
			continue
		}
		f[n] = b[start : from-1]
		n++
		start = from
	}
}

// fieldsError says how a line's field count differs from the header's.
func (p *Parser) fieldsError(b []byte) error {
	return fmt.Errorf("%d '|'-separated fields, the header has %d", bytes.Count(b, []byte{'|'})+1, p.cols)
}

// nthField returns field n of line b, before it is split.
func nthField(b []byte, n int) ([]byte, bool) {
	for ; n > 0; n-- {
		i := bytes.IndexByte(b, '|')
		if i < 0 {
			return nil, false
		}
		b = b[i+1:]
	}
	if i := bytes.IndexByte(b, '|'); i >= 0 {
		b = b[:i]
	}
	return b, true
}

// isStep reports whether raw, a JobIDRaw field, is a step's ("123.batch"),
// and whether it is well-formed.
func isStep(raw []byte) (step, ok bool) {
	dot := bytes.IndexByte(raw, '.')
	if dot < 0 {
		return false, true
	}
	return true, digits(raw[:dot]) && dot < len(raw)-1
}

// target returns the record to parse the next line into: not the
// allocation whose steps are pending.
func (p *Parser) target() *Record {
	if p.pending && p.pend == &p.recs[0] {
		return &p.recs[1]
	}
	return &p.recs[0]
}

// parse reads one data line and returns the record it filled, or nil (and
// no error) for a step that is skipped or folded.
func (p *Parser) parse(b []byte) (*Record, error) {
	// The cheap test first: most lines of a full listing are steps, which
	// are skipped unless asked for. JobIDRaw usually comes first, and its
	// field is then the split's first too.
	skip := !p.Steps && !p.FoldSteps && p.quickRaw
	n, from := 0, 0
	if p.col[colJobIDRaw] == 0 {
		if i := bytes.IndexByte(b, '|'); i >= 0 {
			if step, ok := isStep(b[:i]); skip && step {
				if !ok {
					return nil, errJobID
				}
				return nil, nil
			}
			p.fields[0], n, from = b[:i], 1, i+1
		}
	} else if skip {
		if raw, ok := nthField(b, p.col[colJobIDRaw]); ok {
			if step, ok := isStep(raw); step {
				if !ok {
					return nil, errJobID
				}
				return nil, nil
			}
		}
	}
	if !p.split(b, n, from) {
		return nil, p.fieldsError(b)
	}
	f, col := p.fields, p.col // a copy of col: fewer bounds checks
	raw, step := f[col[colJobIDRaw]], []byte(nil)
	if dot := bytes.IndexByte(raw, '.'); dot >= 0 {
		raw, step = raw[:dot], raw[dot+1:]
		if len(step) == 0 || !digits(raw) {
			return nil, errJobID
		}
		if p.FoldSteps {
			return nil, p.foldStep(raw)
		}
		if !p.Steps {
			return nil, nil
		}
	}
	// Validate before allocating the line's strings.
	if !digits(raw) {
		return nil, errJobID
	}
	elapsed, ok := atoi(f[col[colElapsed]])
	if !ok {
		return nil, errElapsed
	}
	var submit, start, end time.Time
	if submit, ok = p.parseTime(f[col[colSubmit]]); !ok {
		return nil, errTime
	}
	if start, ok = p.parseTime(f[col[colStart]]); !ok {
		return nil, errTime
	}
	if end, ok = p.parseTime(f[col[colEnd]]); !ok {
		return nil, errTime
	}
	st := f[col[colState]]
	if k := bytes.IndexByte(st, ' '); k >= 0 {
		st = st[:k] // "CANCELLED by 0"
	}
	if !jobState(st) {
		return nil, errState
	}
	t, ok := p.tres(f[col[colAllocTRES]])
	if !ok {
		return nil, errTRES
	}
	// Usage is counts × seconds: a line whose product does not fit is
	// garbage, and would otherwise charge a negative amount.
	if elapsed > 0 {
		if lim := math.MaxInt64 / elapsed; t.cpus > lim || t.gpus > lim || t.nodes > lim {
			return nil, errUsage
		}
	}
	energy := t.energy
	if e := f[col[colEnergy]]; len(e) > 0 {
		v, ok := counter(e)
		if !ok {
			return nil, errEnergy
		}
		if v > 0 {
			energy = v
		}
	}
	if energy <= 0 {
		energy = -1 // 0 is "not measured", not a job that used no energy
	}
	util, ok := gpuUtil(f[col[colUsageInTot]])
	if !ok {
		return nil, errGPUUtil
	}
	// The comment is the user's to write: one that is too long or holds
	// control characters is dropped, never the line, since refusing the
	// line would let a user keep a job's usage from being charged.
	comment := f[col[colComment]]
	if len(comment) > MaxComment || bytes.ContainsFunc(comment, func(c rune) bool { return c < ' ' || c == 0x7f }) {
		comment = nil
		p.droppedComments++
	}
	cluster := p.Cluster
	if c := f[col[colCluster]]; len(c) > 0 {
		cluster = p.field(colCluster, c)
	}

	r := p.target()
	*r = Record{
		Cluster: cluster, JobID: string(raw), Account: p.field(colAccount, f[col[colAccount]]), User: p.field(colUser, f[col[colUser]]),
		State: p.field(colState, st), Final: finalState(st),
		Elapsed: elapsed, Submit: submit, Start: start, End: end,
		CPUs: t.cpus, GPUs: t.gpus, Nodes: t.nodes, Billing: t.billing, MemMB: t.mem,
		AllocTRES: t.s, ArrayTaskID: -1, EnergyJoules: energy, GPUUtil: util,
	}
	if len(comment) > 0 {
		r.Comment = p.field(colComment, comment)
	}
	if step != nil {
		r.Step = p.str(step)
	}
	// Array tasks: JobID is "ARRAY_TASK" or "ARRAY_[RANGE]" (pending),
	// possibly with ".step".
	id := f[col[colJobID]]
	if k := bytes.IndexByte(id, '.'); k >= 0 {
		id = id[:k]
	}
	if u := bytes.IndexByte(id, '_'); u >= 0 {
		arr, task := id[:u], id[u+1:]
		if !digits(arr) || len(task) == 0 {
			return nil, errArray
		}
		r.ArrayJobID = string(arr)
		if task[0] == '[' {
			if len(task) < 3 || task[len(task)-1] != ']' {
				return nil, errArray
			}
			r.ArrayTasks = string(task[1 : len(task)-1])
		} else if r.ArrayTaskID, ok = atoi(task); !ok {
			return nil, errArray
		}
	}
	return r, nil
}

// foldStep adds the step line in p.fields, of job raw, to the pending
// allocation's GPU utilisation. Only the step's elapsed time and gpuutil
// are read: steps have no User, and other fields matter to no one.
func (p *Parser) foldStep(raw []byte) error {
	f := p.fields
	elapsed, ok := atoi(f[p.col[colElapsed]])
	if !ok {
		return errElapsed
	}
	util, ok := gpuUtil(f[p.col[colUsageInTot]])
	if !ok {
		return errGPUUtil
	}
	if util >= 0 && p.pending && string(raw) == p.pend.JobID {
		p.fold.add(util, elapsed)
	}
	return nil
}

// finish gives r, an allocation whose steps have all been read, the GPU
// utilisation they add up to.
func (p *Parser) finish(r *Record) {
	if !p.fold.have {
		return // r keeps its own line's, -1 unless sacct printed one
	}
	r.GPUUtil = p.fold.mean(r.Elapsed)
}

// stepSum is Σ gpuutil × elapsed over an allocation's steps, in 128 bits:
// both factors may be as large as int64 allows.
type stepSum struct {
	hi, lo uint64
	have   bool // some step reported gpuutil
}

func (s *stepSum) add(util, elapsed int64) {
	s.have = true
	hi, lo := bits.Mul64(uint64(util), uint64(elapsed))
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, lo, 0)
	s.hi, carry = bits.Add64(s.hi, hi, carry)
	if carry != 0 || s.hi > math.MaxInt64 {
		s.hi, s.lo = math.MaxInt64, math.MaxUint64 // saturated: the mean is bounded below anyway
	}
}

// mean returns the sum ÷ elapsed, rounded half up and bounded to int64;
// -1 when elapsed is not positive: there is no time to average over.
func (s *stepSum) mean(elapsed int64) int64 {
	if elapsed <= 0 {
		return -1
	}
	d := uint64(elapsed)
	if s.hi >= d {
		return math.MaxInt64 // the quotient has more than 64 bits
	}
	q, rem := bits.Div64(s.hi, s.lo, d)
	if q >= math.MaxInt64 {
		return math.MaxInt64
	}
	if rem >= d-rem {
		q++
	}
	return int64(q)
}
