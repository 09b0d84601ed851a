// SPDX-License-Identifier: EUPL-1.2

// Package demo runs pactum's whole lifecycle against a server, through the
// same API client the CLI uses: an access manager opens a call and registers
// startups; their applicants submit realistic proposals; screening approves,
// refers or refuses them; those in review go through the hosting site's
// technical assessment, ethics review, peer review (with a reviewer's
// conflict of interest detected and kept out), the applicant's reply and the
// panel; an allocation run decides the large-scale proposal and the manager
// the fast lane's referrals; allocations are created; each hosting site's
// agent provisions them on a simulated Slurm cluster and accounts a job per
// allocation; the audit chain is
// verified. It knows nothing of storage.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// Options configure a run.
type Options struct {
	// Progress receives one line per step; nil for silence.
	Progress func(format string, args ...any)
	// Now is the clock for the call's dates; time.Now when nil.
	Now func() time.Time
}

// Result summarises a run.
type Result struct {
	CallID           string                   `json:"call_id"`
	ProposalsByState map[string]int           `json:"proposals_by_state"`
	GrantedBySystem  map[string]SystemGranted `json:"granted_by_system"`
	Proposals        []ProposalSummary        `json:"proposals"`
	Checks           []Check                  `json:"checks"`
	// Review summarises the review workflow and the allocation run.
	Review *ReviewSummary `json:"review"`
	// Sites is what each system's site agent did on its simulated cluster.
	Sites []SiteRun           `json:"sites"`
	Audit *client.AuditReport `json:"audit"`
}

// SystemGranted is what was awarded on one system.
type SystemGranted struct {
	Amount float64 `json:"amount"`
	Unit   string  `json:"unit"`
}

// ProposalSummary is one proposal's outcome.
type ProposalSummary struct {
	ID           string             `json:"id"`
	Organization string             `json:"organization"`
	Title        string             `json:"title"`
	Mode         string             `json:"mode"`
	State        string             `json:"state"`
	Screening    string             `json:"screening"`
	Rules        []string           `json:"rules"`
	Granted      map[string]float64 `json:"granted"`
	// Used is what the demo's jobs used per system, in its unit.
	Used   map[string]float64 `json:"used,omitempty"`
	Reason string             `json:"reason,omitempty"`
	// Stages are the review stages the proposal went through.
	Stages []string `json:"stages,omitempty"`
}

// Check is an invariant the demo tried to break, and what happened.
type Check struct {
	What   string `json:"what"`
	Result string `json:"result"`
	OK     bool   `json:"ok"`
}

