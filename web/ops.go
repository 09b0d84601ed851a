// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// The site operator's and the auditor's pages: a site's allocations with
// what its scheduler must carry, its agents, the drift they restored and
// how usage ingestion stands; signed audit checkpoints held to the chain;
// transparency reports with their verification.

// siteAllocationLimit is how many allocations one page of a site lists.
const siteAllocationLimit = 100

// sitePage is one hosting site as its operators watch it.
type sitePage struct {
	Site        string
	Agents      []pactum.AgentStatus
	Silent      bool
	Allocations []siteAllocation
	// Total counts the site's allocations in its desired state; States
	// by state, in the state machine's order.
	Total  int
	States []stateCount
	Offset int
	// First and Last number the page's allocations from 1.
	First, Last int
	Next, Prev  string
	Drift       []*pactum.SiteDrift
	DriftTotal  int
	Ingest      []pactum.UsageCluster
}

// stateCount is how many of a site's allocations are in one state.
type stateCount struct {
	State pactum.AllocationState
	N     int
}

// siteAllocation is an allocation as the site's scheduler must carry it,
// with the share of the grant used.
type siteAllocation struct {
	pactum.DesiredAllocation
	// Slurm says what the account must be: "to be created", "open",
	// "suspended", "to be removed".
	Slurm   string
	Percent float64
}

// slurmState says what the site's scheduler must do with d's account.
func slurmState(d *pactum.DesiredAllocation) string {
	switch {
	case d.Remove:
		return "to be removed"
	case d.Suspended:
		return "suspended"
	case d.State == pactum.AllocationPending:
		return "to be created"
	}
	return "open"
}

func (p *Portal) site(r *http.Request, v *view) (string, error) {
	ctx, s, site := r.Context(), p.cfg.Services, r.PathValue("site")
	d := &sitePage{Site: site}
	var err error
	if d.Offset, err = offsetParam(r.URL.Query().Get("offset")); err != nil {
		return "", err
	}
	// ListAgents applies the same rule as the site's other reads and
	// names the site when it is unknown or another site's.
	if d.Agents, err = s.ListAgents(ctx, site); err != nil {
		return "", err
	}
	for _, a := range d.Agents {
		d.Silent = d.Silent || a.Silent
	}
	sa, err := s.SiteAllocations(ctx, site, siteAllocationLimit, d.Offset)
	if err != nil {
		return "", err
	}
	d.Total = sa.Total
	for _, st := range pactum.AllocationStates {
		d.States = append(d.States, stateCount{State: st, N: sa.ByState[st]})
	}
	for i := range sa.Allocations {
		da := &sa.Allocations[i]
		row := siteAllocation{DesiredAllocation: *da, Slurm: slurmState(da)}
		if limit := (&pactum.Allocation{Amount: da.Amount}).LimitSeconds(); limit > 0 {
			row.Percent = float64(da.ChargeSeconds) / float64(limit) * 100
		}
		d.Allocations = append(d.Allocations, row)
	}
	d.First, d.Last = d.Offset+1, d.Offset+len(d.Allocations)
	d.Next, d.Prev = pageLinks(r, d.Offset, len(d.Allocations), d.Total, siteAllocationLimit)
	if d.Drift, d.DriftTotal, err = s.FindDriftReports(ctx, site, 20); err != nil {
		return "", err
	}
	if d.Ingest, err = s.UsageIngestStatus(ctx, site); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Site "+site, "site", d
	return "site", nil
}

// checkpointsPage holds pasted signed checkpoints to the chain.
type checkpointsPage struct {
	Report *pactum.CheckpointReport
}

func (p *Portal) checkpoints(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav, v.Data = "Signed checkpoints", "audit", &checkpointsPage{}
	return "checkpoints", nil
}

// verifyCheckpoints verifies the pasted checkpoints and shows the result
// on the same page (nothing changes: the form is POSTed only because
// checkpoints are too long for a URL).
func (p *Portal) verifyCheckpoints(r *http.Request, v *view) (string, error) {
	d := &checkpointsPage{}
	v.Title, v.Nav, v.Data = "Signed checkpoints", "audit", d
	var err error
	d.Report, err = p.cfg.Services.VerifyCheckpoints(r.Context(), r.PostForm.Get("checkpoints"), r.PostForm.Get("trusted"))
	return "checkpoints", err
}

// reportsPage lists the transparency reports.
type reportsPage struct {
	Reports   []*pactum.TransparencyReport
	CanCreate bool
}

