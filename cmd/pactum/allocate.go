// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/solver"
)

func newAllocateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "allocate --call ID",
		Short: "Divide a call's capacity between its reviewed proposals (access managers)",
		Long: `Solve the call's allocation problem on the server and show the result: every
proposal the panel ranked competes for what is left of each system's capacity
for the call, weighted by its panel score; a proposal is refused rather than
cut below its minimum viable fraction; requests on systems whose software the
proposal cannot use (or that the hosting site found infeasible) are dropped;
each organization is capped; a share of every system is reserved for startups
and SMEs. The result states its proven upper bound and the gap to it, and
explains each proposal's outcome.

Defaults: organization cap 25 % of the call's remaining capacity (in GPU-hours
over all its systems), reserved share 20 % of every system for startups and
SMEs. The run is stored as a draft; --publish makes it the committee's
decision: allocations for the accepted, rejections with the explanation for
the refused, notifications to applicants, all in one audited transaction.

--base-run makes the run a what-if of an earlier run of the call: every
parameter not given is that run's, the optimiser starts from its solution (a
warm start), and the output ends with what changed. --capacity SYSTEM=GPUH
(repeatable) sets the GPU-hours a system may give in this run instead of what
the call has left there; a run assuming more than is left cannot be published.

--check also solves the run's instance with COIN-OR cbc (Debian's coinor-cbc)
on this machine and prints both objectives and times; with --check a run is
published only if cbc confirmed it.`,
		Example: `  pactum allocate --call 01a2…
  pactum allocate --call 01a2… --org-cap 400000 --reserve 0.3 --check
  pactum allocate --call 01a2… --publish
  pactum allocate --base-run RUN_ID --capacity leonardo-booster=200000 --json
  pactum allocate diff RUN_ID [--against OTHER_RUN_ID]
  pactum allocate show RUN_ID --json
  pactum allocate check RUN_ID
  pactum allocate publish RUN_ID`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			return runAllocation(cmd, e, c)
		},
	}
	cmd.Flags().String("call", "", "the call whose reviewed proposals to allocate")
	cmd.Flags().Float64("org-cap", 0, "cap per organization in GPU-hours over all systems (default: 25 % of the call's remaining capacity)")
	cmd.Flags().Float64("org-cap-share", 0, "cap per organization as a share of the call's remaining capacity, (0, 1]")
	cmd.Flags().Float64("reserve", 0, "share of every system reserved for startups and SMEs, [0, 1) (default 0.2)")
	cmd.Flags().Bool("publish", false, "publish the run as the committee's decision")
	cmd.Flags().String("base-run", "", "make the run a what-if of this run of the call (its parameters by default, warm start)")
	cmd.Flags().StringArray("capacity", nil, "SYSTEM=GPUH: GPU-hours the system may give in this run (repeatable)")
	checkFlags(cmd)
	jsonFlag(cmd)
	cmd.AddCommand(newAllocateListCmd(e), newAllocateShowCmd(e), newAllocateCheckCmd(e), newAllocatePublishCmd(e), newAllocateDiffCmd(e))
	return cmd
}

