// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// TestAllocationRunInvariants publishes a run on two contested systems with
// organization caps, a startup/SME reserve, a below-threshold proposal and a
// request on a system the proposal's software cannot use, and checks the
// awards in the store: capacities, caps and the reserve are never
// violated, nobody is cut below their minimum, the same input gives the
// same result, and a stale run cannot be published.
func TestAllocationRunInvariants(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newContestedRun(t, dialect)
		s.submitAndReview(t)
		s.solveTwice(t)
		s.publish(t)
		s.awardsWithinLimits(t)
		s.decidedAsRun(t)
	})
}

// contestedRun is TestAllocationRunInvariants's call: Karolina, Vega and
// LUMI-G; an operator per hosting site; four reviewers; and applicants of
// four organizations, one of them (C) a large enterprise, one (D) an SME.
type contestedRun struct {
	*reviewWorld
	mgr        context.Context
	call       *pactum.Call
	ops        map[string]*pactum.User // by site
	reviewers  map[string]*pactum.User // by ID
	orgC       *pactum.Organization
	appC, appD *pactum.User
	props      []*pactum.Proposal
	d1, d2     *pactum.Proposal
	orgCap     float64 // GPU-hours per organization
	share      float64 // reserved for startups and SMEs
	run, again *pactum.AllocationRun
	out        map[string]pactum.RunOutcome // of run, by proposal
	inst       solver.Instance              // of run
}

func newContestedRun(t *testing.T, dialect string) *contestedRun {
	t.Helper()
	w := newReviewWorld(t, dialect)
	s := &contestedRun{reviewWorld: w, mgr: storetest.As(w.f.Manager), orgCap: 40000, share: 0.3}
	modes, _ := catalog.Modes()
	s.call = &pactum.Call{Title: "Large scale 2027-A", OpensAt: t0.Add(-time.Hour), CutoffAt: t0.Add(30 * 24 * time.Hour), Modes: modes,
		SystemIDs: []string{"karolina-gpu", "vega-gpu", "lumi-g"}}
	if err := w.uc.CreateCall(s.mgr, s.call); err != nil {
		t.Fatal(err)
	}
	s.ops = map[string]*pactum.User{"CSC": w.f.Operator}
	for _, site := range []string{"IT4I", "IZUM"} {
		s.ops[site] = w.user(t, &pactum.User{Email: "ops@" + strings.ToLower(site) + ".example", Name: site, Role: pactum.RoleSiteOperator, Site: site})
	}
	s.reviewers = map[string]*pactum.User{w.f.Reviewer.ID: w.f.Reviewer}
	for _, e := range []string{"r1@x.example", "r2@x.example", "r3@x.example"} {
		u := w.reviewer(t, e, []string{"language_model", "text"})
		s.reviewers[u.ID] = u
	}
	s.orgC = w.org(t, "Colossus AI N.V.", 500) // not an SME
	orgD := w.org(t, "Delta Models B.V.", 30)
	s.appC = w.user(t, &pactum.User{Email: "c@colossus.example", Name: "C", Role: pactum.RoleApplicant, OrganizationID: s.orgC.ID})
	s.appD = w.user(t, &pactum.User{Email: "d@delta.example", Name: "D", Role: pactum.RoleApplicant, OrganizationID: orgD.ID})
	return s
}

