// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

// TestBucketCacheLearnsOnlyCommits: a bucket created by a use case that
// rolls back must never be cached (its id may be given to another bucket);
// one created by a use case that commits is.
func TestBucketCacheLearnsOnlyCommits(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "pactum.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	// The smallest world a bucket needs: a system, an organization, a
	// call, a proposal and its allocation.
	sys := &pactum.System{ID: "s", Name: "S", Site: "X", Country: "DE", Partition: "p", Accelerator: "a", Nodes: 1, GPUsPerNode: 4,
		PeakTFLOPSPerGPU: 1, Unit: pactum.UnitGPUHours, CapacityPerPeriod: 100, Software: "cuda", Scheduler: "slurm"}
	org := &pactum.Organization{ID: "o", LegalName: "O", Country: "DE", RegistrationNumber: "1", FoundedOn: pactum.MustDate("2020-01-01"), CreatedAt: now}
	call := &pactum.Call{ID: "c", Title: "C", OpensAt: now, CutoffAt: now.Add(time.Hour), Modes: []pactum.CallMode{}, SystemIDs: []string{"s"}, CreatedAt: now}
	user := &pactum.User{ID: "u", Email: "u@x.example", Name: "U", Role: pactum.RoleApplicant, OrganizationID: "o", CreatedAt: now}
	p := &pactum.Proposal{ID: "p", OrganizationID: "o", ApplicantID: "u", ProposalInput: pactum.ProposalInput{CallID: "c", Mode: pactum.ModeFastLane, Title: "P"},
		State: pactum.ProposalApproved, CreatedAt: now, UpdatedAt: now, Version: 1}
	al := &pactum.Allocation{ID: "a", ProposalID: "p", OrganizationID: "o", SystemID: "s", Amount: 1, Unit: pactum.UnitGPUHours,
		StartsAt: now, EndsAt: now.Add(time.Hour), State: pactum.AllocationActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	err = db.write(ctx, nil, func(tx *Tx) error {
		return errors.Join(tx.UpsertSystem(ctx, sys), tx.InsertOrganization(ctx, org), tx.InsertCall(ctx, call), tx.InsertUser(ctx, user),
			tx.InsertProposal(ctx, p), tx.InsertAllocation(ctx, al, "c"))
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &pactum.UsageRecord{Cluster: "x", AllocationID: "a", UsageRecordInput: pactum.UsageRecordInput{JobID: "1", Username: "ada", State: "RUNNING"}}
	cached := func() int {
		db.buckets.mu.RLock()
		defer db.buckets.mu.RUnlock()
		return len(db.buckets.ids)
	}
	boom := errors.New("boom")
	err = db.write(ctx, nil, func(tx *Tx) error {
		if err := tx.PutUsageRecords(ctx, []*pactum.UsageRecord{rec}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || cached() != 0 {
		t.Fatalf("after a rolled-back use case: err %v, %d buckets cached", err, cached())
	}
	if err := db.write(ctx, nil, func(tx *Tx) error { return tx.PutUsageRecords(ctx, []*pactum.UsageRecord{rec}) }); err != nil {
		t.Fatal(err)
	}
	if cached() != 1 {
		t.Fatalf("after a committed use case: %d buckets cached, want 1", cached())
	}
	stored, err := db.getUsageRecordsOnce(ctx, "x", []string{"1"})
	if err != nil || stored["1"] == nil || stored["1"].Username != "ada" || stored["1"].AllocationID != "a" {
		t.Fatalf("stored record: %+v %v", stored, err)
	}
}

// getUsageRecordsOnce reads records in a transaction of its own.
func (db *DB) getUsageRecordsOnce(ctx context.Context, cluster string, jobs []string) (map[string]*pactum.UsageRecord, error) {
	var out map[string]*pactum.UsageRecord
	err := db.write(ctx, nil, func(tx *Tx) error {
		var err error
		out, err = tx.GetUsageRecords(ctx, cluster, jobs)
		return err
	})
	return out, err
}
