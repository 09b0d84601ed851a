// SPDX-License-Identifier: EUPL-1.2

package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
)

// Fixture is a small world: the catalogue, one open call, two organizations
// with an applicant each, and one user of every other role.
type Fixture struct {
	Call                   *pactum.Call
	OrgA, OrgB             *pactum.Organization
	ApplicantA, ApplicantB *pactum.User
	Manager, Reviewer      *pactum.User
	Auditor, Operator      *pactum.User
}

// As returns a context acting as u.
func As(u *pactum.User) context.Context {
	return pactum.NewContextWithUser(context.Background(), u)
}

// App returns the use cases over db with the production rubric and
// allocator, screening with screener (approving everything when nil) and
// reading the time from now (time.Now when nil).
func App(tb testing.TB, db *sqlstore.DB, screener pactum.Screener, now func() time.Time) *usecase.App {
	tb.Helper()
	rubric, err := catalog.Rubric()
	if err != nil {
		tb.Fatal(err)
	}
	if screener == nil {
		screener = mock.Approving()
	}
	return usecase.New(usecase.Config{Store: db, Screener: screener, Allocator: allocate.New(solver.Options{}), Rubric: rubric, Now: now})
}

// Seed fills db with the fixture world. now is the time the call opens
// around.
func Seed(tb testing.TB, db *sqlstore.DB, now time.Time) *Fixture {
	tb.Helper()
	sys := pactum.NewContextWithUser(context.Background(), pactum.SystemUser())
	systems, err := catalog.Systems()
	if err != nil {
		tb.Fatal(err)
	}
	app := App(tb, db, nil, nil)
	if err := app.UpsertSystems(sys, systems); err != nil {
		tb.Fatal(err)
	}
	users, orgs := app, app
	f := &Fixture{}
	mk := func(u *pactum.User) *pactum.User {
		tb.Helper()
		if err := users.CreateUser(sys, u); err != nil {
			tb.Fatalf("create user %s: %v", u.Email, err)
		}
		return u
	}
	f.Manager = mk(&pactum.User{Email: "manager@eurohpc.example", Name: "Mara Manager", Role: pactum.RoleAccessManager})
	f.Reviewer = mk(&pactum.User{Email: "reviewer@example.org", Name: "Rui Reviewer", Role: pactum.RoleReviewer})
	f.Auditor = mk(&pactum.User{Email: "auditor@example.org", Name: "Aud Itor", Role: pactum.RoleAuditor})
	f.Operator = mk(&pactum.User{Email: "ops@csc.example", Name: "Olli Operator", Role: pactum.RoleSiteOperator, Site: "CSC"})
	f.OrgA = &pactum.Organization{LegalName: "Aleph Lingua GmbH", Country: "DE", RegistrationNumber: "HRB 123456",
		FoundedOn: pactum.MustDate("2022-03-01"), Staff: 24, TurnoverEUR: 2_000_000, BalanceSheetEUR: 3_000_000}
	f.OrgB = &pactum.Organization{LegalName: "Bora Vision SAS", Country: "FR", RegistrationNumber: "RCS 987 654 321",
		FoundedOn: pactum.MustDate("2020-06-15"), Staff: 40, TurnoverEUR: 5_000_000, BalanceSheetEUR: 4_000_000}
	for _, o := range []*pactum.Organization{f.OrgA, f.OrgB} {
		if err := orgs.CreateOrganization(As(f.Manager), o); err != nil {
			tb.Fatalf("create organization: %v", err)
		}
	}
	f.ApplicantA = mk(&pactum.User{Email: "ada@aleph.example", Name: "Ada Aleph", Role: pactum.RoleApplicant, OrganizationID: f.OrgA.ID})
	f.ApplicantB = mk(&pactum.User{Email: "bob@bora.example", Name: "Bob Bora", Role: pactum.RoleApplicant, OrganizationID: f.OrgB.ID})

	modes, err := catalog.Modes()
	if err != nil {
		tb.Fatal(err)
	}
	f.Call = &pactum.Call{Title: "AI Factories access 2026-Q4", Description: "Fast lane and large scale.",
		OpensAt: now.Add(-24 * time.Hour), CutoffAt: now.Add(60 * 24 * time.Hour), Modes: modes,
		SystemIDs: []string{"lumi-g", "leonardo-booster", "mn5-acc", "karolina-gpu"}}
	if err := app.CreateCall(As(f.Manager), f.Call); err != nil {
		tb.Fatalf("create call: %v", err)
	}
	return f
}

// NewProposal returns a valid fast-lane proposal for callID: a 7B language
// model on Leonardo, 20,000 GPU-hours, no ethics issues, the questionnaire
// of the default ruleset answered (yes: it talks with people and generates
// content; no to the rest).
func NewProposal(callID string) *pactum.Proposal {
	p := &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: callID, Mode: pactum.ModeFastLane, Title: "Legal-domain 7B language model", ProposalContent: pactum.ProposalContent{
		Summary:        "Continued pre-training of an open 7B model on European legal texts.",
		Requests:       []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 20000, StorageTB: 20}},
		DurationMonths: 3,
		AIWork: pactum.AIWork{ModelType: "language_model", InputModalities: []string{"text"}, OutputModalities: []string{"text"},
			ParameterCount: 7e9, TrainingTokens: 200e9, PlannedTrainingFLOP: 8.4e21, Utilisation: 0.4,
			IntendedUse: "Drafting assistance for lawyers.", Purpose: "product_development", IntendsEUMarket: true,
			CivilianOnly: true, DataProvenance: pactum.DataProvenance{Sources: []string{"public_datasets", "licensed"},
				TDMOptOutsHonoured: true, Description: "EUR-Lex and licensed case law."}},
		Pledges: pactum.AIPactPledges{GovernanceStrategy: true, HighRiskMapping: true, AILiteracy: true},
	}}}
	p.Questionnaire = Answers("talks_with_people", "generates_content")
	return p
}

// Answers answers the default ruleset's questionnaire: yes to the questions
// named, no to the others.
func Answers(yes ...string) map[string]pactum.Answer { return defaultQuestionnaire().Answers(yes...) }

var defaultQuestionnaire = sync.OnceValue(func() *pactum.Questionnaire {
	rs, err := policy.Default()
	if err != nil {
		panic(err)
	}
	return rs.Questionnaire()
})

// SeedCatalogue loads the EuroHPC systems catalogue into db.
func SeedCatalogue(tb testing.TB, db *sqlstore.DB) {
	tb.Helper()
	systems, err := catalog.Systems()
	if err != nil {
		tb.Fatal(err)
	}
	sys := pactum.NewContextWithUser(context.Background(), pactum.SystemUser())
	if err := App(tb, db, nil, nil).UpsertSystems(sys, systems); err != nil {
		tb.Fatal(err)
	}
}
