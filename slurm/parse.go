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

// SacctFormat is the --format list that Query asks sacct for. Parser reads
// the columns by the names in sacct's header line, not by position, so any
// order (and other sites' lists) would do; Comment, the one free-text
// column, comes last so that a '|' in a comment leaves every other column
// where a reader by position would look for it too.
const SacctFormat = "JobIDRaw,JobID,Cluster,Account,User,State,AllocTRES,ElapsedRaw,Submit,Start,End,ConsumedEnergyRaw,TRESUsageInTot,Comment"

// column is a sacct column the parser reads; the constants follow
// SacctFormat's order, which names them.
type column int

const (
	colJobIDRaw column = iota
	colJobID
	colCluster
	colAccount
	colUser
	colState
	colAllocTRES
	colElapsed
	colSubmit
	colStart
	colEnd
	colEnergy
	colUsageInTot
	colComment
	nColumns
)

// MaxComment is the longest job comment the parser accepts, in bytes: the
// limit slurmctld itself puts on --comment.
const MaxComment = 1024

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
	// All three need the JobID column.
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
	// (not started, or still running), or lacks the column.
	Submit, Start, End time.Time
	// From AllocTRES: GPUs counts gres/gpu (or, absent that, the sum of
	// the typed gres/gpu:TYPE entries, never both); MemMB is in MiB.
	CPUs, GPUs, Nodes, Billing, MemMB int64
	// AllocTRES is the raw field, for other TRES (ParseTRES).
	AllocTRES string
	// EnergyJoules is the energy the whole job consumed, in joules:
	// ConsumedEnergyRaw, or, when that is absent, empty or 0, the energy=
	// entry of AllocTRES; -1 when unknown. A 0 is unknown too: for nodes
	// that do not measure energy sites report 0 rather than nothing (LUMI
	// does for some), and no job that ran used no energy; so is Slurm's
	// NO_VAL64. Whether a value is plausible is for the caller to judge.
	EnergyJoules int64
	// GPUUtil is the gres/gpuutil entry of TRESUsageInTot (Slurm ≥ 23.02
	// with NVML): per task the percentage of time a kernel ran on each of
	// its GPUs (smUtil), summed over its GPUs, highest sample per task,
	// summed over tasks; -1 when sacct does not report it. sacct prints it
	// on step lines only, so an allocation has it through
	// Parser.FoldSteps (Query.StepStats). See GPUUtilisation.
	GPUUtil int64
	// Comment is the job's comment (sbatch --comment), at most MaxComment
	// bytes without control characters ("" for one that is not: the
	// record is kept, its comment dropped, see DroppedComments); Slurm
	// keeps it in accounting only with AccountingStoreFlags=job_comment.
	Comment string
}

// GPUSeconds is the job's GPU usage: allocated GPUs × elapsed seconds.
func (r *Record) GPUSeconds() int64 { return r.GPUs * r.Elapsed }

// NodeSeconds is allocated nodes × elapsed seconds.
func (r *Record) NodeSeconds() int64 { return r.Nodes * r.Elapsed }

// CPUSeconds is allocated CPUs × elapsed seconds.
func (r *Record) CPUSeconds() int64 { return r.CPUs * r.Elapsed }

// GPUUtilisation returns the mean fraction of the job's GPUs that were
// busy, min(1, GPUUtil / (100 × GPUs)), and whether it is known (GPUUtil
// reported and GPUs allocated). It measures SM activity, the time some
// kernel was running, not the share of the GPUs' arithmetic a model used
// (model FLOP utilisation is usually well below it): it bounds utilisation
// from above.
func (r *Record) GPUUtilisation() (float64, bool) {
	if r.GPUUtil < 0 || r.GPUs <= 0 {
		return 0, false
	}
	return min(1, float64(r.GPUUtil)/(100*float64(r.GPUs))), true
}

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

// HeaderError is a sacct header line that the columns cannot be read by:
// it lacks a required column, names a column twice, or is too long. The
// parser then refuses the whole listing (Next returns false, Err returns
// the *HeaderError), since reading it by position instead could charge a
// job's usage to the wrong account.
type HeaderError struct {
	Line int // the header's line number
	// Column is the column at fault: a required one that is missing, as
	// SacctFormat spells it, or one named twice, as the header spells it;
	// "" when the line is too long.
	Column string
	Twice  bool   // Column is named twice, rather than missing
	Text   string // the header line, cut to 200 bytes
}

func (e *HeaderError) Error() string {
	switch {
	case e.Column == "":
		return fmt.Sprintf("sacct header (line %d) is longer than %d bytes: %q", e.Line, maxLine, e.Text)
	case e.Twice:
		return fmt.Sprintf("sacct header (line %d) names column %s twice: %q", e.Line, e.Column, e.Text)
	}
	hint := ""
	if e.Text != "" && e.Text[0] >= '0' && e.Text[0] <= '9' {
		hint = " (a listing without its header: sacct --noheader?)"
	}
	return fmt.Sprintf("sacct header (line %d) lacks the required column %s%s: %q", e.Line, e.Column, hint, e.Text)
}

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
	errState   = errors.New("empty State")
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
	if len(st) == 0 {
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