// runAllocation solves the call's allocation run on the server, cross-checks it
// with cbc (--check), publishes it (--publish, and with --check only if cbc
// confirmed it) and prints it.
func runAllocation(cmd *cobra.Command, e *env, c *client.ClientWithResponses) error {
	callID, _ := cmd.Flags().GetString("call")
	base, _ := cmd.Flags().GetString("base-run")
	capacities, _ := cmd.Flags().GetStringArray("capacity")
	in := client.AllocationRunInput{}
	in.OrgCapGpuHours = optFloat(cmd, "org-cap")
	in.OrgCapShare = optFloat(cmd, "org-cap-share")
	in.ReservedShare = optFloat(cmd, "reserve")
	if len(capacities) > 0 {
		caps, err := parseCapacities(capacities)
		if err != nil {
			return err
		}
		in.Capacities = &caps
	}
	if base != "" {
		in.BaseRunId = &base
		if callID == "" {
			br, err := c.GetAllocationRunWithResponse(cmd.Context(), base)
			if err := called(br, err); err != nil {
				return err
			}
			callID = br.JSON200.CallId
		}
	}
	if callID == "" {
		return pactum.Errorf(pactum.EINVALID, "Name the call with --call ID or the run to start from with --base-run ID (or use allocate list|show|check|publish|diff).")
	}
	resp, err := c.CreateAllocationRunWithResponse(cmd.Context(), callID, in)
	if err := called(resp, err); err != nil {
		return err
	}
	run := resp.JSON201
	diff := run.Changes
	if base != "" && diff == nil {
		dr, err := c.DiffAllocationRunWithResponse(cmd.Context(), run.Id, &client.DiffAllocationRunParams{})
		if err := called(dr, err); err != nil {
			return err
		}
		diff = dr.JSON200
	}
	var cmp *comparison
	var checkErr error
	if check, _ := cmd.Flags().GetBool("check"); check {
		cmp, checkErr = checkWithCBC(cmd, c, run)
	}
	publish, _ := cmd.Flags().GetBool("publish")
	published := publish && checkErr == nil
	if published {
		pr, err := c.PublishAllocationRunWithResponse(cmd.Context(), run.Id)
		if err := called(pr, err); err != nil {
			return err
		}
		run = pr.JSON200
	}
	if err := printAllocateResult(cmd, e, run, cmp, diff, published); err != nil {
		return err
	}
	if checkErr != nil && publish {
		return fmt.Errorf("%s\nThe run %s was not published.", errorText(checkErr), run.Id)
	}
	return checkErr
}

// printAllocateResult prints what allocate did: the run and the comparison
// with cbc, if any.
func printAllocateResult(cmd *cobra.Command, e *env, run *client.AllocationRun, cmp *comparison, diff *client.RunDiff, published bool) error {
	if wantJSON(cmd) {
		out := map[string]any{"run": run}
		if cmp != nil {
			out["check"] = cmp
		}
		if diff != nil {
			out["diff"] = diff
		}
		return writeJSONValue(e.stdout, out)
	}
	if err := printRun(e, run); err != nil {
		return err
	}
	if diff != nil {
		fmt.Fprintln(e.stdout)
		if err := printDiff(e, diff); err != nil {
			return err
		}
	}
	if cmp != nil {
		fmt.Fprintln(e.stdout)
		printComparison(e, cmp)
	}
	if published {
		fmt.Fprintf(e.stdout, "\nPublished: applicants are notified and the allocations await provisioning.\n")
	}
	return nil
}

// optFloat returns a pointer to the flag's value when it was set.
func optFloat(cmd *cobra.Command, name string) *float64 {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	v, _ := cmd.Flags().GetFloat64(name)
	return &v
}

func newAllocateListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "list", Short: "List allocation runs, newest first", Args: cobra.NoArgs,
		Example: `  pactum allocate list --call 01a2…`,
	}
	cmd.Flags().String("call", "", "only this call's runs")
	return listCmd(e, cmd, listing[*client.ListAllocationRunsResponse, client.AllocationRun]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListAllocationRunsResponse, error) {
			l, o := pageParams(cmd)
			return c.ListAllocationRunsWithResponse(ctx, &client.ListAllocationRunsParams{CallId: optString(cmd, "call"), Limit: l, Offset: o})
		},
		page: func(r *client.ListAllocationRunsResponse) ([]client.AllocationRun, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.AllocationRun]{
			header: []string{"RUN", "CALL", "STATE", "OBJECTIVE", "PROVEN GAP", "CREATED", "INPUTS"},
			row: func(r client.AllocationRun) []string {
				return []string{r.Id, r.CallId, string(r.State), fmtNum(r.Objective), fmtPct(r.Gap), fmtTime(r.CreatedAt), shortHash(r.InputHash)}
			},
		},
		paged: true,
	})
}

func newAllocateShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show RUN", Short: "Show a run with every proposal's outcome and explanation", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetAllocationRunWithResponse), func(resp *client.GetAllocationRunResponse) error {
		return printRun(e, resp.JSON200)
	})
}

func newAllocateCheckCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "check RUN", Short: "Solve a run's instance with cbc here and compare", Args: cobra.ExactArgs(1),
		Example: `  pactum allocate check RUN_ID --cbc-time 2m`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.GetAllocationRunWithResponse(cmd.Context(), args[0])
			if err := called(resp, err); err != nil {
				return err
			}
			cmp, err := checkWithCBC(cmd, c, resp.JSON200)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, cmp)
			}
			printComparison(e, cmp)
			return nil
		},
	}
	checkFlags(cmd)
	jsonFlag(cmd)
	return cmd
}

func newAllocatePublishCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "publish RUN", Short: "Publish a run as the committee's decision", Args: cobra.ExactArgs(1),
		Long: `Publish a draft run: accepted proposals get allocations (capacity reserved as
for any decision), refused ones are rejected with the run's explanation,
applicants are notified, all in one audited transaction. Refused when the
call's proposals, reviews or capacity changed since the run was solved.`,
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).PublishAllocationRunWithResponse), func(resp *client.PublishAllocationRunResponse) error {
		if err := printRun(e, resp.JSON200); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nPublished: applicants are notified and the allocations await provisioning.\n")
		return nil
	})
}

func checkFlags(cmd *cobra.Command) {
	cmd.Flags().Bool("check", false, "also solve with cbc here and compare objectives and times")
	cmd.Flags().String("cbc", "", "cbc binary (default: cbc on PATH)")
	cmd.Flags().Duration("cbc-time", 10*time.Minute, "time limit for cbc")
}

// comparison is what --check prints: both solvers on the run's instance.
type comparison struct {
	RunID     string `json:"run_id"`
	Proposals int    `json:"proposals"`
	Systems   int    `json:"systems"`
	// Server is the run as the server solved it; Local the same solver
	// here, which must agree (the solver is deterministic).
	ServerObjective float64 `json:"server_objective"`
	LocalObjective  float64 `json:"local_objective"`
	LocalBound      float64 `json:"local_bound"`
	LocalSeconds    float64 `json:"local_seconds"`
	CBCStatus       string  `json:"cbc_status"`
	CBCObjective    float64 `json:"cbc_objective"`
	CBCBound        float64 `json:"cbc_bound"`
	CBCSeconds      float64 `json:"cbc_seconds"`
	// BelowCBC is (cbc − Go)/cbc: what the pure-Go answer leaves on the
	// table.
	BelowCBC    float64 `json:"below_cbc"`
	BoundHolds  bool    `json:"bound_holds"`
	CBCFeasible bool    `json:"cbc_feasible"`
}

// checkWithCBC fetches the run's instance and solves it with the Go solver
// and cbc here. It returns a clear error when cbc is not installed.
func checkWithCBC(cmd *cobra.Command, c *client.ClientWithResponses, run *client.AllocationRun) (*comparison, error) {
	resp, err := c.GetAllocationRunInstanceWithResponse(cmd.Context(), run.Id)
	if err := called(resp, err); err != nil {
		return nil, err
	}
	inst, err := client.Decode[solver.Instance](resp)
	if err != nil {
		return nil, fmt.Errorf("decode the run's instance: %w", err)
	}
	bin, _ := cmd.Flags().GetString("cbc")
	limit, _ := cmd.Flags().GetDuration("cbc-time")
	res, err := solver.CompareWithCBC(cmd.Context(), inst, solver.Options{}, solver.CBCOptions{Path: bin, TimeLimit: limit})
	if errors.Is(err, solver.ErrCBCNotFound) {
		return nil, pactum.Errorf(pactum.EINVALID, "cbc is not installed, so the run was not cross-checked (Debian: apt-get install coinor-cbc, or name the binary with --cbc).")
	} else if err != nil {
		return nil, err
	}
	return &comparison{RunID: run.Id, Proposals: res.Proposals, Systems: res.Systems, ServerObjective: run.Objective,
		LocalObjective: res.Go.Objective, LocalBound: res.Go.Bound, LocalSeconds: res.Go.Elapsed.Seconds(),
		CBCStatus: res.CBC.Status, CBCObjective: res.CBC.Objective, CBCBound: res.CBC.Bound, CBCSeconds: res.CBC.Elapsed.Seconds(),
		BelowCBC: res.RelDiff, BoundHolds: res.BoundHolds, CBCFeasible: res.CBCFeasible == nil}, nil
}

