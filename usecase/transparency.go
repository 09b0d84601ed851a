// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// OverdueProposals lists the open proposals past their decision target.
func (a *App) OverdueProposals(ctx context.Context) ([]pactum.TimeToAccess, error) {
	if _, err := reader(ctx, "list overdue proposals"); err != nil {
		return nil, err
	}
	if err := a.fillProposalFacts(ctx); err != nil {
		return nil, err
	}
	now := a.now()
	out := []pactum.TimeToAccess{}
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		targets, err := targetCache(ctx, q)
		if err != nil {
			return err
		}
		return q.ScanProposalTimings(ctx, "", true, func(t *pactum.ProposalTiming) bool {
			if !now.After(t.DecisionDueAt) {
				return true
			}
			target, err := targets(t.CallID, t.Mode)
			if err != nil {
				return false
			}
			out = append(out, pactum.MeasureTimeToAccess(*t, target, now))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y pactum.TimeToAccess) int { return y.WorkingDaysOver - x.WorkingDaysOver })
	return out, nil
}

// targetCache reads every call first (a scan holds the transaction's
// connection on PostgreSQL, so nothing may be read during it) and returns
// each (call, mode)'s DecisionWorkingDays, 0 when the call no longer
// offers the mode.
func targetCache(ctx context.Context, q pactum.Queries) (func(callID string, m pactum.AccessMode) (int, error), error) {
	calls := map[string]*pactum.Call{}
	for off := 0; ; {
		page, total, err := q.ListCalls(ctx, pactum.CallFilter{Limit: 500, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			calls[c.ID] = c
		}
		off += len(page)
		if len(page) == 0 || off >= total {
			break
		}
	}
	return func(callID string, m pactum.AccessMode) (int, error) {
		if c := calls[callID]; c != nil {
			if cm := c.Mode(m); cm != nil {
				return cm.DecisionWorkingDays, nil
			}
		}
		return 0, nil
	}, nil
}

// TimeToAccess summarises the time to access per mode and per call.
func (a *App) TimeToAccess(ctx context.Context, callID string) (*pactum.TimeToAccessReport, error) {
	if _, err := reader(ctx, "read the time to access"); err != nil {
		return nil, err
	}
	var ms []pactum.TimeToAccess
	now := a.now()
	err := a.ScanTimeToAccess(ctx, callID, func(m *pactum.TimeToAccess) bool {
		ms = append(ms, *m)
		return true
	})
	if err != nil {
		return nil, err
	}
	return pactum.BuildTimeToAccessReport(callID, ms, now), nil
}

// ScanTimeToAccess measures every submitted proposal (of callID, or every
// call's) and calls fn with each, by proposal ID, in constant memory:
// the CSV export streams from it. Access managers and auditors only;
// ENOTFOUND for an unknown call.
func (a *App) ScanTimeToAccess(ctx context.Context, callID string, fn func(*pactum.TimeToAccess) bool) error {
	if _, err := reader(ctx, "read the time to access"); err != nil {
		return err
	}
	if len(callID) > 200 || strings.ContainsFunc(callID, func(r rune) bool { return r < ' ' }) {
		return invalid("The call is not valid.", "call_id", "must be a call ID")
	}
	if err := a.fillProposalFacts(ctx); err != nil {
		return err
	}
	now := a.now()
	return pactum.View(ctx, a.store, func(q pactum.Queries) error {
		if callID != "" {
			if _, err := q.GetCall(ctx, callID); err != nil {
				return err
			}
		}
		targets, err := targetCache(ctx, q)
		if err != nil {
			return err
		}
		var ferr error
		err = q.ScanProposalTimings(ctx, callID, false, func(t *pactum.ProposalTiming) bool {
			target, err := targets(t.CallID, t.Mode)
			if err != nil {
				ferr = err
				return false
			}
			m := pactum.MeasureTimeToAccess(*t, target, now)
			return fn(&m)
		})
		if err != nil {
			return err
		}
		return ferr
	})
}

// factsFillBatch is how many proposals' facts one transaction fills.
const factsFillBatch = 1000

// fillProposalFacts derives the facts of proposals submitted before the
// store kept them (migration 00190 copies what SQL can and marks them):
// once, the first time a report or the time to access needs them. It
// writes an index derived from the proposals, not a change of state, so
// it is not audited, like proposal_requests.
func (a *App) fillProposalFacts(ctx context.Context) error {
	for {
		ids, err := a.store.ListUnfilledProposalFacts(ctx, factsFillBatch)
		if err != nil || len(ids) == 0 {
			return err
		}
		filled := 0
		err = a.update(ctx, nil, func(tx pactum.Tx) error {
			ps, err := tx.ListProposalsByID(ctx, ids)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if f, ok := pactum.FactsOf(p); ok {
					if err := tx.PutProposalFacts(ctx, &f); err != nil {
						return err
					}
					filled++
				}
			}
			return nil
		})
		if err != nil || filled == 0 {
			return err
		}
	}
}

