// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The channels a notification is delivered on besides the API (where every
// notification stays listed).
const (
	ChannelEmail   = "email"   // to the user's e-mail address, unless their preferences turn it off
	ChannelWebhook = "webhook" // to each webhook subscription naming the kind
)

// The states of a delivery: pending until sent, then delivered; dead once
// MaxDeliveryAttempts attempts failed (the dead-letter list, retried by
// hand with RetryDelivery).
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// MaxDeliveryAttempts is how many times a delivery is tried before it is
// dead.
const MaxDeliveryAttempts = 8

// Delivery is one notification's delivery on one channel to one target:
// the outbox row, written in the transaction of the notification (and so
// of the change it announces), and sent later by the delivery worker.
// Delivery is at least once: a worker that stops between sending and
// marking the delivery sent sends it again after its lease ends; an
// e-mail's Message-ID (MessageID) and a webhook's delivery id stay the
// same on every attempt, so that a receiver can recognise the duplicate.
type Delivery struct {
	ID             string `json:"id"`
	NotificationID string `json:"notification_id"`
	Channel        string `json:"channel"`
	// Target is the e-mail address (channel email) or the webhook
	// subscription's id (channel webhook).
	Target      string     `json:"target"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	NextAt      time.Time  `json:"next_at"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`

	// EventKey makes a webhook delivery unique per event: the several
	// notifications of one event (one per recipient) are posted once.
	EventKey string `json:"-"`
	// Filled in when claimed: what to send.
	Notification *Notification        `json:"-"`
	Webhook      *WebhookSubscription `json:"-"`
}

// MessageID is the e-mail Message-ID of a delivery, the same on every
// attempt.
func (d *Delivery) MessageID(domain string) string {
	return "<" + d.ID + "@" + domain + ">"
}

// DeliveryBackoff is how long to wait before attempt attempts+1 after
// attempts failed ones: 30 s doubling to at most 6 h, scaled by jitter
// (a random number in [0, 1)) to between 50 % and 150 %, so that many
// deliveries failing together do not retry together.
func DeliveryBackoff(attempts int, jitter float64) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := 30 * time.Second * time.Duration(math.Pow(2, float64(min(attempts-1, 20))))
	d = min(d, 6*time.Hour)
	if jitter < 0 || jitter >= 1 || math.IsNaN(jitter) {
		jitter = 0.5
	}
	return time.Duration(float64(d) * (0.5 + jitter))
}

// DeliveryFilter selects deliveries. Nil fields match everything.
type DeliveryFilter struct {
	State          *string
	Channel        *string
	NotificationID *string
	Limit, Offset  int
}

// DeliveryCounts counts the deliveries pending and dead, for metrics.
type DeliveryCounts struct {
	Pending, Dead int
}

// NotificationPreference is a user's choice for one kind of notification:
// whether it is also sent by e-mail. In-app notifications are always
// kept.
type NotificationPreference struct {
	Kind  string `json:"kind"`
	Email bool   `json:"email"`
}

// WebhookSubscription asks pactum to post the notifications of some kinds
// to a URL, signed with a secret (package webhook). Sites and integrations
// each have their own. The secret is shown once, when created.
type WebhookSubscription struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Site is the hosting site the subscription is for ("" for an
	// integration of the scheme).
	Site string `json:"site,omitempty"`
	URL  string `json:"url"`
	// Kinds are the notification kinds posted; empty: every kind.
	Kinds     []string  `json:"kinds"`
	Secret    string    `json:"secret,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Wants reports whether s subscribes to kind.
func (s *WebhookSubscription) Wants(kind string) bool {
	return len(s.Kinds) == 0 || slices.Contains(s.Kinds, kind)
}

// WebhookInput is a new webhook subscription.
type WebhookInput struct {
	Name  string   `json:"name"`
	Site  string   `json:"site,omitempty"`
	URL   string   `json:"url"`
	Kinds []string `json:"kinds,omitempty"`
}

// Validate checks a new subscription: a name, an http(s) URL with a host,
// known kinds.
func (in WebhookInput) Validate() error {
	var v Validator
	name := strings.TrimSpace(in.Name)
	v.Check(name != "" && len(name) <= 200, "name", "give a name of 1 to 200 bytes")
	v.Text("name", in.Name, false)
	v.Check(len(in.Site) <= 100, "site", "at most 100 bytes")
	v.Text("site", in.Site, false)
	if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > 2000 || textProblem(in.URL, false) != "" {
		v.Add("url", "give an http:// or https:// URL with a host (at most 2000 characters)")
	}
	if len(in.Kinds) > len(NotifyKinds) {
		v.Add("kinds", "at most %d kinds", len(NotifyKinds))
	}
	for _, k := range in.Kinds {
		if !slices.Contains(NotifyKinds, k) {
			v.Add("kinds", "%q is not a notification kind (%s)", k, strings.Join(NotifyKinds, ", "))
			break
		}
	}
	return v.Err("The webhook subscription is not valid.")
}

// ValidNotifyKind checks a notification kind named by a caller.
func ValidNotifyKind(field, kind string) error {
	if !slices.Contains(NotifyKinds, kind) {
		return Errorf(EINVALID, "%s: %q is not a notification kind (%s)", field, kind, strings.Join(NotifyKinds, ", "))
	}
	return nil
}

// DeliveryService manages the delivery of notifications by e-mail and
// webhook.
type DeliveryService interface {
	// FindDeliveries lists deliveries, newest first. Access managers and
	// auditors only (EFORBIDDEN otherwise).
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error)
	// RetryDelivery makes a dead (or pending) delivery due now with its
	// attempts reset, audit-logged. Access managers only; ENOTFOUND for
	// an unknown id; ECONFLICT for a delivered one.
	RetryDelivery(ctx context.Context, id string) (*Delivery, error)
	// NotificationPreferences lists the caller's choice for every kind.
	NotificationPreferences(ctx context.Context) ([]NotificationPreference, error)
	// SetNotificationPreference sets the caller's choice for a kind;
	// EINVALID for an unknown kind.
	SetNotificationPreference(ctx context.Context, p NotificationPreference) ([]NotificationPreference, error)
	// CreateWebhook subscribes a URL; the result carries the secret, shown
	// only this once. Access managers only.
	CreateWebhook(ctx context.Context, in WebhookInput) (*WebhookSubscription, error)
	// FindWebhooks lists the subscriptions, without secrets. Access
	// managers and auditors only.
	FindWebhooks(ctx context.Context) ([]*WebhookSubscription, error)
	// DeleteWebhook ends a subscription; its pending deliveries are
	// dropped. Access managers only; ENOTFOUND for an unknown id.
	DeleteWebhook(ctx context.Context, id string) error
}

// EmailMessage is one e-mail of a delivery.
type EmailMessage struct {
	To, Subject, Body string
	// MessageID is the delivery's (Delivery.MessageID), the same on every
	// attempt.
	MessageID string
}

// Mailer sends e-mail (package mail).
type Mailer interface {
	SendMail(ctx context.Context, m *EmailMessage) error
}

// WebhookPoster posts a signed webhook (package webhook); deliveryID is
// the same on every attempt.
type WebhookPoster interface {
	PostWebhook(ctx context.Context, url, secret, deliveryID string, payload []byte) error
}

// WebhookPayload is the JSON body of a webhook: the notification's event,
// without its recipient.
type WebhookPayload struct {
	DeliveryID string    `json:"delivery_id"`
	Kind       string    `json:"kind"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	ProposalID string    `json:"proposal_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