func printComparison(e *env, c *comparison) {
	agree := "yes"
	if math.Abs(c.LocalObjective-c.ServerObjective) > 1e-9*math.Max(1, math.Abs(c.ServerObjective)) {
		agree = fmt.Sprintf("NO (server %s)", fmtNum(c.ServerObjective))
	}
	_ = keyValues(e.stdout, [][2]string{
		{"instance", fmt.Sprintf("%d proposals × %d systems", c.Proposals, c.Systems)},
		{"pactum (Go)", fmt.Sprintf("objective %s, proven bound %s, %.2f s; reproduces the server's run: %s", fmtNum(c.LocalObjective), fmtNum(c.LocalBound), c.LocalSeconds, agree)},
		{"cbc", fmt.Sprintf("objective %s (%s), bound %s, %.2f s", fmtNum(c.CBCObjective), c.CBCStatus, fmtNum(c.CBCBound), c.CBCSeconds)},
		{"Go vs cbc", fmt.Sprintf("%s below cbc's objective; Go's bound holds against cbc: %s; cbc's answer feasible: %s",
			fmtPct(c.BelowCBC), yesNo(c.BoundHolds), yesNo(c.CBCFeasible))},
	})
}

// className names a reservation class for people.
func className(c string) string {
	if c == pactum.ReservedClassSME {
		return "startups and SMEs"
	}
	return strings.ReplaceAll(c, "_", " ")
}

