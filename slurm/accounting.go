// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	pactum "github.com/pactum/pactum"
)

// Account is a Slurm account as the reconciler sees it.
type Account struct {
	Name         string
	Parent       string // "" only for Slurm's own "root"
	Description  string // as Slurm stores it: see CleanText
	Organization string
}

// AccountSpec is an account to create, with the limits it must carry from
// its first moment, so no job can slip in before they are set.
type AccountSpec struct {
	Account
	Limits    TRES // GrpTRESMins; NoLimit entries are ignored at creation
	Suspended bool
}

// AccountUpdate changes an existing account; nil fields are left alone.
type AccountUpdate struct {
	Parent       *string
	Description  *string
	Organization *string
}

// Association is one row of sacctmgr's association table: an account's own
// association (User == "") or a user's association with it.
type Association struct {
	Account     string
	Parent      string // the account's parent (filled in on user rows too)
	User        string
	GrpTRESMins TRES
	// GrpJobs and GrpSubmitJobs are NoLimit when unset; 0 means suspended.
	GrpJobs       int64
	GrpSubmitJobs int64
}

// Accounting is what the reconciler needs from a cluster's accounting.
// Client implements it with sacctmgr; slurmsim.Cluster in memory. Every
// method validates names before doing anything (EINVALID) and is
// idempotent: creating what exists and removing what is gone succeed.
type Accounting interface {
	// EnsureAccount creates the account under its parent with its limits
	// and suspension, or does nothing if it exists (whatever its settings:
	// Plan corrects those). ENOTFOUND if the parent does not exist.
	EnsureAccount(ctx context.Context, spec AccountSpec) error
	// ModifyAccount changes an account's parent, description or
	// organization. ENOTFOUND if it does not exist.
	ModifyAccount(ctx context.Context, name string, u AccountUpdate) error
	// RemoveAccount removes the account and its user associations.
	// ECONFLICT while it has jobs (Slurm refuses; suspend and wait, or
	// cancel them first).
	RemoveAccount(ctx context.Context, name string) error
	// EnsureUser associates a user with an account. The user needs no
	// Linux account for this; only running jobs needs one. ENOTFOUND if
	// the account does not exist.
	EnsureUser(ctx context.Context, account, user string) error
	// RemoveUser removes a user's association with an account.
	RemoveUser(ctx context.Context, account, user string) error
	// SetLimits sets the account's GrpTRESMins for the TRES named in
	// limits (NoLimit clears one); others are left alone. ENOTFOUND if the
	// account does not exist.
	SetLimits(ctx context.Context, account string, limits TRES) error
	// Suspend stops new jobs (submission and start) under the account;
	// running jobs go on. Resume undoes it. ENOTFOUND if absent.
	Suspend(ctx context.Context, account string) error
	Resume(ctx context.Context, account string) error
	// Associations returns the associations of root and of every account
	// beneath it, parents before children; none if root does not exist.
	Associations(ctx context.Context, root string) ([]Association, error)
	// Accounts returns parent and every account beneath it, parents
	// before children, with their descriptions and organizations; none
	// if parent does not exist.
	Accounts(ctx context.Context, parent string) ([]Account, error)
}

// Client drives one cluster through Slurm's commands. Its zero value is not
// usable; set Runner.
type Client struct {
	Runner Runner
	// Cluster is Slurm's ClusterName. Every sacctmgr command names it
	// (cluster= or where cluster=), since one slurmdbd commonly serves
	// several clusters and an unnamed command acts on all of them; the
	// accounting methods refuse to run without it (EINVALID). sacct is
	// given --clusters with it.
	Cluster string
}

var _ Accounting = (*Client)(nil)

// sacctmgr runs "sacctmgr -i ARGS" and reports whether Slurm said it had
// nothing to do ("Nothing new added.", "Nothing modified", "Nothing
// deleted"), which it signals with exit status 1 and which is success here.
func (c *Client) sacctmgr(ctx context.Context, args ...string) (nothing bool, err error) {
	if err := c.checkCluster(); err != nil {
		return false, err
	}
	out, err := output(ctx, c.Runner, "sacctmgr", append([]string{"-i"}, args...)...)
	if err == nil {
		return false, nil
	}
	var e *ExecError
	if errors.As(err, &e) && e.ExitCode == 1 {
		text := string(out) + "\n" + e.Stdout
		if strings.Contains(text, "Nothing new added") || strings.Contains(text, "Nothing modified") || strings.Contains(text, "Nothing deleted") {
			return true, nil
		}
		msg := e.message()
		switch {
		case strings.Contains(msg, "doesn't exist"):
			return false, fmt.Errorf("%w: %w", pactum.Errorf(pactum.ENOTFOUND, "Slurm: %s", msg), err)
		case strings.Contains(msg, "Job(s) active") || strings.Contains(msg, "Job(s) running"):
			return false, fmt.Errorf("%w: %w", pactum.Errorf(pactum.ECONFLICT, "Slurm: %s", msg), err)
		}
	}
	return false, err
}

