// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

var t0 = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// world is one database with its services and fixture.
type world struct {
	dialect  string
	dsn      string
	db       *sqlstore.DB
	clock    *storetest.Clock
	screener *mock.Screener
	uc       *usecase.App
	f        *storetest.Fixture
}

func newWorld(t *testing.T, dialect string) *world {
	t.Helper()
	w := &world{dialect: dialect, clock: &storetest.Clock{T: t0}, screener: mock.Approving()}
	w.dsn = storetest.DSN(t, dialect)
	db, err := sqlstore.Open(context.Background(), w.dsn, sqlstore.Options{Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.uc = storetest.App(t, db, w.screener, w.clock.Now)
	w.f = storetest.Seed(t, db, t0)
	return w
}

// raw opens a second, plain connection to the same database, for counting
// rows and for tampering as an attacker with database access would.
func (w *world) raw(t *testing.T) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", w.dsn
	if w.dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// wantKarolinaFull fails unless Karolina's 7,500 node-hours are taken
// exactly, by 15 allocations of 500, and the call's running total says so.
func (w *world) wantKarolinaFull(t *testing.T) {
	t.Helper()
	raw := w.raw(t)
	var total float64
	var count int
	if err := raw.QueryRow(`SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM allocations WHERE system_id = 'karolina-gpu'`).Scan(&total, &count); err != nil {
		t.Fatal(err)
	}
	if total != 7500 || count != 15 {
		t.Errorf("allocations: %g node-hours in %d rows, want 7500 in 15", total, count)
	}
	var granted float64
	if err := raw.QueryRow(`SELECT SUM(granted) FROM call_grant_shards WHERE system_id = 'karolina-gpu'`).Scan(&granted); err != nil || granted != 7500 {
		t.Errorf("running total %g (%v), want 7500", granted, err)
	}
}

// submitAsking has applicant A submit a proposal to the fixture's call
// asking for r alone, and returns it as submitted.
func (w *world) submitAsking(t *testing.T, r pactum.ResourceRequest) *pactum.Proposal {
	t.Helper()
	p := storetest.NewProposal(w.f.Call.ID)
	p.Requests = []pactum.ResourceRequest{r}
	if err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := pactum.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func TestOrganizations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		got, err := w.uc.FindOrganizationByID(storetest.As(w.f.Manager), w.f.OrgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w.f.OrgA, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		if !got.IsSME() || !got.IsStartup(t0) {
			t.Errorf("Aleph (24 staff, founded 2022) should be an SME startup")
		}

		t.Run("Duplicate", func(t *testing.T) {
			dup := *w.f.OrgA
			wantCode(t, w.uc.CreateOrganization(storetest.As(w.f.Manager), &dup), pactum.ECONFLICT)
		})
		t.Run("Invalid", func(t *testing.T) {
			err := w.uc.CreateOrganization(storetest.As(w.f.Manager), &pactum.Organization{LegalName: "X", Country: "Germany", Staff: -1})
			wantCode(t, err, pactum.EINVALID)
			fields := map[string]bool{}
			for _, f := range pactum.ErrorFields(err) {
				fields[f.Field] = true
			}
			for _, f := range []string{"country", "registration_number", "founded_on", "staff"} {
				if !fields[f] {
					t.Errorf("no field error for %s in %v", f, err)
				}
			}
		})
		t.Run("ApplicantCannotCreate", func(t *testing.T) {
			o := *w.f.OrgB
			o.RegistrationNumber = "other"
			wantCode(t, w.uc.CreateOrganization(storetest.As(w.f.ApplicantA), &o), pactum.EFORBIDDEN)
		})
		t.Run("CrossOrganizationRead", func(t *testing.T) {
			_, err := w.uc.FindOrganizationByID(storetest.As(w.f.ApplicantA), w.f.OrgB.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			list, total, err := w.uc.FindOrganizations(storetest.As(w.f.ApplicantA), pactum.OrganizationFilter{})
			if err != nil || total != 1 || len(list) != 1 || list[0].ID != w.f.OrgA.ID {
				t.Fatalf("applicant A lists %d organizations (total %d, err %v), want only its own", len(list), total, err)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ctx := storetest.As(w.f.ApplicantA)
		tok, secret, err := w.uc.CreateToken(ctx, w.f.ApplicantA.ID, "laptop", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, usecase.TokenPrefix) || !strings.HasPrefix(secret, tok.Prefix) {
			t.Fatalf("secret %q, prefix %q", secret, tok.Prefix)
		}
		u, _, err := w.uc.Authenticate(context.Background(), secret)
		if err != nil || u.ID != w.f.ApplicantA.ID {
			t.Fatalf("authenticate: %v %v", u, err)
		}
		// The secret itself is never stored.
		var n int
		if err := w.raw(t).QueryRow("SELECT COUNT(*) FROM tokens WHERE secret_hash = $1 OR prefix = $1", secret).Scan(&n); err != nil || n != 0 {
			t.Fatalf("secret stored in clear (%d rows, %v)", n, err)
		}
		_, _, err = w.uc.Authenticate(context.Background(), secret+"x")
		wantCode(t, err, pactum.EUNAUTHORIZED)

		// Someone else's tokens are invisible.
		_, _, err = w.uc.CreateToken(storetest.As(w.f.ApplicantB), w.f.ApplicantA.ID, "steal", nil, "")
		wantCode(t, err, pactum.ENOTFOUND)

		if err := w.uc.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = w.uc.Authenticate(context.Background(), secret)
		wantCode(t, err, pactum.EUNAUTHORIZED)

		exp := t0.Add(time.Hour)
		_, s2, err := w.uc.CreateToken(ctx, w.f.ApplicantA.ID, "short", &exp, "")
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * time.Hour)
		_, _, err = w.uc.Authenticate(context.Background(), s2)
		wantCode(t, err, pactum.EUNAUTHORIZED)
	})
}

func TestProposalLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ctxA := storetest.As(w.f.ApplicantA)
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.CreateProposal(ctxA, p); err != nil {
			t.Fatal(err)
		}
		if p.State != pactum.ProposalDraft || p.OrganizationID != w.f.OrgA.ID || p.ApplicantID != w.f.ApplicantA.ID {
			t.Fatalf("created %+v", p)
		}
		got, err := w.uc.FindProposalByID(ctxA, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}

		t.Run("CrossOrganizationRead", func(t *testing.T) {
			_, err := w.uc.FindProposalByID(storetest.As(w.f.ApplicantB), p.ID)
			wantCode(t, err, pactum.ENOTFOUND)
			list, total, err := w.uc.FindProposals(storetest.As(w.f.ApplicantB), pactum.ProposalFilter{})
			if err != nil || total != 0 || len(list) != 0 {
				t.Fatalf("applicant B sees %d proposals of A (err %v)", len(list), err)
			}
			_, err = w.uc.SubmitProposal(storetest.As(w.f.ApplicantB), p.ID)
			wantCode(t, err, pactum.ENOTFOUND)
		})
		t.Run("ReviewerCannotSeeDraft", func(t *testing.T) {
			_, err := w.uc.FindProposalByID(storetest.As(w.f.Reviewer), p.ID)
			wantCode(t, err, pactum.ENOTFOUND)
		})

		got, err = w.uc.SubmitProposal(ctxA, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != pactum.ProposalApproved || got.Decision == nil || !got.Decision.Automatic {
			t.Fatalf("fast lane with a clean screening: got state %s decision %+v", got.State, got.Decision)
		}
		if want := pactum.AddWorkingDays(t0, 4); got.DecisionDueAt == nil || !got.DecisionDueAt.Equal(want) {
			t.Errorf("decision due %v, want %v", got.DecisionDueAt, want)
		}
		allocs, total, err := w.uc.FindAllocations(ctxA, pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || total != 1 {
			t.Fatalf("allocations: %d %v", total, err)
		}
		a := allocs[0]
		if a.State != pactum.AllocationPending || a.Amount != 20000 || a.SystemID != "leonardo-booster" || !a.EndsAt.Equal(t0.AddDate(0, 3, 0)) {
			t.Errorf("allocation %+v", a)
		}

		t.Run("IllegalTransition", func(t *testing.T) {
			_, err := w.uc.SubmitProposal(ctxA, p.ID)
			wantCode(t, err, pactum.ECONFLICT)
			_, err = w.uc.WithdrawProposal(ctxA, p.ID, "changed my mind")
			wantCode(t, err, pactum.ECONFLICT)
			_, err = w.uc.DecideProposal(storetest.As(w.f.Manager), p.ID, pactum.DecisionInput{Accept: true, Reason: "ok"})
			wantCode(t, err, pactum.ECONFLICT)
			// Allocations: CSC's operator cannot touch Leonardo (CINECA);
			// a manager cannot claim provisioning.
			_, err = w.uc.TransitionAllocation(storetest.As(w.f.Operator), a.ID, pactum.AllocationActive, "")
			wantCode(t, err, pactum.ENOTFOUND)
			_, err = w.uc.TransitionAllocation(storetest.As(w.f.Manager), a.ID, pactum.AllocationActive, "")
			wantCode(t, err, pactum.EFORBIDDEN)
			_, err = w.uc.TransitionAllocation(storetest.As(w.f.Manager), a.ID, pactum.AllocationExhausted, "")
			wantCode(t, err, pactum.EFORBIDDEN)
		})
		t.Run("Suspend", func(t *testing.T) {
			_, err := w.uc.TransitionAllocation(storetest.As(w.f.Manager), a.ID, pactum.AllocationSuspended, "")
			wantCode(t, err, pactum.ECONFLICT) // pending cannot be suspended
		})
	})
}

func TestProposalValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		raw := w.raw(t)
		before := map[string]int{}
		tables := []string{"proposals", "proposal_requests", "audit_events", "allocations"}
		// On PostgreSQL the fixture's last events may still be pending:
		// sealed, they would count as written by the refused proposal.
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			before[tb] = count(t, raw, tb)
		}
		p := storetest.NewProposal(w.f.Call.ID)
		p.Title = ""
		p.Requests = []pactum.ResourceRequest{{SystemID: "nonexistent", Amount: -5}, {SystemID: "vega-gpu", Amount: 10}}
		p.DurationMonths = 0
		p.AIWork.ModelType = "robot"
		p.Ethics.Humans = pactum.EthicsAnswer{Yes: true}
		err := w.uc.SubmitNewProposal(storetest.As(w.f.ApplicantA), p)
		wantCode(t, err, pactum.EINVALID)
		got := map[string]string{}
		for _, f := range pactum.ErrorFields(err) {
			got[f.Field] = f.Message
		}
		for _, f := range []string{"title", "requests[0].system_id", "requests[0].amount", "requests[1].system_id",
			"duration_months", "ai_work.model_type", "ethics.humans.details"} {
			if got[f] == "" {
				t.Errorf("no error for field %s; got %v", f, got)
			}
		}
		if err := w.db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			if n := count(t, raw, tb); n != before[tb] {
				t.Errorf("%s: %d rows after a refused proposal, %d before", tb, n, before[tb])
			}
		}
	})
}

