// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// homePage is the start page: what the signed-in person has to do and
// watch, by role.
type homePage struct {
	Proposals   []*pactum.Proposal
	Allocations []allocationRow
	Obligations []*pactum.Obligation
	Calls       []*pactum.Call
	Overdue     []pactum.TimeToAccess
	Queue       *reviewQueue
	Agents      []pactum.AgentStatus
	Reports     []*pactum.TransparencyReport
	Unread      int
	Notices     []*pactum.Notification
}

// allocationRow is an allocation with its usage, for lists.
type allocationRow struct {
	*pactum.Allocation
	Usage *pactum.UsageSummary
}

// listLimit bounds each list on a page; the page links to the rest.
const listLimit = 50

func (p *Portal) home(r *http.Request, v *view) (string, error) {
	ctx, u, s := r.Context(), v.User, p.cfg.Services
	v.Title, v.Nav = "Overview", "home"
	d := &homePage{}
	v.Data = d
	notes, n, err := s.FindNotifications(ctx, pactum.NotificationFilter{Unread: true, Limit: 5})
	if err != nil {
		return "", err
	}
	d.Notices, d.Unread = notes, n
	switch u.Role {
	case pactum.RoleApplicant:
		if d.Proposals, _, err = s.FindProposals(ctx, pactum.ProposalFilter{Limit: listLimit}); err != nil {
			return "", err
		}
		if d.Allocations, err = p.allocationRows(r, pactum.AllocationFilter{Limit: listLimit}); err != nil {
			return "", err
		}
		if d.Obligations, err = p.pendingObligations(r); err != nil {
			return "", err
		}
	case pactum.RoleReviewer:
		if d.Queue, err = p.reviewerQueue(r, u, v.Now); err != nil { // web/reviewer.go
			return "", err
		}
	case pactum.RoleAccessManager, pactum.RoleAuditor:
		if d.Calls, _, err = s.FindCalls(ctx, pactum.CallFilter{Limit: listLimit}); err != nil {
			return "", err
		}
		if d.Overdue, err = s.OverdueProposals(ctx); err != nil {
			return "", err
		}
		if d.Obligations, err = p.pendingObligations(r); err != nil {
			return "", err
		}
		if d.Agents, err = s.ListAgents(ctx, ""); err != nil {
			return "", err
		}
		if d.Reports, err = s.FindTransparencyReports(ctx); err != nil {
			return "", err
		}
	case pactum.RoleSiteOperator:
		if d.Allocations, err = p.allocationRows(r, pactum.AllocationFilter{Limit: listLimit}); err != nil {
			return "", err
		}
		if d.Agents, err = s.ListAgents(ctx, ""); err != nil {
			return "", err
		}
	}
	return "home", nil
}

// allocationRows lists the allocations the caller may see, each with its
// usage.
func (p *Portal) allocationRows(r *http.Request, f pactum.AllocationFilter) ([]allocationRow, error) {
	ctx, s := r.Context(), p.cfg.Services
	als, _, err := s.FindAllocations(ctx, f)
	if err != nil {
		return nil, err
	}
	rows := make([]allocationRow, len(als))
	for i, al := range als {
		rows[i].Allocation = al
		if rows[i].Usage, err = s.FindUsageSummary(ctx, al.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return nil, err
		}
	}
	return rows, nil
}

