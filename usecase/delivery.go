// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// enqueue writes n's deliveries in the transaction that wrote n (and the
// change it announces): an e-mail to its user unless their preferences
// turn the kind off (when e-mail notices are on), and a post to each
// webhook subscription naming the kind, once per event however many users
// the event notifies.
func (a *App) enqueue(ctx context.Context, tx pactum.Tx, n *pactum.Notification) error {
	var ds []*pactum.Delivery
	add := func(channel, target, key string) {
		ds = append(ds, &pactum.Delivery{ID: newID(), NotificationID: n.ID, Channel: channel, Target: target, EventKey: key,
			Kind: n.Kind, State: pactum.DeliveryPending, NextAt: n.CreatedAt, CreatedAt: n.CreatedAt})
	}
	if a.emailNotices && !pactum.IsSystem(&pactum.User{ID: n.UserID}) {
		on, to, err := emailWanted(ctx, tx, n)
		if err != nil {
			return err
		}
		if on {
			add(pactum.ChannelEmail, to, n.ID)
		}
	}
	subs, err := tx.ListWebhookSubscriptions(ctx)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if s.Wants(n.Kind) {
			add(pactum.ChannelWebhook, s.ID, eventKey(n))
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return tx.InsertDeliveries(ctx, ds)
}

// emailWanted reports whether n's user gets it by e-mail, and where.
func emailWanted(ctx context.Context, tx pactum.Tx, n *pactum.Notification) (bool, string, error) {
	u, err := tx.GetUser(ctx, n.UserID)
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return false, "", nil
	} else if err != nil {
		return false, "", err
	}
	if u.DeactivatedAt != nil || u.Email == "" {
		return false, "", nil
	}
	prefs, err := tx.ListNotificationPreferences(ctx, u.ID)
	if err != nil {
		return false, "", err
	}
	for _, p := range prefs {
		if p.Kind == n.Kind {
			return p.Email, u.Email, nil
		}
	}
	return true, u.Email, nil
}

// eventKey identifies the event a notification reports: the notifications
// of one change to several users share kind, proposal, words and time.
func eventKey(n *pactum.Notification) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", n.Kind, n.ProposalID, n.Subject, n.Body, n.CreatedAt.UnixNano())
	return hex.EncodeToString(h.Sum(nil))
}

// FindDeliveries lists deliveries newest first; access managers and
// auditors only (they carry users' addresses).
func (a *App) FindDeliveries(ctx context.Context, f pactum.DeliveryFilter) ([]*pactum.Delivery, int, error) {
	if _, err := reader(ctx, "list notification deliveries"); err != nil {
		return nil, 0, err
	}
	if f.State != nil && *f.State != pactum.DeliveryPending && *f.State != pactum.DeliveryDelivered && *f.State != pactum.DeliveryDead {
		return nil, 0, invalid("The delivery filter is not valid.", "state", "use pending, delivered or dead")
	}
	if f.Channel != nil && *f.Channel != pactum.ChannelEmail && *f.Channel != pactum.ChannelWebhook {
		return nil, 0, invalid("The delivery filter is not valid.", "channel", "use email or webhook")
	}
	return a.store.ListDeliveries(ctx, f)
}

