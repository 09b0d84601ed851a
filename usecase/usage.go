// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pactum/pactum"
)

// batch is a usage batch prepared before the write transaction: the
// records checked, their accounts resolved to the caller's allocations and
// their charges computed, so that the single writer spends its time on the
// database.
type batch struct {
	cluster string
	res     *pactum.UsageIngest
	recs    []pactum.UsageRecord // the records to merge, in input order
	at      []int                // recs[k] is the input record at[k]
	job     []int32              // recs[k]'s job, an index into jobs
	jobs    []string             // distinct job ids
	user    []int32              // recs[k]'s (allocation, user), an index into users
	users   []userKey            // distinct (allocation, user) pairs
	// allocs holds the batch's allocations by ID, as read before the
	// transaction: their unit, amount and site never change; their state
	// is read again inside it where it matters.
	allocs map[string]*pactum.Allocation
	// models holds the models the batch's claims resolved to, by Num.
	models map[int64]*pactum.Model
	// notes holds, by index into recs, what became of a model claim
	// that resolved to no model.
	notes map[int]string
	// systems is the catalogue, for the FLOP the running totals add.
	systems map[string]*pactum.System
}

// IngestUsage stores a batch of records from one cluster in one
// transaction: each job is kept once, keyed by (cluster, job id), and
// replaced only as pactum.MergeUsage allows; totals per allocation and per
// user change by exactly the difference; a threshold crossed is recorded
// once, and at 100 % an active allocation becomes exhausted. Site
// operators only (EFORBIDDEN otherwise), and only for their site's
// allocations: a record for any other account is rejected, as is a
// malformed one, each with its reason, without failing the batch. EINVALID
// for a bad cluster name or more than pactum.MaxUsageBatch records.
func (a *App) IngestUsage(ctx context.Context, b pactum.UsageBatch) (*pactum.UsageIngest, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != pactum.RoleSiteOperator {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only site operators post usage, for their own site's allocations.")
	}
	var v pactum.Validator
	v.Check(pactum.ValidClusterName(b.Cluster), "cluster", "must be a cluster name (lower-case letters, digits, '_', '-')")
	v.Check(len(b.Records) <= pactum.MaxUsageBatch, "records", "must hold at most %d records", pactum.MaxUsageBatch)
	if err := v.Err("The usage batch is not valid."); err != nil {
		return nil, err
	}
	bt, err := a.prepare(ctx, u, &b)
	if err != nil {
		return nil, err
	}
	if err := a.attribute(ctx, bt); err != nil {
		return nil, err
	}
	if err := a.update(ctx, u, func(tx pactum.Tx) error { return a.ingest(ctx, tx, u, bt) }); err != nil {
		return nil, err
	}
	res := bt.res
	now := a.now()
	var lags []time.Duration
	for i, r := range res.Results {
		switch r.Status {
		case pactum.UsageAccepted:
			res.Accepted++
			if end := b.Records[i].EndAt; end != nil && b.Records[i].Final {
				lags = append(lags, now.Sub(*end))
			}
		case pactum.UsageDuplicate:
			res.Duplicate++
		default:
			res.Rejected++
		}
	}
	a.observer.UsageIngested(b.Cluster, res, lags)
	return res, nil
}