// pendingObligations lists the obligations still to be submitted that
// the caller may see, soonest due first.
func (p *Portal) pendingObligations(r *http.Request) ([]*pactum.Obligation, error) {
	var out []*pactum.Obligation
	for _, st := range []pactum.ObligationState{pactum.ObligationOpen, pactum.ObligationReturned} {
		os, _, err := p.cfg.Services.FindObligations(r.Context(), pactum.ObligationFilter{State: &st, Limit: listLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, os...)
	}
	slices.SortStableFunc(out, func(a, b *pactum.Obligation) int { return a.DueAt.Compare(b.DueAt) })
	return out, nil
}

// proposalPage is a proposal with its way through the scheme.
type proposalPage struct {
	P        *pactum.Proposal
	Timeline []step
	Stage    pactum.ReviewStage
	// Form is the caller's review form, when they have a review due.
	Form     *reviewForm
	Reviews  []*pactum.Review
	Reply    *pactum.Reply
	CanReply bool
	// Done names what the person just did ("review", "reply").
	Done string
}

// step is one point of a proposal's timeline.
type step struct {
	Label string
	At    *time.Time
	// Done, Current: passed, or where the proposal stands.
	Done, Current bool
	Note          string
}

func (p *Portal) proposal(r *http.Request, v *view) (string, error) {
	ctx := r.Context()
	pr, err := p.cfg.Services.FindProposalByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	var track *pactum.ReviewTrack
	if pr.State == pactum.ProposalInReview {
		if track, err = p.cfg.Services.FindReviewTrack(ctx, pr.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return "", err
		}
	}
	v.Title, v.Nav = pr.Title, "proposals"
	d := &proposalPage{P: pr, Timeline: timeline(pr, track), Done: r.URL.Query().Get("done")}
	if err := p.reviewPart(r, v, d, track); err != nil {
		return "", err
	}
	v.Data = d
	return "proposal", nil
}

// timeline lays out where p stands: submitted, screened, each review
// stage, decided (with the target date while undecided).
func timeline(p *pactum.Proposal, track *pactum.ReviewTrack) []step {
	var out []step
	submitted := p.SubmittedAt != nil
	out = append(out, step{Label: "Submitted", At: p.SubmittedAt, Done: submitted, Current: !submitted})
	screened := p.Screening != nil
	sc := step{Label: "Screened", Done: screened}
	if screened {
		sc.Note = "Outcome: " + string(p.Screening.Outcome)
	}
	out = append(out, sc)
	if track != nil {
		reached := false
		for _, st := range track.Stages {
			if st == pactum.StageDecision {
				continue // the last step, below
			}
			s := step{Label: stageLabel(st)}
			switch {
			case st == track.Stage:
				s.Current, reached = true, true
				at := track.StageStartedAt
				s.At = &at
			case !reached:
				s.Done = true
			}
			out = append(out, s)
		}
	}
	decided := p.Decision != nil || p.State == pactum.ProposalApproved || p.State == pactum.ProposalAccepted || p.State == pactum.ProposalRejected
	d := step{Label: "Decision", Done: decided,
		Current: !decided && p.State != pactum.ProposalDraft && (track == nil || track.Stage == pactum.StageDecision)}
	switch {
	case decided:
		d.Note = "Outcome: " + string(p.State)
	case p.DecisionDueAt != nil:
		d.Note = "Target: " + p.DecisionDueAt.UTC().Format("2 January 2006")
	}
	if p.Decision != nil {
		at := p.Decision.DecidedAt
		d.At = &at
	}
	out = append(out, d)
	return out
}

func stageLabel(s pactum.ReviewStage) string {
	switch s {
	case pactum.StageTechnical:
		return "Technical review"
	case pactum.StageEthics:
		return "Ethics review"
	case pactum.StagePeer:
		return "Peer review"
	case pactum.StageReply:
		return "Your reply"
	case pactum.StagePanel:
		return "Panel ranking"
	}
	return string(s)
}

// allocationPage is an allocation: its usage against the grant, its
// conditions and obligations.
type allocationPage struct {
	A           *pactum.Allocation
	Usage       *pactum.UsageSummary
	Chart       usageChart
	Conditions  []pactum.ConditionStatus
	Obligations []*pactum.Obligation
	// Done names what the person just did ("acknowledged").
	Done string
}

func (p *Portal) allocation(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	al, err := s.FindAllocationByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	d := &allocationPage{A: al, Done: r.URL.Query().Get("done")}
	if d.Usage, err = s.FindUsageSummary(ctx, al.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
		return "", err
	}
	d.Chart = newUsageChart(d.Usage)
	if d.Conditions, err = s.FindConditions(ctx, al.ID); err != nil {
		return "", err
	}
	if d.Obligations, _, err = s.FindObligations(ctx, pactum.ObligationFilter{AllocationID: &al.ID, Limit: listLimit}); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Allocation on "+al.SystemID, "allocations", d
	return "allocation", nil
}

// auditPage is a page of the audit log, newest last.
type auditPage struct {
	// Verified is the chain's verification, when asked for (?verify=1).
	Verified    *pactum.AuditReport
	Events      []*pactum.AuditEvent
	Total       int
	SubjectType string
	SubjectID   string
	Offset      int
	Next, Prev  string
}

// auditPageSize is how many events one page of the log shows.
const auditPageSize = 100

func (p *Portal) audit(r *http.Request, v *view) (string, error) {
	q := r.URL.Query()
	f := pactum.AuditFilter{Limit: auditPageSize}
	d := &auditPage{SubjectType: q.Get("subject_type"), SubjectID: q.Get("subject_id")}
	if d.SubjectType != "" {
		f.SubjectType = &d.SubjectType
	}
	if d.SubjectID != "" {
		f.SubjectID = &d.SubjectID
	}
	off, err := offsetParam(q.Get("offset"))
	if err != nil {
		return "", err
	}
	d.Offset, f.Offset = off, off
	if d.Events, d.Total, err = p.cfg.Services.FindAuditEvents(r.Context(), f); err != nil {
		return "", err
	}
	if q.Get("verify") == "1" {
		if d.Verified, err = p.cfg.Services.VerifyAudit(r.Context()); err != nil {
			return "", err
		}
	}
	link := func(off int) string {
		u := *r.URL
		qq := u.Query()
		qq.Set("offset", strconv.Itoa(off))
		u.RawQuery = qq.Encode()
		return u.RequestURI()
	}
	if d.Offset+len(d.Events) < d.Total {
		d.Next = link(d.Offset + auditPageSize)
	}
	if d.Offset > 0 {
		d.Prev = link(max(0, d.Offset-auditPageSize))
	}
	v.Title, v.Nav, v.Data = "Audit log", "audit", d
	return "audit", nil
}

// reviewForm is what the proposal page needs to show the caller's review
// form: the open assignment, the stage and, for peer review, the rubric.
type reviewForm struct {
	Assignment *pactum.Assignment
	Stage      pactum.ReviewStage
	Rubric     *pactum.Rubric
}

// reviewPart fills the proposal page's review parts: the caller's open
// assignment with its form (reviewers), the reviews the caller may read,
// and the reply (the applicant, while the reply stage is open).
func (p *Portal) reviewPart(r *http.Request, v *view, d *proposalPage, track *pactum.ReviewTrack) error {
	ctx, s, u, pr := r.Context(), p.cfg.Services, v.User, d.P
	if track != nil {
		d.Stage = track.Stage
	}
	if u.Role == pactum.RoleReviewer && track != nil {
		st := pactum.AssignmentAssigned
		as, _, err := s.FindAssignments(ctx, pactum.AssignmentFilter{ProposalID: &pr.ID, ReviewerID: &u.ID, Stage: &track.Stage, State: &st, Limit: 1})
		if err != nil {
			return err
		}
		if len(as) == 1 {
			f := &reviewForm{Assignment: as[0], Stage: track.Stage}
			if track.Stage == pactum.StagePeer {
				if f.Rubric, err = s.FindRubric(ctx, pr.CallID); err != nil {
					return err
				}
			}
			d.Form = f
		}
	}
	reviews, err := s.FindReviews(ctx, pr.ID, pactum.ReviewFilter{})
	if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND && pactum.ErrorCode(err) != pactum.EFORBIDDEN {
		return err
	}
	d.Reviews = reviews
	if u.Role == pactum.RoleApplicant {
		d.CanReply = track != nil && track.Stage == pactum.StageReply
		if d.Reply, err = s.FindReply(ctx, pr.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return err
		}
	}
	return nil
}

// submitReview sends the review form to the use case.
func (p *Portal) submitReview(r *http.Request, v *view) (string, error) {
	id := r.PathValue("id")
	f := r.PostForm
	in := pactum.ReviewInput{Recommendation: pactum.Recommendation(f.Get("recommendation")),
		CommentsForApplicant: f.Get("comments_for_applicant"), ConfidentialComments: f.Get("confidential_comments")}
	for _, line := range strings.Split(f.Get("conditions"), "\n") {
		if c := strings.TrimSpace(line); c != "" {
			in.Conditions = append(in.Conditions, c)
		}
	}
	for key, vals := range f {
		crit, ok := strings.CutPrefix(key, "score.")
		if !ok || len(vals) != 1 || vals[0] == "" {
			continue
		}
		n, err := strconv.Atoi(vals[0])
		if err != nil {
			return "", invalidField("scores", "give each criterion a score from 0 to 5")
		}
		in.Scores = append(in.Scores, pactum.CriterionScore{Criterion: crit, Score: n})
	}
	slices.SortFunc(in.Scores, func(a, b pactum.CriterionScore) int { return strings.Compare(a.Criterion, b.Criterion) })
	if _, err := p.cfg.Services.SubmitReview(r.Context(), id, in); err != nil {
		return "", err
	}
	return Prefix + "proposals/" + id + "?done=review", nil
}

// submitReply sends the applicant's reply to the use case.
func (p *Portal) submitReply(r *http.Request, v *view) (string, error) {
	id := r.PathValue("id")
	if _, err := p.cfg.Services.SubmitReply(r.Context(), id, r.PostForm.Get("text")); err != nil {
		return "", err
	}
	return Prefix + "proposals/" + id + "?done=reply", nil
}

// recuse takes the reviewer off the proposal, with the reason.
func (p *Portal) recuse(r *http.Request, v *view) (string, error) {
	if _, err := p.cfg.Services.Recuse(r.Context(), r.PostForm.Get("assignment"), r.PostForm.Get("reason")); err != nil {
		return "", err
	}
	return Prefix + "?done=recused", nil
}

// invalidField is EINVALID naming one field.
// offsetParam reads a list's offset: a whole number, 0 or more.
func offsetParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, badParam("offset", "a whole number, 0 or more")
	}
	return n, nil
}

