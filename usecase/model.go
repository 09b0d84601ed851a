// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// CreateModel registers a model of an organization: applicants for their
// own (the organization is theirs whatever the input says, EFORBIDDEN if
// the input names another), access managers for any (ENOTFOUND for an
// unknown organization). EINVALID for a bad model, ECONFLICT when the
// organization already has the name and version.
func (a *App) CreateModel(ctx context.Context, in *pactum.Model) (*pactum.Model, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	m := *in
	switch u.Role {
	case pactum.RoleApplicant:
		if m.OrganizationID != "" && m.OrganizationID != u.OrganizationID {
			return nil, pactum.Errorf(pactum.EFORBIDDEN, "Applicants register models of their own organization only.")
		}
		m.OrganizationID = u.OrganizationID
	case pactum.RoleAccessManager:
		if m.OrganizationID == "" {
			return nil, invalid("The model is not valid.", "organization_id", "is required")
		}
	default:
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only applicants and access managers register models.")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		if _, err := tx.GetOrganization(ctx, m.OrganizationID); err != nil {
			return err
		}
		m.ID, m.CreatedAt, m.CreatedBy = newID(), tx.Now(), u.ID
		if err := tx.InsertModel(ctx, &m); err != nil {
			return err
		}
		return tx.Record("model.create", "model", m.ID, nil, &m)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// FindModels lists the models the caller may see: an applicant their
// organization's, access managers and auditors anyone's; EFORBIDDEN for
// the other roles.
func (a *App) FindModels(ctx context.Context, f pactum.ModelFilter) ([]*pactum.Model, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleApplicant:
		f.OrganizationID = &u.OrganizationID
	default:
		return nil, 0, pactum.Errorf(pactum.EFORBIDDEN, "Only applicants, access managers and auditors see models.")
	}
	return a.store.ListModels(ctx, f)
}

// visibleModel returns model id (or NAME@VERSION of the caller's
// organization) if the caller may see it, ENOTFOUND otherwise.
func visibleModel(ctx context.Context, q pactum.Queries, u *pactum.User, ref string) (*pactum.Model, error) {
	var m *pactum.Model
	if strings.Contains(ref, "@") {
		if u.Role != pactum.RoleApplicant {
			return nil, pactum.Errorf(pactum.EINVALID, "Name a model by its ID (only applicants may use NAME@VERSION, for their own organization's).")
		}
		list, _, err := q.ListModels(ctx, pactum.ModelFilter{OrganizationID: &u.OrganizationID, Label: &ref, Limit: 2})
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			if x.Label() == ref {
				m = x
			}
		}
	} else {
		var err error
		if m, err = q.GetModel(ctx, ref); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return nil, err
		}
	}
	if m == nil || !pactum.CanSeeModel(u, m.OrganizationID) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Model %q not found.", ref)
	}
	return m, nil
}

// ModelCompute reports a model's supervision record: cumulative training
// compute by the hardware method (measured or declared utilisation) and
// by 6·P·D, with the ±30 % band and two significant figures; energy and
// CO₂e; the burn rate and the projected crossings; the organization's
// upper bound; flags; alerts; and the Art. 52 draft when due. All read on
// one snapshot, at the audit position it reports. ENOTFOUND for a model
// the caller may not see.
func (a *App) ModelCompute(ctx context.Context, ref string) (*pactum.ModelCompute, error) {
	r, err := a.modelRecord(ctx, ref)
	if err != nil {
		return nil, err
	}
	return r.mc, nil
}

// ModelDocumentation returns the compute, time and energy part of a
// model's documentation for audience, at the audit position it was
// computed at, signed with Config.DocumentKey when there is one. Whoever
// may see the model's compute; ENOTFOUND otherwise, EINVALID for an
// unknown audience.
func (a *App) ModelDocumentation(ctx context.Context, ref string, audience pactum.DocAudience) (*pactum.ModelDocumentation, error) {
	if !audience.Valid() {
		return nil, invalid("Unknown audience.", "audience", "must be ai-office, national-authority or downstream")
	}
	r, err := a.modelRecord(ctx, ref)
	if err != nil {
		return nil, err
	}
	d := pactum.BuildModelDocumentation(r.mc, r.provider, r.systems, audience, r.hash)
	if a.documentKey != "" {
		pub, err := audit.PublicKey(a.documentKey)
		if err != nil {
			return nil, fmt.Errorf("document key: %w", err)
		}
		d.PublicKey = pub // part of what is signed
		if _, d.Signature, err = audit.SignDocument(a.documentKey, d.Payload()); err != nil {
			return nil, err
		}
	} else {
		d.Notes = append(d.Notes, "Unsigned: this server has no document key (pactum serve --document-key).")
	}
	return d, nil
}