// Run plays the scenario against the server at serverURL, acting first as
// the access manager whose token is managerToken.
func Run(ctx context.Context, serverURL, managerToken string, opt Options) (*Result, error) {
	progress := opt.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	mgr, err := client.New(serverURL, managerToken)
	if err != nil {
		return nil, err
	}
	res := &Result{ProposalsByState: map[string]int{}, GrantedBySystem: map[string]SystemGranted{}}

	// The call.
	t := now().UTC()
	callIn := client.CallInput{Title: "EuroHPC AI Factories: startup and SME access 2026/27",
		OpensAt: t.Add(-24 * time.Hour), CutoffAt: t.AddDate(0, 3, 0),
		Modes:     []client.CallModeInput{{Mode: client.Playground}, {Mode: client.FastLane}, {Mode: client.LargeScale}},
		SystemIds: []string{"lumi-g", "leonardo-booster", "mn5-acc", "jupiter-booster", "meluxina-gpu", "karolina-gpu"}}
	desc := "Fast and responsible access for AI startups and SMEs: playground and fast lane decided in days, large scale peer-reviewed."
	callIn.Description = &desc
	cr, err := mgr.CreateCallWithResponse(ctx, callIn)
	if err := expect(cr, err, 201, "open the call"); err != nil {
		return nil, err
	}
	res.CallID = cr.JSON201.Id
	progress("opened call %q (%s)", cr.JSON201.Title, res.CallID)

	cast := startups()
	actors := make([]*actor, len(cast))
	for i, s := range cast {
		a := &actor{s: s}
		actors[i] = a
		o := s.org
		or, err := mgr.CreateOrganizationWithResponse(ctx, client.OrganizationInput{LegalName: o.LegalName, Country: o.Country,
			RegistrationNumber: o.RegistrationNumber, FoundedOn: openapi_types.Date{Time: o.FoundedOn.Time()}, Staff: o.Staff,
			TurnoverEur: o.TurnoverEUR, BalanceSheetEur: o.BalanceSheetEUR})
		if err := expect(or, err, 201, "register "+o.LegalName); err != nil {
			return nil, err
		}
		a.orgID = or.JSON201.Id
		status := "large enterprise"
		if or.JSON201.Startup {
			status = "startup"
		} else if or.JSON201.Sme {
			status = "SME"
		}
		orgID := a.orgID
		ur, err := mgr.CreateUserWithResponse(ctx, client.UserInput{Email: s.applicant.Email, Name: s.applicant.Name,
			Role: client.Applicant, OrganizationId: &orgID})
		if err := expect(ur, err, 201, "create applicant "+s.applicant.Email); err != nil {
			return nil, err
		}
		a.userID = ur.JSON201.Id
		tr, err := mgr.CreateTokenWithResponse(ctx, ur.JSON201.Id, client.TokenInput{Name: "demo"})
		if err := expect(tr, err, 201, "issue a token for "+s.applicant.Email); err != nil {
			return nil, err
		}
		if a.c, err = client.New(serverURL, tr.JSON201.Secret); err != nil {
			return nil, err
		}
		progress("registered %s (%s, %s) with applicant %s", o.LegalName, o.Country, status, s.applicant.Email)
	}

	// Applicants submit; screening routes at once.
	for _, a := range actors {
		p := a.s.proposal
		p.CallID = res.CallID
		in, err := inputOf(&p)
		if err != nil {
			return nil, err
		}
		submit := true
		pr, err := a.c.CreateProposalWithResponse(ctx, &client.CreateProposalParams{Submit: &submit}, in)
		if err := expect(pr, err, 201, "submit "+p.Title); err != nil {
			return nil, err
		}
		a.proposal = pr.JSON201
		progress("%s submitted %q: screening %s → %s", a.s.org.LegalName, p.Title, pr.JSON201.Screening.Outcome, pr.JSON201.State)
	}

	// Review: the hosting sites' technical assessment, ethics review of
	// referrals, peer review with conflicts of interest kept out, the
	// right to reply, the panel, and the allocation run that decides the
	// panel-ranked proposals.
	ph := &phase{ctx: ctx, url: serverURL, mgr: mgr, progress: progress, res: res, actors: actors}
	if err := ph.run(); err != nil {
		return nil, err
	}

	// The manager decides the fast lane's referrals after their review.
	for _, a := range actors {
		if a.proposal.State != client.InReview || a.s.review == nil {
			continue
		}
		d := a.s.review
		in := client.DecisionInput{Accept: d.Accept, Reason: d.Reason}
		if len(d.Grants) > 0 {
			gs := make([]client.Grant, len(d.Grants))
			for i, g := range d.Grants {
				gs[i] = client.Grant{SystemId: g.SystemID, Amount: g.Amount}
			}
			in.Grants = &gs
		}
		dr, err := mgr.DecideProposalWithResponse(ctx, a.proposal.Id, in)
		if err := expect(dr, err, 200, "decide "+a.proposal.Title); err != nil {
			return nil, err
		}
		a.proposal = dr.JSON200
		progress("access manager decided %q: %s", a.proposal.Title, a.proposal.State)
	}

	// Invariants a user would probe.
	if len(actors) >= 2 {
		r, err := actors[1].c.GetProposalWithResponse(ctx, actors[0].proposal.Id)
		if err != nil {
			return nil, err
		}
		res.Checks = append(res.Checks, Check{What: fmt.Sprintf("%s reads %s's proposal", actors[1].s.org.LegalName, actors[0].s.org.LegalName),
			Result: fmt.Sprintf("HTTP %d", r.StatusCode()), OK: r.StatusCode() == 404})
		sr, err := actors[0].c.SubmitProposalWithResponse(ctx, actors[0].proposal.Id)
		if err != nil {
			return nil, err
		}
		res.Checks = append(res.Checks, Check{What: "submit an already approved proposal again",
			Result: fmt.Sprintf("HTTP %d", sr.StatusCode()), OK: sr.StatusCode() == 409})
	}

	// Summaries.
	sys, err := mgr.ListSystemsWithResponse(ctx)
	if err := expect(sys, err, 200, "list systems"); err != nil {
		return nil, err
	}
	units := map[string]string{}
	systems := map[string]client.System{}
	for _, s := range sys.JSON200.Items {
		units[s.Id] = string(s.Unit)
		systems[s.Id] = s
	}
	for _, a := range actors {
		p := a.proposal
		ps := ProposalSummary{ID: p.Id, Organization: a.s.org.LegalName, Title: p.Title, Mode: string(p.Mode), State: string(p.State),
			Granted: map[string]float64{}}
		if p.Screening != nil {
			ps.Screening = string(p.Screening.Outcome)
			for _, f := range p.Screening.Findings {
				if f.Effect != client.FindingEffectInfo {
					ps.Rules = append(ps.Rules, f.RuleId)
				}
			}
		}
		if p.Decision != nil {
			ps.Reason = p.Decision.Reason
		}
		if a.track != nil {
			for _, st := range a.track.Stages {
				ps.Stages = append(ps.Stages, string(st))
			}
		}
		res.ProposalsByState[string(p.State)]++
		res.Proposals = append(res.Proposals, ps)
	}
	allocs, err := mgr.ListAllocationsWithResponse(ctx, &client.ListAllocationsParams{})
	if err := expect(allocs, err, 200, "list allocations"); err != nil {
		return nil, err
	}
	byProposal := map[string]int{}
	for i, p := range res.Proposals {
		byProposal[p.ID] = i
	}
	for _, al := range allocs.JSON200.Items {
		g := res.GrantedBySystem[al.SystemId]
		g.Amount += al.Amount
		g.Unit = units[al.SystemId]
		res.GrantedBySystem[al.SystemId] = g
		if i, ok := byProposal[al.ProposalId]; ok {
			res.Proposals[i].Granted[al.SystemId] += al.Amount
		}
	}

	// The hosting sites provision the awards and account their use.
	members := map[string]member{}
	for _, a := range actors {
		members[a.orgID] = member{userID: a.userID, c: a.c}
	}
	sites, used, checks, err := runSites(ctx, mgr, serverURL, members, allocs.JSON200.Items, systems, progress)
	if err != nil {
		return nil, err
	}
	res.Sites = sites
	res.Checks = append(res.Checks, checks...)
	for _, al := range allocs.JSON200.Items {
		if i, ok := byProposal[al.ProposalId]; ok {
			if res.Proposals[i].Used == nil {
				res.Proposals[i].Used = map[string]float64{}
			}
			res.Proposals[i].Used[al.SystemId] += used[al.Id]
		}
	}
	vr, err := mgr.VerifyAuditWithResponse(ctx)
	if err := expect(vr, err, 200, "verify the audit chain"); err != nil {
		return nil, err
	}
	res.Audit = vr.JSON200
	progress("audit chain: %d events, ok=%v", vr.JSON200.Events, vr.JSON200.Ok)
	return res, nil
}