// pageLinks returns the next and previous pages' addresses, keeping the
// request's other query parameters (the filters): empty when there is no
// such page.
func pageLinks(r *http.Request, offset, shown, total, size int) (next, prev string) {
	link := func(off int) string {
		u := *r.URL
		qq := u.Query()
		if off == 0 {
			qq.Del("offset")
		} else {
			qq.Set("offset", strconv.Itoa(off))
		}
		u.RawQuery = qq.Encode()
		return u.RequestURI()
	}
	if offset+shown < total {
		next = link(offset + size)
	}
	if offset > 0 {
		prev = link(max(0, offset-size))
	}
	return next, prev
}

// badParam is EINVALID for a page's query parameter, naming it in the
// message: an error page shows the message, not the fields.
func badParam(field, msg string) error {
	return &pactum.Error{Code: pactum.EINVALID, Message: "The filter " + field + " " + msg + ".",
		Fields: []pactum.FieldError{{Field: field, Message: msg}}}
}

func invalidField(field, msg string) error {
	return &pactum.Error{Code: pactum.EINVALID, Message: "The form is not complete.", Fields: []pactum.FieldError{{Field: field, Message: msg}}}
}

// callPage is a call as an access manager runs it: what is asked of each
// system against what it can give, the proposals (filtered), the panel's
// ranking.
type callPage struct {
	C         *pactum.Call
	Demand    []systemDemand
	Proposals []*pactum.Proposal
	Total     int
	State     string
	Mode      string
	States    []pactum.ProposalState
	Ranking   []*pactum.PanelEntry
	// Done is "opened" right after the access manager opened the call.
	Done string
	// The outcome and rule filters, paging and review progress
	// (web/reviewer.go).
	callFilters
}

