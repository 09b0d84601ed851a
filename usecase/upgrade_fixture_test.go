// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// loadFixture makes schema 3 with the migrations, loads
// sqlstore/testdata/upgrade/v3.sql (rows written by pactum 964782d, see
// scripts/upgrade-fixture/generate.sh) and dates the install a day back.
func loadFixture(t *testing.T, dialect string) string {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, dialect)
	driver, gd := "sqlite", goose.DialectSQLite3
	if dialect == sqlstore.Postgres {
		driver, gd = "pgx", goose.DialectPostgres
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	prov, err := goose.NewProvider(gd, raw, os.DirFS("../sqlstore/migrations/"+dialect))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("../sqlstore/testdata/upgrade/v3.sql")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(script), "\n")
	// Rows the migrations seed (the audit head) give way to the old ones.
	var tables []string
	for _, line := range lines {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "INSERT" && (len(tables) == 0 || tables[len(tables)-1] != f[2]) {
			tables = append(tables, f[2])
		}
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := tx.Exec(`DELETE FROM ` + tables[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "INSERT") {
			continue
		}
		if _, err := tx.Exec(line); err != nil {
			t.Fatalf("%v\n%.300s", err, line)
		}
	}
	back := `UPDATE goose_db_version SET tstamp = datetime(tstamp, '-1 day')`
	if dialect == sqlstore.Postgres {
		back = `UPDATE goose_db_version SET tstamp = tstamp - interval '1 day'`
	}
	if _, err := tx.Exec(back); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// TestUpgradeFromRelease3 upgrades a data set written by pactum 964782d
// (schema 3, before review stages and award conditions) with its own use
// cases, on both engines, as a server starting does (migrate, seed the
// catalogue, carry forward): every object reads back with every field the
// old release showed unchanged, the audit log verifies and replays to the
// tables, the proposal left in review is on its review track and gets its
// stage's reviewers, and the allocation that was active keeps running at
// its site through its grace, its applicants told, and is suspended after
// it until its conditions are acknowledged.
func TestUpgradeFromRelease3(t *testing.T) {
	var old map[string]json.RawMessage
	data, err := os.ReadFile("../sqlstore/testdata/upgrade/v3-objects.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	var inReview, activated string
	json.Unmarshal(old["in_review"], &inReview)
	json.Unmarshal(old["activated"], &activated)
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := loadFixture(t, dialect)
		clock := &storetest.Clock{T: time.Now().UTC().Truncate(time.Second)}
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		uc := storetest.App(t, db, mock.Approving(), clock.Now)
		sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
		systems, err := catalog.Systems()
		if err != nil {
			t.Fatal(err)
		}
		if err := uc.UpsertSystems(sys, systems); err != nil {
			t.Fatal(err)
		}
		rep, err := uc.CarryForward(sys)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Reviews) != 1 || rep.Reviews[0] != inReview || len(rep.Graces) == 0 {
			t.Fatalf("carried forward: %+v (want %s placed in review, graces for the allocations with conditions)", rep, inReview)
		}

		role := pactum.RoleAccessManager
		mgrs, _, err := db.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role})
		if err != nil || len(mgrs) != 1 {
			t.Fatalf("access managers: %v %v", mgrs, err)
		}
		mgr := storetest.As(mgrs[0])

		// Every field the old release's API showed is unchanged in this
		// release's API (which may show more).
		cfg := pactumhttp.Config{Now: clock.Now}
		cfg.Serve(uc)
		srv, err := pactumhttp.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Open("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		_, secret, err := uc.CreateToken(mgr, mgrs[0].ID, "upgrade test", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for kind, path := range map[string]string{"proposals": "/api/v1/proposals", "allocations": "/api/v1/allocations",
			"organizations": "/api/v1/organizations", "users": "/api/v1/users", "calls": "/api/v1/calls"} {
			req, _ := http.NewRequest("GET", srv.URL()+path+"?limit=1000", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page struct {
				Items []map[string]any `json:"items"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
			}
			var was []map[string]any
			if err := json.Unmarshal(old[kind], &was); err != nil {
				t.Fatal(err)
			}
			byID := map[string]map[string]any{}
			for _, o := range page.Items {
				byID[o["id"].(string)] = o
			}
			if len(page.Items) != len(was) {
				t.Errorf("%s: %d after the upgrade, %d before", kind, len(page.Items), len(was))
			}
			for _, o := range was {
				n := byID[o["id"].(string)]
				if n == nil {
					t.Errorf("%s %s lost in the upgrade", kind, o["id"])
					continue
				}
				for k, want := range o {
					if !kept(want, n[k]) {
						t.Errorf("%s %s field %s: %v after the upgrade, %v before", kind, o["id"], k, n[k], want)
					}
				}
			}
		}
		if r, err := uc.VerifyAudit(storetest.As(mgrs[0])); err != nil || !r.OK {
			t.Fatalf("audit chain after the upgrade: %+v %v", r, err)
		}
		// Not "audit verify --state": that release logged events that were
		// not yet meant to rebuild rows (whole-row snapshots came with
		// cf7a1ee), so its log cannot prove its tables.

		// The review goes on: its stage's reviewers are assigned.
		tr, err := uc.FindReviewTrack(mgr, inReview)
		if err != nil {
			t.Fatal(err)
		}
		rev := &pactum.User{Email: "ethics@uni.example", Name: "Eva Ethics", Role: pactum.RoleReviewer}
		if err := uc.CreateUser(sys, rev); err != nil {
			t.Fatal(err)
		}
		if err := uc.UpdateReviewerProfile(storetest.As(rev), &pactum.ReviewerProfile{UserID: rev.ID,
			Expertise: []string{pactum.EthicsExpertise, "medical imaging"}}); err != nil {
			t.Fatal(err)
		}
		p, err := uc.FindProposalByID(mgr, inReview)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Stage.Assignable() {
			ar, err := uc.AssignReviewers(mgr, p.CallID, tr.Stage)
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, a := range ar.Assignments {
				got = got || a.ProposalID == inReview
			}
			if !got {
				t.Errorf("no %s reviewer assigned to the carried-forward proposal: %+v", tr.Stage, ar)
			}
		}

		// The allocation active before conditions runs through its grace.
		al, err := uc.FindAllocationByID(mgr, activated)
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.GetSystem(ctx, al.SystemID)
		if err != nil {
			t.Fatal(err)
		}
		desired := func() pactum.DesiredAllocation {
			t.Helper()
			st, err := uc.DesiredState(mgr, s.Site, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range st.Allocations {
				if d.AllocationID == activated {
					return d
				}
			}
			t.Fatalf("%s not in its site's desired state", activated)
			return pactum.DesiredAllocation{}
		}
		if d := desired(); d.Suspended || d.State != pactum.AllocationActive {
			t.Fatalf("within its grace: %+v", d)
		}
		applicants, _, err := db.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{OrganizationID: &al.OrganizationID})
		if err != nil || len(applicants) == 0 {
			t.Fatal(err)
		}
		ns, _, err := uc.FindNotifications(storetest.As(applicants[0]), pactum.NotificationFilter{Limit: 100})
		told := false
		for _, n := range ns {
			told = told || strings.Contains(n.Body, activated)
		}
		if err != nil || !told {
			t.Errorf("the applicant was not told of the grace: %v %v", ns, err)
		}
		clock.Advance(pactum.ConditionGrace)
		if d := desired(); !d.Suspended {
			t.Fatalf("after its grace: %+v", d)
		}
		conds, err := uc.FindConditions(mgr, activated)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conds {
			if _, err := uc.AcknowledgeCondition(storetest.As(applicants[0]), activated, c.RuleID, "We comply: see our documentation."); err != nil {
				t.Fatal(err)
			}
		}
		if d := desired(); d.Suspended {
			t.Fatalf("acknowledged: %+v", d)
		}
	})
}

// kept reports whether the upgrade kept an old value: equal, where maps
// may have gained keys.
func kept(old, now any) bool {
	switch o := old.(type) {
	case map[string]any:
		n, ok := now.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range o {
			if !kept(v, n[k]) {
				return false
			}
		}
		return true
	case []any:
		n, ok := now.([]any)
		if !ok || len(n) != len(o) {
			return false
		}
		for i := range o {
			if !kept(o[i], n[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(old, now)
}

// TestCarryForwardTwoInstances: two instances starting together on an
// upgraded database both carry it forward without failing, and each row is
// placed once.
func TestCarryForwardTwoInstances(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := loadFixture(t, dialect)
		sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
		var apps []*usecase.App
		var dbs []*sqlstore.DB
		for range 2 {
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
			apps = append(apps, storetest.App(t, db, mock.Approving(), nil))
		}
		reps := make([]*usecase.CarryReport, 2)
		errs := make([]error, 2)
		done := make(chan int)
		for i := range 2 {
			go func() { reps[i], errs[i] = apps[i].CarryForward(sys); done <- i }()
		}
		<-done
		<-done
		reviews, graces := 0, 0
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("instance %d: %v", i, errs[i])
			}
			reviews += len(reps[i].Reviews)
			graces += len(reps[i].Graces)
		}
		again, err := apps[0].CarryForward(sys)
		if err != nil || len(again.Reviews)+len(again.Graces) != 0 {
			t.Fatalf("a third run: %+v %v", again, err)
		}
		if reviews != 1 || graces == 0 {
			t.Fatalf("placed %d review tracks and %d graces between the two", reviews, graces)
		}
		if err := dbs[0].SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
		evs, _, err := dbs[0].ListAuditEvents(ctx, pactum.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Action == "allocation.condition_grace" {
				n++
			}
		}
		if n != graces {
			t.Errorf("%d grace events for %d graces", n, graces)
		}
	})
}