// submitAndReview submits seven proposals and reviews them to the panel;
// D2, scored all threes, fails the rubric.
func (s *contestedRun) submitAndReview(t *testing.T) {
	callID, a, b := s.call.ID, s.f.ApplicantA, s.f.ApplicantB
	// Karolina 7,500 node-h = 60,000 GPU-h; Vega 28,400 GPU-h.
	a1 := s.submit(t, a, largeScale(callID, "Proposal A1", 0.5, req("karolina-gpu", 3000), req("vega-gpu", 10000)))
	a2 := s.submit(t, a, largeScale(callID, "Proposal A2", 0.5, req("karolina-gpu", 2000)))
	b1 := s.submit(t, b, largeScale(callID, "Proposal B1", 0.9, req("vega-gpu", 20000)))
	c1 := s.submit(t, s.appC, largeScale(callID, "Proposal C1", 0.5, req("karolina-gpu", 4000), req("vega-gpu", 15000)))
	c2 := s.submit(t, s.appC, largeScale(callID, "Proposal C2", 1, req("karolina-gpu", 1000)))
	d1p := largeScale(callID, "Proposal D1", 0.5, req("lumi-g", 50000), req("karolina-gpu", 500))
	d1p.Software = pactum.SoftwareCUDA // LUMI-G runs ROCm: that request cannot be served
	s.d1 = s.submit(t, s.appD, d1p)
	s.d2 = s.submit(t, s.appD, largeScale(callID, "Proposal D2", 0.5, req("karolina-gpu", 1000)))
	s.props = []*pactum.Proposal{a1, a2, b1, c1, c2, s.d1, s.d2}
	score := map[string]int{a1.ID: 5, a2.ID: 4, b1.ID: 5, c1.ID: 5, c2.ID: 4, s.d1.ID: 4, s.d2.ID: 3}
	ranked := s.reviewToDecision(t, callID, s.ops, s.reviewers, s.props, score)
	if last := ranked[len(ranked)-1]; last.ProposalID != s.d2.ID || last.Passes {
		t.Fatalf("D2 (all threes, pass score 3.5) should rank last and fail: %+v", last)
	}
}

// solveTwice solves the run twice from the same input: the same result,
// D2 refused for its score, D1's unusable request dropped, and a gap
// proven within half a percent.
func (s *contestedRun) solveTwice(t *testing.T) {
	in := pactum.AllocationRunInput{OrgCapGPUHours: &s.orgCap, ReservedShare: &s.share}
	var err error
	if s.run, err = s.uc.CreateAllocationRun(s.mgr, s.call.ID, in); err != nil {
		t.Fatal(err)
	}
	if s.again, err = s.uc.CreateAllocationRun(s.mgr, s.call.ID, in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.run, s.again, cmpopts.IgnoreFields(pactum.AllocationRun{}, "ID", "CreatedAt", "SolveSeconds")); diff != "" {
		t.Errorf("the same input gave another result (-first +second):\n%s", diff)
	}
	s.out = map[string]pactum.RunOutcome{}
	for _, o := range s.run.Outcomes {
		s.out[o.ProposalID] = o
	}
	if o := s.out[s.d2.ID]; o.Outcome != pactum.RunOutcomeRefused || !strings.Contains(o.Explanation[0], "below the call's rubric") {
		t.Errorf("D2: %+v", o)
	}
	if o := s.out[s.d1.ID]; !strings.Contains(strings.Join(o.Explanation, " "), "lumi-g is dropped") {
		t.Errorf("D1's LUMI-G request should be dropped: %+v", o)
	}
	for _, o := range s.run.Outcomes {
		t.Logf("%s %-8s %6.0f of %6.0f GPU-h: %s", o.Title, o.Outcome, o.GrantedGPUHours, o.RequestedGPUHours, strings.Join(o.Explanation, " | "))
	}
	t.Logf("objective %.0f, bound %.0f, gap %.3f %%", s.run.Objective, s.run.Bound, 100*s.run.Gap)
	if s.run.Gap > 0.005 {
		t.Errorf("proven gap %.4f %%", 100*s.run.Gap)
	}
}