// RetryDelivery makes a dead or pending delivery due now with no attempts,
// audit-logged. Access managers only; ECONFLICT once delivered.
func (a *App) RetryDelivery(ctx context.Context, id string) (*pactum.Delivery, error) {
	u, err := manager(ctx, "retry a notification delivery")
	if err != nil {
		return nil, err
	}
	var out *pactum.Delivery
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		d, err := tx.GetDelivery(ctx, id)
		if err != nil {
			return err
		}
		if d.State == pactum.DeliveryDelivered {
			return pactum.Errorf(pactum.ECONFLICT, "Delivery %s was delivered at %s: there is nothing to retry.", d.ID,
				d.DeliveredAt.Format(time.RFC3339))
		}
		if err := tx.UpdateDeliveryRetry(ctx, d.ID, tx.Now()); err != nil {
			return err
		}
		before := *d
		d.State, d.Attempts, d.NextAt, d.LastError = pactum.DeliveryPending, 0, tx.Now(), ""
		out = d
		return tx.Record("notification.delivery_retry", "delivery", d.ID, &before, d)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NotificationPreferences lists the caller's choice for every kind: e-mail
// on unless they turned it off.
func (a *App) NotificationPreferences(ctx context.Context) ([]pactum.NotificationPreference, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := a.store.ListNotificationPreferences(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return mergePreferences(stored), nil
}

func mergePreferences(stored []pactum.NotificationPreference) []pactum.NotificationPreference {
	out := make([]pactum.NotificationPreference, 0, len(pactum.NotifyKinds))
	for _, k := range pactum.NotifyKinds {
		p := pactum.NotificationPreference{Kind: k, Email: true}
		for _, s := range stored {
			if s.Kind == k {
				p.Email = s.Email
			}
		}
		out = append(out, p)
	}
	return out
}

// SetNotificationPreference sets the caller's e-mail choice for a kind,
// audit-logged, and returns every choice.
func (a *App) SetNotificationPreference(ctx context.Context, p pactum.NotificationPreference) ([]pactum.NotificationPreference, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := pactum.ValidNotifyKind("kind", p.Kind); err != nil {
		return nil, err
	}
	var out []pactum.NotificationPreference
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		if err := tx.UpsertNotificationPreference(ctx, u.ID, p); err != nil {
			return err
		}
		if err := tx.Record("notification.preference", "user", u.ID, nil, p); err != nil {
			return err
		}
		stored, err := tx.ListNotificationPreferences(ctx, u.ID)
		out = mergePreferences(stored)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateWebhook subscribes a URL to notifications; the result carries the
// signing secret, shown this once. Access managers only.
func (a *App) CreateWebhook(ctx context.Context, in pactum.WebhookInput) (*pactum.WebhookSubscription, error) {
	u, err := manager(ctx, "subscribe webhooks")
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := cryptorand.Read(secret); err != nil {
		return nil, err
	}
	kinds := in.Kinds
	if kinds == nil {
		kinds = []string{}
	}
	s := &pactum.WebhookSubscription{ID: newID(), Name: strings.TrimSpace(in.Name), Site: in.Site, URL: in.URL, Kinds: kinds,
		Secret: "whsec_" + hex.EncodeToString(secret), CreatedBy: u.ID}
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		s.CreatedAt = tx.Now()
		if err := tx.InsertWebhookSubscription(ctx, s); err != nil {
			return err
		}
		logged := *s
		logged.Secret = ""
		return tx.Record("webhook.create", "webhook", s.ID, nil, &logged)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FindWebhooks lists the subscriptions without secrets; access managers
// and auditors only.
func (a *App) FindWebhooks(ctx context.Context) ([]*pactum.WebhookSubscription, error) {
	if _, err := reader(ctx, "list webhook subscriptions"); err != nil {
		return nil, err
	}
	return a.store.ListWebhookSubscriptions(ctx)
}

// DeleteWebhook ends a subscription and drops its pending deliveries;
// access managers only.
func (a *App) DeleteWebhook(ctx context.Context, id string) error {
	u, err := manager(ctx, "delete webhook subscriptions")
	if err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		if err := tx.DeleteWebhookSubscription(ctx, id); err != nil {
			return err
		}
		return tx.Record("webhook.delete", "webhook", id, nil, nil)
	})
}

// DeliveryWorker sends due deliveries. Several workers (in one or several
// instances on one database) may run at once: each claims its deliveries
// with a lease, and a delivery is claimed by one worker at a time.
type DeliveryWorker struct {
	// Owner names the worker in its leases; unique per worker.
	Owner string
	// Mailer sends e-mail; nil leaves e-mail deliveries to other workers.
	Mailer pactum.Mailer
	// Webhooks posts webhooks; nil leaves them to other workers.
	Webhooks pactum.WebhookPoster
	// Templates word the e-mails (catalog.NotifyTemplates).
	Templates *pactum.NotifyTemplates
	// MailDomain is the domain of the e-mails' Message-IDs.
	MailDomain string
	// Batch is how many deliveries one round claims (100 when 0), sent
	// Concurrency at a time (4 when 0).
	Batch, Concurrency int
	// Poll is how long an idle worker waits before looking again (1 s
	// when 0); Lease how long a claim keeps other workers off (2 min when
	// 0): a worker that dies mid-round leaves its deliveries to others
	// after it, and they are sent again (at least once).
	Poll, Lease time.Duration
	// Jitter returns a random number in [0, 1) that spreads retries;
	// math/rand/v2 when nil.
	Jitter func() float64
	// Observe, when set, is told each attempt's outcome (metrics).
	Observe func(d *pactum.Delivery, err error)
}

func (w *DeliveryWorker) defaults() {
	if w.Batch <= 0 {
		w.Batch = 100
	}
	if w.Concurrency <= 0 {
		w.Concurrency = 4
	}
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.Jitter == nil {
		w.Jitter = rand.Float64
	}
	if w.MailDomain == "" {
		w.MailDomain = "pactum.invalid"
	}
}

func (w *DeliveryWorker) channels() []string {
	var cs []string
	if w.Mailer != nil {
		cs = append(cs, pactum.ChannelEmail)
	}
	if w.Webhooks != nil {
		cs = append(cs, pactum.ChannelWebhook)
	}
	return cs
}

// DeliveryRound is what one round of a worker did.
type DeliveryRound struct {
	Claimed, Delivered, Failed, Dead int
}

// DeliverDue runs one round of w: claims up to w.Batch due deliveries,
// sends them, and stores each outcome (delivered; or failed, due again
// after DeliveryBackoff; or dead after pactum.MaxDeliveryAttempts
// attempts, audit-logged).
func (a *App) DeliverDue(ctx context.Context, w *DeliveryWorker) (DeliveryRound, error) {
	w.defaults()
	var r DeliveryRound
	channels := w.channels()
	if len(channels) == 0 {
		return r, nil
	}
	var claimed []*pactum.Delivery
	sys := pactum.SystemUser()
	err := a.update(ctx, sys, func(tx pactum.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, w.Owner, channels, tx.Now(), tx.Now().Add(w.Lease), w.Batch)
		return err
	})
	if err != nil || len(claimed) == 0 {
		return r, err
	}
	r.Claimed = len(claimed)
	// A round claimed is finished even when ctx ends (a server shutting
	// down): sends are bounded by the mailer's and poster's timeouts, and
	// a delivery sent but not marked would be sent again after its lease.
	ctx = context.WithoutCancel(ctx)
	errs := make([]error, len(claimed))
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.Concurrency)
	for i, d := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = a.send(ctx, w, d)
		}()
	}
	wg.Wait()
	err = a.update(ctx, sys, func(tx pactum.Tx) error {
		now := tx.Now()
		r.Delivered, r.Failed, r.Dead = 0, 0, 0
		var sent []string
		for i, d := range claimed {
			if errs[i] == nil {
				sent = append(sent, d.ID)
			}
		}
		var err error
		if r.Delivered, err = tx.MarkDelivered(ctx, sent, w.Owner, now); err != nil {
			return err
		}
		for i, d := range claimed {
			if errs[i] == nil {
				continue
			}
			d.Attempts++
			d.LastError = truncate(errs[i].Error(), 1000)
			if d.Attempts >= pactum.MaxDeliveryAttempts {
				d.State = pactum.DeliveryDead
			} else {
				d.NextAt = now.Add(pactum.DeliveryBackoff(d.Attempts, w.Jitter())).Truncate(time.Microsecond)
			}
			ok, err := tx.FinishDelivery(ctx, d, w.Owner)
			if err != nil {
				return err
			}
			if !ok {
				continue // our lease ended and another worker took it over
			}
			switch d.State {
			case pactum.DeliveryDead:
				r.Dead++
				if err := tx.Record("notification.delivery_dead", "delivery", d.ID, nil, d); err != nil {
					return err
				}
			default:
				r.Failed++
			}
		}
		return nil
	})
	if w.Observe != nil && err == nil {
		for i, d := range claimed {
			w.Observe(d, errs[i])
		}
	}
	return r, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// send makes one attempt at d.