// CreateTransparencyReport computes a report and stores it unpublished.
func (a *App) CreateTransparencyReport(ctx context.Context, in pactum.ReportInput) (*pactum.TransparencyReport, error) {
	u, err := manager(ctx, "generate transparency reports")
	if err != nil {
		return nil, err
	}
	period, err := pactum.ParsePeriod(in.Period)
	if err != nil {
		return nil, err
	}
	k := in.K
	if k == 0 {
		k = pactum.DefaultReportK
	}
	if k < pactum.MinReportK || k > pactum.MaxReportK {
		return nil, invalid("The report is not valid.", "k", fmt.Sprintf("must be between %d and %d", pactum.MinReportK, pactum.MaxReportK))
	}
	if err := a.fillProposalFacts(ctx); err != nil {
		return nil, err
	}
	r, err := a.computeReport(ctx, period, k)
	if err != nil {
		return nil, err
	}
	r.ID, r.CreatedBy = newID(), u.ID
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		r.CreatedAt = tx.Now()
		if err := tx.InsertTransparencyReport(ctx, r); err != nil {
			return err
		}
		return tx.Record("transparency.create", "transparency_report", r.ID, nil, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reportPositionTries is how often a report is computed again when
// events committed in its snapshot were not yet in the chain.
const reportPositionTries = 5

// computeReport computes the report on one snapshot whose audit position
// accounts for every change it sees: on PostgreSQL events reach the chain
// shortly after their commit, so a snapshot holding events not yet
// sealed is taken again after sealing. The usage totals, read on a
// snapshot of their own alongside, count as at the same position when
// that snapshot's position is the same (UsageAtSeq); if usage kept
// arriving until the last try, the report says they are not.
func (a *App) computeReport(ctx context.Context, period pactum.Period, k int) (*pactum.TransparencyReport, error) {
	for try := range reportPositionTries {
		if err := a.store.SealAudit(ctx); err != nil {
			return nil, err
		}
		var r *pactum.TransparencyReport
		pending := false
		err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
			if err := q.ScanPendingAudit(ctx, func(*pactum.AuditEvent) bool { pending = true; return false }); err != nil {
				return err
			}
			if pending {
				return nil
			}
			seq, head, err := q.GetAuditHead(ctx)
			if err != nil {
				return err
			}
			tables, usageAt, err := a.liveTables(ctx, q, period, k)
			if err != nil {
				return err
			}
			atSeq := usageAt.seq == seq && usageAt.head == head
			if !atSeq && try < reportPositionTries-1 {
				pending = true
				return nil
			}
			r = &pactum.TransparencyReport{Period: period, K: k, AuditSeq: seq, AuditHead: head, ComputedAt: a.now(),
				UsageAtSeq: atSeq, Tables: tables, Method: pactum.ReportMethod, Reproduced: pactum.ReportReproduced}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !pending {
			return r, nil
		}
	}
	return nil, pactum.Errorf(pactum.ECONFLICT, "The audit log is busy: events keep arriving faster than they are sealed. Try again.")
}

// reportUsage is what the usage reader of a report hands back.
type reportUsage struct {
	byProposal map[string]pactum.ReportUsage
	// at is the audit position of the snapshot the totals were read on;
	// seq -1 when events were still to be sealed in it.
	at  auditPosition
	err error
}

// auditPosition is a snapshot's audit head.
type auditPosition struct {
	seq  int64
	head string
}

// readReportUsage sums the usage totals of every allocation by proposal,
// on a snapshot of its own, and says at which audit position.
func (a *App) readReportUsage(ctx context.Context) reportUsage {
	res := reportUsage{byProposal: map[string]pactum.ReportUsage{}, at: auditPosition{seq: -1}}
	res.err = pactum.View(ctx, a.store, func(uq pactum.Queries) error {
		pending := false
		if err := uq.ScanPendingAudit(ctx, func(*pactum.AuditEvent) bool { pending = true; return false }); err != nil {
			return err
		}
		if !pending {
			seq, head, err := uq.GetAuditHead(ctx)
			if err != nil {
				return err
			}
			res.at = auditPosition{seq, head}
		}
		systems, err := systemMap(ctx, uq)
		if err != nil {
			return err
		}
		return uq.ScanReportUsage(ctx, nil, func(id string, mfu float64, r *pactum.ModelUsageRow) bool {
			u := res.byProposal[id]
			sys := systems[r.SystemID]
			u.GPUHours += float64(r.GPUSeconds) / 3600
			if r.Phase.Training() {
				u.TrainingFLOP += pactum.ModelFLOP(sys, mfu, r.GPUSeconds, r.UsageBasis)
			}
			pue := 1.0
			if sys != nil {
				pue = sys.PUEOrOne()
			}
			u.EnergyMWh += pactum.ModelEnergyJ(sys, r.GPUSeconds, r.UsageBasis) * pue / 3.6e9
			res.byProposal[id] = u
			return true
		})
	})
	return res
}

// liveTables tabulates the period from the tables, with the usage totals.
// The usage totals are read meanwhile, on a snapshot of their own a few
// milliseconds apart from q's, whose audit position it returns: the
// caller holds it to q's (computeReport). Only the proposals awarded in
// q's snapshot count (BuildReportTables reads usage of accepted proposals
// only). Reading both at once saves a third of the report's time when a
// core is free.
func (a *App) liveTables(ctx context.Context, q pactum.Queries, period pactum.Period, k int) ([]pactum.ReportTable, auditPosition, error) {
	usageDone := make(chan reportUsage, 1)
	go func() { usageDone <- a.readReportUsage(ctx) }()
	ps, err := reportProposals(ctx, q, period)
	usage := <-usageDone
	if err != nil {
		return nil, usage.at, err
	}
	if usage.err != nil {
		return nil, usage.at, usage.err
	}
	return pactum.BuildReportTables(ps, usage.byProposal, k), usage.at, nil
}

// reportProposals reads the period's facts and their organizations.
func reportProposals(ctx context.Context, q pactum.Queries, period pactum.Period) ([]pactum.ReportProposal, error) {
	systems, err := systemMap(ctx, q)
	if err != nil {
		return nil, err
	}
	// The organizations are read after the scan (it holds the
	// connection on PostgreSQL): the proposals' dimensions that depend on
	// them are filled in then.
	var ps []pactum.ReportProposal
	var subs []time.Time
	err = q.ScanReportFacts(ctx, period.From.Time(), period.Until.Time(), func(f *pactum.ProposalFacts) bool {
		ps = append(ps, pactum.ReportProposalOf(f, nil, systems))
		subs = append(subs, f.SubmittedAt)
		return true
	})
	if err != nil {
		return nil, err
	}
	orgs := map[string]*pactum.Organization{}
	for i := range ps {
		id := ps[i].OrganizationID
		o, ok := orgs[id]
		if !ok {
			if o, err = q.GetOrganization(ctx, id); err != nil {
				return nil, err
			}
			orgs[id] = o
		}
		ps[i].SetOrganization(o, subs[i])
	}
	return ps, nil
}

// PublishTransparencyReport publishes a stored report.
func (a *App) PublishTransparencyReport(ctx context.Context, id string) (*pactum.TransparencyReport, error) {
	u, err := manager(ctx, "publish transparency reports")
	if err != nil {
		return nil, err
	}
	var r *pactum.TransparencyReport
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		now := tx.Now()
		if err := tx.PublishTransparencyReport(ctx, id, now, u.ID); err != nil {
			return err
		}
		var err error
		if r, err = tx.GetTransparencyReport(ctx, id); err != nil {
			return err
		}
		return tx.Record("transparency.publish", "transparency_report", id, nil,
			map[string]any{"published_at": now, "published_by": u.ID, "audit_seq": r.AuditSeq, "audit_head": r.AuditHead})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// FindTransparencyReport returns a report the caller may read: anyone a
// published one, access managers and auditors any.
func (a *App) FindTransparencyReport(ctx context.Context, id string) (*pactum.TransparencyReport, error) {
	r, err := a.store.GetTransparencyReport(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.PublishedAt == nil && !pactum.CanReadAll(pactum.UserFromContext(ctx)) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Transparency report %q not found.", id)
	}
	return r, nil
}

// FindTransparencyReports lists the reports the caller may read.
func (a *App) FindTransparencyReports(ctx context.Context) ([]*pactum.TransparencyReport, error) {
	return a.store.ListTransparencyReports(ctx, !pactum.CanReadAll(pactum.UserFromContext(ctx)))
}

// reportWrites are the events whose After snapshots rebuild what a report
// counts: the same actions that write the state rows (stateWrites).
func reportWrites() map[string][]string {
	writes := map[string][]string{}
	for _, w := range stateWrites {
		switch w.subjectType {
		case "organization", "system", "proposal", "allocation":
			writes[w.subjectType] = w.actions
		}
	}
	return writes
}

// VerifyTransparencyReport replays the audit log to the report's position
// and recomputes its reproduced figures: GPU-hours used too when the
// report read its usage at that position and every usage batch in the log
// up to it records its GPU-seconds per allocation (pactum before 2026-12
// recorded only the charge).
func (a *App) VerifyTransparencyReport(ctx context.Context, id string) (*pactum.ReportVerification, error) {
	if _, err := reader(ctx, "verify transparency reports"); err != nil {
		return nil, err
	}
	r, err := a.store.GetTransparencyReport(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &pactum.ReportVerification{ReportID: r.ID, AuditSeq: r.AuditSeq, Differences: []pactum.ReportDifference{}}
	var tables []pactum.ReportTable
	used := r.UsageAtSeq
	err = pactum.View(ctx, a.store, func(q pactum.Queries) error {
		replay := audit.NewReplay(reportWrites())
		ver := audit.NewVerifier()
		gpuSeconds := map[string]int64{} // by allocation
		var last int64
		var bad error
		err := q.ScanAuditRows(ctx, func(row *pactum.AuditRow) bool {
			if row.Seq > r.AuditSeq {
				return false
			}
			last = row.Seq
			if !ver.AddRow(row) {
				return false
			}
			replay.Add(row)
			if used && string(row.Action) == "usage.ingest" {
				var ev struct {
					GPUSeconds map[string]int64 `json:"gpu_seconds"`
				}
				if err := json.Unmarshal(row.After, &ev); err != nil {
					bad = fmt.Errorf("usage.ingest event %d: %w", row.Seq, err)
					return false
				}
				if ev.GPUSeconds == nil {
					used = false // a batch from before GPU-seconds were recorded
				}
				for id, s := range ev.GPUSeconds {
					gpuSeconds[id] += s
				}
			}
			return true
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return err
		}
		rep := ver.Report(r.AuditSeq, r.AuditHead)
		if !rep.OK {
			v.Reason = "the audit chain up to the report's position does not verify"
			if rep.FirstBad != nil {
				v.Reason += ": " + rep.FirstBad.Reason
			}
			return nil
		}
		if last != r.AuditSeq {
			v.Reason = fmt.Sprintf("the audit chain ends at event %d, before the report's position %d", last, r.AuditSeq)
			return nil
		}
		v.ChainOK = true
		var usage map[string]pactum.ReportUsage
		if used {
			if usage, err = replayedUsage(replay, gpuSeconds); err != nil {
				return err
			}
		}
		tables, err = replayedTables(replay, r.Period, r.K, usage)
		return err
	})
	if err != nil {
		return nil, err
	}
	v.NotCompared = []string{"training_flop", "energy_mwh"}
	if !used {
		v.NotCompared = append([]string{"gpu_hours_used"}, v.NotCompared...)
	}
	if v.ChainOK {
		v.Compared, v.Differences = pactum.CompareReproduced(r.Tables, tables, used)
		if v.Differences == nil {
			v.Differences = []pactum.ReportDifference{}
		}
		v.OK = len(v.Differences) == 0
		if !v.OK {
			v.Reason = "figures of the report differ from those the audit log gives at its position"
		}
	}
	return v, nil
}

// replayedUsage sums the GPU-seconds the log's usage batches added to each
// allocation into GPU-hours used by proposal, through the allocations the
// log rebuilt.
func replayedUsage(replay *audit.Replay, gpuSeconds map[string]int64) (map[string]pactum.ReportUsage, error) {
	out := map[string]pactum.ReportUsage{}
	for _, id := range replay.Rest("allocation") {
		rep, _ := replay.Take("allocation", id)
		var al struct {
			ProposalID string `json:"proposal_id"`
		}
		if err := json.Unmarshal(rep.After, &al); err != nil {
			return nil, fmt.Errorf("allocation %s at event %d: %w", id, rep.Seq, err)
		}
		if s := gpuSeconds[id]; s != 0 {
			u := out[al.ProposalID]
			u.GPUHours += float64(s) / 3600
			out[al.ProposalID] = u
		}
	}
	return out, nil
}

// replayedTables tabulates the period from the rows the log rebuilt, with
// usage (GPU-hours used only; nil when it is not compared).
func replayedTables(replay *audit.Replay, period pactum.Period, k int, usage map[string]pactum.ReportUsage) ([]pactum.ReportTable, error) {
	systems := map[string]*pactum.System{}
	for _, id := range replay.Rest("system") {
		rep, _ := replay.Take("system", id)
		var s pactum.System
		if err := json.Unmarshal(rep.After, &s); err != nil {
			return nil, fmt.Errorf("system %s at event %d: %w", id, rep.Seq, err)
		}
		systems[s.ID] = &s
	}
	orgs := map[string]*pactum.Organization{}
	for _, id := range replay.Rest("organization") {
		rep, _ := replay.Take("organization", id)
		var o pactum.Organization
		if err := json.Unmarshal(rep.After, &o); err != nil {
			return nil, fmt.Errorf("organization %s at event %d: %w", id, rep.Seq, err)
		}
		orgs[o.ID] = &o
	}
	var ps []pactum.ReportProposal
	for _, id := range replay.Rest("proposal") { // sorted by ID, as the live query
		rep, _ := replay.Take("proposal", id)
		var p pactum.Proposal
		if err := json.Unmarshal(rep.After, &p); err != nil {
			return nil, fmt.Errorf("proposal %s at event %d: %w", id, rep.Seq, err)
		}
		f, ok := pactum.FactsOf(&p)
		if !ok || !period.Contains(f.SubmittedAt) {
			continue
		}
		ps = append(ps, pactum.ReportProposalOf(&f, orgs[p.OrganizationID], systems))
	}
	return pactum.BuildReportTables(ps, usage, k), nil
}
