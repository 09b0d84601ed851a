// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestVisibility pins the two definitions of who sees what together: the
// domain's predicates (CanSeeProposalWith, CanSeeAllocation, …), which
// single reads apply, and the Scope conditions every list query applies in
// SQL for speed. For generated worlds of users of every role and objects in
// every state, on both engines, each user's lists must return exactly the
// objects the predicate allows, and each single read must agree. The facts
// the proposal predicate needs (assignments, conflicts, hosted systems) are
// computed here from what the generator made, not read back through the
// store, so the store's own access lookup is checked too.
func TestVisibility(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
				g := generate(t, dialect, seed)
				for _, u := range g.users {
					t.Run(string(u.Role)+"/"+u.Email, func(t *testing.T) { g.check(t, u) })
				}
			})
		}
	})
}

// visWorld is a generated world and the ground truth of what it holds.
type visWorld struct {
	*world
	rng         *rand.Rand
	users       []*pactum.User // every user, the fixture's included
	orgs        []*pactum.Organization
	reviewers   []*pactum.User
	proposals   []*pactum.Proposal
	allocations []*pactum.Allocation
	assignments []*pactum.Assignment
	conflicts   []*pactum.Conflict
	notes       []*pactum.Notification
	incidents   []*pactum.Incident
	outcomes    []*pactum.AllocationOutcome
	siteOf      map[string]string // system → site
}

// generate builds a world: organizations with applicants, reviewers,
// operators of several sites (one hosting nothing), proposals in every
// state with their allocations, and assignments, conflicts and
// notifications written straight to the store in random states, drafts
// included, so that every branch of every rule is met.
func generate(t *testing.T, dialect string, seed uint64) *visWorld {
	t.Helper()
	g := &visWorld{world: newWorld(t, dialect), rng: rand.New(rand.NewPCG(seed, 99)), siteOf: map[string]string{}}
	// Titles with "deny" are refused at screening.
	g.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		f := []pactum.Finding{}
		if strings.Contains(in.Proposal.Title, "deny") {
			f = append(f, pactum.Finding{RuleID: "t.deny", Basis: "test", Effect: pactum.EffectDeny, Message: "Refused."})
		}
		return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
	}
	systems, err := g.uc.FindSystems(storetest.As(g.f.Manager))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range systems {
		g.siteOf[s.ID] = s.Site
	}
	g.users = []*pactum.User{g.f.Manager, g.f.Reviewer, g.f.Auditor, g.f.Operator, g.f.ApplicantA, g.f.ApplicantB}
	g.orgs = []*pactum.Organization{g.f.OrgA, g.f.OrgB}
	g.reviewers = []*pactum.User{g.f.Reviewer}
	g.people(t)
	g.submissions(t)
	g.reviewFacts(t)
	g.notifications(t)
	g.afterAward(t)
	return g
}