// checkCluster returns EINVALID unless the client names its cluster.
func (c *Client) checkCluster() error {
	if !pactum.ValidClusterName(c.Cluster) {
		return pactum.Errorf(pactum.EINVALID, "The Slurm client needs its cluster's name (ClusterName) for sacctmgr, got %q.", c.Cluster)
	}
	return nil
}

// where returns the condition words "where KEY=VAL cluster=C".
func (c *Client) where(key, val string) []string {
	return []string{"where", key + "=" + val, "cluster=" + c.Cluster}
}

// EnsureAccount implements Accounting.
func (c *Client) EnsureAccount(ctx context.Context, spec AccountSpec) error {
	if err := checkAccount(spec.Name); err != nil {
		return err
	}
	if spec.Parent != "" {
		if err := checkAccount(spec.Parent); err != nil {
			return err
		}
	}
	if err := spec.Limits.Validate(); err != nil {
		return err
	}
	args := []string{"add", "account", spec.Name}
	if spec.Parent != "" {
		args = append(args, "parent="+spec.Parent)
	}
	if d := CleanText(spec.Description); d != "" {
		args = append(args, "description="+d)
	}
	if o := CleanText(spec.Organization); o != "" {
		args = append(args, "organization="+o)
	}
	args = append(args, "cluster="+c.Cluster)
	if err := c.checkCluster(); err != nil {
		return err
	}
	if err := c.checkEntity(ctx, spec.Name, CleanText(spec.Description)); err != nil {
		return err
	}
	lim := TRES{}
	for k, v := range spec.Limits {
		if v != NoLimit {
			lim[k] = v
		}
	}
	if len(lim) > 0 {
		args = append(args, "GrpTRESMins="+lim.String())
	}
	if spec.Suspended {
		args = append(args, "GrpJobs=0", "GrpSubmitJobs=0")
	}
	if _, err := c.sacctmgr(ctx, args...); err != nil {
		return fmt.Errorf("ensure account %s: %w", spec.Name, err)
	}
	return nil
}

// ModifyAccount implements Accounting.
func (c *Client) ModifyAccount(ctx context.Context, name string, u AccountUpdate) error {
	if err := checkAccount(name); err != nil {
		return err
	}
	if u.Parent != nil {
		if err := checkAccount(*u.Parent); err != nil {
			return err
		}
		// Re-parenting is a change to the association tree, done alone:
		// sacctmgr rejects it mixed with account-level fields.
		if err := c.modify(ctx, name, "parent="+*u.Parent); err != nil {
			return fmt.Errorf("move account %s under %s: %w", name, *u.Parent, err)
		}
	}
	var set []string
	if u.Description != nil {
		set = append(set, "description="+CleanText(*u.Description))
	}
	if u.Organization != nil {
		set = append(set, "organization="+CleanText(*u.Organization))
	}
	if len(set) > 0 {
		if err := c.modify(ctx, name, set...); err != nil {
			return fmt.Errorf("modify account %s: %w", name, err)
		}
	}
	return nil
}

// modify runs "modify account where name=NAME set ARGS"; "Nothing
// modified" is success only if the account exists, since Slurm says the
// same for a name it does not know.
func (c *Client) modify(ctx context.Context, name string, set ...string) error {
	args := append([]string{"modify", "account"}, c.where("name", name)...)
	args = append(args, "set")
	args = append(args, set...)
	nothing, err := c.sacctmgr(ctx, args...)
	if err != nil || !nothing {
		return err
	}
	as, err := c.Associations(ctx, name)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return pactum.Errorf(pactum.ENOTFOUND, "Slurm account %s does not exist.", name)
	}
	return nil
}

// RemoveAccount implements Accounting.
func (c *Client) RemoveAccount(ctx context.Context, name string) error {
	if err := checkAccount(name); err != nil {
		return err
	}
	if name == "root" {
		return pactum.Errorf(pactum.EINVALID, "Slurm's root account cannot be removed.")
	}
	if err := c.checkCluster(); err != nil {
		return err
	}
	if err := c.releaseUsers(ctx, name, ""); err != nil {
		return fmt.Errorf("remove account %s: %w", name, err)
	}
	args := append([]string{"remove", "account"}, c.where("name", name)...)
	if _, err := c.sacctmgr(ctx, args...); err != nil {
		return fmt.Errorf("remove account %s: %w", name, err)
	}
	return nil
}