// prepare checks each record and resolves its account to one of the
// site's allocations, rejecting it otherwise.
func (a *App) prepare(ctx context.Context, u *pactum.User, b *pactum.UsageBatch) (*batch, error) {
	n := len(b.Records)
	bt := &batch{cluster: b.Cluster, res: &pactum.UsageIngest{Results: make([]pactum.UsageResult, n)},
		recs: make([]pactum.UsageRecord, 0, n), at: make([]int, 0, n), job: make([]int32, 0, n), user: make([]int32, 0, n),
		allocs: map[string]*pactum.Allocation{}}
	byAccount := map[string]*pactum.Allocation{}
	var ids []string
	now := a.clock()
	for i := range b.Records {
		r := &b.Records[i]
		bt.res.Results[i].JobID = r.JobID
		reason := r.Validate()
		if reason == "" {
			reason = r.CheckTimes(now)
		}
		if reason != "" {
			bt.res.Results[i].Status, bt.res.Results[i].Reason = pactum.UsageRejected, reason
			continue
		}
		if _, seen := byAccount[r.Account]; !seen {
			byAccount[r.Account] = nil
			if id, ok := pactum.AllocationIDFromAccount(r.Account); ok {
				ids = append(ids, id)
			}
		}
	}
	hosted, err := a.hostedAllocations(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, h := range hosted {
		if h.Site == u.Site {
			bt.allocs[h.Allocation.ID] = h.Allocation
			byAccount[pactum.AllocationAccount(h.Allocation.ID)] = h.Allocation
		}
	}
	jobOf := make(map[string]int32, n)
	userOf := map[userKey]int32{}
	for i := range b.Records {
		in := &b.Records[i]
		out := &bt.res.Results[i]
		if out.Status != "" {
			continue
		}
		al := byAccount[in.Account]
		if al == nil {
			// Accounts of other sites and accounts that are no
			// allocation's get the same answer, so a site learns nothing
			// about another's allocations.
			out.Status = pactum.UsageRejected
			out.Reason = fmt.Sprintf("account %s is not an allocation of site %s", in.Account, u.Site)
			continue
		}
		// Filled in place: a record is a few hundred bytes, and a
		// composite literal appended is built and then copied.
		bt.recs = bt.recs[:len(bt.recs)+1]
		rec := &bt.recs[len(bt.recs)-1]
		rec.Cluster, rec.UsageRecordInput, rec.AllocationID = b.Cluster, *in, al.ID
		rec.ChargeSeconds = pactum.ChargeSeconds(al.Unit, in.GPUSeconds, in.NodeSeconds)
		bt.at = append(bt.at, i)
		bt.job = append(bt.job, index(jobOf, &bt.jobs, in.JobID))
		bt.user = append(bt.user, index(userOf, &bt.users, userKey{al.ID, in.Username}))
	}
	return bt, nil
}

// userKey is one cluster user's usage under one allocation.
type userKey struct{ alloc, user string }

// index numbers the distinct keys of a batch: the index of k in *list,
// appended when new. Numbering before the transaction lets the writer
// work on slices instead of maps.
func index[K comparable](of map[K]int32, list *[]K, k K) int32 {
	i, ok := of[k]
	if !ok {
		i = int32(len(*list))
		of[k] = i
		*list = append(*list, k)
	}
	return i
}

// ingest is the write use case: it merges the prepared records with what is
// stored and writes the differences.
func (a *App) ingest(ctx context.Context, tx pactum.Tx, u *pactum.User, bt *batch) error {
	// A use case runs once, but start from the prepared state anyway, so
	// that the results can only ever describe the attempt that committed.
	for _, i := range bt.at {
		bt.res.Results[i].Status, bt.res.Results[i].Reason = "", ""
	}
	if len(bt.recs) == 0 {
		return nil
	}
	if err := tx.LockUsageCluster(ctx, bt.cluster); err != nil {
		return err
	}
	stored, err := tx.GetUsageRecords(ctx, bt.cluster, bt.jobs)
	if err != nil {
		return err
	}
	for _, r := range stored {
		al, err := bt.allocation(ctx, tx, r.AllocationID)
		if err != nil {
			return err
		}
		r.ChargeSeconds = pactum.ChargeSeconds(al.Unit, r.GPUSeconds, r.NodeSeconds)
	}
	order, latest := bt.merge(stored)
	if len(order) == 0 {
		return nil
	}
	written := make([]*pactum.UsageRecord, len(order))
	for i, j := range order {
		written[i] = &bt.recs[latest[j]-1]
	}
	if err := tx.PutUsageRecords(ctx, written); err != nil {
		return err
	}
	users, allocs, added := bt.deltas(order, latest, stored)
	after, err := tx.AddUsageTotals(ctx, users, allocs, tx.Now())
	if err != nil {
		return err
	}
	charged := make(map[string]int64, len(allocs))
	gpu := make(map[string]int64, len(allocs))
	for _, d := range allocs {
		charged[d.AllocationID] = d.ChargeSeconds
		gpu[d.AllocationID] = d.GPUSeconds
		al, err := bt.allocation(ctx, tx, d.AllocationID)
		if err != nil {
			return err
		}
		if err := a.crossThresholds(ctx, tx, u, al, after[d.AllocationID]-d.ChargeSeconds, after[d.AllocationID]); err != nil {
			return err
		}
	}
	if err := tx.AddClusterRecords(ctx, bt.cluster, added, tx.Now()); err != nil {
		return err
	}
	if err := tx.NoteUsageBatch(ctx, bt.cluster, u.Site, int64(len(written)), added, tx.Now()); err != nil {
		return err
	}
	modelDeltas, days, flop, err := bt.modelDeltas(ctx, tx, order, latest, stored)
	if err != nil {
		return err
	}
	if err := tx.AddModelUsage(ctx, modelDeltas, days); err != nil {
		return err
	}
	if err := a.flagNotAsAsked(ctx, tx, bt, modelDeltas); err != nil {
		return err
	}
	flopAfter, err := tx.AddComputeTotals(ctx, flop, tx.Now())
	if err != nil {
		return err
	}
	if err := a.crossComputeAlerts(ctx, tx, bt, flop, flopAfter); err != nil {
		return err
	}
	// One event per batch, not per job: the records are the ledger; the
	// event says who changed it, when, and by how much per allocation
	// (GPU-seconds too, from which a transparency report's GPU-hours used
	// are reproduced).
	return tx.Record("usage.ingest", "cluster", bt.cluster, nil, map[string]any{
		"written": len(written), "new": added, "charge_seconds": charged, "gpu_seconds": gpu,
	})
}

// allocation returns one of the batch's allocations, or one a stored
// record belongs to, read in tx.
func (bt *batch) allocation(ctx context.Context, tx pactum.Tx, id string) (*pactum.Allocation, error) {
	if al := bt.allocs[id]; al != nil {
		return al, nil
	}
	al, _, err := tx.GetAllocation(ctx, id)
	if err != nil {
		return nil, err
	}
	bt.allocs[id] = al
	return al, nil
}

// merge applies pactum.MergeUsage in input order, so that a job listed
// twice meets its earlier accepted version, and sets each record's result.
// It returns the jobs to write, in the order first accepted, and for each
// job 1 + the index in recs of its accepted version (0 for none).
func (bt *batch) merge(stored map[string]*pactum.UsageRecord) (order, latest []int32) {
	latest = make([]int32, len(bt.jobs))
	for k := range bt.recs {
		rec := &bt.recs[k]
		j := bt.job[k]
		prev := stored[rec.JobID]
		if l := latest[j]; l > 0 {
			prev = &bt.recs[l-1]
		}
		status, reason := pactum.MergeUsage(prev, rec)
		out := &bt.res.Results[bt.at[k]]
		out.Status, out.Reason = status, reason
		if reason == "" {
			out.Reason = bt.notes[k] // the claim's fate, if it had one
		}
		if status != pactum.UsageAccepted {
			continue
		}
		if latest[j] == 0 {
			order = append(order, j)
		}
		latest[j] = int32(k + 1)
	}
	return order, latest
}

// deltas returns how totals change when the written records replace the
// stored ones: per (allocation, user), per allocation (in ID order, so
// that thresholds are recorded in the same order whatever the batch's),
// and the number of new jobs.
func (bt *batch) deltas(order, latest []int32, stored map[string]*pactum.UsageRecord) (users, allocs []pactum.UsageDelta, added int64) {
	byUser := make([]pactum.UsageTotals, len(bt.users))
	other := map[userKey]*pactum.UsageTotals{} // users of replaced records outside the batch's
	for _, j := range order {
		k := latest[j] - 1
		byUser[bt.user[k]].Add(&bt.recs[k], 1)
		old := stored[bt.jobs[j]]
		if old == nil {
			added++
			continue
		}
		t := other[userKey{old.AllocationID, old.Username}]
		if t == nil {
			t = &pactum.UsageTotals{}
			other[userKey{old.AllocationID, old.Username}] = t
		}
		t.Add(old, -1)
	}
	for key, t := range other {
		if i := slices.Index(bt.users, key); i >= 0 {
			byUser[i].Plus(*t)
			delete(other, key)
		}
	}
	byAlloc := map[string]*pactum.UsageTotals{}
	add := func(key userKey, t pactum.UsageTotals) {
		if t == (pactum.UsageTotals{}) {
			return
		}
		users = append(users, pactum.UsageDelta{AllocationID: key.alloc, Username: key.user, UsageTotals: t})
		at := byAlloc[key.alloc]
		if at == nil {
			at = &pactum.UsageTotals{}
			byAlloc[key.alloc] = at
		}
		at.Plus(t)
	}
	for i, key := range bt.users {
		add(key, byUser[i])
	}
	for key, t := range other {
		add(key, *t)
	}
	ids := make([]string, 0, len(byAlloc))
	for id, t := range byAlloc {
		if *t != (pactum.UsageTotals{}) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		allocs = append(allocs, pactum.UsageDelta{AllocationID: id, UsageTotals: *byAlloc[id]})
	}
	return users, allocs, added
}

// crossThresholds records the thresholds that usage going from before to
// after reached for the first time, and exhausts the allocation at 100 %
// if it is active now.
func (a *App) crossThresholds(ctx context.Context, tx pactum.Tx, u *pactum.User, al *pactum.Allocation, before, after int64) error {
	if after <= before {
		return nil // a job moved away: nothing is crossed upwards
	}
	limit := al.LimitSeconds()
	already := map[int]bool{}
	for _, t := range pactum.ThresholdsReached(before, limit) {
		already[t] = true
	}
	for _, t := range pactum.ThresholdsReached(after, limit) {
		if already[t] {
			continue
		}
		isNew, err := tx.InsertUsageThreshold(ctx, al.ID, pactum.UsageThreshold{Percent: t, ChargeSeconds: after, CrossedAt: tx.Now()})
		if err != nil {
			return err
		}
		if !isNew {
			continue // crossed before; usage since went down and up again
		}
		if err := tx.Record("allocation.usage_threshold", "allocation", al.ID, nil, map[string]any{
			"percent": t, "charge_seconds": after, "limit_seconds": limit, "unit": al.Unit,
		}); err != nil {
			return err
		}
		if err := a.notifyOrganization(ctx, tx, al.OrganizationID, pactum.NotifyUsageThreshold,
			fmt.Sprintf("Allocation %s on %s has used %d %% of its grant", al.ID, al.SystemID, t),
			usageThresholdNotice(al, t)); err != nil {
			return err
		}
	}
	if after < limit || al.State != pactum.AllocationActive {
		// Not at the grant, or not active when the batch began: an
		// allocation exhausted by an earlier batch is not read again on
		// every batch that follows (on PostgreSQL that was a round trip
		// per exhausted allocation per batch, a fifth of the ingest). One
		// reactivated while this batch ran is exhausted by the next.
		return nil
	}
	// The state read before the transaction may be stale (it may come
	// from the cache): read it again, and have the next batch read it
	// afresh too, so that an allocation exhausted now or before is not
	// read again inside every later batch's transaction.
	a.cache.dropAllocation(al.ID)
	cur, _, err := tx.GetAllocation(ctx, al.ID)
	if err != nil {
		return err
	}
	if cur.State != pactum.AllocationActive {
		return nil // exhausted already, or suspended, pending, expired
	}
	reason := fmt.Sprintf("usage of %d charge-seconds reached the grant of %d (%g %s)", after, limit, al.Amount, al.Unit)
	if _, err := transitionAllocation(ctx, tx, u, al.ID, pactum.AllocationExhausted, reason); err != nil {
		return fmt.Errorf("exhaust allocation %s: %w", al.ID, err)
	}
	return nil
}

// FindUsageSummary returns an allocation's totals, per-user totals and
// crossed thresholds, to whoever may see the allocation
// (CanSeeAllocation); ENOTFOUND otherwise.
func (a *App) FindUsageSummary(ctx context.Context, allocationID string) (*pactum.UsageSummary, error) {
	var sum *pactum.UsageSummary
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		al, _, err := visibleAllocation(ctx, q, allocationID)
		if err != nil {
			return err
		}
		if sum, err = q.GetUsageTotals(ctx, al.ID); err != nil {
			return err
		}
		sum.SystemID, sum.State, sum.Unit, sum.Amount, sum.LimitSeconds = al.SystemID, al.State, al.Unit, al.Amount, al.LimitSeconds()
		rows, err := q.ListAllocationModelUsage(ctx, al.ID)
		if err != nil {
			return err
		}
		models, err := organizationModels(ctx, q, al.OrganizationID)
		if err != nil {
			return err
		}
		systems, err := systemMap(ctx, q)
		if err != nil {
			return err
		}
		sum.Models = modelShares(rows, models, systems[al.SystemID])
		p, err := q.GetProposal(ctx, al.ProposalID)
		if err != nil {
			return err
		}
		sum.Flags = pactum.UsageFlags(p, sum.Models)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sum.Finish()
	return sum, nil
}

// FindUsageRecords lists an allocation's job records, latest started
// first, and the total matching, to whoever may see the allocation;
// ENOTFOUND otherwise.
func (a *App) FindUsageRecords(ctx context.Context, f pactum.UsageFilter) ([]*pactum.UsageRecord, int, error) {
	al, _, err := visibleAllocation(ctx, a.store, f.AllocationID)
	if err != nil {
		return nil, 0, err
	}
	recs, total, err := a.store.ListUsageRecords(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	models, err := organizationModels(ctx, a.store, al.OrganizationID)
	if err != nil {
		return nil, 0, err
	}
	systems, err := a.systems(ctx)
	if err != nil {
		return nil, 0, err
	}
	sys := systems[al.SystemID]
	for _, r := range recs {
		r.Account = pactum.AllocationAccount(al.ID)
		r.ChargeSeconds = pactum.ChargeSeconds(al.Unit, r.GPUSeconds, r.NodeSeconds)
		mfu := 0.0
		if m := models[r.ModelNum]; m != nil {
			r.Model, mfu = m.Label(), m.DeclaredMFU
		}
		b := pactum.RecordBasis(&r.UsageRecordInput)
		r.FLOP, r.EnergyJ = pactum.ModelFLOP(sys, mfu, r.GPUSeconds, b), pactum.ModelEnergyJ(sys, r.GPUSeconds, b)
	}
	return recs, total, nil
}

// usageThresholdNotice tells an organization what a crossed threshold
// means for its allocation.
func usageThresholdNotice(al *pactum.Allocation, percent int) string {
	what := "Plan the rest of the work within what is left, or ask for more."
	if percent >= 100 {
		what = "The grant is used up: the allocation is exhausted and its jobs are no longer admitted."
	}
	return fmt.Sprintf("Allocation %s on %s has used %d %% of its grant of %g %s. %s (pactum allocations usage %s)",
		al.ID, al.SystemID, percent, al.Amount, al.Unit, what, al.ID)
}