func TestScreeningRoutes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		ethicist := w.reviewer(t, "ethics@uni.example", []string{pactum.EthicsExpertise, "gdpr"})
		outcome := pactum.OutcomeDeny
		w.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			f := []pactum.Finding{}
			switch outcome {
			case pactum.OutcomeDeny:
				f = append(f, pactum.Finding{RuleID: "art5-f", Basis: "AI Act Art. 5(1)(f)", Effect: pactum.EffectDeny, Message: "Emotion recognition at work is prohibited."})
			case pactum.OutcomeRefer:
				f = append(f, pactum.Finding{RuleID: "ethics", Basis: "Horizon Europe", Effect: pactum.EffectRefer, Referral: "ethics", Message: "Ethics review."},
					pactum.Finding{RuleID: "art50-2", Basis: "AI Act Art. 50(2)", Effect: pactum.EffectCondition, Message: "Mark synthetic content."})
			}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeOf(f), Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}
		ctxA := storetest.As(w.f.ApplicantA)

		denied := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(ctxA, denied); err != nil {
			t.Fatal(err)
		}
		if denied.State != pactum.ProposalRejected || denied.Decision == nil || denied.Decision.Accept ||
			!strings.Contains(denied.Decision.Reason, "Art. 5(1)(f)") {
			t.Fatalf("denied: state %s decision %+v", denied.State, denied.Decision)
		}

		outcome = pactum.OutcomeRefer
		referred := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.SubmitNewProposal(ctxA, referred); err != nil {
			t.Fatal(err)
		}
		if referred.State != pactum.ProposalInReview {
			t.Fatalf("referred: state %s", referred.State)
		}
		// A reviewer sees only proposals they are assigned to: this one is
		// in review, but nobody assigned them.
		_, err := w.uc.FindProposalByID(storetest.As(w.f.Reviewer), referred.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = w.uc.DecideProposal(storetest.As(w.f.ApplicantA), referred.ID, pactum.DecisionInput{Accept: true, Reason: "self-service"})
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.DecideProposal(storetest.As(w.f.Manager), referred.ID, pactum.DecisionInput{Accept: true, Reason: "ok",
			Grants: []pactum.Grant{{SystemID: "leonardo-booster", Amount: 30000}}})
		wantCode(t, err, pactum.EINVALID) // more than requested

		// Screening asked for an ethics review: no decision before it is in.
		accept := pactum.DecisionInput{Accept: true, Reason: "Ethics review passed with conditions.",
			Grants: []pactum.Grant{{SystemID: "leonardo-booster", Amount: 15000}}}
		_, err = w.uc.DecideProposal(storetest.As(w.f.Manager), referred.ID, accept)
		wantCode(t, err, pactum.ECONFLICT)
		if msg := pactum.ErrorMessage(err); !strings.Contains(msg, "screening asked for an ethics review") || !strings.Contains(msg, "0 submitted") {
			t.Errorf("refusal does not say what is missing: %s", msg)
		}
		if _, err := w.uc.AssignReviewers(storetest.As(w.f.Manager), w.f.Call.ID, pactum.StageEthics); err != nil {
			t.Fatal(err)
		}
		_, err = w.uc.DecideProposal(storetest.As(w.f.Manager), referred.ID, accept)
		wantCode(t, err, pactum.ECONFLICT)
		if msg := pactum.ErrorMessage(err); !strings.Contains(msg, "waiting for "+ethicist.Name) {
			t.Errorf("refusal does not name the ethics reviewer: %s", msg)
		}
		if _, err := w.uc.SubmitReview(storetest.As(ethicist), referred.ID, pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			Conditions: []string{"Pseudonymise the case law before training."}, CommentsForApplicant: "Acceptable with safeguards."}); err != nil {
			t.Fatal(err)
		}

		dec, err := w.uc.DecideProposal(storetest.As(w.f.Manager), referred.ID, accept)
		if err != nil {
			t.Fatal(err)
		}
		if dec.State != pactum.ProposalAccepted || dec.Decision.DecidedBy != w.f.Manager.ID {
			t.Fatalf("decided %+v", dec)
		}
		allocs, _, err := w.uc.FindAllocations(storetest.As(w.f.Manager), pactum.AllocationFilter{ProposalID: &referred.ID})
		if err != nil || len(allocs) != 1 || allocs[0].Amount != 15000 {
			t.Fatalf("allocations %+v %v", allocs, err)
		}
		// The award carries the screening's condition and the ethics
		// review's.
		var rules []string
		for _, c := range allocs[0].Conditions {
			rules = append(rules, c.RuleID+": "+c.Message)
		}
		if want := []string{"art50-2: Mark synthetic content.", "ethics.review: Pseudonymise the case law before training."}; !slices.Equal(rules, want) {
			t.Errorf("award conditions %q, want %q", rules, want)
		}
	})
}