// inputOf turns a domain proposal into the API's input type. The round
// trip through JSON drops the fields only the server sets.
func inputOf(p *pactum.Proposal) (client.ProposalInput, error) {
	var in client.ProposalInput
	b, err := json.Marshal(p)
	if err != nil {
		return in, err
	}
	return in, json.Unmarshal(b, &in)
}

type statusResponse interface{ StatusCode() int }

// expect checks a call's outcome, naming the step that failed.
func expect(r statusResponse, err error, want int, step string) error {
	if err != nil {
		return fmt.Errorf("demo: %s: %w", step, err)
	}
	if r.StatusCode() != want {
		return fmt.Errorf("demo: %s: HTTP %d, want %d: %s", step, r.StatusCode(), want, strings.TrimSpace(string(client.Body(r))))
	}
	return nil
}

// WriteText prints the result for people.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORGANIZATION\tMODE\tSCREENING\tFINAL STATE\tGRANTED\tRULES THAT FIRED")
	for _, p := range r.Proposals {
		var g []string
		for _, sys := range sortedKeys(p.Granted) {
			g = append(g, fmt.Sprintf("%s %s", fmtNum(p.Granted[sys]), sys))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Organization, p.Mode, p.Screening, p.State, orDash(strings.Join(g, ", ")), orDash(strings.Join(p.Rules, " ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nProposals by final state:")
	for _, st := range sortedKeys(r.ProposalsByState) {
		fmt.Fprintf(w, "  %-12s %d\n", st, r.ProposalsByState[st])
	}
	fmt.Fprintln(w, "\nGranted per system:")
	for _, sys := range sortedKeys(r.GrantedBySystem) {
		g := r.GrantedBySystem[sys]
		unit := strings.ReplaceAll(g.Unit, "_", "-")
		fmt.Fprintf(w, "  %-18s %s %s\n", sys, fmtNum(g.Amount), unit)
	}
	if rv := r.Review; rv != nil {
		fmt.Fprintf(w, "\nReview: %d reviewers, %d assignments, %d reviews; conflicts of interest recorded:\n", rv.Reviewers, rv.Assignments, rv.Reviews)
		for _, c := range rv.Conflicts {
			fmt.Fprintf(w, "  %s\n", c)
		}
		if run := rv.Run; run != nil {
			fmt.Fprintf(w, "\nAllocation run %s: objective %s, proven bound %s (gap %.3f %%), solved in %.3f s.\n",
				run.ID, fmtNum(run.Objective), fmtNum(run.Bound), 100*run.Gap, run.SolveSeconds)
			for _, o := range run.Outcomes {
				fmt.Fprintf(w, "  %s: %s, %s of %s GPU-hours\n", o.Title, o.Outcome, fmtNum(o.GrantedGPUHours), fmtNum(o.RequestedGPUHours))
				for _, line := range o.Explanation {
					fmt.Fprintf(w, "    - %s\n", line)
				}
			}
		}
	}
	if len(r.Sites) > 0 {
		fmt.Fprintln(w, "\nSite agents (simulated Slurm clusters):")
		for _, s := range r.Sites {
			fmt.Fprintf(w, "  %-8s %-18s %d allocations provisioned and activated, %d jobs accounted, %d duplicates on re-read\n",
				s.Site, s.System, s.Activated, s.Accepted, s.Duplicate)
		}
	}
	fmt.Fprintln(w, "\nChecks:")
	for _, c := range r.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAILED"
		}
		fmt.Fprintf(w, "  %-6s %s: %s\n", mark, c.What, c.Result)
	}
	if r.Audit != nil {
		state := "verifies"
		if !r.Audit.Ok {
			state = "is BROKEN"
		}
		fmt.Fprintf(w, "\nAudit chain %s: %d events, head %s.\n", state, r.Audit.Events, r.Audit.HeadHash)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtNum(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
