// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// The reviewer's pages (issue 15): the review queue with due dates, the
// conflicts of interest a reviewer declared and those recorded on them,
// and the access managers' list of conflicts with the waiver. Everything
// goes through the use cases: a declaration is an UpdateReviewerProfile
// with one more declared conflict, a waiver is WaiveConflict.

// reviewQueue counts a reviewer's assignments: all of them (Total), due,
// done and recused, and lists those due, soonest first, each with its
// due date (the proposal's decision target, which the review must come
// before), marking the overdue ones.
type reviewQueue struct {
	Total, Assigned, Done, Recused, Overdue int
	Due                                     []dueReview
}

// dueReview is an open assignment with its proposal's title and due
// date.
type dueReview struct {
	*pactum.Assignment
	Title   string
	DueAt   *time.Time
	Overdue bool
	// Soon: due within pactum.ReviewDueDays.
	Soon bool
}

// queueLimit bounds the assignments a queue reads.
const queueLimit = 1000

// reviewerQueue reads the signed-in reviewer's queue.
func (p *Portal) reviewerQueue(r *http.Request, u *pactum.User, now time.Time) (*reviewQueue, error) {
	ctx, s := r.Context(), p.cfg.Services
	q := &reviewQueue{}
	as, n, err := s.FindAssignments(ctx, pactum.AssignmentFilter{ReviewerID: &u.ID, Limit: queueLimit})
	if err != nil {
		return nil, err
	}
	q.Total = n
	for _, a := range as {
		switch a.State {
		case pactum.AssignmentAssigned:
			q.Assigned++
			d := dueReview{Assignment: a, Title: short(a.ProposalID)}
			// Assigned and not conflicted: the reviewer may read it. A
			// proposal they may no longer read is left without a title.
			if pr, err := s.FindProposalByID(ctx, a.ProposalID); err == nil {
				d.Title, d.DueAt = pr.Title, pr.DecisionDueAt
			} else if pactum.ErrorCode(err) != pactum.ENOTFOUND {
				return nil, err
			}
			if d.DueAt != nil {
				d.Overdue = d.DueAt.Before(now)
				d.Soon = !d.Overdue && d.DueAt.Before(now.Add(pactum.ReviewDueDays*24*time.Hour))
			}
			if d.Overdue {
				q.Overdue++
			}
			q.Due = append(q.Due, d)
		case pactum.AssignmentSubmitted:
			q.Done++
		case pactum.AssignmentRecused:
			q.Recused++
		}
	}
	slices.SortStableFunc(q.Due, func(a, b dueReview) int {
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return 0
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return a.DueAt.Compare(*b.DueAt)
	})
	return q, nil
}

// short is the last 8 characters of an ID, as the pages show IDs.
func short(s string) string {
	if len(s) > 8 {
		return s[len(s)-8:]
	}
	return s
}

// reviewerPage is a reviewer's own page: the queue, their affiliations and
// declared conflicts, and the conflicts recorded on them that they may
// see (pactum.CanSeeConflict: those disclosed to them).
type reviewerPage struct {
	Queue     *reviewQueue
	Profile   *pactum.ReviewerProfile
	Conflicts []*pactum.Conflict
	Done      string
}

func (p *Portal) reviewer(r *http.Request, v *view) (string, error) {
	ctx, s, u := r.Context(), p.cfg.Services, v.User
	if u.Role != pactum.RoleReviewer {
		return "", pactum.Errorf(pactum.ENOTFOUND, "This page is for reviewers.")
	}
	d := &reviewerPage{Done: r.URL.Query().Get("done")}
	var err error
	if d.Queue, err = p.reviewerQueue(r, u, v.Now); err != nil {
		return "", err
	}
	if d.Profile, err = s.FindReviewerProfile(ctx, u.ID); err != nil {
		return "", err
	}
	if d.Conflicts, _, err = s.FindConflicts(ctx, pactum.ConflictFilter{ReviewerID: &u.ID, Limit: listLimit}); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Your reviews and conflicts", "reviewer", d
	return "reviewer", nil
}