func TestCapacity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		// Karolina offers 7,500 node-hours a period; the fast lane caps a
		// proposal at 50,000 GPU-hours = 6,250 Karolina node-hours.
		first := w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: 6000})
		if first.State != pactum.ProposalApproved {
			t.Fatalf("first: %s", first.State)
		}
		second := w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: 2000})
		if second.State != pactum.ProposalInReview {
			t.Fatalf("second should go to review when capacity is short, got %s", second.State)
		}
		_, err := w.uc.DecideProposal(storetest.As(w.f.Manager), second.ID, pactum.DecisionInput{Accept: true, Reason: "ok"})
		wantCode(t, err, pactum.ECONFLICT)
		p, err := w.uc.DecideProposal(storetest.As(w.f.Manager), second.ID, pactum.DecisionInput{Accept: true, Reason: "cut to fit",
			Grants: []pactum.Grant{{SystemID: "karolina-gpu", Amount: 1500}}})
		if err != nil || p.State != pactum.ProposalAccepted {
			t.Fatalf("cut grant: %v", err)
		}
	})
}

func TestClosedCall(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		p := storetest.NewProposal(w.f.Call.ID)
		if err := w.uc.CreateProposal(storetest.As(w.f.ApplicantA), p); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(90 * 24 * time.Hour)
		_, err := w.uc.SubmitProposal(storetest.As(w.f.ApplicantA), p.ID)
		wantCode(t, err, pactum.ECONFLICT)
	})
}

