// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Runner runs one Slurm command. It writes the command's standard output to
// stdout as it arrives (so a large sacct listing can be parsed while it
// streams) and returns nil on exit status 0, or an error that keeps the
// command's standard error, normally an *ExecError.
//
// Implementations must be safe for concurrent use. ExecRunner is the real
// one; tests supply fakes.
type Runner interface {
	Run(ctx context.Context, stdout io.Writer, name string, args ...string) error
}

// ExecRunner runs commands with os/exec.
type ExecRunner struct {
	// Env is added to the agent's own environment, e.g. SLURM_CONF=...
	// NewExecRunner also pins TZ and SLURM_TIME_FORMAT so that the times
	// sacct prints and reads are UTC in ISO form, whatever the host says.
	Env []string
	// Dir is the working directory (sbatch writes its default output file
	// there); empty means the agent's own.
	Dir string
	// Path maps a command name to the binary to run, for sites whose tools
	// are not on PATH. Unmapped names are looked up on PATH.
	Path map[string]string
}

// NewExecRunner returns a runner for the cluster configured by slurmConf
// (the path to slurm.conf; empty to use Slurm's default lookup).
func NewExecRunner(slurmConf string) *ExecRunner {
	env := []string{"TZ=UTC", "SLURM_TIME_FORMAT=standard"}
	if slurmConf != "" {
		env = append(env, "SLURM_CONF="+slurmConf)
	}
	return &ExecRunner{Env: env}
}

// maxStderr bounds how much of a command's stderr an error keeps: enough
// for Slurm's messages, not a whole log.
const maxStderr = 4096

// Run implements Runner.
func (r *ExecRunner) Run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	bin := name
	if p, ok := r.Path[name]; ok {
		bin = p
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), r.Env...)
	cmd.Dir = r.Dir
	cmd.Stdout = stdout
	killGroup(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: maxStderr}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	e := &ExecError{Name: name, Args: args, ExitCode: -1, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		e.ExitCode = ee.ExitCode()
	}
	if ctx.Err() != nil {
		e.Err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return e
}

// limitedWriter keeps the first n bytes and drops the rest, so a chatty
// command cannot grow an error without bound.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// ExecError is a Slurm command that failed: it could not start, was
// cancelled, or exited non-zero. Stderr holds what the command said, which
// is usually the only explanation Slurm gives. Stdout is filled in by the
// callers that capture it (sacctmgr reports "Nothing modified" there).
type ExecError struct {
	Name     string
	Args     []string
	ExitCode int // -1 when the command did not exit normally
	Stdout   string
	Stderr   string
	Err      error
}

func (e *ExecError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, a := range e.Args {
		b.WriteByte(' ')
		b.WriteString(a)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if msg := e.message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

func (e *ExecError) Unwrap() error { return e.Err }

// message is what the command said, stderr first, on one line.
func (e *ExecError) message() string {
	msg := e.Stderr
	if msg == "" {
		msg = e.Stdout
	}
	return strings.Join(strings.Fields(msg), " ")
}

// transientMarks are the messages Slurm's clients print when a daemon is
// down, restarting or overloaded: worth retrying, unlike a refusal.
var transientMarks = []string{
	"Connection refused",
	"Unable to contact slurm controller",
	"Socket timed out",
	"Connection timed out",
	"Connection reset",
	"persistent connection",
	"Problem talking to the database",
	"Transport endpoint is not connected",
	"Slurm temporarily unable",
	"Resource temporarily unavailable",
	"slurm_persist_conn",
	"Zero Bytes were transmitted or received",
}

// IsTransient reports whether err looks like an outage of slurmctld or
// slurmdbd (connection refused, timed out, ...) rather than a refusal, so
// that retrying later may succeed.
func IsTransient(err error) bool {
	var e *ExecError
	if !errors.As(err, &e) {
		return false
	}
	if e.ExitCode == -1 {
		return false // not started, or killed by our own context
	}
	msg := e.Stderr + "\n" + e.Stdout
	for _, m := range transientMarks {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// output runs a command and returns its standard output; on failure the
// *ExecError also carries the output, where sacctmgr explains itself.
func output(ctx context.Context, r Runner, name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := r.Run(ctx, &out, name, args...)
	if err != nil {
		var e *ExecError
		if errors.As(err, &e) && e.Stdout == "" {
			e.Stdout = strings.TrimSpace(out.String())
		}
	}
	return out.Bytes(), err
}

// IsCommandError reports whether err is a Slurm command that failed
// (an *ExecError), as opposed to an error of the caller's.
func IsCommandError(err error) bool {
	var e *ExecError
	return errors.As(err, &e)
}