// declareConflict adds a conflict of interest with an organization to the
// reviewer's profile: assignment then keeps them off that organization's
// proposals, and any they hold now are recused (UpdateReviewerProfile).
func (p *Portal) declareConflict(r *http.Request, v *view) (string, error) {
	ctx, s, u := r.Context(), p.cfg.Services, v.User
	if u.Role != pactum.RoleReviewer {
		return "", pactum.Errorf(pactum.ENOTFOUND, "This page is for reviewers.")
	}
	prof, err := s.FindReviewerProfile(ctx, u.ID)
	if err != nil {
		return "", err
	}
	org, reason := strings.TrimSpace(r.PostForm.Get("organization")), strings.TrimSpace(r.PostForm.Get("reason"))
	if org == "" {
		return "", invalidField("organization", "name the organization you have a conflict with")
	}
	prof.DeclaredConflicts = append(prof.DeclaredConflicts, pactum.DeclaredConflict{Organization: org, Reason: reason})
	if err := s.UpdateReviewerProfile(ctx, prof); err != nil {
		return "", err
	}
	return Prefix + "reviewer?done=declared", nil
}

// conflictsPage lists recorded conflicts for access managers and
// auditors, filtered by status, a page at a time, with the waiver form
// for the apparent ones still active (access managers only).
type conflictsPage struct {
	Conflicts []conflictRow
	Total     int
	Status    string
	// Call is the call whose proposals' conflicts are listed, when
	// filtered (?call=).
	Call       *pactum.Call
	Offset     int
	Next, Prev string
	CanWaive   bool
	Done       string
	// First, Last: the positions shown, from 1.
	First, Last int
}

// conflictRow is a conflict with its reviewer's name.
type conflictRow struct {
	*pactum.Conflict
	Reviewer string
	Waivable bool
}

// conflictsPageSize is how many conflicts one page lists.
const conflictsPageSize = 50

func (p *Portal) conflicts(r *http.Request, v *view) (string, error) {
	ctx, s, u := r.Context(), p.cfg.Services, v.User
	if !pactum.CanReadAll(u) {
		return "", pactum.Errorf(pactum.ENOTFOUND, "This page is for access managers and auditors.")
	}
	q := r.URL.Query()
	d := &conflictsPage{Status: q.Get("status"), CanWaive: pactum.HasRole(u, pactum.RoleAccessManager), Done: q.Get("done")}
	f := pactum.ConflictFilter{Limit: conflictsPageSize}
	if d.Status != "" {
		st := pactum.ConflictStatus(d.Status)
		if st != pactum.ConflictActive && st != pactum.ConflictWaived {
			return "", badParam("status", "is active or waived")
		}
		f.Status = &st
	}
	if id := q.Get("call"); id != "" {
		c, err := s.FindCallByID(ctx, id)
		if err != nil {
			return "", err
		}
		d.Call, f.CallID = c, &c.ID
	}
	off, err := offsetParam(q.Get("offset"))
	if err != nil {
		return "", err
	}
	d.Offset, f.Offset = off, off
	cs, n, err := s.FindConflicts(ctx, f)
	if err != nil {
		return "", err
	}
	d.Total = n
	if d.Conflicts, err = p.conflictRows(r, cs, d.CanWaive); err != nil {
		return "", err
	}
	d.Next, d.Prev = pageLinks(r, d.Offset, len(cs), n, conflictsPageSize)
	d.First, d.Last = d.Offset+1, d.Offset+len(cs)
	v.Title, v.Nav, v.Data = "Conflicts of interest", "conflicts", d
	return "reviewer_conflicts", nil
}

