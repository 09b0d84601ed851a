// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// The store's own contract, on both engines: transactions keep all or
// nothing, version guards refuse lost updates, capacity is reserved
// atomically, scopes fail closed, audit events seal in order, and bulk
// usage statements handle every chunk shape. The use cases' behaviour is
// tested in package usecase.

var t0 = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

type store struct {
	db    *sqlstore.DB
	clock *storetest.Clock
	uc    *usecase.App
	f     *storetest.Fixture
}

func newStore(t *testing.T, dialect string) *store {
	t.Helper()
	s := &store{clock: &storetest.Clock{T: t0}}
	s.db = storetest.Open(t, dialect, sqlstore.Options{Now: s.clock.Now})
	s.uc = storetest.App(t, s.db, nil, s.clock.Now)
	s.f = storetest.Seed(t, s.db, t0)
	return s
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (s *store) events(t *testing.T) int64 {
	t.Helper()
	if err := s.db.SealAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq, _, err := s.db.GetAuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := pactum.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

// approved submits a fast-lane proposal for 10 GPU-hours on Leonardo and
// returns it with its allocation.
func (s *store) approved(t *testing.T) (*pactum.Proposal, *pactum.Allocation) {
	t.Helper()
	p := storetest.NewProposal(s.f.Call.ID)
	p.Requests[0].Amount = 10
	if err := s.uc.SubmitNewProposal(storetest.As(s.f.ApplicantA), p); err != nil {
		t.Fatal(err)
	}
	as, _, err := s.db.ListAllocations(context.Background(), pactum.Scope{All: true}, pactum.AllocationFilter{ProposalID: &p.ID})
	if err != nil || len(as) != 1 {
		t.Fatalf("allocation of %s: %v %v", p.ID, as, err)
	}
	return p, as[0]
}

func TestUpdateIsAllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		before := s.events(t)
		boom := errors.New("boom")
		o := &pactum.Organization{ID: newID(), LegalName: "Rollback Oy", Country: "FI", RegistrationNumber: "R1",
			FoundedOn: pactum.MustDate("2020-01-01"), CreatedAt: t0}
		err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			if err := tx.InsertOrganization(ctx, o); err != nil {
				return err
			}
			if err := tx.Record("organization.create", "organization", o.ID, nil, o); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update returned %v, want the use case's error", err)
		}
		_, err = s.db.GetOrganization(ctx, o.ID)
		wantCode(t, err, pactum.ENOTFOUND)
		if got := s.events(t); got != before {
			t.Fatalf("a failed use case left %d audit events", got-before)
		}
		// A use case that panics rolls back on its way out, and the writer
		// carries on.
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the use case's panic was swallowed")
				}
			}()
			_ = pactum.Update(ctx, s.db, nil, func(tx pactum.Tx) error {
				if err := tx.InsertOrganization(ctx, o); err != nil {
					return err
				}
				panic("bug")
			})
		}()
		if err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error { return tx.InsertOrganization(ctx, o) }); err != nil {
			t.Fatalf("after a panic the store no longer writes: %v", err)
		}
		if _, err := s.db.GetOrganization(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestGroupedUpdatesFailAlone runs many use cases at once, every third
// failing after it wrote: SQLite commits them in groups, each in a
// savepoint, and only the failed ones may vanish; the chain stays whole.
func TestGroupedUpdatesFailAlone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		before := s.events(t)
		const n = 60
		ids := make([]string, n)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			ids[i] = newID()
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
					o := &pactum.Organization{ID: ids[i], LegalName: fmt.Sprintf("Org %d", i), Country: "DE", RegistrationNumber: fmt.Sprint(i),
						FoundedOn: pactum.MustDate("2020-01-01"), CreatedAt: tx.Now()}
					if err := tx.InsertOrganization(ctx, o); err != nil {
						return err
					}
					if err := tx.Record("organization.create", "organization", o.ID, nil, o); err != nil {
						return err
					}
					if i%3 == 0 {
						return fmt.Errorf("use case %d fails", i)
					}
					return nil
				})
			}()
		}
		wg.Wait()
		kept := 0
		for i := range n {
			_, err := s.db.GetOrganization(ctx, ids[i])
			switch {
			case i%3 == 0 && errs[i] == nil, i%3 != 0 && errs[i] != nil:
				t.Fatalf("use case %d: error %v", i, errs[i])
			case i%3 == 0:
				wantCode(t, err, pactum.ENOTFOUND)
			case err != nil:
				t.Fatalf("use case %d reported success but its organization is missing: %v", i, err)
			default:
				kept++
			}
		}
		if got := s.events(t) - before; got != int64(kept) {
			t.Fatalf("%d use cases committed %d audit events", kept, got)
		}
		r, err := usecase.VerifyAudit(ctx, s.db)
		if err != nil || !r.OK {
			t.Fatalf("chain after grouped use cases: %+v %v", r, err)
		}
	})
}

