// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/solver"
)

// AllocationRunService implements pactum.AllocationRunService with the
// pure-Go optimiser (package solver).
type AllocationRunService struct {
	db   *DB
	opts solver.Options
}

var _ pactum.AllocationRunService = (*AllocationRunService)(nil)

// NewAllocationRunService returns the allocation-run service. opts tune the
// solver; leave TimeLimit zero, or runs stop being reproducible.
func NewAllocationRunService(db *DB, opts solver.Options) *AllocationRunService {
	return &AllocationRunService{db: db, opts: opts}
}

// capacityMargin shrinks each system's remaining capacity before solving by
// a relative 1e-12, as much as reserveCapacity tolerates above it, so that
// summation and unit-conversion rounding can never take a published grant
// past what reserveCapacity allows. It is far below anything the
// explanations show (they round to whole GPU-hours).
const capacityMargin = 1e-12

// runCandidate is a proposal in a run with what the instance does not say.
type runCandidate struct {
	p       *pactum.Proposal
	panel   *panelRecord
	classes []string
	// notes explain what the run did before the solver saw the proposal
	// (requests dropped by the technical assessment).
	notes []string
}

// runInput is everything a run is computed from. Building it twice from an
// unchanged database gives the same instance and hash.
type runInput struct {
	call      *pactum.Call
	systems   map[string]*pactum.System
	params    pactum.AllocationRunParams
	instance  *solver.Instance
	cands     []*runCandidate     // in instance order
	refused   []pactum.RunOutcome // refused before solving
	notReady  int
	hash      string
	remaining map[string]float64 // GPU-hours left per system before the margin
}