// modelRecord is a model's supervision record with what documentation
// adds to it.
type modelRecord struct {
	mc       *pactum.ModelCompute
	hash     string
	provider string
	systems  map[string]*pactum.System
}

func (a *App) modelRecord(ctx context.Context, ref string) (*modelRecord, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.store.SealAudit(ctx); err != nil {
		return nil, err
	}
	var mc *pactum.ModelCompute
	out := &modelRecord{}
	err = pactum.View(ctx, a.store, func(q pactum.Queries) error {
		m, err := visibleModel(ctx, q, u, ref)
		if err != nil {
			return err
		}
		org, orgAllocs, err := q.ListOrganizationUsage(ctx, m.OrganizationID)
		if err != nil {
			return err
		}
		rows := modelRows(org, m.Num)
		days, err := q.ListModelDays(ctx, m.Num)
		if err != nil {
			return err
		}
		mfuOf, err := declaredMFUs(ctx, q, m.OrganizationID)
		if err != nil {
			return err
		}
		systems, err := systemMap(ctx, q)
		if err != nil {
			return err
		}
		// The allocations the model's jobs ran under: those its totals name.
		ran := make(map[string]bool, len(rows))
		for _, r := range rows {
			ran[r.AllocationID] = true
		}
		allocs := make([]pactum.ModelAllocation, 0, len(ran))
		for i := range orgAllocs {
			if c := &orgAllocs[i]; ran[c.ID] {
				allocs = append(allocs, pactum.ModelAllocation{SystemID: c.SystemID, RemainingGPUSeconds: remainingGPUSeconds(c, systems[c.SystemID])})
			}
		}
		seq, hash, err := q.GetAuditHead(ctx)
		if err != nil {
			return err
		}
		out.hash, out.systems = hash, systems
		mc = pactum.BuildModelCompute(m, rows, org, mfuOf, days, systems, allocs, a.now())
		mc.AuditSeq = seq
		if mc.Alerts, err = q.ListComputeAlerts(ctx, pactum.ModelSubject(m.Num), pactum.OrganizationSubject(m.OrganizationID)); err != nil {
			return err
		}
		known := knownAt(mc.Alerts, pactum.ModelSubject(m.Num))
		for i := range mc.Alerts {
			if mc.Alerts[i].Subject == pactum.ModelSubject(m.Num) {
				mc.Alerts[i].Subject = "model:" + m.ID // the compact key is the store's
			}
		}
		o, err := q.GetOrganization(ctx, m.OrganizationID)
		if err != nil {
			return err
		}
		mc.Notification = pactum.Art52Draft(mc, o.LegalName, known)
		if mc.Hold, err = q.GetModelHold(ctx, m.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
		out.provider = o.LegalName
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.mc = mc
	return out, nil
}

// modelRows picks a model's running totals out of its organization's
// (ListOrganizationUsage), in their order: by allocation and phase. They
// are all there, since ingest attributes a job only to a model of its
// allocation's organization (attribute), which the totals' organization
// is; reading them once spares a second query of the same rows.
func modelRows(org []pactum.ModelUsageRow, modelNum int64) []pactum.ModelUsageRow {
	var rows []pactum.ModelUsageRow
	for _, r := range org {
		if r.ModelNum == modelNum {
			rows = append(rows, r)
		}
	}
	return rows
}

// knownAt is when subject's estimate first reached the systemic-risk
// threshold's margin (ComputeAlert.Notifiable).
func knownAt(alerts []pactum.ComputeAlert, subject string) *time.Time {
	for i := range alerts {
		al := &alerts[i]
		if al.Subject == subject && al.Notifiable() {
			return &al.CrossedAt
		}
	}
	return nil
}

// remainingGPUSeconds is what is left of an allocation's grant, in
// GPU-seconds; 0 for an allocation that no longer runs jobs.
func remainingGPUSeconds(al *pactum.AllocationCharge, sys *pactum.System) int64 {
	switch al.State {
	case pactum.AllocationActive, pactum.AllocationPending, pactum.AllocationSuspended:
	default:
		return 0
	}
	left := al.LimitSeconds() - al.ChargeSeconds
	if left <= 0 {
		return 0
	}
	if al.Unit == pactum.UnitNodeHours && sys != nil {
		left *= int64(sys.GPUsPerNode)
	}
	return left
}

// attribute resolves the batch's model claims against the models of each
// allocation's organization. A claim naming no model of that organization
// leaves the job unattributed, with a note in its result.
func (a *App) attribute(ctx context.Context, bt *batch) error {
	if len(bt.recs) == 0 {
		return nil
	}
	var err error
	if bt.systems, err = a.systems(ctx); err != nil {
		return err
	}
	bt.models = map[int64]*pactum.Model{}
	// The models of every organization whose jobs claim one, in one
	// query: a site's batch spans hundreds of organizations.
	var orgs []string
	seen := map[string]bool{}
	for k := range bt.recs {
		if r := &bt.recs[k]; r.Model != "" {
			if org := bt.allocs[r.AllocationID].OrganizationID; !seen[org] {
				seen[org] = true
				orgs = append(orgs, org)
			}
		}
	}
	byOrg := map[string]map[string]*pactum.Model{}
	if len(orgs) > 0 {
		list, err := a.store.ListModelsOf(ctx, orgs)
		if err != nil {
			return err
		}
		for _, m := range list {
			if byOrg[m.OrganizationID] == nil {
				byOrg[m.OrganizationID] = map[string]*pactum.Model{}
			}
			byOrg[m.OrganizationID][m.Label()] = m
			bt.models[m.Num] = m
		}
	}
	notes := map[string]string{} // one message per unresolved label
	var lastAlloc, lastLabel string
	var lastModel *pactum.Model
	for k := range bt.recs {
		r := &bt.recs[k]
		if r.Model == "" {
			continue
		}
		m := lastModel
		if r.AllocationID != lastAlloc || r.Model != lastLabel { // runs of one allocation's jobs share a claim
			m = byOrg[bt.allocs[r.AllocationID].OrganizationID][r.Model]
			lastAlloc, lastLabel, lastModel = r.AllocationID, r.Model, m
		}
		if m == nil {
			if bt.notes == nil {
				bt.notes = map[int]string{}
			}
			note, ok := notes[r.Model]
			if !ok {
				note = fmt.Sprintf("model %s is not a model of the allocation's organization; the job is counted as unattributed", r.Model)
				notes[r.Model] = note
			}
			bt.notes[k] = note
			r.Model = ""
			continue
		}
		r.ModelNum = m.Num
	}
	return nil
}

// mfu is the declared model FLOP utilisation of a record's model (0 for
// none, or for a model that declares none), reading the models of al's
// organization when no claim of the batch named this one.
func (bt *batch) mfu(ctx context.Context, tx pactum.Tx, modelNum int64, al *pactum.Allocation) (float64, error) {
	if modelNum == 0 {
		return 0, nil
	}
	m := bt.models[modelNum]
	if m == nil { // a stored record's model that no claim of the batch names
		list, err := tx.ListModelsOf(ctx, []string{al.OrganizationID})
		if err != nil {
			return 0, err
		}
		for _, x := range list {
			bt.models[x.Num] = x
		}
		m = bt.models[modelNum]
	}
	if m == nil {
		return 0, nil
	}
	return m.DeclaredMFU, nil
}

// modelDeltas returns how the running model totals change when the
// written records replace the stored ones, the training compute added per
// model and day, and the FLOP added per model (training phases) and per
// organization (everything). A job's day is the day it ended, or today
// for a running job: a backlog of last year's jobs lands on its days.
func (bt *batch) modelDeltas(ctx context.Context, tx pactum.Tx, order, latest []int32, stored map[string]*pactum.UsageRecord) (
	[]pactum.ModelUsageDelta, []pactum.ModelDay, map[string]float64, error) {
	today := tx.Now().Unix() / 86400
	sums := map[pactum.ModelUsageKey]*pactum.ModelUsageDelta{}
	type dayKey struct{ model, day int64 }
	days := map[dayKey]*pactum.ModelDay{}
	orgFLOP, modelFLOP := map[string]*float64{}, map[int64]float64{}
	// A batch's jobs come in runs of one allocation, model and phase: the
	// previous record's total and organization's sum are reused, sparing
	// a hash of the key's strings per record.
	var last *pactum.ModelUsageDelta
	var lastOrg *float64
	// What the FLOP of a run's records depends on besides the record.
	var sys *pactum.System
	var mfu float64
	add := func(r *pactum.UsageRecord, sign, day int64) error {
		d := last
		if d == nil || d.AllocationID != r.AllocationID || d.ModelNum != r.ModelNum || d.Phase != r.Phase {
			al, err := bt.allocation(ctx, tx, r.AllocationID)
			if err != nil {
				return err
			}
			if mfu, err = bt.mfu(ctx, tx, r.ModelNum, al); err != nil {
				return err
			}
			sys = bt.systems[al.SystemID]
			k := pactum.ModelUsageKey{OrganizationID: al.OrganizationID, ModelNum: r.ModelNum, AllocationID: r.AllocationID, Phase: r.Phase}
			if d = sums[k]; d == nil {
				d = &pactum.ModelUsageDelta{ModelUsageKey: k}
				sums[k] = d
			}
			if last == nil || last.OrganizationID != al.OrganizationID {
				f, ok := orgFLOP[al.OrganizationID]
				if !ok {
					f = new(float64)
					orgFLOP[al.OrganizationID] = f
				}
				lastOrg = f
			}
			last = d
		}
		d.Jobs += sign
		d.GPUSeconds += sign * r.GPUSeconds
		basis := pactum.RecordBasis(&r.UsageRecordInput)
		d.UsageBasis.Add(basis, sign)
		flop := pactum.ModelFLOP(sys, mfu, r.GPUSeconds, basis)
		s := float64(sign)
		*lastOrg += s * flop
		if r.ModelNum != 0 && r.Phase.Training() {
			modelFLOP[r.ModelNum] += s * flop
			dk := dayKey{r.ModelNum, day}
			md := days[dk]
			if md == nil {
				md = &pactum.ModelDay{ModelNum: r.ModelNum, Day: day}
				days[dk] = md
			}
			md.GPUSeconds += sign * r.GPUSeconds
			md.FLOP += s * flop
		}
		return nil
	}
	for _, j := range order {
		rec := &bt.recs[latest[j]-1]
		day := today
		if rec.Final && rec.EndAt != nil {
			// A cluster's clock ahead of the server's must not put
			// compute into days that have not come.
			day = min(rec.EndAt.Unix()/86400, today)
		}
		// The stored record's share moves to the new record's day: the
		// daily series sums to the model's total whatever the order.
		if old := stored[bt.jobs[j]]; old != nil {
			if err := add(old, -1, day); err != nil {
				return nil, nil, nil, err
			}
		}
		if err := add(rec, 1, day); err != nil {
			return nil, nil, nil, err
		}
	}
	out := make([]pactum.ModelUsageDelta, 0, len(sums))
	for _, d := range sums {
		if d.Jobs != 0 || d.GPUSeconds != 0 || d.UsageBasis != (pactum.UsageBasis{}) {
			out = append(out, *d)
		}
	}
	outDays := make([]pactum.ModelDay, 0, len(days))
	for _, d := range days {
		if d.GPUSeconds != 0 || d.FLOP != 0 {
			outDays = append(outDays, *d)
		}
	}
	totals := make(map[string]float64, len(orgFLOP)+len(modelFLOP))
	for id, v := range orgFLOP {
		if *v != 0 {
			totals[pactum.OrganizationSubject(id)] = *v
		}
	}
	for n, v := range modelFLOP {
		if v != 0 {
			totals[pactum.ModelSubject(n)] = v
		}
	}
	return out, outDays, totals, nil
}

// organizationModels returns an organization's models by Num.
func organizationModels(ctx context.Context, q pactum.Queries, orgID string) (map[int64]*pactum.Model, error) {
	list, err := q.ListModelsOf(ctx, []string{orgID})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*pactum.Model, len(list))
	for _, m := range list {
		out[m.Num] = m
	}
	return out, nil
}

// declaredMFUs returns the declared MFU of an organization's models by Num.
func declaredMFUs(ctx context.Context, q pactum.Queries, orgID string) (map[int64]float64, error) {
	models, err := organizationModels(ctx, q, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]float64, len(models))
	for n, m := range models {
		out[n] = m.DeclaredMFU
	}
	return out, nil
}

// modelShares derives an allocation's usage by model and phase from its
// running totals, with each model's label and declared MFU.
func modelShares(rows []pactum.ModelUsageRow, models map[int64]*pactum.Model, sys *pactum.System) []pactum.ModelShare {
	out := make([]pactum.ModelShare, 0, len(rows))
	for _, r := range rows {
		if r.Jobs == 0 && r.GPUSeconds == 0 {
			continue
		}
		sh := pactum.ModelShare{Phase: r.Phase, Jobs: r.Jobs, GPUHours: float64(r.GPUSeconds) / 3600}
		mfu := 0.0
		if m := models[r.ModelNum]; m != nil {
			sh.Model, mfu = m.Label(), m.DeclaredMFU
		}
		sh.FLOP = pactum.ModelFLOP(sys, mfu, r.GPUSeconds, r.UsageBasis)
		out = append(out, sh)
	}
	slices.SortFunc(out, func(a, b pactum.ModelShare) int {
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return a.Phase.Code() - b.Phase.Code()
	})
	return out
}