func (p *Portal) reports(r *http.Request, v *view) (string, error) {
	d := &reportsPage{CanCreate: pactum.HasRole(v.User, pactum.RoleAccessManager)}
	var err error
	if d.Reports, err = p.cfg.Services.FindTransparencyReports(r.Context()); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Transparency reports", "transparency", d
	return "reports", nil
}

// createReport computes and stores a report (access managers).
func (p *Portal) createReport(r *http.Request, v *view) (string, error) {
	in := pactum.ReportInput{Period: strings.TrimSpace(r.PostForm.Get("period"))}
	if k := strings.TrimSpace(r.PostForm.Get("k")); k != "" {
		n, err := strconv.Atoi(k)
		if err != nil {
			return "", invalidField("k", "a whole number: the smallest group a figure is shown for")
		}
		in.K = n
	}
	rep, err := p.cfg.Services.CreateTransparencyReport(r.Context(), in)
	if err != nil {
		return "", err
	}
	return Prefix + "transparency/" + rep.ID + "?done=created", nil
}

// reportPage is one report: its tables and, when asked, its verification.
type reportPage struct {
	R          *pactum.TransparencyReport
	Verified   *pactum.ReportVerification
	CanVerify  bool
	CanPublish bool
	Done       string
	Tables     []reportTable
}

func (p *Portal) report(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	rep, err := s.FindTransparencyReport(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	d := &reportPage{R: rep, CanVerify: pactum.CanReadAll(v.User), Done: r.URL.Query().Get("done")}
	d.CanPublish = rep.PublishedAt == nil && pactum.HasRole(v.User, pactum.RoleAccessManager)
	if r.URL.Query().Get("verify") == "1" && d.CanVerify {
		if d.Verified, err = s.VerifyTransparencyReport(ctx, rep.ID); err != nil {
			return "", err
		}
	}
	d.tables()
	v.Title, v.Nav, v.Data = "Transparency report "+rep.Period.String(), "transparency", d
	return "report", nil
}

// publishReport publishes a stored report (access managers).
func (p *Portal) publishReport(r *http.Request, v *view) (string, error) {
	id := r.PathValue("id")
	if _, err := p.cfg.Services.PublishTransparencyReport(r.Context(), id); err != nil {
		return "", err
	}
	return Prefix + "transparency/" + id + "?done=published", nil
}

// reportTable is a report's table as the page shows it: each cell with
// how the verification found its figures.
type reportTable struct {
	Dimension string
	Rows      []reportCell
}

// reportCell is one row of a table.
type reportCell struct {
	C     pactum.ReportCell
	Total bool
	marks map[string]string
}

// Mark says how the verification found one figure: "" when it was not
// verified, "not_reproduced" for a figure the log cannot rebuild,
// "differs" or "matches".
func (c reportCell) Mark(field string) string { return c.marks[field] }

// reportFields are the figures of a cell.
var reportFields = []string{"suppressed", "award_suppressed", "proposals", "awards", "gpu_hours_granted", "gpu_hours_used", "training_flop", "energy_mwh"}

// tables lays out the report's tables with the verification's marks.
func (d *reportPage) tables() {
	notCompared := map[string]bool{}
	diff := map[string]bool{}
	if v := d.Verified; v != nil {
		for _, f := range v.NotCompared {
			notCompared[f] = true
		}
		for _, x := range v.Differences {
			diff[x.Dimension+"\x00"+x.Value+"\x00"+x.Field] = true
		}
	}
	cell := func(dim string, c pactum.ReportCell, total bool) reportCell {
		rc := reportCell{C: c, Total: total, marks: map[string]string{}}
		if d.Verified == nil {
			return rc
		}
		value := c.Value
		if total {
			value = "total"
		}
		whole := diff[dim+"\x00"+value+"\x00row"] || diff[dim+"\x00\x00table"]
		for _, f := range reportFields {
			switch {
			case notCompared[f]:
				rc.marks[f] = "not_reproduced"
			case whole || diff[dim+"\x00"+value+"\x00"+f]:
				rc.marks[f] = "differs"
			default:
				rc.marks[f] = "matches"
			}
		}
		return rc
	}
	for _, t := range d.R.Tables {
		rt := reportTable{Dimension: t.Dimension}
		for _, c := range t.Rows {
			rt.Rows = append(rt.Rows, cell(t.Dimension, c, false))
		}
		rt.Rows = append(rt.Rows, cell(t.Dimension, t.Total, true))
		d.Tables = append(d.Tables, rt)
	}
}

// FLOP is the cell's training FLOP in scientific notation, "" when absent.
func (c reportCell) FLOP() string {
	if c.C.TrainingFLOP == nil {
		return ""
	}
	return strconv.FormatFloat(*c.C.TrainingFLOP, 'g', 3, 64)
}