// afterAward writes an incident and an outcome on about half the
// allocations, straight to the store.
func (g *visWorld) afterAward(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	err := pactum.Update(ctx, g.db, nil, func(tx pactum.Tx) error {
		for _, a := range g.allocations {
			if g.rng.IntN(2) == 0 {
				continue
			}
			callID, err := tx.GetAllocationCall(ctx, a.ID)
			if err != nil {
				return err
			}
			now := tx.Now()
			i := &pactum.Incident{ID: newTestID(), AllocationID: a.ID, OrganizationID: a.OrganizationID, CallID: callID,
				Kind: pactum.IncidentMisuse, Severity: pactum.SeverityLow, Title: "t", Description: "d", OccurredAt: now, ReportedAt: now,
				ReportedBy: g.f.ApplicantA.ID, ReporterRole: pactum.RoleApplicant, State: pactum.IncidentReported, UpdatedAt: now, Version: 1}
			i.SetDeadlines()
			if err := tx.InsertIncident(ctx, i); err != nil {
				return err
			}
			o := &pactum.AllocationOutcome{ID: newTestID(), AllocationID: a.ID, OrganizationID: a.OrganizationID, CallID: callID,
				Kind: pactum.OutcomeProduct, OutcomeFields: pactum.OutcomeFields{Title: "p"}, CreatedBy: g.f.ApplicantA.ID,
				CreatedAt: now, UpdatedAt: now, Version: 1}
			if err := tx.InsertOutcome(ctx, o); err != nil {
				return err
			}
			g.incidents, g.outcomes = append(g.incidents, i), append(g.outcomes, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.incidents) == 0 || len(g.incidents) == len(g.allocations) {
		t.Fatalf("%d incidents on %d allocations: the check would prove little", len(g.incidents), len(g.allocations))
	}
}

func (g *visWorld) mkUser(t *testing.T, u *pactum.User) *pactum.User {
	t.Helper()
	if err := g.uc.CreateUser(storetest.As(g.f.Manager), u); err != nil {
		t.Fatalf("create user %s: %v", u.Email, err)
	}
	g.users = append(g.users, u)
	return u
}

// people adds a third organization, a second applicant per organization,
// three more reviewers, operators of three more sites and of one hosting
// nothing, and a second auditor.
func (g *visWorld) people(t *testing.T) {
	t.Helper()
	o := &pactum.Organization{LegalName: "Cirrus Labs BV", Country: "NL", RegistrationNumber: "KvK 1234",
		FoundedOn: pactum.MustDate("2021-01-01"), Staff: 12, TurnoverEUR: 1_000_000, BalanceSheetEUR: 1_000_000}
	if err := g.uc.CreateOrganization(storetest.As(g.f.Manager), o); err != nil {
		t.Fatal(err)
	}
	g.orgs = append(g.orgs, o)
	for i, org := range g.orgs {
		g.mkUser(t, &pactum.User{Email: fmt.Sprintf("second%d@org.example", i), Name: "Second", Role: pactum.RoleApplicant, OrganizationID: org.ID})
		if i == 2 {
			g.mkUser(t, &pactum.User{Email: "first2@org.example", Name: "First", Role: pactum.RoleApplicant, OrganizationID: org.ID})
		}
	}
	for i := range 3 {
		g.reviewers = append(g.reviewers, g.mkUser(t, &pactum.User{Email: fmt.Sprintf("rev%d@example.org", i), Name: "Rev", Role: pactum.RoleReviewer}))
	}
	for _, site := range []string{"CINECA", "BSC", "IT4I"} {
		g.mkUser(t, &pactum.User{Email: "ops@" + strings.ToLower(site) + ".example", Name: "Ops", Role: pactum.RoleSiteOperator, Site: site})
	}
	// The use case refuses an operator of a site that hosts nothing; one
	// whose site's systems have since left the catalogue still exists, so
	// it is written straight to the store.
	err := pactum.Update(context.Background(), g.db, g.f.Manager, func(tx pactum.Tx) error {
		u := &pactum.User{ID: newTestID(), Email: "ops@hlrs.example", Name: "Ops", Role: pactum.RoleSiteOperator, Site: "HLRS", CreatedAt: tx.Now()}
		g.users = append(g.users, u)
		return tx.InsertUser(context.Background(), u)
	})
	if err != nil {
		t.Fatal(err)
	}
	g.mkUser(t, &pactum.User{Email: "auditor2@example.org", Name: "Aud", Role: pactum.RoleAuditor})
}

// submissions has every applicant write proposals: drafts, fast-lane
// approvals (with allocations), large-scale proposals in review, refusals
// and withdrawals, each on a random choice of the call's systems.
func (g *visWorld) submissions(t *testing.T) {
	t.Helper()
	systems := g.f.Call.SystemIDs
	var applicants []*pactum.User
	for _, u := range g.users {
		if u.Role == pactum.RoleApplicant {
			applicants = append(applicants, u)
		}
	}
	for i := range 24 {
		u := applicants[g.rng.IntN(len(applicants))]
		p := storetest.NewProposal(g.f.Call.ID)
		p.Requests = nil
		for _, s := range systems {
			if g.rng.IntN(3) == 0 {
				p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: s, Amount: 10})
			}
		}
		if len(p.Requests) == 0 {
			p.Requests = []pactum.ResourceRequest{{SystemID: systems[g.rng.IntN(len(systems))], Amount: 10}}
		}
		kind := g.rng.IntN(5)
		p.Title = fmt.Sprintf("Proposal %d kind %d", i, kind)
		ctx := storetest.As(u)
		var err error
		switch kind {
		case 0: // draft
			err = g.uc.CreateProposal(ctx, p)
		case 1: // approved in the fast lane, with allocations
			err = g.uc.SubmitNewProposal(ctx, p)
		case 2, 3: // in review, sometimes withdrawn
			p.Mode = pactum.ModeLargeScale
			if err = g.uc.SubmitNewProposal(ctx, p); err == nil && kind == 3 {
				p, err = g.uc.WithdrawProposal(ctx, p.ID, "changed plans")
			}
		case 4: // refused at screening
			p.Title += " deny"
			err = g.uc.SubmitNewProposal(ctx, p)
		}
		if err != nil {
			t.Fatalf("proposal %d (kind %d): %v", i, kind, err)
		}
		g.proposals = append(g.proposals, p)
	}
	allocs, _, err := g.uc.FindAllocations(storetest.As(g.f.Auditor), pactum.AllocationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	g.allocations = allocs
}

// reviewFacts writes assignments (assigned, submitted or recused; on
// drafts too) and conflicts (active or waived, disclosed or not) for random reviewer and
// proposal pairs, straight to the store.
func (g *visWorld) reviewFacts(t *testing.T) {
	t.Helper()
	states := []pactum.AssignmentState{pactum.AssignmentAssigned, pactum.AssignmentSubmitted, pactum.AssignmentRecused}
	err := pactum.Update(context.Background(), g.db, g.f.Manager, func(tx pactum.Tx) error {
		for _, p := range g.proposals {
			for _, r := range g.reviewers {
				if g.rng.IntN(2) == 0 {
					a := &pactum.Assignment{ID: newTestID(), ProposalID: p.ID, CallID: p.CallID, Stage: pactum.StagePeer, ReviewerID: r.ID,
						State: states[g.rng.IntN(len(states))], Matched: []string{}, AssignedBy: g.f.Manager.ID, AssignedAt: tx.Now(), UpdatedAt: tx.Now(), Version: 1}
					if err := tx.InsertAssignment(context.Background(), a); err != nil {
						return err
					}
					g.assignments = append(g.assignments, a)
				}
				if g.rng.IntN(4) == 0 {
					c := &pactum.Conflict{ID: newTestID(), ProposalID: p.ID, ReviewerID: r.ID, Reason: pactum.ConflictRecentOrganization,
						Severity: pactum.SeverityApparent, Status: pactum.ConflictActive, Detail: "generated", DetectedAt: tx.Now(),
						Disclosed: g.rng.IntN(2) == 0}
					if g.rng.IntN(2) == 0 {
						c.Status = pactum.ConflictWaived
					}
					if _, err := tx.InsertConflict(context.Background(), c); err != nil {
						return err
					}
					g.conflicts = append(g.conflicts, c)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// notifications addresses a few notifications to random users.
func (g *visWorld) notifications(t *testing.T) {
	t.Helper()
	err := pactum.Update(context.Background(), g.db, nil, func(tx pactum.Tx) error {
		for i := range 20 {
			u := g.users[g.rng.IntN(len(g.users))]
			n := &pactum.Notification{ID: newTestID(), UserID: u.ID, Kind: pactum.NotifyDecision, Subject: fmt.Sprintf("n%d", i), Body: "b", CreatedAt: tx.Now()}
			if err := tx.InsertNotification(context.Background(), n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The corpus is every notification: these and those the use cases
	// wrote (the submissions' receipts and screenings).
	g.notes, _, err = g.db.ListNotifications(context.Background(), pactum.Scope{All: true}, pactum.NotificationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
}

// access is the ground truth of pactum.ProposalAccess for u and p.
func (g *visWorld) access(u *pactum.User, p *pactum.Proposal) pactum.ProposalAccess {
	var a pactum.ProposalAccess
	for _, as := range g.assignments {
		a.Assigned = a.Assigned || as.ProposalID == p.ID && as.ReviewerID == u.ID && as.State != pactum.AssignmentRecused
	}
	for _, c := range g.conflicts {
		a.Conflicted = a.Conflicted || c.ProposalID == p.ID && c.ReviewerID == u.ID && c.Status == pactum.ConflictActive
	}
	for _, r := range p.Requests {
		a.HostsRequest = a.HostsRequest || u.Site != "" && g.siteOf[r.SystemID] == u.Site
	}
	return a
}

// check compares every list u can ask for, and every single read, with the
// predicates.
func (g *visWorld) check(t *testing.T, u *pactum.User) {
	ctx := storetest.As(u)
	all := pactum.Scope{All: true}
	page := 1000

	props, _, err := g.uc.FindProposals(ctx, pactum.ProposalFilter{Limit: page})
	agree(t, "proposals", ids(props, func(p *pactum.Proposal) string { return p.ID }), err,
		want(g.proposals, func(p *pactum.Proposal) (string, bool) { return p.ID, pactum.CanSeeProposalWith(u, p, g.access(u, p)) }))
	for _, p := range g.proposals {
		_, err := g.uc.FindProposalByID(ctx, p.ID)
		single(t, "proposal "+p.Title, err, pactum.CanSeeProposalWith(u, p, g.access(u, p)))
	}

	allocs, _, err := g.uc.FindAllocations(ctx, pactum.AllocationFilter{Limit: page})
	agree(t, "allocations", ids(allocs, func(a *pactum.Allocation) string { return a.ID }), err,
		want(g.allocations, func(a *pactum.Allocation) (string, bool) {
			return a.ID, pactum.CanSeeAllocation(u, a, g.siteOf[a.SystemID])
		}))
	for _, a := range g.allocations {
		_, err := g.uc.FindAllocationByID(ctx, a.ID)
		single(t, "allocation "+a.ID, err, pactum.CanSeeAllocation(u, a, g.siteOf[a.SystemID]))
	}

	// Incidents and outcomes are seen by whoever sees their allocation.
	allocOf := map[string]*pactum.Allocation{}
	for _, a := range g.allocations {
		allocOf[a.ID] = a
	}
	seesAlloc := func(id string) bool {
		a := allocOf[id]
		return pactum.CanSeeAllocation(u, a, g.siteOf[a.SystemID])
	}
	incs, _, err := g.uc.FindIncidents(ctx, pactum.IncidentFilter{Limit: page})
	agree(t, "incidents", ids(incs, func(i *pactum.Incident) string { return i.ID }), err,
		want(g.incidents, func(i *pactum.Incident) (string, bool) { return i.ID, seesAlloc(i.AllocationID) }))
	for _, i := range g.incidents {
		_, err := g.uc.FindIncident(ctx, i.ID)
		single(t, "incident "+i.ID, err, seesAlloc(i.AllocationID))
	}
	outs, _, err := g.uc.FindOutcomes(ctx, pactum.OutcomeFilter{Limit: page})
	agree(t, "outcomes", ids(outs, func(o *pactum.AllocationOutcome) string { return o.ID }), err,
		want(g.outcomes, func(o *pactum.AllocationOutcome) (string, bool) { return o.ID, seesAlloc(o.AllocationID) }))
	for _, o := range g.outcomes {
		_, err := g.uc.FindOutcome(ctx, o.ID)
		single(t, "outcome "+o.ID, err, seesAlloc(o.AllocationID))
	}

	orgs, _, err := g.uc.FindOrganizations(ctx, pactum.OrganizationFilter{Limit: page})
	agree(t, "organizations", ids(orgs, func(o *pactum.Organization) string { return o.ID }), err,
		want(g.orgs, func(o *pactum.Organization) (string, bool) { return o.ID, pactum.CanSeeOrganization(u, o.ID) }))

	users, _, err := g.uc.FindUsers(ctx, pactum.UserFilter{Limit: page})
	agree(t, "users", ids(users, func(x *pactum.User) string { return x.ID }), err,
		want(g.users, func(x *pactum.User) (string, bool) { return x.ID, pactum.CanSeeUser(u, x) }))
	for _, x := range g.users {
		_, err := g.uc.FindUserByID(ctx, x.ID)
		single(t, "user "+x.Email, err, pactum.CanSeeUser(u, x))
	}

	notes, _, err := g.uc.FindNotifications(ctx, pactum.NotificationFilter{Limit: page})
	agree(t, "notifications", ids(notes, func(n *pactum.Notification) string { return n.ID }), err,
		want(g.notes, func(n *pactum.Notification) (string, bool) { return n.ID, pactum.CanSeeNotification(u, n) }))

	assigns, _, err := g.uc.FindAssignments(ctx, pactum.AssignmentFilter{Limit: page})
	agree(t, "assignments", ids(assigns, func(a *pactum.Assignment) string { return a.ID }), err,
		want(g.assignments, func(a *pactum.Assignment) (string, bool) { return a.ID, pactum.CanSeeAssignment(u, a) }))

	confs, _, err := g.uc.FindConflicts(ctx, pactum.ConflictFilter{Limit: page})
	agree(t, "conflicts", ids(confs, func(c *pactum.Conflict) string { return c.ID }), err,
		want(g.conflicts, func(c *pactum.Conflict) (string, bool) { return c.ID, pactum.CanSeeConflict(u, c) }))

	profiles, _, err := g.uc.FindReviewerProfiles(ctx, pactum.ReviewerFilter{Limit: page})
	agree(t, "reviewer profiles", ids(profiles, func(r *pactum.ReviewerProfile) string { return r.UserID }), err,
		want(g.reviewers, func(r *pactum.User) (string, bool) { return r.ID, pactum.CanSeeReviewerProfile(u, r.ID) }))
	// By ID, as the portal names a page's reviewers: the same rule.
	pick := []string{g.reviewers[0].ID, g.reviewers[len(g.reviewers)-1].ID, "no-such-user"}
	profiles, _, err = g.uc.FindReviewerProfiles(ctx, pactum.ReviewerFilter{UserIDs: pick, Limit: page})
	agree(t, "reviewer profiles by ID", ids(profiles, func(r *pactum.ReviewerProfile) string { return r.UserID }), err,
		want(g.reviewers, func(r *pactum.User) (string, bool) {
			return r.ID, slices.Contains(pick, r.ID) && pactum.CanSeeReviewerProfile(u, r.ID)
		}))
	for _, r := range g.reviewers {
		_, err := g.uc.FindReviewerProfile(ctx, r.ID)
		single(t, "reviewer profile "+r.Email, err, pactum.CanSeeReviewerProfile(u, r.ID))
	}

	// The store's own lookup of the proposal facts agrees with the truth.
	reviewer, site := pactum.AccessFacts(u)
	for _, p := range g.proposals {
		got, err := g.db.GetProposalAccess(context.Background(), p.ID, reviewer, site)
		if err != nil {
			t.Fatal(err)
		}
		truth := g.access(u, p)
		if reviewer == "" {
			truth.Assigned, truth.Conflicted = false, false
		}
		if site == "" {
			truth.HostsRequest = false
		}
		if got != truth {
			t.Errorf("access to %s: store says %+v, truth is %+v", p.Title, got, truth)
		}
	}
	// A scope naming a condition a list cannot apply sees nothing.
	if got, _, err := g.db.ListOrganizations(context.Background(), pactum.Scope{Site: "CSC"}, pactum.OrganizationFilter{}); err != nil || len(got) != 0 {
		t.Errorf("organizations with a site scope: %d (%v), want none", len(got), err)
	}
	if got, _, err := g.db.ListOrganizations(context.Background(), all, pactum.OrganizationFilter{}); err != nil || len(got) != len(g.orgs) {
		t.Errorf("organizations with scope All: %d (%v), want %d", len(got), err, len(g.orgs))
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, x := range items {
		out = append(out, id(x))
	}
	slices.Sort(out)
	return out
}

func want[T any](items []T, visible func(T) (string, bool)) []string {
	out := []string{}
	for _, x := range items {
		if id, ok := visible(x); ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// agree fails t when a list differs from what the predicate allows.
func agree(t *testing.T, what string, got []string, err error, want []string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: the list returns %d items, the predicate allows %d\n list:      %v\n predicate: %v", what, len(got), len(want), got, want)
	}
}

// single fails t when a single read disagrees with the predicate: found
// when visible, ENOTFOUND otherwise.
func single(t *testing.T, what string, err error, visible bool) {
	t.Helper()
	switch {
	case visible && err != nil:
		t.Errorf("%s: visible by the predicate, but the read failed: %v", what, err)
	case !visible && pactum.ErrorCode(err) != pactum.ENOTFOUND:
		t.Errorf("%s: hidden by the predicate, but the read answered %v (want not found)", what, err)
	}
}

// newTestID names what a test writes straight to the store: a UUIDv7, as
// the use cases name everything.
func newTestID() string { return uuid.Must(uuid.NewV7()).String() }
