// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

const deliveryColumns = `d.id, d.notification_id, d.channel, d.target, d.event_key, d.kind, d.state, d.attempts, d.next_at,
	d.last_error, d.created_at, d.delivered_at`

func scanDelivery(row scanner, extra ...any) (*pactum.Delivery, error) {
	var d pactum.Delivery
	var delivered sql.NullTime
	if err := row.Scan(append([]any{&d.ID, &d.NotificationID, &d.Channel, &d.Target, &d.EventKey, &d.Kind, &d.State, &d.Attempts,
		&d.NextAt, &d.LastError, &d.CreatedAt, &delivered}, extra...)...); err != nil {
		return nil, err
	}
	d.NextAt, d.CreatedAt = d.NextAt.UTC(), d.CreatedAt.UTC()
	d.DeliveredAt = timePtr(delivered)
	return &d, nil
}

// InsertDeliveries adds deliveries, skipping those whose (channel, target,
// event key) is taken.
func (tx *Tx) InsertDeliveries(ctx context.Context, ds []*pactum.Delivery) error {
	for _, d := range ds {
		if err := tx.execLater(ctx, `INSERT INTO notification_deliveries (id, notification_id, channel, target, event_key, kind,
			state, attempts, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)
			ON CONFLICT (channel, target, event_key) DO NOTHING`,
			d.ID, d.NotificationID, d.Channel, d.Target, d.EventKey, d.Kind, d.State, d.NextAt, d.CreatedAt); err != nil {
			return fmt.Errorf("insert delivery: %w", mapError(err))
		}
	}
	return nil
}

// ListDeliveries lists deliveries newest first.
func (q *queries) ListDeliveries(ctx context.Context, f pactum.DeliveryFilter) ([]*pactum.Delivery, int, error) {
	var w where
	if f.State != nil {
		w.add("d.state = ?", *f.State)
	}
	if f.Channel != nil {
		w.add("d.channel = ?", *f.Channel)
	}
	if f.NotificationID != nil {
		w.add("d.notification_id = ?", *f.NotificationID)
	}
	return listCounted(ctx, q.q, "find deliveries", `SELECT `+deliveryColumns+` FROM notification_deliveries d`, &w,
		"d.created_at DESC, d.id DESC", f.Limit, f.Offset, scanDelivery)
}

// GetDelivery returns a delivery, or ENOTFOUND.
func (q *queries) GetDelivery(ctx context.Context, id string) (*pactum.Delivery, error) {
	d, err := scanDelivery(q.q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM notification_deliveries d WHERE d.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Delivery %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}

// CountDeliveries counts deliveries by state.
func (q *queries) CountDeliveries(ctx context.Context) (pactum.DeliveryCounts, error) {
	var c pactum.DeliveryCounts
	// Delivered ones are not counted: they only grow, and counting them
	// would read the whole table on every scrape.
	rows, err := q.q.QueryContext(ctx, `SELECT state, COUNT(*) FROM notification_deliveries WHERE state IN ($1, $2) GROUP BY state`,
		pactum.DeliveryPending, pactum.DeliveryDead)
	if err != nil {
		return c, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return c, fmt.Errorf("count deliveries: %w", err)
		}
		switch state {
		case pactum.DeliveryPending:
			c.Pending = n
		case pactum.DeliveryDead:
			c.Dead = n
		}
	}
	return c, rows.Err()
}

// placeholders returns "$first, …" for n parameters.
func placeholders(first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", first+i)
	}
	return strings.Join(ps, ", ")
}

