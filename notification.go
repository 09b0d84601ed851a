// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The kinds of notification.
const (
	NotifyReviewAssigned = "review.assigned" // to a reviewer: a review is due
	NotifyReplyOpen      = "review.reply"    // to an applicant: the reviews are in; you may reply
	NotifyDecision       = "proposal.decision"
	NotifyComputeAlert   = "compute.alert"      // a model's compute reached a fraction of an AI Act threshold
	NotifyUsageFlag      = "usage.flag"         // an allocation's usage is not what it was granted for (UsageFlag)
	NotifyModelHold      = "model.hold"         // a model is held until an access manager acknowledges, or released
	NotifyIncident       = "incident"           // an incident was reported (to access managers), triaged or closed (to its reporter)
	NotifyObligation     = "obligation"         // an obligation is due soon, overdue, submitted, accepted or returned, or a breach declared or cleared
	NotifySubmitted      = "proposal.submitted" // to the applicant: the proposal was received
	NotifyScreening      = "proposal.screening" // to the applicant: the screening's outcome and where the proposal goes
	NotifyUsageThreshold = "usage.threshold"    // to the organization: its allocation's usage reached 75, 90 or 100 % of the grant
	NotifyExpiry         = "allocation.expiry"  // to the organization: its allocation ends in 30, 14 or 7 days
	NotifyAgentSilent    = "agent.silent"       // to access managers and the site's operators: a site agent stopped reporting
	NotifyReviewDue      = "review.due"         // to a reviewer: a review still awaited, and the decision due in ReviewDueDays
)

// ReviewDueDays is how many days before a proposal's decision is due its
// reviewers who have not reviewed yet are reminded, once.
const ReviewDueDays = 3

// ExpiryNoticeDays are the days before an allocation's end at which its
// organization is told, each once.
var ExpiryNoticeDays = []int{30, 14, 7}

// ExpiryNoticeDue returns the most urgent expiry notice due for an
// allocation ending at end, at now (the fewest days in ExpiryNoticeDays
// not more than the time left), and every notice due (the less urgent
// ones, sent or not, are passed); 0 when none is.
func ExpiryNoticeDue(end, now time.Time) (days int, due []int) {
	left := end.Sub(now)
	if left <= 0 {
		return 0, nil
	}
	for _, d := range ExpiryNoticeDays {
		if left <= time.Duration(d)*24*time.Hour {
			due = append(due, d)
			if days == 0 || d < days {
				days = d
			}
		}
	}
	return days, due
}

// Notification is a message to a user, listed by the API; pactum sends no
// e-mail.
type Notification struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	ProposalID string     `json:"proposal_id,omitempty"`
	Kind       string     `json:"kind"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
}

// NotificationFilter selects notifications. Nil fields match everything.
type NotificationFilter struct {
	// UserID is honoured for access managers and auditors; everyone else
	// sees only their own.
	UserID        *string
	ProposalID    *string
	Unread        bool
	Limit, Offset int
}

// NotificationService lists the notifications the other services write in
// their transactions.
type NotificationService interface {
	// FindNotifications lists notifications newest first: the caller's
	// own, or anyone's for access managers and auditors.
	FindNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, int, error)
	// MarkNotificationRead marks one of the caller's notifications read
	// (idempotent). ENOTFOUND for anyone else's.
	MarkNotificationRead(ctx context.Context, id string) (*Notification, error)
}

// ReplyOpenNotice tells p's applicant that the reviews are in and they may
// reply until end.
func ReplyOpenNotice(p *Proposal, end time.Time) *Notification {
	return &Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: NotifyReplyOpen,
		Subject: "Reviews of “" + p.Title + "” are available",
		Body: fmt.Sprintf("The technical assessment and peer reviews of your proposal are available (pactum reviews list %s). "+
			"You may reply until %s; the panel reads your reply with the reviews.", p.ID, end.Format("2006-01-02 15:04 MST"))}
}

// AssignmentNotice asks a's reviewer for their review of the proposal
// titled title, and to recuse themself first if they are conflicted.
func AssignmentNotice(a *Assignment, title string) *Notification {
	stage := string(a.Stage)
	return &Notification{UserID: a.ReviewerID, ProposalID: a.ProposalID, Kind: NotifyReviewAssigned,
		Subject: fmt.Sprintf("%s review assigned: “%s”", strings.ToUpper(stage[:1])+stage[1:], title),
		Body: fmt.Sprintf("You are asked for the %s review of proposal %s (pactum proposals show %s). If you have a conflict of interest, "+
			"recuse yourself before reading it (pactum reviews recuse %s).", stage, a.ProposalID, a.ProposalID, a.ID)}
}

// DecisionNotice tells p's applicant the committee's decision d.
func DecisionNotice(p *Proposal, d DecisionInput) *Notification {
	verdict := "refused"
	if d.Accept {
		verdict = "accepted"
	}
	return &Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: NotifyDecision,
		Subject: fmt.Sprintf("Decision on “%s”: %s", p.Title, verdict), Body: d.Reason}
}

// NotifyKinds are the kinds of notification, for preferences and webhook
// subscriptions.
var NotifyKinds = []string{NotifyReviewAssigned, NotifyReplyOpen, NotifyDecision, NotifyComputeAlert, NotifyUsageFlag,
	NotifyModelHold, NotifyIncident, NotifyObligation, NotifySubmitted, NotifyScreening, NotifyUsageThreshold, NotifyExpiry,
	NotifyAgentSilent, NotifyReviewDue}

// SubmissionNotice tells p's applicant that p was received.
func SubmissionNotice(p *Proposal) *Notification {
	return &Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: NotifySubmitted,
		Subject: "Proposal received: “" + p.Title + "”",
		Body: fmt.Sprintf("Your proposal %s was submitted at %s and screened at once; you are told the outcome separately.",
			p.ID, p.SubmittedAt.Format("2006-01-02 15:04 MST"))}
}

// ScreeningNotice tells p's applicant the outcome of its screening and
// where it went (approved, rejected or to review).
func ScreeningNotice(p *Proposal) *Notification {
	d := p.Screening
	var b strings.Builder
	fmt.Fprintf(&b, "Screening of proposal %s: %s (%d findings, ruleset %s). The proposal is now %s.", p.ID, d.Outcome,
		len(d.Findings), d.RulesetVersion, p.State)
	for i, f := range d.Findings {
		if i == 10 {
			fmt.Fprintf(&b, "\n… and %d more (pactum proposals show %s).", len(d.Findings)-10, p.ID)
			break
		}
		fmt.Fprintf(&b, "\n- %s: %s", f.Effect, f.Message)
	}
	return &Notification{UserID: p.ApplicantID, ProposalID: p.ID, Kind: NotifyScreening,
		Subject: fmt.Sprintf("Screening of “%s”: %s", p.Title, d.Outcome), Body: b.String()}
}