func printRun(e *env, r *client.AllocationRun) error {
	count := map[client.RunOutcomeOutcome]int{}
	if r.Outcomes != nil {
		for _, o := range *r.Outcomes {
			count[o.Outcome]++
		}
	}
	kv := [][2]string{{"run", r.Id}, {"call", r.CallId}, {"state", string(r.State)},
		{"objective", fmtNum(r.Objective) + " (Σ panel score × GPU-hours)"},
		{"proven bound", fmt.Sprintf("%s, gap %s%s", fmtNum(r.Bound), fmtPct(r.Gap), map[bool]string{true: "", false: " (node limit hit; bound still valid)"}[r.BoundExact])},
		{"solved in", fmt.Sprintf("%.3f s, %d iterations", r.SolveSeconds, r.Iterations)},
		{"parameters", fmt.Sprintf("organization cap %s GPU-h; %.0f %% of every system reserved for %s", fmtNum(r.Params.OrgCapGpuHours),
			100*r.Params.ReservedShare, className(r.Params.ReservedClass))},
		{"outcomes", fmt.Sprintf("%d full, %d cut, %d refused; %d left out (in review without a panel verdict)",
			count[client.OutcomeFull], count[client.OutcomeCut], count[client.OutcomeRefused], r.NotReady)},
		{"inputs", r.InputHash}}
	if r.PublishedAt != nil {
		kv = append(kv, [2]string{"published", fmtTime(*r.PublishedAt) + " by " + str(r.PublishedBy)})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, s := range r.Systems {
		rows = append(rows, []string{s.SystemId, fmtNum(s.CapacityGpuHours), fmtNum(s.GrantedGpuHours), fmt.Sprintf("%.3f", s.Price)})
	}
	if err := e.table([]string{"SYSTEM", "LEFT (GPU-H)", "GRANTED (GPU-H)", "MARGINAL VALUE"}, rows); err != nil {
		return err
	}
	if r.Outcomes == nil {
		return nil
	}
	fmt.Fprintln(e.stdout)
	rows = nil
	for _, o := range *r.Outcomes {
		var gs []string
		for _, g := range o.Grants {
			gs = append(gs, g.SystemId+"="+fmtNum(g.Amount))
		}
		rows = append(rows, []string{strconv.Itoa(o.Rank), o.ProposalId, truncate(o.Title, 32), fmt.Sprintf("%.2f", o.Score), string(o.Outcome),
			fmtNum(o.GrantedGpuHours) + " / " + fmtNum(o.RequestedGpuHours), joinComma(gs)})
	}
	if err := e.table([]string{"RANK", "PROPOSAL", "TITLE", "SCORE", "OUTCOME", "GPU-H GRANTED / ASKED", "GRANTS (SYSTEM UNITS)"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nWhy:")
	for _, o := range *r.Outcomes {
		fmt.Fprintf(e.stdout, "  %s (%s)\n", truncate(o.Title, 60), o.ProposalId)
		for _, line := range o.Explanation {
			fmt.Fprintf(e.stdout, "    - %s\n", line)
		}
	}
	return nil
}

// parseCapacities reads --capacity SYSTEM=GPUH values: a system ID, "=",
// and a finite number of GPU-hours (thousands separators "," and "_"
// allowed). A system given twice, or a value that is not of that form, is
// EINVALID naming --capacity; the range is the server's to check.
func parseCapacities(values []string) (map[string]float64, error) {
	out := make(map[string]float64, len(values))
	for _, v := range values {
		id, amount, ok := strings.Cut(v, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, invalidCapacity(v, "is not SYSTEM=GPUH")
		}
		x, err := strconv.ParseFloat(strings.NewReplacer(",", "", "_", "").Replace(strings.TrimSpace(amount)), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, invalidCapacity(v, "needs a number of GPU-hours after =")
		}
		if _, dup := out[id]; dup {
			return nil, invalidCapacity(v, "sets "+id+" twice")
		}
		out[id] = x
	}
	return out, nil
}

func invalidCapacity(v, why string) error {
	var val pactum.Validator
	val.Add("--capacity", "%q %s", v, why)
	return val.Err("A --capacity value is not valid.")
}

func newAllocateDiffCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff RUN_ID",
		Short: "What changed from another run of the call to this one (by default from the run it is a what-if of)",
		Example: `  pactum allocate diff 01a2…
  pactum allocate diff 01a2… --against 01a1… --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.DiffAllocationRunWithResponse(cmd.Context(), args[0], &client.DiffAllocationRunParams{Against: optString(cmd, "against")})
			if err := called(resp, err); err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, resp.JSON200)
			}
			return printDiff(e, resp.JSON200)
		},
	}
	cmd.Flags().String("against", "", "the run to compare with (default: the run this one is a what-if of)")
	jsonFlag(cmd)
	return cmd
}

// printDiff prints what changed between two runs.
func printDiff(e *env, d *client.RunDiff) error {
	fmt.Fprintf(e.stdout, "What changed from run %s to run %s:\n", d.BeforeId, d.AfterId)
	signed := func(x float64) string {
		if math.Abs(x) < 0.5 {
			return "0"
		}
		if x > 0 {
			return "+" + fmtNum(x)
		}
		return "-" + fmtNum(-x)
	}
	rows := [][]string{
		{"objective", fmtNum(d.Objective.Before), fmtNum(d.Objective.After), signed(d.Objective.After - d.Objective.Before)},
		{"proven bound", fmtNum(d.Bound.Before), fmtNum(d.Bound.After), signed(d.Bound.After - d.Bound.Before)},
		{"proven gap", fmtPct(d.Gap.Before), fmtPct(d.Gap.After), ""},
	}
	for _, o := range []string{"full", "cut", "refused"} {
		c := d.Outcomes[o]
		rows = append(rows, []string{o, fmtNum(c.Before), fmtNum(c.After), signed(c.After - c.Before)})
	}
	if err := e.table([]string{"FIGURE", "BEFORE", "AFTER", "CHANGE"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	rows = nil
	for _, s := range d.Systems {
		rows = append(rows, []string{s.SystemId, fmtNum(s.CapacityGpuHours.Before), fmtNum(s.CapacityGpuHours.After),
			fmtNum(s.GrantedGpuHours.Before), fmtNum(s.GrantedGpuHours.After), signed(s.GrantedGpuHours.After - s.GrantedGpuHours.Before)})
	}
	if err := e.table([]string{"SYSTEM", "CAPACITY BEFORE", "AFTER", "GRANTED BEFORE", "AFTER", "CHANGE"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%d proposals changed, %d unchanged.\n", len(d.Proposals), d.Unchanged)
	if len(d.Proposals) == 0 {
		return nil
	}
	rows = nil
	orNone := func(s string) string {
		if s == "" {
			return "(not in the run)"
		}
		return s
	}
	for _, p := range d.Proposals {
		rows = append(rows, []string{strconv.Itoa(p.Rank), p.ProposalId, truncate(p.Title, 32), orNone(p.OutcomeBefore) + " " + fmtNum(p.GrantedGpuHours.Before),
			orNone(p.OutcomeAfter) + " " + fmtNum(p.GrantedGpuHours.After), signed(p.GrantedGpuHours.After - p.GrantedGpuHours.Before)})
	}
	return e.table([]string{"RANK", "PROPOSAL", "TITLE", "BEFORE (GPU-H)", "AFTER (GPU-H)", "CHANGE"}, rows)
}