// conflictRows names each conflict's reviewer and says whether canWaive
// lets the caller waive it (an apparent conflict still active).
func (p *Portal) conflictRows(r *http.Request, cs []*pactum.Conflict, canWaive bool) ([]conflictRow, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	// The page's reviewers, by ID, whatever their number overall.
	var ids []string
	for _, c := range cs {
		if !slices.Contains(ids, c.ReviewerID) {
			ids = append(ids, c.ReviewerID)
		}
	}
	names := map[string]string{}
	ps, _, err := p.cfg.Services.FindReviewerProfiles(r.Context(), pactum.ReviewerFilter{UserIDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	for _, pr := range ps {
		names[pr.UserID] = pr.Name
	}
	out := make([]conflictRow, len(cs))
	for i, c := range cs {
		out[i] = conflictRow{Conflict: c, Reviewer: names[c.ReviewerID],
			Waivable: canWaive && c.Severity == pactum.SeverityApparent && c.Status == pactum.ConflictActive}
	}
	return out, nil
}

// callConflicts are the active conflicts on a call's proposals, for its
// page: the first few and how many.
type callConflicts struct {
	Rows  []conflictRow
	Total int
}

// callConflictsShown is how many conflicts the call page lists.
const callConflictsShown = 10

func (p *Portal) callConflicts(r *http.Request, callID string) (*callConflicts, error) {
	st := pactum.ConflictActive
	cs, n, err := p.cfg.Services.FindConflicts(r.Context(), pactum.ConflictFilter{CallID: &callID, Status: &st, Limit: callConflictsShown})
	if err != nil {
		return nil, err
	}
	rows, err := p.conflictRows(r, cs, false)
	if err != nil {
		return nil, err
	}
	return &callConflicts{Rows: rows, Total: n}, nil
}

// waiveConflict waives an apparent conflict with the manager's reason.
func (p *Portal) waiveConflict(r *http.Request, v *view) (string, error) {
	if _, err := p.cfg.Services.WaiveConflict(r.Context(), r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		return "", err
	}
	return Prefix + "conflicts?done=waived", nil
}

// callFilters are the call page's outcome and rule filters, its paging
// and the review progress of the call's proposals.
type callFilters struct {
	// Outcome is a screening outcome (approve, refer, deny) or a decision
	// outcome (accepted, rejected).
	Outcome string
	// The outcomes offered: screening's, then decisions'.
	ScreeningOutcomes, DecisionOutcomes []string
	// Rule is a screening rule's ID: proposals on which it fired.
	Rule       string
	Offset     int
	Next, Prev string
	// First, Last: the positions shown, from 1.
	First, Last int
	Progress    []stageProgress
	Conflicts   *callConflicts
}

// read fills the filters from the query and sets them on f, which the
// store applies (pactum.ProposalFilter): EINVALID naming a bad one.
func (c *callFilters) read(q map[string][]string, f *pactum.ProposalFilter) error {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c.Outcome, c.Rule = get("outcome"), strings.TrimSpace(get("rule"))
	for _, o := range pactum.Outcomes {
		c.ScreeningOutcomes = append(c.ScreeningOutcomes, string(o))
	}
	c.DecisionOutcomes = []string{string(pactum.DecisionAccepted), string(pactum.DecisionRejected)}
	if c.Outcome != "" {
		switch o := pactum.Outcome(c.Outcome); {
		case o.Valid():
			f.ScreeningOutcome = &o
		case pactum.DecisionOutcome(c.Outcome).Valid():
			d := pactum.DecisionOutcome(c.Outcome)
			f.DecisionOutcome = &d
		default:
			return badParam("outcome", "is a screening outcome (approve, refer, deny) or a decision (accepted, rejected)")
		}
	}
	if c.Rule != "" {
		if !pactum.ValidRuleIDFilter(c.Rule) {
			return badParam("rule", "is a rule ID: at most 200 characters, no control characters")
		}
		f.RuleID = &c.Rule
	}
	off, err := offsetParam(get("offset"))
	if err != nil {
		return err
	}
	c.Offset, f.Offset = off, off
	return nil
}

// Filtered reports whether any filter is set.
func (c *callFilters) Filtered() bool { return c.Outcome != "" || c.Rule != "" }

// stageProgress counts a call's review assignments at one stage by state.
type stageProgress struct {
	Stage                        pactum.ReviewStage
	Assigned, Submitted, Recused int
}

// Total is every assignment of the stage, recused ones included.
func (s stageProgress) Total() int { return s.Assigned + s.Submitted + s.Recused }

// reviewProgress counts the call's assignments per assignable stage and
// state: each count is one counting query (the lists' totals), not a read
// of the assignments. Stages without any assignment are left out.
func (p *Portal) reviewProgress(r *http.Request, callID string) ([]stageProgress, error) {
	var out []stageProgress
	for _, st := range []pactum.ReviewStage{pactum.StageEthics, pactum.StagePeer} {
		sp := stageProgress{Stage: st}
		for _, state := range []pactum.AssignmentState{pactum.AssignmentAssigned, pactum.AssignmentSubmitted, pactum.AssignmentRecused} {
			_, n, err := p.cfg.Services.FindAssignments(r.Context(), pactum.AssignmentFilter{CallID: &callID, Stage: &st, State: &state, Limit: 1})
			if err != nil {
				return nil, err
			}
			switch state {
			case pactum.AssignmentAssigned:
				sp.Assigned = n
			case pactum.AssignmentSubmitted:
				sp.Submitted = n
			default:
				sp.Recused = n
			}
		}
		if sp.Total() > 0 {
			out = append(out, sp)
		}
	}
	return out, nil
}
