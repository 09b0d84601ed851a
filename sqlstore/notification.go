// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

const notificationColumns = `id, user_id, proposal_id, kind, subject, body, created_at, read_at`

// InsertNotification stores a notification.
func (tx *Tx) InsertNotification(ctx context.Context, n *pactum.Notification) error {
	if err := tx.execLater(ctx, `INSERT INTO notifications (`+notificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
		n.ID, n.UserID, n.ProposalID, n.Kind, n.Subject, n.Body, n.CreatedAt); err != nil {
		return fmt.Errorf("insert notification: %w", mapError(err))
	}
	return nil
}

func scanNotification(row scanner, extra ...any) (*pactum.Notification, error) {
	var n pactum.Notification
	var read sql.NullTime
	if err := row.Scan(append([]any{&n.ID, &n.UserID, &n.ProposalID, &n.Kind, &n.Subject, &n.Body, &n.CreatedAt, &read}, extra...)...); err != nil {
		return nil, err
	}
	n.CreatedAt = n.CreatedAt.UTC()
	n.ReadAt = timePtr(read)
	return &n, nil
}

// ListNotifications lists notifications within s, newest first.
func (q *queries) ListNotifications(ctx context.Context, s pactum.Scope, f pactum.NotificationFilter) ([]*pactum.Notification, int, error) {
	var w where
	if !w.scope(s, scopeConds{user: "user_id = ?"}) {
		return []*pactum.Notification{}, 0, nil
	}
	if f.UserID != nil {
		w.add("user_id = ?", *f.UserID)
	}
	if f.ProposalID != nil {
		w.add("proposal_id = ?", *f.ProposalID)
	}
	if f.Unread {
		w.conds = append(w.conds, "read_at IS NULL")
	}
	return listCounted(ctx, q.q, "find notifications", `SELECT `+notificationColumns+` FROM notifications`, &w, "id DESC",
		f.Limit, f.Offset, scanNotification)
}

// GetNotification returns a notification, or ENOTFOUND.
func (q *queries) GetNotification(ctx context.Context, id string) (*pactum.Notification, error) {
	n, err := scanNotification(q.q.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Notification %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find notification: %w", err)
	}
	return n, nil
}

// UpdateNotificationRead marks a notification read at at.
func (tx *Tx) UpdateNotificationRead(ctx context.Context, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2`, at, id)
	return checkOneRow(res, err, "notification", id)
}
