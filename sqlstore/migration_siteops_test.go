// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestSiteOpsMigration: migration 00280 goes down (dropping drift_reports
// and the usage_clusters columns) and up again on both engines, and on
// the way up gives a cluster already known the site of its records.
func TestSiteOpsMigration(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := storetest.Seed(t, db, time.Now().UTC())
		app := storetest.App(t, db, nil, nil)
		p := storetest.NewProposal(f.Call.ID)
		p.Requests = []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 100, StorageTB: 1}}
		if err := app.SubmitNewProposal(storetest.As(f.ApplicantA), p); err != nil {
			t.Fatal(err)
		}
		als, _, err := app.FindAllocations(storetest.As(f.Manager), pactum.AllocationFilter{ProposalID: &p.ID})
		if err != nil || len(als) != 1 {
			t.Fatal(als, err)
		}
		start := time.Now().Add(-2 * time.Hour).UTC()
		end := start.Add(time.Hour)
		if _, err := app.IngestUsage(storetest.As(f.Operator), pactum.UsageBatch{Cluster: "lumi", Records: []pactum.UsageRecordInput{{JobID: "1",
			Account: pactum.AllocationAccount(als[0].ID), Username: "ada", State: "COMPLETED", Final: true, StartAt: &start, EndAt: &end,
			ElapsedSeconds: 3600, GPUSeconds: 3600, NodeSeconds: 3600, CPUSeconds: 3600}}}); err != nil {
			t.Fatal(err)
		}
		if err := app.ReportDrift(storetest.As(f.Operator), "CSC", pactum.DriftReport{Cluster: "lumi", Items: []pactum.DriftItem{{Account: "a1", Action: "resume", Found: "suspended"}}}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		driver, gd := "sqlite", goose.DialectSQLite3
		if dialect == sqlstore.Postgres {
			driver, gd = "pgx", goose.DialectPostgres
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		gp, err := goose.NewProvider(gd, raw, os.DirFS("migrations/"+dialect))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gp.DownTo(ctx, 279); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := raw.Exec(`SELECT COUNT(*) FROM drift_reports`); err == nil {
			t.Fatal("drift_reports survived the migration's Down")
		}
		if _, err := raw.Exec(`SELECT site FROM usage_clusters`); err == nil {
			t.Fatal("usage_clusters.site survived the migration's Down")
		}
		if _, err := gp.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		var site string
		var records int
		if err := raw.QueryRow(`SELECT site, records FROM usage_clusters WHERE cluster = 'lumi'`).Scan(&site, &records); err != nil || site != "CSC" || records != 1 {
			t.Errorf("lumi after up: %q %d %v", site, records, err)
		}
	})
}
