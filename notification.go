// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// The kinds of notification.
const (
	NotifyReviewAssigned = "review.assigned" // to a reviewer: a review is due
	NotifyReplyOpen      = "review.reply"    // to an applicant: the reviews are in; you may reply
	NotifyDecision       = "proposal.decision"
)

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
