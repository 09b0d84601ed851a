// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

func TestUsernames(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		mgr := storetest.As(w.f.Manager)
		u, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, "ada")
		if err != nil || u.Username != "ada" {
			t.Fatalf("set: %+v %v", u, err)
		}
		got, err := w.uc.FindUserByID(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID)
		if err != nil || got.Username != "ada" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		_, err = w.uc.SetUsername(storetest.As(w.f.ApplicantA), w.f.ApplicantA.ID, "ada2")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "Ada")
		wantCode(t, err, pactum.EINVALID)
		_, err = w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "ada")
		wantCode(t, err, pactum.ECONFLICT)
		_, err = w.uc.SetUsername(mgr, "nobody", "x")
		wantCode(t, err, pactum.ENOTFOUND)
		nu := &pactum.User{Email: "cy@aleph.example", Name: "Cy", Role: pactum.RoleApplicant, OrganizationID: w.f.OrgA.ID, Username: "ada"}
		wantCode(t, w.uc.CreateUser(mgr, nu), pactum.ECONFLICT)
		nu.Username = "cy"
		if err := w.uc.CreateUser(mgr, nu); err != nil {
			t.Fatal(err)
		}
		if u, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, ""); err != nil || u.Username != "" {
			t.Fatalf("clear: %+v %v", u, err)
		}
		// Cleared names are free again, and the changes are in the log.
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		if evs := w.events(t, "user.set_username"); len(evs) != 3 {
			t.Errorf("%d set_username events, want 3", len(evs))
		}
	})
}

var gpaiCondition = pactum.Finding{RuleID: "gpai.docs", Basis: "AI Act Art. 53(1)(a)", Effect: pactum.EffectCondition,
	Message: "Keep the model's technical documentation up to date."}

func TestConditionsAndAdmission(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		aw := w.uc
		a := w.allocation(t, 100, gpaiCondition)
		ctxA := storetest.As(w.f.ApplicantA)

		ad, err := aw.Admission(ctxA, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ad.Allowed || len(ad.Reasons) != 3 || !slices.Equal(ad.Unmet, []string{"gpai.docs"}) || ad.Account != pactum.AllocationAccount(a.ID) {
			t.Fatalf("pending, unmet, no username: %+v", ad)
		}
		w.activate(t, a)
		if _, err := w.uc.SetUsername(storetest.As(w.f.Manager), w.f.ApplicantA.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		// The username reaches the caller with their next authentication;
		// here the context carries a refreshed user.
		ada := *w.f.ApplicantA
		ada.Username = "ada"
		ctxA = storetest.As(&ada)
		ad, _ = aw.Admission(ctxA, a.ID)
		if ad.Allowed || len(ad.Reasons) != 1 || !strings.Contains(ad.Reasons[0], "gpai.docs") || ad.Username != "ada" {
			t.Fatalf("active, unmet: %+v", ad)
		}

		_, err = aw.AcknowledgeCondition(storetest.As(w.f.ApplicantB), a.ID, "gpai.docs", "We document.")
		wantCode(t, err, pactum.ENOTFOUND)
		_, err = aw.AcknowledgeCondition(storetest.As(w.f.Manager), a.ID, "gpai.docs", "We document.")
		wantCode(t, err, pactum.EFORBIDDEN)
		_, err = aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", " ")
		wantCode(t, err, pactum.EINVALID)
		_, err = aw.AcknowledgeCondition(ctxA, a.ID, "no.such.rule", "We document.")
		wantCode(t, err, pactum.ENOTFOUND)
		c, err := aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", "Model card v1 is published at docs.example and updated per release.")
		if err != nil || !c.Met || c.AcknowledgedBy != w.f.ApplicantA.ID || c.AcknowledgedAt == nil || c.RuleID != "gpai.docs" {
			t.Fatalf("acknowledge: %+v %v", c, err)
		}
		again, err := aw.AcknowledgeCondition(ctxA, a.ID, "gpai.docs", "Something else.")
		if err != nil || again.Statement != c.Statement {
			t.Fatalf("second acknowledgement: %+v %v", again, err)
		}
		conds, err := aw.FindConditions(storetest.As(w.f.Auditor), a.ID)
		if err != nil || len(conds) != 1 || !conds[0].Met || conds[0].Statement != c.Statement {
			t.Fatalf("conditions: %+v %v", conds, err)
		}
		ad, _ = aw.Admission(ctxA, a.ID)
		if !ad.Allowed || len(ad.Reasons) != 0 {
			t.Fatalf("all met: %+v", ad)
		}
		// Others may read the admission but are not members.
		ad, err = aw.Admission(storetest.As(w.f.Operator), a.ID)
		if err != nil || ad.Allowed {
			t.Fatalf("operator admission: %+v %v", ad, err)
		}
		if evs := w.events(t, "allocation.acknowledge_condition"); len(evs) != 1 {
			t.Errorf("%d acknowledgement events, want 1", len(evs))
		}
	})
}