// systemDemand is one system's requested and granted amounts in a call
// against its capacity, with bars for the chart (in user units of
// chartWidth, on a common scale).
type systemDemand struct {
	SystemID                     string
	Capacity, Requested, Granted float64
	CapBar, ReqBar, GrantBar     float64
	Over                         bool
}

func (p *Portal) call(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	c, err := s.FindCallByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	q := r.URL.Query()
	d := &callPage{C: c, State: q.Get("state"), Mode: q.Get("mode"), States: pactum.ProposalStates, Done: q.Get("done")}
	f := pactum.ProposalFilter{CallID: &c.ID, Limit: listLimit}
	if d.State != "" {
		st := pactum.ProposalState(d.State)
		if !st.Valid() {
			return "", invalidField("state", "is not a proposal state")
		}
		f.State = &st
	}
	if d.Mode != "" {
		m := pactum.AccessMode(d.Mode)
		if !m.Valid() {
			return "", invalidField("mode", "is not an access mode")
		}
		f.Mode = &m
	}
	if err := d.callFilters.read(q, &f); err != nil { // web/reviewer.go
		return "", err
	}
	if d.Proposals, d.Total, err = s.FindProposals(ctx, f); err != nil {
		return "", err
	}
	d.Next, d.Prev = pageLinks(r, d.Offset, len(d.Proposals), d.Total, listLimit)
	d.First, d.Last = d.Offset+1, d.Offset+len(d.Proposals)
	if d.Progress, err = p.reviewProgress(r, c.ID); err != nil {
		return "", err
	}
	if d.Conflicts, err = p.callConflicts(r, c.ID); err != nil {
		return "", err
	}
	if d.Demand, err = p.demand(r, c); err != nil {
		return "", err
	}
	if d.Ranking, err = s.FindRanking(ctx, c.ID); err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND && pactum.ErrorCode(err) != pactum.EFORBIDDEN {
		return "", err
	}
	v.Title, v.Nav, v.Data = c.Title, "calls", d
	return "call", nil
}

// demand is the call's demand per system (the CallDemand use case), with
// bars on a common scale.
func (p *Portal) demand(r *http.Request, c *pactum.Call) ([]systemDemand, error) {
	ds, err := p.cfg.Services.CallDemand(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	top := 0.0
	for _, d := range ds {
		top = max(top, d.Capacity, d.Requested)
	}
	out := make([]systemDemand, len(ds))
	for i, d := range ds {
		out[i] = systemDemand{SystemID: d.SystemID, Capacity: d.Capacity, Requested: d.Requested, Granted: d.Granted, Over: d.Over()}
		if top > 0 {
			out[i].CapBar, out[i].ReqBar, out[i].GrantBar = d.Capacity/top*chartWidth, d.Requested/top*chartWidth, d.Granted/top*chartWidth
		}
	}
	return out, nil
}