// buildRunInput reads the call's reviewed proposals and capacity and builds
// the solver's instance:
//   - proposals in review whose panel ranked them; those the panel found
//     below the rubric's thresholds are refused without solving, and those
//     not yet ranked are counted in notReady;
//   - each proposal's score is its panel score; its requests are converted
//     to GPU-hours, minus any system its technical assessment found not
//     feasible or unfit for its software; its software is
//     Proposal.SoftwareStack; its minimum fraction Proposal.MinFraction;
//     its organization is in the startup/SME class when it is an SME;
//   - each system's capacity is what the call's running totals
//     (call_grants) leave of its capacity for the period;
//   - one cap per organization and one reservation for startups and SMEs.
func buildRunInput(ctx context.Context, q querier, callID string, in pactum.AllocationRunInput) (*runInput, error) {
	call, err := findCallByID(ctx, q, callID)
	if err != nil {
		return nil, err
	}
	systems, err := systemMap(ctx, q)
	if err != nil {
		return nil, err
	}
	ri := &runInput{call: call, systems: systems, instance: &solver.Instance{Proposals: []solver.Proposal{}}, remaining: map[string]float64{}}
	granted := map[string]float64{}
	rows, err := q.QueryContext(ctx, `SELECT system_id, granted FROM call_grants WHERE call_id = $1`, callID)
	if err != nil {
		return nil, fmt.Errorf("granted capacity: %w", err)
	}
	for rows.Next() {
		var id string
		var g float64
		if err := rows.Scan(&id, &g); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan granted capacity: %w", err)
		}
		granted[id] = g
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("granted capacity: %w", err)
	}
	rows.Close()
	var total float64
	for _, id := range call.SystemIDs {
		sys := systems[id]
		if sys == nil {
			return nil, fmt.Errorf("call %s offers unknown system %s", callID, id)
		}
		left := sys.GPUHours(math.Max(0, sys.CapacityPerPeriod-granted[id]))
		ri.remaining[id] = left
		total += left
		ri.instance.Systems = append(ri.instance.Systems, solver.System{ID: id, Capacity: left * (1 - capacityMargin), Software: solver.Software(sys.Software)})
	}
	ri.params = pactum.AllocationRunParams{OrgCapGPUHours: pactum.DefaultOrgCapShare * total, ReservedShare: pactum.DefaultReservedShare,
		ReservedClass: pactum.ReservedClassSME}
	if in.OrgCapShare != nil {
		ri.params.OrgCapGPUHours = *in.OrgCapShare * total
	}
	if in.OrgCapGPUHours != nil {
		ri.params.OrgCapGPUHours = *in.OrgCapGPUHours
	}
	if in.ReservedShare != nil {
		ri.params.ReservedShare = *in.ReservedShare
	}

	cols := "p." + strings.ReplaceAll(proposalColumns, ", ", ", p.")
	rows, err = q.QueryContext(ctx, `SELECT `+cols+`, t.panel FROM proposals p JOIN review_tracks t ON t.proposal_id = p.id
		WHERE p.call_id = $1 AND p.state = 'in_review' ORDER BY p.id`, callID)
	if err != nil {
		return nil, fmt.Errorf("reviewed proposals: %w", err)
	}
	var cands []*runCandidate
	for rows.Next() {
		var panel sql.NullString
		p, err := scanProposal(rows, &panel)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan proposal: %w", err)
		}
		if !panel.Valid {
			ri.notReady++
			continue
		}
		c := &runCandidate{p: p, panel: new(panelRecord)}
		if err := json.Unmarshal([]byte(panel.String), c.panel); err != nil {
			rows.Close()
			return nil, fmt.Errorf("panel verdict of %s: %w", p.ID, err)
		}
		cands = append(cands, c)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("reviewed proposals: %w", err)
	}
	rows.Close()

	orgs := map[string]*pactum.Organization{}
	for _, c := range cands {
		p := c.p
		if !c.panel.Passes || c.panel.Score <= 0 {
			why := []string{fmt.Sprintf("Refused: the panel found the proposal below the call's rubric (score %.2f).", c.panel.Score)}
			why = append(why, c.panel.Verdict.Failing...)
			ri.refused = append(ri.refused, refusedOutcome(c, requestedGPUHours(p, systems), why))
			continue
		}
		if orgs[p.OrganizationID] == nil {
			if orgs[p.OrganizationID], err = findOrgByID(ctx, q, p.OrganizationID); err != nil {
				return nil, err
			}
		}
		if orgs[p.OrganizationID].IsSME() {
			c.classes = []string{pactum.ReservedClassSME}
		}
		unusable, err := unusableSystems(ctx, q, p.ID)
		if err != nil {
			return nil, err
		}
		sp := solver.Proposal{ID: p.ID, OrgID: p.OrganizationID, Score: c.panel.Score, MinFraction: p.MinFraction(),
			Software: solver.Software(p.SoftwareStack(systems)), Classes: c.classes}
		for _, r := range p.Requests {
			if why, ok := unusable[r.SystemID]; ok {
				c.notes = append(c.notes, why)
				continue
			}
			sp.Requests = append(sp.Requests, solver.Request{SystemID: r.SystemID, Amount: systems[r.SystemID].GPUHours(r.Amount)})
		}
		if len(sp.Requests) == 0 {
			ri.refused = append(ri.refused, refusedOutcome(c, requestedGPUHours(p, systems),
				append(c.notes, "Refused: the hosting sites found none of the requested systems usable for the work.")))
			continue
		}
		ri.instance.Proposals = append(ri.instance.Proposals, sp)
		ri.cands = append(ri.cands, c)
	}
	seen := map[string]bool{}
	for _, sp := range ri.instance.Proposals {
		if !seen[sp.OrgID] {
			seen[sp.OrgID] = true
			ri.instance.OrgCaps = append(ri.instance.OrgCaps, solver.OrgCap{OrgID: sp.OrgID, Cap: ri.params.OrgCapGPUHours})
		}
	}
	if ri.params.ReservedShare > 0 {
		ri.instance.Reservations = []solver.Reservation{{Class: ri.params.ReservedClass, Share: ri.params.ReservedShare}}
	}
	// The hash covers what the solver sees and what was refused before it.
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(ri.instance); err != nil {
		return nil, fmt.Errorf("hash instance: %w", err)
	}
	if err := json.NewEncoder(h).Encode(ri.refused); err != nil {
		return nil, fmt.Errorf("hash refusals: %w", err)
	}
	ri.hash = hex.EncodeToString(h.Sum(nil))
	return ri, nil
}

