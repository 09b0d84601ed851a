// SPDX-License-Identifier: EUPL-1.2

// Package demo runs pactum's whole lifecycle against a server, through the
// same API client the CLI uses: an access manager opens a call and registers
// startups; their applicants submit realistic proposals; screening approves,
// refers or refuses them; those in review go through the hosting site's
// technical assessment, ethics review, peer review (with a reviewer's
// conflict of interest detected and kept out), the applicant's reply and the
// panel after the call's cut-off; an allocation run decides the large-scale
// proposal and the manager the fast lane's referrals once their reviews are
// in; allocations are created; each hosting site's
// agent provisions them on a simulated Slurm cluster and accounts a job per
// allocation, the jobs of the startups' models claiming them; each model's
// cumulative compute is read against the AI Act's thresholds (one, trained
// on two systems, nears 10^25 FLOP and gets its Art. 52 notification
// drafted); the audit chain is verified. It knows nothing of storage.
package demo

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// Options configure a run.
type Options struct {
	// Progress receives one line per step; nil for silence.
	Progress func(format string, args ...any)
	// Now is the clock for the call's dates; time.Now when nil. It must
	// be the server's clock.
	Now func() time.Time
	// PassCutoff moves the server's clock past the call's cut-off, which
	// the demo sets an hour after Now: large scale is not rolling, so the
	// panel ranks and the allocation run allocates only after it. The
	// demo cannot rank without it.
	PassCutoff func(cutoff time.Time) error
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
	Sites []SiteRun `json:"sites"`
	// Models are the models the startups trained, as supervised.
	Models []ModelRun `json:"models"`
	// After is what followed the awards: obligations, an outcome, an
	// incident.
	After *AfterAward `json:"after"`
	// Transparency is the time to access and the published report.
	Transparency *Transparency       `json:"transparency"`
	Audit        *pactum.AuditReport `json:"audit"`
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
	sc := &scenario{ctx: ctx, url: serverURL, progress: opt.Progress, now: opt.Now, passCutoff: opt.PassCutoff,
		res: &Result{ProposalsByState: map[string]int{}, GrantedBySystem: map[string]SystemGranted{}}}
	if sc.progress == nil {
		sc.progress = func(string, ...any) {}
	}
	if sc.now == nil {
		sc.now = time.Now
	}
	var err error
	if sc.mgr, err = client.New(serverURL, managerToken); err != nil {
		return nil, err
	}
	for _, step := range []func() error{sc.openCall, sc.register, sc.submit, sc.review, sc.decideReferrals, sc.probe,
		sc.summarise, sc.registerModels, sc.runSites, sc.supervise, sc.afterAward, sc.transparency, sc.verifyAudit} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return sc.res, nil
}

// scenario is one run of the demo: the server, the access manager's
// client, the cast as it acts, and the result as it grows.
type scenario struct {
	ctx      context.Context
	url      string
	mgr      *client.ClientWithResponses
	progress func(format string, args ...any)
	now      func() time.Time
	// passCutoff and cutoff: Options.PassCutoff and the call's cut-off.
	passCutoff func(time.Time) error
	cutoff     time.Time
	res        *Result
	actors     []*actor
	// systems and allocs are the catalogue and the awards, read once the
	// decisions are made.
	systems map[string]client.System
	allocs  []client.Allocation
}

// openCall opens the call every startup applies to.
func (sc *scenario) openCall() error {
	t := sc.now().UTC()
	callIn := client.CallInput{Title: "EuroHPC AI Factories: startup and SME access 2026/27",
		OpensAt: t.Add(-24 * time.Hour), CutoffAt: t.Add(time.Hour),
		Modes:     []client.CallModeInput{{Mode: client.Playground}, {Mode: client.FastLane}, {Mode: client.LargeScale}},
		SystemIds: []string{"lumi-g", "leonardo-booster", "mn5-acc", "jupiter-booster", "meluxina-gpu", "karolina-gpu"}}
	desc := "Fast and responsible access for AI startups and SMEs: playground and fast lane decided in days, large scale peer-reviewed."
	callIn.Description = &desc
	cr, err := sc.mgr.CreateCallWithResponse(sc.ctx, callIn)
	if err := expect(cr, err, 201, "open the call"); err != nil {
		return err
	}
	sc.res.CallID, sc.cutoff = cr.JSON201.Id, cr.JSON201.CutoffAt
	sc.progress("opened call %q (%s)", cr.JSON201.Title, sc.res.CallID)
	return nil
}

