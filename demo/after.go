// SPDX-License-Identifier: EUPL-1.2

package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// AfterAward is what happened once the awards were made: the obligations
// they carry, a report submitted and accepted, an outcome recorded, and an
// incident reported, triaged and closed, with the allocation's compliance
// at each step.
type AfterAward struct {
	// Obligations counts the obligations the awards created, by kind.
	Obligations map[string]int `json:"obligations"`
	// Steps are what the holder and the access manager did, in order.
	Steps []string `json:"steps"`
}

// afterAward plays the weeks after the award for the first startup that
// holds an allocation: it acknowledges the machine in a publication (an
// obligation its mode sets) and records the paper as an outcome; the
// access manager accepts the acknowledgement; a leaked access token is
// reported as a security incident, which makes the allocation not
// compliant until an access manager triages and closes it; another
// startup cannot see the incident.
func (sc *scenario) afterAward() error {
	obls, err := sc.mgr.ListObligationsWithResponse(sc.ctx, &client.ListObligationsParams{Limit: ptrTo(1000)})
	if err := expect(obls, err, 200, "list obligations"); err != nil {
		return err
	}
	aa := &AfterAward{Obligations: map[string]int{}}
	sc.res.After = aa
	for _, o := range obls.JSON200.Items {
		aa.Obligations[string(o.Kind)]++
	}
	holder, al := sc.firstHolder()
	if holder == nil {
		return nil
	}
	org := holder.s.org.LegalName
	step := func(format string, args ...any) {
		aa.Steps = append(aa.Steps, fmt.Sprintf(format, args...))
		sc.progress(format, args...)
	}

	// The paper, and the acknowledgement the award asks for.
	doi := "10.48550/arXiv.2612.04321"
	out, err := holder.c.AddOutcomeWithResponse(sc.ctx, &client.AddOutcomeParams{}, client.OutcomeInput{AllocationId: al.Id,
		Kind: client.OutcomeKindPublication, Title: "Efficient multilingual training on EuroHPC systems", Doi: &doi,
		Venue: ptrTo("EuroHPC User Day"), Year: ptrTo(sc.now().Year())})
	if err := expect(out, err, 201, "record an outcome"); err != nil {
		return err
	}
	step("%s recorded a publication (doi:%s) as an outcome of allocation %s", org, doi, al.Id)
	mine, err := holder.c.ListObligationsWithResponse(sc.ctx, &client.ListObligationsParams{AllocationId: &al.Id})
	if err := expect(mine, err, 200, "list the holder's obligations"); err != nil {
		return err
	}
	i := slices.IndexFunc(mine.JSON200.Items, func(o client.Obligation) bool { return o.Kind == client.ObligationAcknowledgement })
	if i >= 0 {
		o := mine.JSON200.Items[i]
		sr, err := holder.c.SubmitObligationWithResponse(sc.ctx, o.Id, &client.SubmitObligationParams{},
			client.SubmissionInput{Report: "Acknowledged in doi:" + doi + ": \"We acknowledge EuroHPC JU for access to " + al.SystemId + ".\""})
		if err := expect(sr, err, 200, "submit the acknowledgement"); err != nil {
			return err
		}
		rr, err := sc.mgr.ReviewObligationWithResponse(sc.ctx, o.Id, &client.ReviewObligationParams{}, client.ObligationReview{Accept: true})
		if err := expect(rr, err, 200, "accept the acknowledgement"); err != nil {
			return err
		}
		step("%s submitted the acknowledgement of %s due %s; the access manager accepted it", org, al.SystemId, o.DueAt.Format(time.DateOnly))
	}

	// An incident, and the allocation's compliance around it.
	ir, err := holder.c.ReportIncidentWithResponse(sc.ctx, &client.ReportIncidentParams{}, client.IncidentInput{AllocationId: al.Id,
		Kind: client.IncidentKindSecurity, Severity: client.High, Title: "Access token leaked",
		Description: "A team member's pactum token was pushed to a public repository; it was revoked within the hour.",
		OccurredAt:  ptrTo(sc.now().Add(-3 * time.Hour))})
	if err := expect(ir, err, 201, "report an incident"); err != nil {
		return err
	}
	inc := ir.JSON201
	step("%s reported a security incident on allocation %s; due by %s", org, al.Id, inc.DueAt.Format(time.DateOnly))
	before, err := sc.compliance(al.Id)
	if err != nil {
		return err
	}
	if len(sc.actors) > 1 {
		other := sc.actors[slices.IndexFunc(sc.actors, func(a *actor) bool { return a != holder })]
		gr, err := other.c.GetIncidentWithResponse(sc.ctx, inc.Id)
		if err != nil {
			return err
		}
		sc.res.Checks = append(sc.res.Checks, Check{What: fmt.Sprintf("%s reads %s's incident", other.s.org.LegalName, org),
			Result: fmt.Sprintf("HTTP %d", gr.StatusCode()), OK: gr.StatusCode() == 404})
	}
	tr, err := sc.mgr.TriageIncidentWithResponse(sc.ctx, inc.Id, &client.TriageIncidentParams{}, client.TriageInput{Note: "Token revoked; no job ran under it."})
	if err := expect(tr, err, 200, "triage the incident"); err != nil {
		return err
	}
	cr, err := sc.mgr.CloseIncidentWithResponse(sc.ctx, inc.Id, &client.CloseIncidentParams{}, client.CloseIncidentInput{Outcome: "Closed: the site's logs show no use of the token."})
	if err := expect(cr, err, 200, "close the incident"); err != nil {
		return err
	}
	step("the access manager triaged and closed the incident")
	after, err := sc.compliance(al.Id)
	if err != nil {
		return err
	}
	sc.res.Checks = append(sc.res.Checks, Check{What: "an open incident makes the allocation not compliant until it is closed",
		Result: fmt.Sprintf("compliant %t with the incident open, %t once closed", before.Compliant, after.Compliant),
		OK:     !before.Compliant && before.IncidentsOpen == 1 && after.Compliant})
	return nil
}