// TestAdoptedEventsComeFirst: events prepared before a transaction are
// sealed ahead of those recorded in it, in order, with IDs and times.
func TestAdoptedEventsComeFirst(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		before := s.events(t)
		e1, _ := pactum.NewAuditEvent("prepared", "test.first", "test", "x", nil, map[string]int{"n": 1})
		e2, _ := pactum.NewAuditEvent("prepared", "test.second", "test", "x", nil, nil)
		err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			if err := tx.Record("test.third", "test", "x", nil, nil); err != nil {
				return err
			}
			tx.Adopt([]*pactum.AuditEvent{e1, e2})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.db.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
		evs, _, err := s.db.ListAuditEvents(ctx, pactum.AuditFilter{AfterSeq: before})
		if err != nil || len(evs) != 3 {
			t.Fatalf("events: %v %v", evs, err)
		}
		for i, want := range []string{"test.first", "test.second", "test.third"} {
			e := evs[i]
			if e.Action != want || e.ID == "" || e.At.IsZero() || e.Seq != before+int64(i)+1 {
				t.Errorf("event %d: %+v, want %s sealed in order", i, e, want)
			}
		}
		if evs[2].ActorID != s.f.Manager.ID || evs[0].ActorID != "prepared" {
			t.Errorf("actors: %q %q", evs[0].ActorID, evs[2].ActorID)
		}
	})
}

// TestVersionGuard: a write based on a stale version is refused and
// changes nothing.
func TestVersionGuard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		_, a := s.approved(t)
		stale := *a
		err := pactum.Update(ctx, s.db, s.f.Operator, func(tx pactum.Tx) error {
			b := *a
			b.State, b.Version = pactum.AllocationActive, a.Version+1
			return tx.UpdateAllocationState(ctx, &b, a.Version)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			stale.State, stale.Version = pactum.AllocationExpired, a.Version+1
			return tx.UpdateAllocationState(ctx, &stale, a.Version)
		})
		wantCode(t, err, pactum.ECONFLICT)
		got, _, err := s.db.GetAllocation(ctx, a.ID)
		if err != nil || got.State != pactum.AllocationActive || got.Version != a.Version+1 {
			t.Fatalf("after a stale write: %+v %v", got, err)
		}
	})
}

// TestReserveCapacity: grants that fit are added to the call's totals; a
// grant that would not fit adds nothing, gives back the reservation's
// earlier grants and reports what was granted already.
func TestReserveCapacity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		leo, err := s.db.GetSystem(ctx, "leonardo-booster")
		if err != nil {
			t.Fatal(err)
		}
		reserve := func(grants ...pactum.Grant) *pactum.CapacityShortfall {
			t.Helper()
			var short *pactum.CapacityShortfall
			err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
				var err error
				short, err = tx.ReserveCapacity(ctx, s.f.Call.ID, grants)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return short
		}
		if short := reserve(pactum.Grant{SystemID: "leonardo-booster", Amount: leo.CapacityPerPeriod - 100}); short != nil {
			t.Fatalf("a grant within capacity: %+v", short)
		}
		short := reserve(pactum.Grant{SystemID: "lumi-g", Amount: 50}, pactum.Grant{SystemID: "leonardo-booster", Amount: 101})
		if short == nil || short.SystemID != "leonardo-booster" || short.Amount != 101 || short.Granted != leo.CapacityPerPeriod-100 {
			t.Fatalf("shortfall %+v", short)
		}
		snap, err := s.db.GetRunSnapshot(ctx, s.f.Call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Granted["lumi-g"] != 0 || snap.Granted["leonardo-booster"] != leo.CapacityPerPeriod-100 {
			t.Fatalf("running totals after a refused reservation: %v", snap.Granted)
		}
		if short := reserve(pactum.Grant{SystemID: "leonardo-booster", Amount: 100}); short != nil {
			t.Fatalf("the last 100 GPU-hours: %+v", short)
		}
	})
}

