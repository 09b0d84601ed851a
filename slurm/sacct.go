// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Window is a span of time to read jobs for: every job that was pending or
// running at some moment of [Start, End] is reported, whatever its state.
type Window struct {
	Start, End time.Time
}

// NextWindow returns the window to read after earlier reads covered jobs
// up to cursor (the End of the last window whose records the server
// accepted): from cursor−overlap to now. Reading from the cursor alone
// would already see every job that was still running at the cursor; the
// overlap also catches jobs whose records reached slurmdbd late (slurmctld
// queues them while slurmdbd is down). Records read twice are harmless:
// the server keeps one per (cluster, job id). A zero cursor starts at
// now−overlap.
func NextWindow(cursor, now time.Time, overlap time.Duration) Window {
	if cursor.IsZero() || cursor.After(now) {
		cursor = now
	}
	return Window{Start: cursor.Add(-overlap).UTC().Truncate(time.Second), End: now.UTC().Truncate(time.Second)}
}

// Query selects the jobs sacct reports.
type Query struct {
	Window
	// Accounts limits the listing to these accounts (pactum's); empty
	// means every account, which a site's agent rarely wants.
	Accounts []string
	// Steps asks for job steps too (no --allocations); Parser.Steps must
	// then be set to get them.
	Steps bool
	// StepStats asks for the steps (no --allocations) for what sacct
	// reports only on their lines, TRESUsageInTot, and folds them into
	// their allocations' records (Parser.FoldSteps): records carry
	// GPUUtil, and steps are not returned. Not with Steps.
	StepStats bool
	// Runs asks for every run of a requeued job (--duplicates): each run
	// used its resources. Usage reports a run that a later one of the same
	// job follows as its own, ended record, with the job id suffixed by
	// "+" and the run's start (Unix seconds), so that re-reading it finds
	// the same record; the last run keeps the plain job id.
	Runs bool
}

// sacctTime is the form sacct reads; the runner sets TZ=UTC, so it is UTC.
const sacctTime = "2006-01-02T15:04:05"

// Args returns sacct's arguments for q: all users, parsable with the
// header line that Parser reads the columns by, no unit conversion,
// SacctFormat, and no --state (a state filter would change the window's
// meaning to "in that state at that time"), nor --duplicates (a requeued
// job is reported once, as its last run) nor --truncate (records carry
// whole-job totals, so re-reading a job replaces its record instead of
// adding to it). cluster may be "".
func (q Query) Args(cluster string) ([]string, error) {
	if q.Start.IsZero() || q.End.IsZero() || q.End.Before(q.Start) {
		return nil, fmt.Errorf("sacct window %v–%v: need a start before the end", q.Start, q.End)
	}
	if q.Steps && q.StepStats {
		return nil, errors.New("sacct query: Steps returns the steps that StepStats folds into their allocations; ask for one")
	}
	args := []string{"--allusers", "--parsable2", "--noconvert"}
	if !q.Steps && !q.StepStats {
		args = append(args, "--allocations")
	}
	args = append(args,
		"--starttime="+q.Start.UTC().Format(sacctTime),
		"--endtime="+q.End.UTC().Format(sacctTime))
	if len(q.Accounts) > 0 {
		for _, a := range q.Accounts {
			if err := checkAccount(a); err != nil {
				return nil, err
			}
		}
		args = append(args, "--accounts="+strings.Join(q.Accounts, ","))
	}
	if cluster != "" {
		args = append(args, "--clusters="+cluster)
	}
	if q.Runs {
		args = append(args, "--duplicates")
	}
	return append(args, "--format="+SacctFormat), nil
}

// UsageReader reads job records.
type UsageReader interface {
	// Usage streams the records of q to fn (the record is reused: copy it
	// to keep it), skipping malformed lines, which it returns with their
	// line numbers. It stops at fn's first error and returns it.
	Usage(ctx context.Context, q Query, fn func(*Record) error) ([]LineError, error)
}

var _ UsageReader = (*Client)(nil)

// Usage implements UsageReader with sacct, parsing its output as it
// streams.
func (c *Client) Usage(ctx context.Context, q Query, fn func(*Record) error) ([]LineError, error) {
	args, err := q.Args(c.Cluster)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := c.Runner.Run(ctx, pw, "sacct", args...)
		pw.CloseWithError(err) // nil closes with EOF
		done <- err
	}()
	p := NewParser(pr)
	p.Steps, p.FoldSteps = q.Steps, q.StepStats
	var fnErr error
	var held *Record // with Runs: the previous record, until the next shows whether another run follows
	for p.Next() {
		r := p.Record()
		if !q.Runs {
			if fnErr = fn(r); fnErr != nil {
				break
			}
			continue
		}
		if held != nil {
			if held.JobID == r.JobID || held.State == "REQUEUED" {
				earlierRun(held)
			}
			if fnErr = fn(held); fnErr != nil {
				break
			}
		}
		cp := *r
		held = &cp
	}
	if held != nil && fnErr == nil {
		if held.State == "REQUEUED" {
			earlierRun(held)
		}
		fnErr = fn(held)
	}
	if fnErr != nil {
		cancel()
		pr.CloseWithError(fnErr)
		<-done
		return p.Malformed(), fnErr
	}
	// Drain so the command can finish even if the parser stopped on a
	// read error.
	_, _ = io.Copy(io.Discard, pr)
	runErr := <-done
	if runErr != nil {
		return p.Malformed(), fmt.Errorf("sacct: %w", runErr)
	}
	if err := p.Err(); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		return p.Malformed(), fmt.Errorf("sacct output: %w", err)
	}
	return p.Malformed(), nil
}

// ParseAll parses a whole sacct listing, header first (allocations only),
// and returns the good records and the malformed lines; the error is for
// a failed read or a refused header (*HeaderError).
func ParseAll(r io.Reader) ([]Record, []LineError, error) {
	p := NewParser(r)
	recs := []Record{}
	for p.Next() {
		recs = append(recs, *p.Record())
	}
	return recs, p.Malformed(), p.Err()
}

// ParseFile streams the allocation records of a sacct dump at path (sacct
// --parsable2 with its header, any --format that has the required
// columns; see Parser) to fn, the record reused as in Usage, and returns
// the malformed lines. cluster names the cluster of a dump without a
// Cluster column, "" for none. Steps in the dump, as without
// --allocations, are folded into their allocations (Parser.FoldSteps).
// A dump made with --duplicates lists each run of a requeued job under
// the same job id; unlike Usage with Runs, ParseFile does not tell them
// apart. It stops at fn's first error and returns it; a refused header is
// a *HeaderError.
func ParseFile(path, cluster string, fn func(*Record) error) ([]LineError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := NewParser(f)
	p.FoldSteps, p.Cluster = true, cluster
	for p.Next() {
		if err := fn(p.Record()); err != nil {
			return p.Malformed(), err
		}
	}
	if err := p.Err(); err != nil {
		return p.Malformed(), fmt.Errorf("%s: %w", path, err)
	}
	return p.Malformed(), nil
}

// earlierRun makes r, a run of a requeued job that a later run follows,
// a record of its own: ended, keyed by the job id and the run's start.
func earlierRun(r *Record) {
	at := r.Start
	if at.IsZero() {
		at = r.Submit
	}
	r.JobID += "+" + strconv.FormatInt(at.Unix(), 10)
	r.Final = true
}