// firstHolder returns the first startup holding an allocation, and it.
func (sc *scenario) firstHolder() (*actor, *client.Allocation) {
	for _, a := range sc.actors {
		for i := range sc.allocs {
			if sc.allocs[i].OrganizationId == a.orgID {
				return a, &sc.allocs[i]
			}
		}
	}
	return nil, nil
}

func (sc *scenario) compliance(allocationID string) (*client.Compliance, error) {
	r, err := sc.mgr.GetComplianceWithResponse(sc.ctx, allocationID)
	if err := expect(r, err, 200, "read the allocation's compliance"); err != nil {
		return nil, err
	}
	return r.JSON200, nil
}

func ptrTo[T any](v T) *T { return &v }

// Transparency is the demo's time to access and its published report.
type Transparency struct {
	// TimeToAccess is one line per access mode: decided, median and
	// share within the mode's target, in working days.
	TimeToAccess []string `json:"time_to_access"`
	ReportID     string   `json:"report_id"`
	Period       string   `json:"period"`
	K            int      `json:"k"`
	// Totals is the report's total row; Suppressed counts the rows of its
	// tables that show no figures because fewer than K organizations
	// stand behind them.
	Totals     string `json:"totals"`
	Rows       int    `json:"rows"`
	Suppressed int    `json:"suppressed"`
	AuditSeq   int    `json:"audit_seq"`
}