func requestedGPUHours(p *pactum.Proposal, systems map[string]*pactum.System) float64 {
	return p.TotalGPUHours(systems)
}

func refusedOutcome(c *runCandidate, requested float64, why []string) pactum.RunOutcome {
	return pactum.RunOutcome{ProposalID: c.p.ID, OrganizationID: c.p.OrganizationID, Title: c.p.Title, Score: c.panel.Score,
		Rank: c.panel.Rank, Classes: nonNilStrings(c.classes), Outcome: pactum.RunOutcomeRefused, RequestedGPUHours: requested,
		MinFraction: c.p.MinFraction(), Grants: []pactum.Grant{}, Explanation: why}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unusableSystems returns, per system a technical assessment found not
// feasible or unfit for the proposal's software, the sentence that explains
// dropping its request.
func unusableSystems(ctx context.Context, q querier, proposalID string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT site, body FROM reviews WHERE proposal_id = $1 AND stage = 'technical' ORDER BY site`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("technical assessments: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var site, body string
		if err := rows.Scan(&site, &body); err != nil {
			return nil, fmt.Errorf("scan technical assessment: %w", err)
		}
		var b reviewBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return nil, fmt.Errorf("technical assessment: %w", err)
		}
		for _, a := range b.Systems {
			switch {
			case !a.Feasible:
				out[a.SystemID] = fmt.Sprintf("The request on %s is dropped: %s's technical assessment found it not feasible.", a.SystemID, site)
			case !a.SoftwareFits:
				out[a.SystemID] = fmt.Sprintf("The request on %s is dropped: %s's technical assessment found the proposal's software does not run there.", a.SystemID, site)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("technical assessments: %w", err)
	}
	return out, nil
}

// outcomes turns the solver's result into the run's outcomes and systems.
func (ri *runInput) outcomes(res *solver.Result) ([]pactum.RunOutcome, []pactum.RunSystem) {
	out := slices.Clone(ri.refused)
	for i, g := range res.Grants {
		c := ri.cands[i]
		o := pactum.RunOutcome{ProposalID: c.p.ID, OrganizationID: c.p.OrganizationID, Title: c.p.Title, Score: c.panel.Score,
			Rank: c.panel.Rank, Classes: nonNilStrings(c.classes), Outcome: string(g.Outcome),
			RequestedGPUHours: c.p.TotalGPUHours(ri.systems), GrantedGPUHours: g.Granted, MinFraction: c.p.MinFraction(),
			Grants: []pactum.Grant{}, Explanation: append(slices.Clone(c.notes), g.Explanation...)}
		for _, sg := range g.Systems {
			if sg.Granted <= 0 {
				continue
			}
			sys := ri.systems[sg.SystemID]
			amount := sys.FromGPUHours(sg.Granted)
			if r := c.p.Request(sg.SystemID); r != nil && amount > r.Amount {
				amount = r.Amount // conversion noise only: the solver never grants above a request
			}
			o.Grants = append(o.Grants, pactum.Grant{SystemID: sg.SystemID, Amount: amount})
		}
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b pactum.RunOutcome) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.ProposalID, b.ProposalID)
	})
	var systems []pactum.RunSystem
	for _, p := range res.Prices {
		systems = append(systems, pactum.RunSystem{SystemID: p.SystemID, Unit: ri.systems[p.SystemID].Unit,
			CapacityGPUHours: ri.remaining[p.SystemID], GrantedGPUHours: p.Used, Price: p.Price + p.ReservePrice})
	}
	if systems == nil {
		systems = []pactum.RunSystem{}
	}
	return out, systems
}

// runRecord is a run as stored in allocation_runs.result.
type runRecord struct {
	Run   pactum.AllocationRun      `json:"run"`
	Input pactum.AllocationRunInput `json:"input"`
}

// CreateAllocationRun solves the call's allocation problem and stores it.
// The solve runs outside any write transaction, so a large call does not
// hold up other writers; publishing checks that its inputs still hold.
func (s *AllocationRunService) CreateAllocationRun(ctx context.Context, callID string, in pactum.AllocationRunInput) (*pactum.AllocationRun, error) {
	u, err := manager(ctx, "run allocations")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	rtx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	ri, err := buildRunInput(ctx, rtx, callID, in)
	rtx.Rollback()
	if err != nil {
		return nil, err
	}
	res, err := solver.Solve(ctx, ri.instance, s.opts)
	if err != nil {
		return nil, fmt.Errorf("solve call %s: %w", callID, err)
	}
	run := &pactum.AllocationRun{CallID: callID, State: pactum.RunDraft, Params: ri.params, InputHash: ri.hash, NotReady: ri.notReady,
		Objective: res.Objective, Bound: res.Bound, Gap: res.Gap, BoundExact: res.BoundExact, Iterations: res.Iterations,
		SolveSeconds: res.Elapsed.Seconds(), CreatedBy: u.ID, Version: 1}
	run.Outcomes, run.Systems = ri.outcomes(res)
	instance, err := json.Marshal(ri.instance)
	if err != nil {
		return nil, fmt.Errorf("encode instance: %w", err)
	}
	err = s.db.write(ctx, func(tx *Tx) error {
		run.ID, run.CreatedAt = newID(), tx.now
		result, err := json.Marshal(runRecord{Run: *run, Input: in})
		if err != nil {
			return fmt.Errorf("encode run: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO allocation_runs (id, call_id, state, input_hash, instance, result, created_by, created_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, run.ID, run.CallID, run.State, run.InputHash, string(instance), string(result),
			run.CreatedBy, run.CreatedAt, run.Version); err != nil {
			return fmt.Errorf("insert allocation run: %w", mapError(err))
		}
		return tx.record("allocation_run.create", "allocation_run", run.ID, nil, runSummary(run))
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// runSummary is what the audit log keeps of a run; the run itself holds the
// outcomes.
func runSummary(r *pactum.AllocationRun) map[string]any {
	count := map[string]int{}
	for _, o := range r.Outcomes {
		count[o.Outcome]++
	}
	return map[string]any{"call_id": r.CallID, "state": r.State, "params": r.Params, "input_hash": r.InputHash,
		"objective": r.Objective, "bound": r.Bound, "gap": r.Gap, "outcomes": count, "not_ready": r.NotReady}
}

const runColumns = `id, call_id, state, input_hash, result, created_by, created_at, published_by, published_at, version`

func scanRun(row scanner, extra ...any) (*pactum.AllocationRun, *pactum.AllocationRunInput, error) {
	var rec runRecord
	var id, callID, hash, result, createdBy, publishedBy string
	var state pactum.AllocationRunState
	var created sql.NullTime
	var published sql.NullTime
	var version int
	if err := row.Scan(append([]any{&id, &callID, &state, &hash, &result, &createdBy, &created, &publishedBy, &published, &version}, extra...)...); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal([]byte(result), &rec); err != nil {
		return nil, nil, fmt.Errorf("allocation run %s: %w", id, err)
	}
	r := &rec.Run
	r.ID, r.CallID, r.State, r.InputHash, r.CreatedBy, r.PublishedBy, r.Version = id, callID, state, hash, createdBy, publishedBy, version
	r.CreatedAt = created.Time.UTC()
	r.PublishedAt = timePtr(published)
	return r, &rec.Input, nil
}

func canReadRuns(ctx context.Context) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.CanReadAll(u) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers and auditors may read allocation runs.")
	}
	return nil
}

func findRun(ctx context.Context, q querier, id string) (*pactum.AllocationRun, *pactum.AllocationRunInput, error) {
	r, in, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM allocation_runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation run %q not found.", id)
	} else if err != nil {
		return nil, nil, fmt.Errorf("find allocation run %s: %w", id, err)
	}
	return r, in, nil
}

// FindAllocationRunByID returns a run.
func (s *AllocationRunService) FindAllocationRunByID(ctx context.Context, id string) (*pactum.AllocationRun, error) {
	if err := canReadRuns(ctx); err != nil {
		return nil, err
	}
	r, _, err := findRun(ctx, s.db.r, id)
	return r, err
}

// FindAllocationRuns lists runs newest first, without outcomes.
func (s *AllocationRunService) FindAllocationRuns(ctx context.Context, f pactum.AllocationRunFilter) ([]*pactum.AllocationRun, int, error) {
	if err := canReadRuns(ctx); err != nil {
		return nil, 0, err
	}
	var w where
	if f.CallID != nil {
		w.add("call_id = ?", *f.CallID)
	}
	q := `SELECT ` + runColumns + `, COUNT(*) OVER () FROM allocation_runs` + w.String() + ` ORDER BY id DESC` + w.page(f.Limit, f.Offset)
	// Lists leave out each run's per-proposal outcomes; show has them.
	return listPage(ctx, s.db.r, "find allocation runs", q, w.args, func(row scanner, extra ...any) (*pactum.AllocationRun, error) {
		r, _, err := scanRun(row, extra...)
		if err == nil {
			r.Outcomes = nil
		}
		return r, err
	})
}

// AllocationRunInstance returns the run's solver input as JSON.
func (s *AllocationRunService) AllocationRunInstance(ctx context.Context, id string) ([]byte, error) {
	if err := canReadRuns(ctx); err != nil {
		return nil, err
	}
	var instance string
	err := s.db.r.QueryRowContext(ctx, `SELECT instance FROM allocation_runs WHERE id = $1`, id).Scan(&instance)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Allocation run %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find allocation run %s: %w", id, err)
	}
	return []byte(instance), nil
}

// PublishAllocationRun makes a run the committee's decision.
func (s *AllocationRunService) PublishAllocationRun(ctx context.Context, id string) (*pactum.AllocationRun, error) {
	u, err := manager(ctx, "publish allocation runs")
	if err != nil {
		return nil, err
	}
	var run *pactum.AllocationRun
	err = s.db.write(ctx, func(tx *Tx) error {
		var in *pactum.AllocationRunInput
		var err error
		if run, in, err = findRun(ctx, tx, id); err != nil {
			return err
		}
		if run.State == pactum.RunPublished {
			return pactum.Errorf(pactum.ECONFLICT, "Allocation run %s was already published.", id)
		}
		ri, err := buildRunInput(ctx, tx, run.CallID, *in)
		if err != nil {
			return err
		}
		if ri.hash != run.InputHash {
			return pactum.Errorf(pactum.ECONFLICT, "The call's proposals, reviews or capacity changed since allocation run %s was solved; run it again.", id)
		}
		n := len(run.Outcomes)
		accepted := 0
		for _, o := range run.Outcomes {
			head := fmt.Sprintf("Committee decision by allocation run %s: panel score %.2f, rank %d of %d. ", run.ID, o.Score, o.Rank, n)
			d := pactum.DecisionInput{Accept: len(o.Grants) > 0, Grants: o.Grants, Reason: clip(head+strings.Join(o.Explanation, " "), 5000)}
			if !d.Accept {
				d.Grants = nil
			}
			p, err := decide(ctx, tx, u, o.ProposalID, d)
			if err != nil {
				return fmt.Errorf("proposal %s: %w", o.ProposalID, err)
			}
			verdict := "refused"
			if d.Accept {
				verdict = "accepted"
				accepted++
			}
			if err := notify(ctx, tx, &pactum.Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: pactum.NotifyDecision,
				Subject: fmt.Sprintf("Decision on “%s”: %s", p.Title, verdict), Body: d.Reason}); err != nil {
				return err
			}
		}
		before := runSummary(run)
		now := tx.now
		run.State, run.PublishedBy, run.PublishedAt = pactum.RunPublished, u.ID, &now
		old := run.Version
		run.Version++
		res, err := tx.ExecContext(ctx, `UPDATE allocation_runs SET state = $1, published_by = $2, published_at = $3, version = $4 WHERE id = $5 AND version = $6`,
			run.State, run.PublishedBy, now, run.Version, run.ID, old)
		if err := checkOneRow(res, err, "allocation run", run.ID); err != nil {
			return err
		}
		after := runSummary(run)
		after["accepted"], after["refused"] = accepted, n-accepted
		return tx.record("allocation_run.publish", "allocation_run", run.ID, before, after)
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
