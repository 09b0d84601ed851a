// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	pactum "github.com/pactum/pactum"
)

// PendingJob is a job waiting in the queue, as squeue lists it.
type PendingJob struct {
	ID      string // "123", or "123" for a whole pending array
	Account string
	// Reason is Slurm's pending reason; Held tells a held job by it.
	Reason  string
	Comment string
}

// Held reports whether the job is held (by an administrator or its user).
func (j PendingJob) Held() bool { return j.Reason == "JobHeldAdmin" || j.Reason == "JobHeldUser" }

// JobHolder lists pending jobs and holds and releases them. It decides
// nothing: which jobs to hold is the agent's.
type JobHolder interface {
	// PendingJobs lists the pending jobs of accounts, with their comments.
	PendingJobs(ctx context.Context, accounts []string) ([]PendingJob, error)
	// Hold holds a pending job (scontrol hold): it stays queued and does
	// not start until released. ECONFLICT when the job is no longer
	// pending (it started, ended or was cancelled), EINVALID for a bad id.
	Hold(ctx context.Context, id string) error
	// Release releases a held job (scontrol release). ECONFLICT when the
	// job is no longer pending, EINVALID for a bad id.
	Release(ctx context.Context, id string) error
}

var _ JobHolder = (*Client)(nil)

// PendingJobs implements JobHolder with squeue -t PENDING; the comment
// comes last, since it may hold any character but a newline.
func (c *Client) PendingJobs(ctx context.Context, accounts []string) ([]PendingJob, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	for _, a := range accounts {
		if err := checkAccount(a); err != nil {
			return nil, err
		}
	}
	out, err := output(ctx, c.Runner, "squeue", "-h", "-t", "PENDING", "-A", strings.Join(accounts, ","), "-o", "%i|%a|%r|%k")
	if err != nil {
		return nil, fmt.Errorf("pending jobs: %w", err)
	}
	return parsePending(string(out)), nil
}

// parsePending reads squeue's "%i|%a|%r|%k" lines, skipping any it cannot
// read (a comment with a newline continues on a line of its own). A
// pending array ("123_[1-5%2]") is listed by its array job id, which
// scontrol holds and releases whole.
func parsePending(out string) []PendingJob {
	var jobs []PendingJob
	for _, line := range strings.Split(out, "\n") {
		parts := strings.SplitN(strings.TrimRight(line, "\r"), "|", 4)
		if len(parts) != 4 {
			continue
		}
		id := parts[0]
		if base, rest, ok := strings.Cut(id, "_"); ok && strings.HasPrefix(rest, "[") {
			id = base
		}
		if !validJobID(id) {
			continue
		}
		jobs = append(jobs, PendingJob{ID: id, Account: parts[1], Reason: parts[2], Comment: parts[3]})
	}
	return jobs
}

// Hold implements JobHolder with scontrol hold.
func (c *Client) Hold(ctx context.Context, id string) error { return c.scontrolJob(ctx, "hold", id) }

// Release implements JobHolder with scontrol release.
func (c *Client) Release(ctx context.Context, id string) error {
	return c.scontrolJob(ctx, "release", id)
}

func (c *Client) scontrolJob(ctx context.Context, verb, id string) error {
	if !validJobID(id) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a job id.", id)
	}
	if _, err := output(ctx, c.Runner, "scontrol", verb, id); err != nil {
		var e *ExecError
		if errors.As(err, &e) && e.ExitCode > 0 {
			msg := e.message()
			for _, gone := range []string{"Invalid job id", "already finished", "no longer pending", "Job is not pending"} {
				if strings.Contains(msg, gone) {
					return fmt.Errorf("%w: %w", pactum.Errorf(pactum.ECONFLICT, "Job %s is not pending: %s", id, msg), err)
				}
			}
		}
		return fmt.Errorf("%s job %s: %w", verb, id, err)
	}
	return nil
}