// register has the access manager register each startup and its
// applicant, who gets a token of their own.
func (sc *scenario) register() error {
	for _, s := range startups() {
		a := &actor{s: s}
		sc.actors = append(sc.actors, a)
		o := &a.s.org
		in, err := client.FromOrganization(o)
		if err != nil {
			return err
		}
		or, err := sc.mgr.CreateOrganizationWithResponse(sc.ctx, in)
		if err := expect(or, err, 201, "register "+o.LegalName); err != nil {
			return err
		}
		a.orgID = or.JSON201.Id
		status := "large enterprise"
		if or.JSON201.Startup {
			status = "startup"
		} else if or.JSON201.Sme {
			status = "SME"
		}
		orgID := a.orgID
		a.c, a.userID, err = sc.newUser(client.UserInput{Email: s.applicant.Email, Name: s.applicant.Name,
			Role: client.Applicant, OrganizationId: &orgID}, "demo", "create applicant "+s.applicant.Email)
		if err != nil {
			return err
		}
		sc.progress("registered %s (%s, %s) with applicant %s", o.LegalName, o.Country, status, s.applicant.Email)
	}
	return nil
}

// newUser creates a user and a token named token for them (of scope, when
// given; full otherwise), and returns a client acting as them; step names
// the creation in errors.
func (sc *scenario) newUser(in client.UserInput, token, step string, scope ...client.TokenScope) (*client.ClientWithResponses, string, error) {
	ur, err := sc.mgr.CreateUserWithResponse(sc.ctx, in)
	if err := expect(ur, err, 201, step); err != nil {
		return nil, "", err
	}
	ti := client.TokenInput{Name: token}
	if len(scope) > 0 {
		ti.Scope = &scope[0]
	}
	tr, err := sc.mgr.CreateTokenWithResponse(sc.ctx, ur.JSON201.Id, ti)
	if err := expect(tr, err, 201, "issue a token for "+in.Email); err != nil {
		return nil, "", err
	}
	c, err := client.New(sc.url, tr.JSON201.Secret)
	return c, ur.JSON201.Id, err
}

// submit has the applicants submit; screening routes each at once.
func (sc *scenario) submit() error {
	qr, err := sc.mgr.GetQuestionnaireWithResponse(sc.ctx)
	if err := expect(qr, err, 200, "read the questionnaire"); err != nil {
		return err
	}
	var q pactum.Questionnaire
	for _, x := range qr.JSON200.Questions {
		q.Questions = append(q.Questions, pactum.Question{ID: x.Id})
	}
	for _, a := range sc.actors {
		p := a.s.proposal
		p.CallID = sc.res.CallID
		p.Questionnaire = q.Answers(a.s.yes...)
		in, err := client.FromProposal(&p.ProposalInput)
		if err != nil {
			return err
		}
		submit := true
		pr, err := a.c.CreateProposalWithResponse(sc.ctx, &client.CreateProposalParams{Submit: &submit}, in)
		if err := expect(pr, err, 201, "submit "+p.Title); err != nil {
			return err
		}
		a.proposal = pr.JSON201
		sc.progress("%s submitted %q: screening %s → %s", a.s.org.LegalName, p.Title, pr.JSON201.Screening.Outcome, pr.JSON201.State)
	}
	return nil
}

// review runs the review workflow: the hosting sites' technical
// assessment, ethics review of referrals, peer review with conflicts of
// interest kept out, the right to reply, the panel, and the allocation run
// that decides the panel-ranked proposals.
func (sc *scenario) review() error { return (&phase{scenario: sc}).run() }

// decideReferrals has the access manager decide the fast lane's referrals
// after their review.
func (sc *scenario) decideReferrals() error {
	for _, a := range sc.actors {
		if a.proposal.State != client.InReview || a.s.review == nil {
			continue
		}
		in, err := client.FromDecision(a.s.review)
		if err != nil {
			return err
		}
		dr, err := sc.mgr.DecideProposalWithResponse(sc.ctx, a.proposal.Id, in)
		if err := expect(dr, err, 200, "decide "+a.proposal.Title); err != nil {
			return err
		}
		a.proposal = dr.JSON200
		sc.progress("access manager decided %q: %s", a.proposal.Title, a.proposal.State)
	}
	return nil
}

// probe tries invariants a user would: reading another organization's
// proposal, submitting a decided proposal again.
func (sc *scenario) probe() error {
	if len(sc.actors) < 2 {
		return nil
	}
	first, second := sc.actors[0], sc.actors[1]
	r, err := second.c.GetProposalWithResponse(sc.ctx, first.proposal.Id)
	if err != nil {
		return err
	}
	sc.res.Checks = append(sc.res.Checks, Check{What: fmt.Sprintf("%s reads %s's proposal", second.s.org.LegalName, first.s.org.LegalName),
		Result: fmt.Sprintf("HTTP %d", r.StatusCode()), OK: r.StatusCode() == 404})
	sr, err := first.c.SubmitProposalWithResponse(sc.ctx, first.proposal.Id)
	if err != nil {
		return err
	}
	sc.res.Checks = append(sc.res.Checks, Check{What: "submit an already approved proposal again",
		Result: fmt.Sprintf("HTTP %d", sr.StatusCode()), OK: sr.StatusCode() == 409})
	return nil
}