func (a *App) send(ctx context.Context, w *DeliveryWorker, d *pactum.Delivery) error {
	n := d.Notification
	switch d.Channel {
	case pactum.ChannelEmail:
		if w.Templates == nil {
			return fmt.Errorf("no e-mail templates")
		}
		subject, body, err := w.Templates.Render(n, d.Target)
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		return w.Mailer.SendMail(ctx, &pactum.EmailMessage{To: d.Target, Subject: subject, Body: body, MessageID: d.MessageID(w.MailDomain)})
	case pactum.ChannelWebhook:
		if d.Webhook == nil {
			return fmt.Errorf("the webhook subscription %s is gone", d.Target)
		}
		payload, err := json.Marshal(pactum.WebhookPayload{DeliveryID: d.ID, Kind: n.Kind, Subject: n.Subject, Body: n.Body,
			ProposalID: n.ProposalID, CreatedAt: n.CreatedAt})
		if err != nil {
			return err
		}
		return w.Webhooks.PostWebhook(ctx, d.Webhook.URL, d.Webhook.Secret, d.ID, payload)
	}
	return fmt.Errorf("unknown channel %q", d.Channel)
}

// RunDeliveryWorker runs rounds of w until ctx ends: at once again after
// a full round, after w.Poll otherwise; errors are logged.
func (a *App) RunDeliveryWorker(ctx context.Context, w *DeliveryWorker) {
	w.defaults()
	for {
		r, err := a.DeliverDue(ctx, w)
		if err != nil && ctx.Err() == nil {
			a.logger.Error("notification delivery", "worker", w.Owner, "error", err)
		} else if r.Failed+r.Dead > 0 {
			a.logger.Warn("notification delivery", "worker", w.Owner, "delivered", r.Delivered, "failed", r.Failed, "dead", r.Dead)
		}
		if err == nil && r.Claimed == w.Batch {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Poll):
		}
	}
}
