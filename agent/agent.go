// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
)

// Config configures an Agent. API, Cluster, Site, ClusterName and StateDir
// are required; the rest has defaults.
type Config struct {
	// API is the pactum server, through the generated client, with the
	// token of one of the site's operators.
	API client.ClientWithResponsesInterface
	// Cluster is the Slurm cluster (slurm.Client, or slurmsim.Cluster in
	// tests).
	Cluster slurm.Cluster
	// Site is the hosting site whose allocations the agent provisions,
	// e.g. "CSC"; SystemID, if set, narrows them to one system (a site
	// running one cluster per system runs one agent per system).
	Site     string
	SystemID string
	// ClusterName is Slurm's ClusterName: usage records are keyed by it.
	ClusterName string
	// Root, if set, replaces the server's root account (pactum) beneath
	// which the agent keeps every account: for a site that wants them
	// elsewhere, and for tests sharing a cluster.
	Root string
	// StateDir holds the agent's state (the usage cursor, what it last
	// applied); it must survive restarts and belong to this agent alone.
	StateDir string
	// Interval is the time between cycles (default 1 min).
	Interval time.Duration
	// Overlap is how far before the cursor each sacct window starts
	// (default 15 min): it catches records slurmdbd received late.
	Overlap time.Duration
	// BatchSize is the number of records per POST (default 5000, at most
	// pactum.MaxUsageBatch).
	BatchSize int
	// Reconcile is the retry policy while Slurm is unreachable (default
	// slurm.DefaultPolicy), bounded per cycle by ReconcileTimeout (default
	// 5 min): the next cycle carries on.
	Reconcile        *retry.Policy
	ReconcileTimeout time.Duration
	// APIPolicy retries calls to the server on network errors and 5xx
	// answers (default: 6 attempts from 0.5 s to 10 s).
	APIPolicy *retry.Policy
	// CPUsPerNode, when set, enforces node-hour awards as cpu minutes at
	// that many CPUs per node instead of node minutes (for clusters that
	// share nodes by core; see slurm.CPULimitsFor).
	CPUsPerNode int
	// GPUUtilisation reads the jobs' steps for the GPU utilisation Slurm
	// gathers (gres/gpuutil, Slurm 23.02 and later with AutoDetect=nvml
	// or rsmi; slurm.Query.StepStats), so that a job's FLOP is computed
	// from measured utilisation rather than a declared one. Off by
	// default: without it sacct returns one line per job instead of
	// several.
	GPUUtilisation bool
	// DryRun observes and plans but changes nothing: not the cluster, not
	// the server's allocations, not the state file. The plan is in the
	// Report.
	DryRun bool
	// RemoveAfter is how many cycles in a row one of pactum's accounts
	// must be absent from the server's desired state before it is removed
	// (default 3). Allocations the server marks for removal (expired) go
	// at once.
	RemoveAfter int
	// AcceptRemovals confirms removals that were held: when the desired
	// state suddenly lacks more than half of pactum's accounts on the
	// cluster (at least two), none of them is removed without it.
	AcceptRemovals bool
	// Holder names this agent in its lease on the cluster (default
	// host:pid): the server lets one agent per cluster run its cycles.
	Holder string
	// QueueGrace is how long the queued jobs of an allocation being
	// removed may wait before they are cancelled (default 1 h): they can
	// never start under its suspended account and would keep it forever.
	QueueGrace time.Duration
	// MinUID refuses logins of local accounts below it (system accounts;
	// default 1000, negative to disable), DenyUsers those named (nil means
	// root and slurm). See siteUsers.
	MinUID    int
	DenyUsers []string
	// LoginMap, when not nil, is the site's say on logins (ParseLoginMap):
	// pactum's username → the login the site gives that person. A
	// username it lacks gets no login at the site; usage read back is
	// attributed to the username again. Nil: the username is the login.
	LoginMap map[string]string
	// Grace is how long a cycle in progress may finish after the agent is
	// told to stop (default 30 s).
	Grace  time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

// Agent reconciles one Slurm cluster to the pactum server's desired state
// for its site and posts the cluster's usage back. Create it with New.
type Agent struct {
	cfg        Config
	usernames  map[string]string // Config.LoginMap inverted: site login → username
	lastResult string            // the last cycle's outcome, for the heartbeat
	log        *slog.Logger
	state      *State
	unlock     func()
}

// New checks cfg, takes the state directory (exclusively) and loads the
// state kept there.
func New(cfg Config) (*Agent, error) {
	var v pactum.Validator
	v.Check(cfg.API != nil, "api", "is required")
	v.Check(cfg.Cluster != nil, "cluster", "is required")
	v.Check(cfg.Site != "", "site", "is required")
	v.Check(pactum.ValidClusterName(cfg.ClusterName), "cluster_name", "must be Slurm's ClusterName (lower-case letters, digits, '_', '-')")
	v.Check(cfg.StateDir != "", "state_dir", "is required")
	v.Check(cfg.BatchSize >= 0 && cfg.BatchSize <= pactum.MaxUsageBatch, "batch_size", "must be at most %d", pactum.MaxUsageBatch)
	v.Check(cfg.CPUsPerNode >= 0, "cpus_per_node", "must not be negative")
	v.Check(cfg.RemoveAfter >= 0, "remove_after", "must not be negative")
	if err := v.Err("The agent is not configured correctly."); err != nil {
		return nil, err
	}
	cfg.Interval = cmp.Or(cfg.Interval, time.Minute)
	cfg.Overlap = cmp.Or(cfg.Overlap, 15*time.Minute)
	cfg.BatchSize = cmp.Or(cfg.BatchSize, 5000)
	cfg.ReconcileTimeout = cmp.Or(cfg.ReconcileTimeout, 5*time.Minute)
	cfg.Grace = cmp.Or(cfg.Grace, 30*time.Second)
	cfg.RemoveAfter = cmp.Or(cfg.RemoveAfter, 3)
	cfg.QueueGrace = cmp.Or(cfg.QueueGrace, time.Hour)
	cfg.Holder = cmp.Or(cfg.Holder, defaultHolder())
	cfg.MinUID = cmp.Or(cfg.MinUID, 1000)
	if cfg.DenyUsers == nil {
		cfg.DenyUsers = []string{"root", "slurm"}
	}
	if cfg.Reconcile == nil {
		p := slurm.DefaultPolicy()
		cfg.Reconcile = &p
	}
	if cfg.APIPolicy == nil {
		cfg.APIPolicy = &retry.Policy{Initial: 500 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5, Attempts: 6}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("site", cfg.Site, "cluster", cfg.ClusterName)
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	unlock, err := lockDir(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(cfg.StateDir, cfg.Site, cfg.ClusterName)
	if err != nil {
		unlock()
		return nil, err
	}
	return &Agent{cfg: cfg, usernames: invert(cfg.LoginMap), log: log, state: st, unlock: unlock}, nil
}

// Close releases the state directory.
func (a *Agent) Close() { a.unlock() }

// State returns a copy of the agent's state.
func (a *Agent) State() State {
	st := *a.state
	st.Applied = make(map[string]AppliedAccount, len(a.state.Applied))
	for k, v := range a.state.Applied {
		st.Applied[k] = v
	}
	return st
}

// Report says what one cycle did.
type Report struct {
	Allocations int `json:"allocations"`
	// Applied lists the changes made on the cluster, Drift those that
	// undid changes made by hand, Deferred the accounts whose removal
	// waits for their running jobs.
	Applied  []string           `json:"applied"`
	Drift    []pactum.DriftItem `json:"drift"`
	Deferred []string           `json:"deferred"`
	// Planned is the plan a dry run made (and did not apply). Foreign
	// lists accounts beneath the root without pactum's mark, left alone.
	// Absent lists pactum's accounts the desired state no longer
	// mentions, kept until absent for RemoveAfter cycles; Held those whose
	// removal waits for AcceptRemovals.
	DryRun  bool     `json:"dry_run"`
	Planned []string `json:"planned"`
	Foreign []string `json:"foreign"`
	Absent  []string `json:"absent"`
	Held    []string `json:"held"`
	// Cancelled lists queued jobs of expired allocations cancelled after
	// Config.QueueGrace.
	Cancelled []string `json:"cancelled"`
	// JobsHeld lists the pending jobs held this cycle because their model
	// is held (DesiredAllocation.HeldModels), JobsReleased those the agent
	// had held and released because their model no longer is.
	JobsHeld     []string `json:"jobs_held"`
	JobsReleased []string `json:"jobs_released"`
	// Activated and Expired list the allocations the agent moved.
	Activated []string     `json:"activated"`
	Expired   []string     `json:"expired"`
	Window    slurm.Window `json:"window"`
	// Records were read from sacct and posted; the server's verdicts
	// follow. Malformed counts sacct lines skipped.
	Records   int       `json:"records"`
	Accepted  int       `json:"accepted"`
	Duplicate int       `json:"duplicate"`
	Rejected  int       `json:"rejected"`
	Malformed int       `json:"malformed"`
	Cursor    time.Time `json:"cursor"`
}

// Run runs cycles every Interval until ctx ends. A cycle that fails is
// logged and retried at the next tick; when ctx ends, the cycle in
// progress gets Grace to finish (everything it does is idempotent, so an
// interrupted cycle is simply redone by the next start).
//
// It runs Preflight first and returns its error without running a cycle.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.Preflight(ctx); err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	for {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(a.cfg.Grace, cancel) })
		rep, err := a.Cycle(cctx)
		stop()
		cancel()
		if err != nil {
			a.log.Error("cycle failed; retrying at the next one", "err", err, "in", a.cfg.Interval)
		} else {
			a.log.Info("cycle", "allocations", rep.Allocations, "applied", len(rep.Applied), "drift", len(rep.Drift),
				"activated", len(rep.Activated), "expired", len(rep.Expired), "jobs_held", len(rep.JobsHeld), "jobs_released", len(rep.JobsReleased), "records", rep.Records, "accepted", rep.Accepted,
				"duplicate", rep.Duplicate, "rejected", rep.Rejected, "malformed", rep.Malformed, "cursor", rep.Cursor)
		}
		if retry.Sleep(ctx, a.cfg.Interval) != nil {
			a.log.Info("stopping")
			return nil
		}
	}
}

// Cycle runs one round: fetch the desired state, reconcile the cluster,
// activate what is provisioned and expire what was removed, then read and
// post usage from the cursor. Reconciliation and usage are independent:
// one failing does not skip the other, and the error joins both.
func (a *Agent) Cycle(ctx context.Context) (*Report, error) {
	rep := &Report{Applied: []string{}, Drift: []pactum.DriftItem{}, Deferred: []string{}, Activated: []string{}, Expired: []string{},
		DryRun: a.cfg.DryRun, Planned: []string{}, Foreign: []string{}, Absent: []string{}, Held: []string{}, Cancelled: []string{},
		JobsHeld: []string{}, JobsReleased: []string{}}
	if !a.cfg.DryRun {
		// One agent per cluster: without the lease, do nothing.
		if err := a.heartbeat(ctx); err != nil {
			return rep, fmt.Errorf("lease on cluster %s: %w", a.cfg.ClusterName, err)
		}
	}
	st, err := a.desiredState(ctx)
	if err != nil {
		a.lastResult = err.Error()
		return rep, err
	}
	rep.Allocations = len(st.Allocations)
	a.siteUsers(st)
	recErr := a.reconcile(ctx, st, rep)
	// Holding jobs does not wait for the accounts: a held model's jobs
	// are held even while an unrelated account fails to reconcile.
	recErr = errors.Join(recErr, a.holdJobs(ctx, st, rep))
	if a.cfg.DryRun {
		return rep, recErr
	}
	a.state.LastReconcile, a.state.LastError = a.cfg.Now().UTC(), ""
	if recErr != nil {
		a.state.LastError = recErr.Error()
	}
	if recErr == nil {
		a.transitions(ctx, st, rep)
	}
	useErr := a.usage(ctx, st, rep)
	err = errors.Join(recErr, useErr)
	a.lastResult = fmt.Sprintf("ok: %d allocations, %d changes, %d drift, %d records", rep.Allocations, len(rep.Applied), len(rep.Drift), rep.Records)
	if err != nil {
		a.lastResult = err.Error()
	}
	return rep, err
}

// call runs an API call with retries: network errors and 5xx answers are
// retried, other answers returned at once.
func (a *Agent) call(ctx context.Context, what string, fn func(ctx context.Context) (int, []byte, error)) error {
	return retry.Do(ctx, *a.cfg.APIPolicy, func(ctx context.Context) error {
		status, body, err := fn(ctx)
		if err != nil {
			a.log.Warn("server unreachable; retrying", "call", what, "err", err)
			return fmt.Errorf("%s: %w", what, err)
		}
		if status >= 200 && status < 300 {
			return nil
		}
		err = fmt.Errorf("%s: the server answered %d: %s", what, status, strings.TrimSpace(string(body)))
		if status >= 500 || status == http.StatusTooManyRequests {
			a.log.Warn("server error; retrying", "call", what, "status", status)
			return err
		}
		return retry.Permanent(err)
	})
}

func (a *Agent) desiredState(ctx context.Context) (*pactum.SiteState, error) {
	var resp *client.GetSiteDesiredStateResponse
	params := &client.GetSiteDesiredStateParams{}
	if a.cfg.SystemID != "" {
		params.SystemId = &a.cfg.SystemID
	}
	err := a.call(ctx, "fetch desired state", func(ctx context.Context) (int, []byte, error) {
		var err error
		resp, err = a.cfg.API.GetSiteDesiredStateWithResponse(ctx, a.cfg.Site, params)
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode(), resp.Body, nil
	})
	if err != nil {
		return nil, err
	}
	return client.ToSiteState(resp)
}

// Tree turns the server's desired state into the account tree Slurm must
// carry: pactum's root, an account per organization with an allocation to
// provision, and an account per allocation beneath it with its members,
// its GrpTRESMins (GPU-hours as gres/gpu minutes, node-hours as node
// minutes, or cpu minutes with cpusPerNode) and its suspension. Allocations
// to remove are left out, so Reconcile removes their accounts.
//
// Every account carries the site's mark (slurm.Mark) at the start of its
// description, so the agent knows its own accounts from the site's.
func Tree(st *pactum.SiteState, cpusPerNode int) (slurm.Desired, error) {
	mark := slurm.Mark(st.Site)
	d := slurm.Desired{Owner: mark, Root: slurm.Account{Name: st.Root, Parent: "root", Description: slurm.Marked(mark, "pactum"), Organization: "pactum"}}
	orgs := map[string]bool{}
	for _, x := range st.Allocations {
		if x.Remove {
			continue
		}
		if !orgs[x.OrganizationAccount] {
			orgs[x.OrganizationAccount] = true
			d.Accounts = append(d.Accounts, slurm.DesiredAccount{Account: slurm.Account{Name: x.OrganizationAccount, Parent: st.Root,
				Description: slurm.Marked(mark, x.OrganizationName), Organization: x.OrganizationName}})
		}
		var limits slurm.TRES
		var err error
		if x.Unit == pactum.UnitNodeHours && cpusPerNode > 0 {
			limits, err = slurm.CPULimitsFor(x.Amount, cpusPerNode)
		} else {
			limits, err = slurm.LimitsFor(x.Amount, x.Unit)
		}
		if err != nil {
			return d, fmt.Errorf("allocation %s: %w", x.AllocationID, err)
		}
		d.Accounts = append(d.Accounts, slurm.DesiredAccount{
			Account: slurm.Account{Name: x.Account, Parent: x.OrganizationAccount, Description: slurm.Marked(mark, x.Title), Organization: x.OrganizationName},
			Users:   x.Users, Limits: limits, Suspended: x.Suspended,
		})
	}
	return d, d.Validate()
}

func actions(xs []slurm.Action) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

func (a *Agent) reportDrift(ctx context.Context, items []pactum.DriftItem) {
	body, err := client.FromDriftReport(&pactum.DriftReport{Cluster: a.cfg.ClusterName, Items: items})
	if err != nil {
		a.log.Error("could not report drift to the server", "err", err)
		return
	}
	err = a.call(ctx, "report drift", func(ctx context.Context) (int, []byte, error) {
		resp, err := a.cfg.API.ReportDriftWithResponse(ctx, a.cfg.Site, body)
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode(), resp.Body, nil
	})
	if err != nil {
		// The cluster is already restored and the logs have it; a lost
		// report is not worth failing the cycle for.
		a.log.Error("could not report drift to the server", "err", err)
	}
}

// transitions activates the allocations the reconciliation provisioned and
// expires those whose accounts it removed (or suspended until their jobs
// end).
func (a *Agent) transitions(ctx context.Context, st *pactum.SiteState, rep *Report) {
	for _, x := range st.Allocations {
		var to pactum.AllocationState
		var reason string
		switch {
		case !x.Remove && x.State == pactum.AllocationPending:
			to, reason = pactum.AllocationActive, fmt.Sprintf("provisioned on cluster %s as account %s", a.cfg.ClusterName, x.Account)
		case x.Remove && x.State != pactum.AllocationExpired:
			to, reason = pactum.AllocationExpired, fmt.Sprintf("%s; account %s removed from cluster %s", strings.Join(x.Reasons, ", "), x.Account, a.cfg.ClusterName)
			if slices.Contains(rep.Deferred, x.Account) {
				reason = fmt.Sprintf("%s; account %s suspended on cluster %s until its running jobs end", strings.Join(x.Reasons, ", "), x.Account, a.cfg.ClusterName)
			}
		default:
			continue
		}
		err := a.call(ctx, "transition allocation "+x.AllocationID, func(ctx context.Context) (int, []byte, error) {
			resp, err := a.cfg.API.TransitionAllocationWithResponse(ctx, x.AllocationID, client.FromTransition(to, reason))
			if err != nil {
				return 0, nil, err
			}
			return resp.StatusCode(), resp.Body, nil
		})
		if err != nil {
			a.log.Error("could not move allocation", "allocation", x.AllocationID, "to", to, "err", err)
			continue
		}
		a.log.Info("allocation moved", "allocation", x.AllocationID, "to", to, "reason", reason)
		if to == pactum.AllocationActive {
			rep.Activated = append(rep.Activated, x.AllocationID)
		} else {
			rep.Expired = append(rep.Expired, x.AllocationID)
		}
	}
}

// maxAccountArgs bounds the accounts named on sacct's command line; with
// more, the agent reads every account and keeps pactum's.
const maxAccountArgs = 200

// maxLogged bounds the malformed lines and rejected records logged one by
// one per cycle; the rest are counted.
const maxLogged = 20

// usage reads sacct from the cursor and posts the records in batches. The
// cursor moves only once every batch was accepted by the server (each
// record accepted, a duplicate, or rejected for good), so a failure at
// any point means the window is read again; the server keeps each job
// once, so that costs nothing but time.
func (a *Agent) usage(ctx context.Context, st *pactum.SiteState, rep *Report) error {
	now := a.cfg.Now()
	accounts := map[string]bool{}
	earliest := time.Time{}
	for _, x := range st.Allocations {
		accounts[x.Account] = true
		if earliest.IsZero() || x.StartsAt.Before(earliest) {
			earliest = x.StartsAt
		}
	}
	if len(accounts) == 0 {
		a.state.Cursor = now.UTC().Truncate(time.Second)
		rep.Cursor = a.state.Cursor
		return a.state.Save(a.cfg.StateDir, now)
	}
	cursor := a.state.Cursor
	if cursor.IsZero() {
		// First run, or a lost state directory: no allocation has jobs
		// from before it started, so nothing is missed.
		cursor = earliest
	}
	w := slurm.NextWindow(cursor, now, a.cfg.Overlap)
	rep.Window = w
	q := slurm.Query{Window: w, Runs: true, StepStats: a.cfg.GPUUtilisation} // every run of a requeued job used its resources
	if len(accounts) <= maxAccountArgs {
		for acct := range accounts {
			q.Accounts = append(q.Accounts, acct)
		}
		slices.Sort(q.Accounts)
	}
	batch := make([]pactum.UsageRecordInput, 0, a.cfg.BatchSize)
	rejectedLogged := 0
	post := func() error {
		if len(batch) == 0 {
			return nil
		}
		body, err := client.FromUsageBatch(&pactum.UsageBatch{Cluster: a.cfg.ClusterName, Records: batch})
		if err != nil {
			return err
		}
		var resp *client.IngestUsageResponse
		err = a.call(ctx, "post usage", func(ctx context.Context) (int, []byte, error) {
			var err error
			resp, err = a.cfg.API.IngestUsageWithResponse(ctx, body)
			if err != nil {
				return 0, nil, err
			}
			return resp.StatusCode(), resp.Body, nil
		})
		if err != nil {
			return err
		}
		res, err := client.ToUsageIngest(resp)
		if err != nil {
			return err
		}
		rep.Records += len(batch)
		rep.Accepted += res.Accepted
		rep.Duplicate += res.Duplicate
		rep.Rejected += res.Rejected
		for _, r := range res.Results {
			if r.Status == pactum.UsageRejected && rejectedLogged < maxLogged {
				rejectedLogged++
				a.log.Warn("server rejected a usage record", "job", r.JobID, "reason", r.Reason)
			}
		}
		batch = batch[:0]
		return nil
	}
	bad, err := a.cfg.Cluster.Usage(ctx, q, func(r *slurm.Record) error {
		if !accounts[r.Account] {
			return nil
		}
		in := UsageInput(r)
		in.Username = a.pactumUsername(in.Username)
		batch = append(batch, in)
		if len(batch) == a.cfg.BatchSize {
			return post()
		}
		return nil
	})
	rep.Malformed = len(bad)
	for i, le := range bad {
		if i == maxLogged {
			a.log.Warn("more malformed sacct lines skipped", "count", len(bad)-maxLogged)
			break
		}
		a.log.Warn("malformed sacct line skipped", "line", le.Line, "err", le.Err, "text", le.Text)
	}
	if err == nil {
		err = post()
	}
	if err != nil {
		return fmt.Errorf("usage from %s to %s: %w", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), err)
	}
	a.state.Cursor = w.End
	rep.Cursor = w.End
	return a.state.Save(a.cfg.StateDir, now)
}
