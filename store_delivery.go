// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// DeliveryQueries read the outbox of notifications (delivery.go), the
// users' preferences and the webhook subscriptions.
type DeliveryQueries interface {
	// ListDeliveries lists deliveries newest first.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error)
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// CountDeliveries counts the deliveries pending and dead.
	CountDeliveries(ctx context.Context) (DeliveryCounts, error)
	// ListNotificationPreferences returns a user's stored choices (kinds
	// without one are absent).
	ListNotificationPreferences(ctx context.Context, userID string) ([]NotificationPreference, error)
	// ListWebhookSubscriptions lists the subscriptions by name, without
	// secrets.
	ListWebhookSubscriptions(ctx context.Context) ([]*WebhookSubscription, error)
}

// DeliveryWrites fill and drain the outbox.
type DeliveryWrites interface {
	// InsertDeliveries adds deliveries; one whose (channel, target, event
	// key) is already there is skipped, so that an event notifying
	// several users is posted to a webhook once.
	InsertDeliveries(ctx context.Context, ds []*Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries of channels
	// due at now (and not leased by another worker) to owner until
	// leaseUntil, oldest due first, with their notification and webhook
	// filled in. Concurrent claims never return the same delivery.
	ClaimDeliveries(ctx context.Context, owner string, channels []string, now, leaseUntil time.Time, limit int) ([]*Delivery, error)
	// FinishDelivery stores a claimed delivery's new state, attempts,
	// next time, error and delivery time, and ends owner's lease; false
	// when owner no longer holds it (another worker took it over).
	FinishDelivery(ctx context.Context, d *Delivery, owner string) (bool, error)
	// MarkDelivered marks the claimed deliveries ids delivered at at (one
	// more attempt each) and ends owner's leases, in one statement;
	// deliveries owner no longer holds are left alone. It returns how many
	// it marked.
	MarkDelivered(ctx context.Context, ids []string, owner string, at time.Time) (int, error)
	// UpdateDeliveryRetry makes a delivery pending and due at at with no
	// attempts.
	UpdateDeliveryRetry(ctx context.Context, id string, at time.Time) error
	// UpsertNotificationPreference stores a user's choice for a kind.
	UpsertNotificationPreference(ctx context.Context, userID string, p NotificationPreference) error
	// InsertWebhookSubscription stores s with its secret.
	InsertWebhookSubscription(ctx context.Context, s *WebhookSubscription) error
	// DeleteWebhookSubscription removes a subscription and its pending
	// deliveries; ENOTFOUND for an unknown id.
	DeleteWebhookSubscription(ctx context.Context, id string) error
}

// SweepQueries read what the notice sweep looks at.
type SweepQueries interface {
	// ListExpiringAllocations lists up to limit active allocations ending
	// after now and at or before until, by end.
	ListExpiringAllocations(ctx context.Context, now, until time.Time, limit int) ([]*Allocation, error)
	// ListSilentAgents lists the agents' leases last renewed before
	// before, by site and cluster.
	ListSilentAgents(ctx context.Context, before time.Time, limit int) ([]AgentLease, error)
	// ListDueReviews lists up to limit assignments still awaiting their
	// review whose proposal's decision is due after now and at or before
	// until, by due time.
	ListDueReviews(ctx context.Context, now, until time.Time, limit int) ([]DueReview, error)
}

// DueReview is an assignment awaiting its review, and when the proposal's
// decision is due.
type DueReview struct {
	AssignmentID, ReviewerID, ProposalID, Title string
	Stage                                       ReviewStage
	DueAt                                       time.Time
}

// SweepWrites record the notices the sweep sent.
type SweepWrites interface {
	// InsertSweepNotice records that notice was sent about subject;
	// false when it was sent before (by this or another instance).
	InsertSweepNotice(ctx context.Context, subject, notice string, at time.Time) (bool, error)
}