// EnsureUser implements Accounting.
func (c *Client) EnsureUser(ctx context.Context, account, user string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := checkUser(user); err != nil {
		return err
	}
	args := []string{"add", "user", user, "account=" + account, "cluster=" + c.Cluster}
	if _, err := c.sacctmgr(ctx, args...); err != nil {
		return fmt.Errorf("add user %s to account %s: %w", user, account, err)
	}
	return nil
}

// RemoveUser implements Accounting.
func (c *Client) RemoveUser(ctx context.Context, account, user string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := checkUser(user); err != nil {
		return err
	}
	if err := c.checkCluster(); err != nil {
		return err
	}
	if err := c.releaseUsers(ctx, account, user); err != nil {
		return fmt.Errorf("remove user %s from account %s: %w", user, account, err)
	}
	return nil
}

// SetLimits implements Accounting.
func (c *Client) SetLimits(ctx context.Context, account string, limits TRES) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := limits.Validate(); err != nil {
		return err
	}
	if len(limits) == 0 {
		return nil
	}
	if err := c.modify(ctx, account, "GrpTRESMins="+limits.String()); err != nil {
		return fmt.Errorf("set GrpTRESMins of %s: %w", account, err)
	}
	return nil
}

// Suspend implements Accounting.
func (c *Client) Suspend(ctx context.Context, account string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := c.modify(ctx, account, "GrpJobs=0", "GrpSubmitJobs=0"); err != nil {
		return fmt.Errorf("suspend %s: %w", account, err)
	}
	return nil
}

// Resume implements Accounting.
func (c *Client) Resume(ctx context.Context, account string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := c.modify(ctx, account, "GrpJobs=-1", "GrpSubmitJobs=-1"); err != nil {
		return fmt.Errorf("resume %s: %w", account, err)
	}
	return nil
}

// assocFormat is the column list Associations asks for and parses.
const assocFormat = "format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs"

// Associations implements Accounting.
func (c *Client) Associations(ctx context.Context, root string) ([]Association, error) {
	if err := checkAccount(root); err != nil {
		return nil, err
	}
	if err := c.checkCluster(); err != nil {
		return nil, err
	}
	args := []string{"show", "assoc"}
	args = append(args, c.where("account", root)...)
	args = append(args, "withsubaccounts", assocFormat, "--parsable2", "--noheader")
	out, err := output(ctx, c.Runner, "sacctmgr", args...)
	if err != nil {
		return nil, fmt.Errorf("show associations under %s: %w", root, err)
	}
	as, err := ParseAssociations(out)
	if err != nil {
		return nil, fmt.Errorf("show associations under %s: %w", root, err)
	}
	return as, nil
}

// ParseAssociations parses the output of
// "sacctmgr show assoc format=Account,ParentName,User,GrpTRESMins,GrpJobs,GrpSubmitJobs --parsable2 --noheader".
// User rows get their account's parent, which Slurm leaves blank on them.
func ParseAssociations(out []byte) ([]Association, error) {
	as := []Association{}
	parents := map[string]string{}
	for n, line := range bytes.Split(out, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Split(string(line), "|")
		if len(f) != 6 {
			return nil, fmt.Errorf("line %d: %d fields, want 6: %q", n+1, len(f), line)
		}
		a := Association{Account: f[0], Parent: f[1], User: f[2]}
		var err error
		if a.GrpTRESMins, err = ParseTRES(f[3]); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if a.GrpJobs, err = parseLimit(f[4]); err != nil {
			return nil, fmt.Errorf("line %d: GrpJobs: %w", n+1, err)
		}
		if a.GrpSubmitJobs, err = parseLimit(f[5]); err != nil {
			return nil, fmt.Errorf("line %d: GrpSubmitJobs: %w", n+1, err)
		}
		if a.User == "" {
			parents[a.Account] = a.Parent
		}
		as = append(as, a)
	}
	for i := range as {
		if as[i].User != "" && as[i].Parent == "" {
			as[i].Parent = parents[as[i].Account]
		}
	}
	return as, nil
}

// parseLimit reads a job-count limit: blank means unset (as does NoLimit);
// anything else must be a count.
func parseLimit(s string) (int64, error) {
	if s == "" {
		return NoLimit, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n < NoLimit {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	return n, nil
}
