// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	pactum "github.com/pactum/pactum"
)

// SubmitRequest is a batch job to submit under an allocation's account. The
// job runs as the user who runs the submitting process: there is no --uid.
type SubmitRequest struct {
	Account string // required
	// Script is the path of the batch script, Args its arguments; or Wrap
	// is a command line for sbatch --wrap. Exactly one of Script and Wrap.
	Script string
	Args   []string
	Wrap   string
	GPUs   int           // --gres=gpu:N when > 0
	Time   time.Duration // --time, rounded up to whole minutes; 0 for the partition's default
	Name   string        // --job-name
	Output string        // --output
	Dir    string        // --chdir
	// Partition is --partition; empty for the default.
	Partition string
	// Comment is --comment: at most MaxComment bytes (slurmctld's limit),
	// without control characters, which would make the job's sacct line
	// malformed. sacct reports it only where Slurm keeps comments in
	// accounting (AccountingStoreFlags=job_comment).
	Comment string
}

// JobStatus is a job's state and Slurm's reason for it, e.g. PENDING with
// AssocGrpGRESMinutes.
type JobStatus struct {
	ID     string
	State  string
	Reason string
}

// Jobs submits and inspects jobs.
type Jobs interface {
	// Submit submits a batch job and returns its id. EINVALID for a bad
	// request, EFORBIDDEN when the user has no association with the
	// account, ECONFLICT when the account refuses new jobs (suspended, or
	// a limit that safe enforcement applies at submission).
	Submit(ctx context.Context, req SubmitRequest) (string, error)
	// JobStatus returns a job's state and reason. ENOTFOUND for an
	// unknown id.
	JobStatus(ctx context.Context, id string) (JobStatus, error)
	// Cancel cancels a job; cancelling a finished job succeeds.
	Cancel(ctx context.Context, id string) error
}

// Cluster is everything the agent does with a cluster; Client and
// slurmsim.Cluster implement it.
type Cluster interface {
	Accounting
	Jobs
	JobHolder
	UsageReader
}

var _ Cluster = (*Client)(nil)

// Command returns sbatch's arguments for req, or EINVALID.
func (req SubmitRequest) Command() ([]string, error) {
	var v pactum.Validator
	v.Check(ValidAccountName(req.Account), "account", "%q is not a valid account name", req.Account)
	v.Check((req.Script == "") != (req.Wrap == ""), "script", "give either a script or a command to wrap")
	v.Check(req.Wrap == "" || len(req.Args) == 0, "args", "arguments go with a script, not with a wrapped command")
	v.Check(req.GPUs >= 0, "gpus", "must not be negative")
	v.Check(req.Time >= 0, "time", "must not be negative")
	v.Check(!strings.HasPrefix(req.Script, "-"), "script", "must not start with '-'")
	v.Check(len(req.Comment) <= MaxComment, "comment", "is %d bytes long; Slurm keeps at most %d", len(req.Comment), MaxComment)
	v.Check(!strings.ContainsFunc(req.Comment, func(c rune) bool { return c < ' ' || c == 0x7f }), "comment", "must not contain control characters")
	if err := v.Err("The job cannot be submitted."); err != nil {
		return nil, err
	}
	args := []string{"--parsable", "--account=" + req.Account}
	if req.GPUs > 0 {
		args = append(args, "--gres=gpu:"+strconv.Itoa(req.GPUs))
	}
	if req.Time > 0 {
		args = append(args, "--time="+strconv.FormatInt(int64((req.Time+time.Minute-1)/time.Minute), 10))
	}
	if req.Name != "" {
		args = append(args, "--job-name="+req.Name)
	}
	if req.Output != "" {
		args = append(args, "--output="+req.Output)
	}
	if req.Dir != "" {
		args = append(args, "--chdir="+req.Dir)
	}
	if req.Partition != "" {
		args = append(args, "--partition="+req.Partition)
	}
	if req.Comment != "" {
		args = append(args, "--comment="+req.Comment)
	}
	if req.Wrap != "" {
		return append(args, "--wrap="+req.Wrap), nil
	}
	return append(append(args, req.Script), req.Args...), nil
}