// TestConcurrentDecisions decides many proposals at once on a system with
// room for only half of them: exactly the ones that fit are accepted, the
// rest fail without leaving anything behind, capacity is never exceeded,
// and the audit chain stays whole. On SQLite this exercises group commit
// with failing members; on PostgreSQL, row locks between transactions.
func TestConcurrentDecisions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newReviewWorld(t, dialect)
		ethicist := w.reviewer(t, "ethics@uni.example", []string{pactum.EthicsExpertise})
		w.screener.ScreenFn = func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
			f := []pactum.Finding{{RuleID: "ethics", Basis: "test", Effect: pactum.EffectRefer, Referral: "ethics", Message: "review"}}
			return &pactum.ScreeningDecision{Outcome: pactum.OutcomeRefer, Findings: f, RulesetVersion: "t", RulesetHash: "h", ScreenedAt: in.At}, nil
		}
		const n, each = 30, 500.0 // Karolina offers 7,500 node-hours: room for 15
		var ids []string
		for range n {
			ids = append(ids, w.submitAsking(t, pactum.ResourceRequest{SystemID: "karolina-gpu", Amount: each}).ID)
		}
		// Each referral is decided once its ethics review is in.
		w.ethicsReview(t, w.f.Call.ID, map[string]*pactum.User{ethicist.ID: ethicist}, pactum.RecommendAccept)
		errs := make(chan error, n)
		for _, id := range ids {
			go func() {
				_, err := w.uc.DecideProposal(storetest.As(w.f.Manager), id, pactum.DecisionInput{Accept: true, Reason: "ok"})
				errs <- err
			}()
		}
		var ok, conflicts int
		for range n {
			switch err := <-errs; pactum.ErrorCode(err) {
			case "":
				ok++
			case pactum.ECONFLICT:
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 15 || conflicts != 15 {
			t.Fatalf("accepted %d, conflicts %d; want 15 and 15", ok, conflicts)
		}
		w.wantKarolinaFull(t)
		list, _, err := w.uc.FindProposals(storetest.As(w.f.Manager), pactum.ProposalFilter{State: ptr(pactum.ProposalInReview)})
		if err != nil || len(list) != 15 {
			t.Errorf("%d proposals still in review (%v), want 15", len(list), err)
		}
		if r, err := usecase.VerifyAudit(context.Background(), w.db); err != nil || !r.OK {
			t.Errorf("audit after concurrent decisions: %+v %v", r, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
