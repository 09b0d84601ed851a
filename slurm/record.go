// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"fmt"
	"time"
)

// What sacct reports, as the Parser gives it: the columns it reads, the
// Record of a job, and the errors of a line and of a header.

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