// TestCapacityShards: the call's total on a system is kept in shards, each
// with a share of the capacity. Grants much smaller than a share fill the
// system to its capacity exactly — none is refused while room is left in
// another shard — and the next is refused naming the whole total; a
// catalogue change of the capacity applies to the shares at once, down and
// up.
func TestCapacityShards(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		karolina, err := s.db.GetSystem(ctx, "karolina-gpu")
		if err != nil {
			t.Fatal(err)
		}
		capacity := karolina.CapacityPerPeriod
		each := capacity / 40
		reserve := func(amount float64) *pactum.CapacityShortfall {
			t.Helper()
			var short *pactum.CapacityShortfall
			err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
				var err error
				short, err = tx.ReserveCapacity(ctx, s.f.Call.ID, []pactum.Grant{{SystemID: "karolina-gpu", Amount: amount}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return short
		}
		for i := range 40 {
			if short := reserve(each); short != nil {
				t.Fatalf("grant %d of 40, each a fortieth of the capacity: %+v", i+1, short)
			}
		}
		short := reserve(1)
		if short == nil || math.Abs(short.Granted-capacity) > 1e-6 {
			t.Fatalf("a grant beyond the capacity: %+v, want refused with %g granted", short, capacity)
		}
		setCapacity := func(c float64) {
			t.Helper()
			k := *karolina
			k.CapacityPerPeriod = c
			if err := s.uc.UpsertSystems(pactum.NewContextWithUser(ctx, pactum.SystemUser()), []*pactum.System{&k}); err != nil {
				t.Fatal(err)
			}
		}
		setCapacity(capacity + 10)
		if short := reserve(10); short != nil {
			t.Fatalf("after the capacity grew by 10: %+v", short)
		}
		setCapacity(capacity / 2)
		if short := reserve(1); short == nil || math.Abs(short.Granted-capacity-10) > 1e-6 {
			t.Fatalf("after the capacity shrank below the total: %+v", short)
		}
		snap, err := s.db.GetRunSnapshot(ctx, s.f.Call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(snap.Granted["karolina-gpu"]-capacity-10) > 1e-6 {
			t.Fatalf("running total %g, want %g", snap.Granted["karolina-gpu"], capacity+10)
		}
	})
}

// TestScopesFailClosed: the empty scope, and a scope naming a condition a
// list cannot apply, return nothing; All returns everything.
func TestScopesFailClosed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		s.approved(t)
		for _, sc := range []pactum.Scope{{}, {Site: "CSC"}, {ReviewerID: s.f.Reviewer.ID}} {
			if got, n, err := s.db.ListOrganizations(ctx, sc, pactum.OrganizationFilter{}); err != nil || len(got) != 0 || n != 0 {
				t.Errorf("organizations within %+v: %d of %d (%v)", sc, len(got), n, err)
			}
			if got, n, err := s.db.ListUsers(ctx, sc, pactum.UserFilter{}); err != nil || len(got) != 0 || n != 0 {
				t.Errorf("users within %+v: %d of %d (%v)", sc, len(got), n, err)
			}
		}
		for _, sc := range []pactum.Scope{{}, {UserID: s.f.ApplicantA.ID}} {
			if got, _, err := s.db.ListAllocations(ctx, sc, pactum.AllocationFilter{}); err != nil || len(got) != 0 {
				t.Errorf("allocations within %+v: %d (%v)", sc, len(got), err)
			}
			if got, _, err := s.db.ListProposals(ctx, sc, pactum.ProposalFilter{}); err != nil || len(got) != 0 {
				t.Errorf("proposals within %+v: %d (%v)", sc, len(got), err)
			}
		}
		if got, n, err := s.db.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{}); err != nil || n != 6 || len(got) != 6 {
			t.Errorf("users within All: %d of %d (%v), want the fixture's 6", len(got), n, err)
		}
	})
}