// transparency measures the time to access of the call's proposals and
// has the access manager create and publish the year's transparency
// report, which anyone then reads without a token; the report is verified
// against the audit log at the position it states.
func (sc *scenario) transparency() error {
	tr := &Transparency{}
	sc.res.Transparency = tr
	ta, err := sc.mgr.GetTimeToAccessWithResponse(sc.ctx, &client.GetTimeToAccessParams{CallId: &sc.res.CallID})
	if err := expect(ta, err, 200, "time to access"); err != nil {
		return err
	}
	if by := ta.JSON200.ByMode; by != nil {
		for _, d := range *by {
			tr.TimeToAccess = append(tr.TimeToAccess, fmt.Sprintf("%s: %d decided, median %.1f working days, %.0f %% within target, %d undecided",
				d.Group, d.Decided, d.MedianWorkingDays, 100*d.ShareWithinTarget, d.Undecided))
		}
	}
	tr.Period = fmt.Sprint(sc.now().Year())
	cr, err := sc.mgr.CreateTransparencyReportWithResponse(sc.ctx, &client.CreateTransparencyReportParams{}, client.TransparencyReportInput{Period: tr.Period})
	if err := expect(cr, err, 201, "create the transparency report"); err != nil {
		return err
	}
	rep := cr.JSON201
	tr.ReportID, tr.K, tr.AuditSeq = rep.Id, rep.K, rep.AuditSeq
	if rep.Tables != nil {
		for i, t := range *rep.Tables {
			if i == 0 {
				tr.Totals = cellLine(t.Total)
			}
			if t.Rows != nil {
				for _, c := range *t.Rows {
					tr.Rows++
					if c.Suppressed {
						tr.Suppressed++
					}
				}
			}
		}
	}
	public, err := client.NewClientWithResponses(sc.url)
	if err != nil {
		return err
	}
	before, err := public.GetPublicTransparencyReportWithResponse(sc.ctx, rep.Id, &client.GetPublicTransparencyReportParams{})
	if err != nil {
		return err
	}
	pr, err := sc.mgr.PublishTransparencyReportWithResponse(sc.ctx, rep.Id, &client.PublishTransparencyReportParams{})
	if err := expect(pr, err, 200, "publish the transparency report"); err != nil {
		return err
	}
	after, err := public.GetPublicTransparencyReportWithResponse(sc.ctx, rep.Id, &client.GetPublicTransparencyReportParams{})
	if err != nil {
		return err
	}
	sc.res.Checks = append(sc.res.Checks, Check{What: "anyone reads the transparency report without a token once it is published",
		Result: fmt.Sprintf("HTTP %d before publishing, %d after", before.StatusCode(), after.StatusCode()),
		OK:     before.StatusCode() == 404 && after.StatusCode() == 200})
	vr, err := sc.mgr.VerifyTransparencyReportWithResponse(sc.ctx, rep.Id)
	if err := expect(vr, err, 200, "verify the transparency report"); err != nil {
		return err
	}
	v := vr.JSON200
	sc.res.Checks = append(sc.res.Checks, Check{What: "the transparency report is recomputed from the audit log at the position it states",
		Result: fmt.Sprintf("%d figures compared at event %d, %d differences; not reproduced from the log: %s", v.Compared, v.AuditSeq, len(v.Differences), strings.Join(v.NotCompared, ", ")),
		OK:     v.Ok && v.ChainOk && len(v.Differences) == 0})
	sc.progress("transparency report %s for %s published", rep.Id, tr.Period)
	return nil
}

// cellLine is a report cell's figures in one line.
func cellLine(c client.ReportCell) string {
	if c.Suppressed {
		return "suppressed"
	}
	var parts []string
	if c.Proposals != nil {
		parts = append(parts, fmt.Sprintf("%d proposals", *c.Proposals))
	}
	if c.Awards != nil {
		parts = append(parts, fmt.Sprintf("%d awards", *c.Awards))
	}
	if c.GpuHoursGranted != nil {
		parts = append(parts, fmtNum(*c.GpuHoursGranted)+" GPU-hours granted")
	}
	if c.GpuHoursUsed != nil {
		parts = append(parts, fmtNum(*c.GpuHoursUsed)+" used")
	}
	if c.TrainingFlop != nil {
		parts = append(parts, fmt.Sprintf("%.2g FLOP of training", *c.TrainingFlop))
	}
	if c.EnergyMwh != nil {
		parts = append(parts, pactum.TwoSFPlain(*c.EnergyMwh)+" MWh")
	}
	return strings.Join(parts, ", ")
}