func TestDesiredState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		aw := w.uc
		mgr := storetest.As(w.f.Manager)
		plain := w.allocation(t, 100)
		conditioned := w.allocation(t, 200, gpaiCondition)
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantA.ID, "ada"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.uc.SetUsername(mgr, w.f.ApplicantB.ID, "bob"); err != nil { // another organization's
			t.Fatal(err)
		}
		ops := storetest.As(w.f.Operator)
		st, err := aw.DesiredState(ops, "CSC", nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Root != pactum.SchedulerRoot || len(st.Allocations) != 2 {
			t.Fatalf("state: %+v", st)
		}
		byID := map[string]pactum.DesiredAllocation{}
		for _, d := range st.Allocations {
			byID[d.AllocationID] = d
		}
		p := byID[plain.ID]
		if p.Account != pactum.AllocationAccount(plain.ID) || p.OrganizationAccount != pactum.OrganizationAccount(w.f.OrgA.ID) ||
			!slices.Equal(p.Users, []string{"ada"}) || p.Suspended || p.Remove || p.Amount != 100 || p.Unit != pactum.UnitGPUHours ||
			p.OrganizationName != "Aleph Lingua GmbH" || p.Title == "" || p.State != pactum.AllocationPending {
			t.Errorf("plain: %+v", p)
		}
		if c := byID[conditioned.ID]; !c.Suspended || !slices.Equal(c.Reasons, []string{"condition gpai.docs not met"}) {
			t.Errorf("conditioned: %+v", c)
		}
		// A system of another site, or a typo, is not found: an agent
		// must not read "no allocations" and empty its cluster.
		for _, system := range []string{"leonardo-booster", "leonardo", "LUMI-G"} {
			_, err := aw.DesiredState(ops, "CSC", &system)
			wantCode(t, err, pactum.ENOTFOUND)
		}
		if _, err := aw.DesiredState(storetest.As(w.f.Auditor), "CSCX", nil); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Errorf("unknown site: %v, want ENOTFOUND", err)
		}
		lumi := "lumi-g"
		if st, err := aw.DesiredState(ops, "CSC", &lumi); err != nil || len(st.Allocations) != 2 {
			t.Errorf("filtered by the site's system: %+v %v", st, err)
		}
		for _, u := range []*pactum.User{w.f.ApplicantA, w.f.Reviewer} {
			_, err := aw.DesiredState(storetest.As(u), "CSC", nil)
			wantCode(t, err, pactum.EFORBIDDEN)
		}
		_, err = aw.DesiredState(ops, "CINECA", nil)
		wantCode(t, err, pactum.EFORBIDDEN)
		if _, err := aw.DesiredState(storetest.As(w.f.Auditor), "CSC", nil); err != nil {
			t.Error(err)
		}

		// Suspended by a manager; at the end of the period marked for
		// removal; expired ones stay listed for the grace period.
		w.activate(t, plain)
		if _, err := w.uc.TransitionAllocation(mgr, plain.ID, pactum.AllocationSuspended, "audit"); err != nil {
			t.Fatal(err)
		}
		st, _ = aw.DesiredState(ops, "CSC", nil)
		for _, d := range st.Allocations {
			if d.AllocationID == plain.ID && (!d.Suspended || d.Remove) {
				t.Errorf("suspended: %+v", d)
			}
		}
		w.clock.T = plain.EndsAt.Add(time.Minute)
		st, _ = aw.DesiredState(ops, "CSC", nil)
		for _, d := range st.Allocations {
			if !d.Remove {
				t.Errorf("past the period: %+v", d)
			}
		}
		if _, err := w.uc.TransitionAllocation(ops, plain.ID, pactum.AllocationExpired, "removed"); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(pactum.RemovalGrace - time.Hour)
		if st, _ = aw.DesiredState(ops, "CSC", nil); len(st.Allocations) != 2 {
			t.Errorf("within the grace period: %d allocations", len(st.Allocations))
		}
		w.clock.Advance(2 * time.Hour)
		if st, _ = aw.DesiredState(ops, "CSC", nil); len(st.Allocations) != 1 || st.Allocations[0].AllocationID != conditioned.ID {
			t.Errorf("after the grace period: %+v", st.Allocations)
		}

		// Drift reports land in the audit log, from the site's operators.
		rep := pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{{Account: "a1", Action: "set_limits gres/gpu=6000", Found: "GrpTRESMins=gres/gpu=999999"}}}
		if err := aw.ReportDrift(ops, "CSC", rep); err != nil {
			t.Fatal(err)
		}
		wantCode(t, aw.ReportDrift(mgr, "CSC", rep), pactum.EFORBIDDEN)
		wantCode(t, aw.ReportDrift(ops, "CSC", pactum.DriftReport{Cluster: "lumi"}), pactum.EINVALID)
		if evs := w.events(t, "site.drift"); len(evs) != 1 || evs[0].SubjectID != "CSC" || !strings.Contains(string(evs[0].After), "999999") {
			t.Errorf("drift events: %+v", evs)
		}
	})
}