// summarise records each proposal's outcome and what was granted on each
// system.
func (sc *scenario) summarise() error {
	sys, err := sc.mgr.ListSystemsWithResponse(sc.ctx)
	if err := expect(sys, err, 200, "list systems"); err != nil {
		return err
	}
	sc.systems = map[string]client.System{}
	for _, s := range sys.JSON200.Items {
		sc.systems[s.Id] = s
	}
	for _, a := range sc.actors {
		sc.res.ProposalsByState[string(a.proposal.State)]++
		sc.res.Proposals = append(sc.res.Proposals, a.summary())
	}
	allocs, err := sc.mgr.ListAllocationsWithResponse(sc.ctx, &client.ListAllocationsParams{})
	if err := expect(allocs, err, 200, "list allocations"); err != nil {
		return err
	}
	sc.allocs = allocs.JSON200.Items
	for _, al := range sc.allocs {
		g := sc.res.GrantedBySystem[al.SystemId]
		g.Amount += al.Amount
		g.Unit = string(sc.systems[al.SystemId].Unit)
		sc.res.GrantedBySystem[al.SystemId] = g
		if ps := sc.res.proposal(al.ProposalId); ps != nil {
			ps.Granted[al.SystemId] += al.Amount
		}
	}
	return nil
}

// summary is the actor's proposal as it ended.
func (a *actor) summary() ProposalSummary {
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
	return ps
}

// proposal returns the summary of the proposal id, or nil.
func (r *Result) proposal(id string) *ProposalSummary {
	for i := range r.Proposals {
		if r.Proposals[i].ID == id {
			return &r.Proposals[i]
		}
	}
	return nil
}

// verifyAudit registers the scheme's auditor (read-only everywhere), who
// has the server verify the audit chain.
func (sc *scenario) verifyAudit() error {
	auditor, _, err := sc.newUser(client.UserInput{Email: "ines.auditor@ai-office.example", Name: "Ines Auditor", Role: client.Auditor},
		"demo auditor", "register the auditor")
	if err != nil {
		return err
	}
	vr, err := auditor.VerifyAuditWithResponse(sc.ctx)
	if err := expect(vr, err, 200, "verify the audit chain"); err != nil {
		return err
	}
	if sc.res.Audit, err = client.ToAuditReport(vr); err != nil {
		return err
	}
	sc.progress("audit chain: %d events, ok=%v", sc.res.Audit.Events, sc.res.Audit.OK)
	return nil
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
	if len(r.Models) > 0 {
		fmt.Fprintln(w, "\nModels trained (cumulative training compute against the AI Act's thresholds, ±30 %):")
		for _, m := range r.Models {
			fmt.Fprintf(w, "  %s (%s) on %s: %s GPU-hours of training\n", m.Model, m.Organization, strings.Join(m.Systems, ", "), fmtNum(m.GPUHours))
			fmt.Fprintf(w, "    training %s FLOP; cumulative %s FLOP\n", m.Training, m.Cumulative)
			if m.SixPD != "" {
				fmt.Fprintf(w, "    6·P·D (declared) %s FLOP\n", m.SixPD)
			}
			fmt.Fprintf(w, "    upper bound (every GPU-hour of the organization) %s FLOP; energy %s MWh, %s t CO₂e\n", m.UpperBound,
				pactum.TwoSFPlain(m.EnergyMWh), pactum.TwoSFPlain(m.CO2eTonnes))
			fmt.Fprintf(w, "    %s\n", strings.Join(m.Thresholds, "; "))
			if m.Notification != "" {
				fmt.Fprintf(w, "    Art. 52 notification drafted (%s), due by %s\n", m.Notification, orDash(m.DueBy))
			}
		}
	}
	if a := r.After; a != nil {
		fmt.Fprint(w, "\nAfter the award: obligations created with the awards:")
		for _, k := range sortedKeys(a.Obligations) {
			fmt.Fprintf(w, " %d %s", a.Obligations[k], k)
		}
		fmt.Fprintln(w)
		for _, s := range a.Steps {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if t := r.Transparency; t != nil {
		fmt.Fprintln(w, "\nTime to access (working days, against each mode's target):")
		for _, l := range t.TimeToAccess {
			fmt.Fprintf(w, "  %s\n", l)
		}
		fmt.Fprintf(w, "Transparency report %s for %s, published (k = %d, computed at audit event %d): %s; %d of %d rows suppressed\n",
			t.ReportID, t.Period, t.K, t.AuditSeq, t.Totals, t.Suppressed, t.Rows)
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
		if !r.Audit.OK {
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