// ClaimDeliveries leases due deliveries to owner. On PostgreSQL the rows
// are locked with FOR UPDATE SKIP LOCKED, so that concurrent workers
// (several instances) take different rows; a lease not yet ended also
// keeps other workers off once the claim committed. On SQLite the single
// writer serializes claims.
func (tx *Tx) ClaimDeliveries(ctx context.Context, owner string, channels []string, now, leaseUntil time.Time, limit int) ([]*pactum.Delivery, error) {
	if len(channels) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{pactum.DeliveryPending, now, limit}
	for _, c := range channels {
		args = append(args, c)
	}
	query := `SELECT id FROM notification_deliveries WHERE state = $1 AND next_at <= $2
		AND (lease_until IS NULL OR lease_until <= $2) AND channel IN (` + placeholders(4, len(channels)) + `)
		ORDER BY next_at LIMIT $3`
	if tx.dialect == Postgres {
		query += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	in := placeholders(3, len(ids))
	if _, err := tx.ExecContext(ctx, `UPDATE notification_deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (`+in+`)`,
		append([]any{owner, leaseUntil}, ids...)...); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", mapError(err))
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+deliveryColumns+`, `+prefixed("n.", notificationColumns)+`,
		COALESCE(w.id, ''), COALESCE(w.name, ''), COALESCE(w.site, ''), COALESCE(w.url, ''), COALESCE(w.kinds, ''), COALESCE(w.secret, '')
		FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
		LEFT JOIN webhook_subscriptions w ON d.channel = 'webhook' AND w.id = d.target
		WHERE d.id IN (`+placeholders(1, len(ids))+`) ORDER BY d.next_at`, ids...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []*pactum.Delivery
	for rows.Next() {
		var n pactum.Notification
		var read sql.NullTime
		var w pactum.WebhookSubscription
		var kinds string
		d, err := scanDelivery(rows, &n.ID, &n.UserID, &n.ProposalID, &n.Kind, &n.Subject, &n.Body, &n.CreatedAt, &read,
			&w.ID, &w.Name, &w.Site, &w.URL, &kinds, &w.Secret)
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		n.CreatedAt, n.ReadAt = n.CreatedAt.UTC(), timePtr(read)
		d.Notification = &n
		if w.ID != "" {
			w.Kinds = splitKinds(kinds)
			d.Webhook = &w
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// prefixed qualifies each of a comma-separated column list.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func splitKinds(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// FinishDelivery stores a claimed delivery's outcome if owner still holds
// its lease.
func (tx *Tx) FinishDelivery(ctx context.Context, d *pactum.Delivery, owner string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE notification_deliveries SET state = $1, attempts = $2, next_at = $3, last_error = $4,
		delivered_at = $5, lease_owner = '', lease_until = NULL WHERE id = $6 AND lease_owner = $7`,
		d.State, d.Attempts, d.NextAt, d.LastError, d.DeliveredAt, d.ID, owner)
	if err != nil {
		return false, fmt.Errorf("finish delivery %s: %w", d.ID, mapError(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpdateDeliveryRetry makes a delivery pending and due at at.
func (tx *Tx) UpdateDeliveryRetry(ctx context.Context, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE notification_deliveries SET state = $1, attempts = 0, next_at = $2, last_error = '',
		lease_owner = '', lease_until = NULL WHERE id = $3`, pactum.DeliveryPending, at, id)
	return checkOneRow(res, err, "delivery", id)
}

// ListNotificationPreferences returns a user's stored choices by kind.
func (q *queries) ListNotificationPreferences(ctx context.Context, userID string) ([]pactum.NotificationPreference, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT kind, email FROM notification_preferences WHERE user_id = $1 ORDER BY kind`, userID)
	if err != nil {
		return nil, fmt.Errorf("notification preferences: %w", err)
	}
	defer rows.Close()
	out := []pactum.NotificationPreference{}
	for rows.Next() {
		var p pactum.NotificationPreference
		if err := rows.Scan(&p.Kind, &p.Email); err != nil {
			return nil, fmt.Errorf("notification preferences: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpsertNotificationPreference stores a user's choice for a kind.
func (tx *Tx) UpsertNotificationPreference(ctx context.Context, userID string, p pactum.NotificationPreference) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_preferences (user_id, kind, email) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, kind) DO UPDATE SET email = excluded.email`, userID, p.Kind, p.Email); err != nil {
		return fmt.Errorf("store notification preference: %w", mapError(err))
	}
	return nil
}

// ListWebhookSubscriptions lists subscriptions by name, without secrets.
func (q *queries) ListWebhookSubscriptions(ctx context.Context) ([]*pactum.WebhookSubscription, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT id, name, site, url, kinds, created_by, created_at FROM webhook_subscriptions ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("webhook subscriptions: %w", err)
	}
	defer rows.Close()
	out := []*pactum.WebhookSubscription{}
	for rows.Next() {
		var s pactum.WebhookSubscription
		var kinds string
		if err := rows.Scan(&s.ID, &s.Name, &s.Site, &s.URL, &kinds, &s.CreatedBy, &s.CreatedAt); err != nil {
			return nil, fmt.Errorf("webhook subscriptions: %w", err)
		}
		s.Kinds, s.CreatedAt = splitKinds(kinds), s.CreatedAt.UTC()
		out = append(out, &s)
	}
	return out, rows.Err()
}

// ListWebhookSubscriptions, in a transaction, reads the subscriptions once:
// every notification the transaction writes looks them up. The read needs
// none of the transaction's queued writes (pipeline.go) sent first: none
// of them touches the subscriptions.
func (tx *Tx) ListWebhookSubscriptions(ctx context.Context) ([]*pactum.WebhookSubscription, error) {
	if tx.webhooks == nil {
		var subs []*pactum.WebhookSubscription
		err := tx.readIndependent(func() (err error) {
			subs, err = tx.queries.ListWebhookSubscriptions(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		tx.webhooks = subs // never nil: the query answers an empty list
	}
	out := make([]*pactum.WebhookSubscription, len(tx.webhooks))
	for i, s := range tx.webhooks {
		c := *s
		c.Kinds = slices.Clone(s.Kinds)
		out[i] = &c
	}
	return out, nil
}

// InsertWebhookSubscription stores s with its secret.
func (tx *Tx) InsertWebhookSubscription(ctx context.Context, s *pactum.WebhookSubscription) error {
	tx.webhooks = nil
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (id, name, site, url, kinds, secret, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.ID, s.Name, s.Site, s.URL, strings.Join(s.Kinds, ","), s.Secret,
		s.CreatedBy, s.CreatedAt); err != nil {
		return fmt.Errorf("insert webhook subscription: %w", mapError(err))
	}
	return nil
}

// DeleteWebhookSubscription removes a subscription and its pending
// deliveries (delivered and dead ones stay, as history).
func (tx *Tx) DeleteWebhookSubscription(ctx context.Context, id string) error {
	tx.webhooks = nil
	if _, err := tx.ExecContext(ctx, `DELETE FROM notification_deliveries WHERE channel = $1 AND target = $2 AND state = $3`,
		pactum.ChannelWebhook, id, pactum.DeliveryPending); err != nil {
		return fmt.Errorf("delete webhook deliveries: %w", mapError(err))
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete webhook subscription: %w", mapError(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return pactum.Errorf(pactum.ENOTFOUND, "Webhook subscription %q not found.", id)
	}
	return nil
}

// ListExpiringAllocations lists active allocations ending in (now, until].
func (q *queries) ListExpiringAllocations(ctx context.Context, now, until time.Time, limit int) ([]*pactum.Allocation, error) {
	rows, err := q.q.QueryContext(ctx, allocationSelect+` WHERE a.state = $1 AND a.ends_at > $2 AND a.ends_at <= $3 ORDER BY a.ends_at, a.id LIMIT $4`,
		string(pactum.AllocationActive), now, until, limit)
	if err != nil {
		return nil, fmt.Errorf("expiring allocations: %w", err)
	}
	defer rows.Close()
	var out []*pactum.Allocation
	for rows.Next() {
		a, _, err := scanAllocation(rows)
		if err != nil {
			return nil, fmt.Errorf("expiring allocations: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ListSilentAgents lists leases last renewed before before.
func (q *queries) ListSilentAgents(ctx context.Context, before time.Time, limit int) ([]pactum.AgentLease, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT site, cluster, holder, result, renewed_at, expires_at FROM agent_leases
		WHERE renewed_at < $1 ORDER BY site, cluster LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("silent agents: %w", err)
	}
	defer rows.Close()
	var out []pactum.AgentLease
	for rows.Next() {
		var l pactum.AgentLease
		if err := rows.Scan(&l.Site, &l.Cluster, &l.Holder, &l.Result, &l.RenewedAt, &l.ExpiresAt); err != nil {
			return nil, fmt.Errorf("silent agents: %w", err)
		}
		l.RenewedAt, l.ExpiresAt = l.RenewedAt.UTC(), l.ExpiresAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// InsertSweepNotice records a sent notice unless it is on file.
func (tx *Tx) InsertSweepNotice(ctx context.Context, subject, notice string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO sweep_notices (subject, notice, sent_at) VALUES ($1, $2, $3)
		ON CONFLICT (subject, notice) DO NOTHING`, subject, notice, at)
	if err != nil {
		return false, fmt.Errorf("record sweep notice: %w", mapError(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ListDueReviews lists assignments awaiting their review whose proposal's
// decision is due in (now, until].
func (q *queries) ListDueReviews(ctx context.Context, now, until time.Time, limit int) ([]pactum.DueReview, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT a.id, a.reviewer_id, a.proposal_id, p.title, a.stage, p.decision_due_at
		FROM review_assignments a JOIN proposals p ON p.id = a.proposal_id
		WHERE a.state = $1 AND p.decision_due_at > $2 AND p.decision_due_at <= $3 ORDER BY p.decision_due_at, a.id LIMIT $4`,
		string(pactum.AssignmentAssigned), now, until, limit)
	if err != nil {
		return nil, fmt.Errorf("due reviews: %w", err)
	}
	defer rows.Close()
	var out []pactum.DueReview
	for rows.Next() {
		var d pactum.DueReview
		if err := rows.Scan(&d.AssignmentID, &d.ReviewerID, &d.ProposalID, &d.Title, &d.Stage, &d.DueAt); err != nil {
			return nil, fmt.Errorf("due reviews: %w", err)
		}
		d.DueAt = d.DueAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkDelivered marks claimed deliveries delivered in one statement.
func (tx *Tx) MarkDelivered(ctx context.Context, ids []string, owner string, at time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{pactum.DeliveryDelivered, at, owner}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := tx.ExecContext(ctx, `UPDATE notification_deliveries SET state = $1, attempts = attempts + 1, delivered_at = $2, last_error = '',
		lease_owner = '', lease_until = NULL WHERE lease_owner = $3 AND id IN (`+placeholders(4, len(ids))+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("mark deliveries delivered: %w", mapError(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