// publish keeps the run's optimiser instance and publishes the run; the
// second run, whose inputs changed when the first decided the proposals,
// cannot be published.
func (s *contestedRun) publish(t *testing.T) {
	raw, err := s.uc.AllocationRunInstance(s.mgr, s.run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &s.inst); err != nil {
		t.Fatal(err)
	}
	if _, err := s.uc.PublishAllocationRun(s.mgr, s.run.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.uc.PublishAllocationRun(s.mgr, s.again.ID)
	wantCode(t, err, pactum.ECONFLICT) // its inputs changed: the proposals are decided
}

// awardsWithinLimits checks the published awards as the store holds them
// against the run's model, the systems' capacities, the startup/SME
// reserve and the organization cap, and that the contested systems are
// used.
func (s *contestedRun) awardsWithinLimits(t *testing.T) {
	systems, _ := catalog.Systems()
	sysByID := map[string]*pactum.System{}
	for _, sys := range systems {
		sysByID[sys.ID] = sys
	}
	allocs, _, err := s.uc.FindAllocations(s.mgr, pactum.AllocationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	inst := &s.inst
	propIdx, sysIdx := map[string]int{}, map[string]int{}
	for i, p := range inst.Proposals {
		propIdx[p.ID] = i
	}
	for i, sys := range inst.Systems {
		sysIdx[sys.ID] = i
	}
	grants := make([][]float64, len(inst.Proposals))
	for i := range grants {
		grants[i] = make([]float64, len(inst.Systems))
	}
	used := map[string]float64{}
	byOrg := map[string]float64{}
	bigOrg := map[string]float64{}
	for _, a := range allocs {
		sys := sysByID[a.SystemID]
		gh := sys.GPUHours(a.Amount)
		used[a.SystemID] += a.Amount
		byOrg[a.OrganizationID] += gh
		if a.OrganizationID == s.orgC.ID {
			bigOrg[a.SystemID] += gh
		}
		i, ok := propIdx[a.ProposalID]
		if !ok {
			t.Fatalf("allocation for proposal %s outside the run", a.ProposalID)
		}
		grants[i][sysIdx[a.SystemID]] += gh
	}
	if err := solver.CheckGrants(inst, grants); err != nil {
		t.Errorf("published awards violate the model: %v", err)
	}
	for id, u := range used {
		if c := sysByID[id].CapacityPerPeriod; u > c*(1+1e-9) {
			t.Errorf("%s: %g granted, capacity %g", id, u, c)
		}
		if big := bigOrg[id]; big > (1-s.share)*sysByID[id].GPUHours(sysByID[id].CapacityPerPeriod)*(1+1e-9) {
			t.Errorf("%s: %g GPU-h to a large enterprise eats into the startup/SME reserve", id, big)
		}
	}
	for org, g := range byOrg {
		if g > s.orgCap*(1+1e-9) {
			t.Errorf("organization %s got %g GPU-h, cap %g", org, g, s.orgCap)
		}
	}
	if used["karolina-gpu"] < 7000 || used["vega-gpu"] < 20000 {
		t.Errorf("contested systems left idle: %v", used)
	}
}

// decidedAsRun: every proposal was decided as the run said, every
// applicant heard, and the audit chain verifies.
func (s *contestedRun) decidedAsRun(t *testing.T) {
	for _, p := range s.props {
		got, err := s.uc.FindProposalByID(s.mgr, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		o := s.out[p.ID]
		want := pactum.ProposalRejected
		if o.Outcome != pactum.RunOutcomeRefused {
			want = pactum.ProposalAccepted
		}
		if got.State != want {
			t.Errorf("%s: state %s, run outcome %s", p.Title, got.State, o.Outcome)
		}
		ns, _, _ := s.uc.FindNotifications(s.mgr, pactum.NotificationFilter{UserID: &p.ApplicantID, ProposalID: &p.ID})
		// Newest first: the decision, the reply window, and the
		// submission's screening and receipt.
		if len(ns) != 4 || ns[0].Kind != pactum.NotifyDecision || ns[1].Kind != pactum.NotifyReplyOpen ||
			ns[2].Kind != pactum.NotifyScreening || ns[3].Kind != pactum.NotifySubmitted {
			t.Errorf("%s: %d notifications, want the decision's, the reply window's, the screening's and the receipt", p.Title, len(ns))
		}
	}
	if r, err := usecase.VerifyAudit(context.Background(), s.db); err != nil || !r.OK {
		t.Errorf("audit: %+v %v", r, err)
	}
}