// Submit implements Jobs with sbatch --parsable.
func (c *Client) Submit(ctx context.Context, req SubmitRequest) (string, error) {
	args, err := req.Command()
	if err != nil {
		return "", err
	}
	out, err := output(ctx, c.Runner, "sbatch", args...)
	if err != nil {
		var e *ExecError
		if errors.As(err, &e) && e.ExitCode > 0 {
			msg := e.message()
			switch {
			case strings.Contains(msg, "Invalid account"):
				return "", fmt.Errorf("%w: %w", pactum.Errorf(pactum.EFORBIDDEN, "Slurm refused the job: you are not a member of account %s on this cluster (%s).", req.Account, msg), err)
			case strings.Contains(msg, "AssocGrpSubmitJobsLimit"):
				return "", fmt.Errorf("%w: %w", pactum.Errorf(pactum.ECONFLICT, "Slurm refused the job: account %s accepts no new jobs; the allocation is suspended.", req.Account), err)
			case strings.Contains(msg, "violates accounting/QOS policy"):
				return "", fmt.Errorf("%w: %w", pactum.Errorf(pactum.ECONFLICT, "Slurm refused the job under account %s: %s", req.Account, msg), err)
			}
		}
		return "", fmt.Errorf("sbatch: %w", err)
	}
	// "123" or, on a multi-cluster setup, "123;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if !digits([]byte(id)) {
		return "", fmt.Errorf("sbatch: unexpected output %q", out)
	}
	return id, nil
}

// JobStatus implements Jobs: squeue while slurmctld remembers the job,
// then sacct.
func (c *Client) JobStatus(ctx context.Context, id string) (JobStatus, error) {
	if !validJobID(id) {
		return JobStatus{}, pactum.Errorf(pactum.EINVALID, "%q is not a job id.", id)
	}
	out, err := output(ctx, c.Runner, "squeue", "-h", "-j", id, "-o", "%T|%r")
	if err == nil {
		if st, ok := statusLine(id, string(out)); ok {
			return st, nil
		}
	} else {
		var e *ExecError
		if !errors.As(err, &e) || !strings.Contains(e.message(), "Invalid job id") {
			return JobStatus{}, fmt.Errorf("job %s: %w", id, err)
		}
	}
	args := []string{"-X", "-n", "-P", "-j", id, "-o", "State,Reason"}
	if c.Cluster != "" {
		args = append(args, "--clusters="+c.Cluster)
	}
	out, err = output(ctx, c.Runner, "sacct", args...)
	if err != nil {
		return JobStatus{}, fmt.Errorf("job %s: %w", id, err)
	}
	if st, ok := statusLine(id, string(out)); ok {
		if k := strings.IndexByte(st.State, ' '); k >= 0 {
			st.State = st.State[:k] // "CANCELLED by 0"
		}
		return st, nil
	}
	return JobStatus{}, pactum.Errorf(pactum.ENOTFOUND, "Job %s is not known to Slurm.", id)
}

func statusLine(id, out string) (JobStatus, bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	state, reason, ok := strings.Cut(line, "|")
	if !ok || state == "" {
		return JobStatus{}, false
	}
	return JobStatus{ID: id, State: state, Reason: reason}, true
}

// validJobID accepts "123", "123_4" and "123+0".
func validJobID(id string) bool {
	a, b, ok := strings.Cut(id, "_")
	if !ok {
		a, b, ok = strings.Cut(id, "+")
	}
	return digits([]byte(a)) && (!ok || digits([]byte(b)))
}

// Cancel implements Jobs with scancel.
func (c *Client) Cancel(ctx context.Context, id string) error {
	if !validJobID(id) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a job id.", id)
	}
	if _, err := output(ctx, c.Runner, "scancel", id); err != nil {
		return fmt.Errorf("cancel job %s: %w", id, err)
	}
	return nil
}

// CancelPending cancels the jobs of account that are still pending (queued,
// never started) and returns their ids; running jobs go on.
func (c *Client) CancelPending(ctx context.Context, account string) ([]string, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	out, err := output(ctx, c.Runner, "squeue", "-h", "-t", "PENDING", "-A", account, "-o", "%i")
	if err != nil {
		return nil, fmt.Errorf("pending jobs of %s: %w", account, err)
	}
	var ids []string
	for _, id := range strings.Fields(string(out)) {
		if err := c.Cancel(ctx, id); err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}
