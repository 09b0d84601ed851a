// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pactum/pactum"
)

// NotificationService implements pactum.NotificationService.
type NotificationService struct{ db *DB }

var _ pactum.NotificationService = (*NotificationService)(nil)

// NewNotificationService returns the notification reader.
func NewNotificationService(db *DB) *NotificationService { return &NotificationService{db: db} }

const notificationColumns = `id, user_id, proposal_id, kind, subject, body, created_at, read_at`

// notify writes a notification in the transaction of the change it
// reports; the caller's audit event names who was notified.
func notify(ctx context.Context, tx *Tx, n *pactum.Notification) error {
	n.ID, n.CreatedAt = newID(), tx.now
	if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (`+notificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
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

// FindNotifications lists the caller's notifications, or anyone's for
// access managers and auditors, newest first.
func (s *NotificationService) FindNotifications(ctx context.Context, f pactum.NotificationFilter) ([]*pactum.Notification, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	switch {
	case pactum.CanReadAll(u):
		if f.UserID != nil {
			w.add("user_id = ?", *f.UserID)
		}
	default:
		w.add("user_id = ?", u.ID)
	}
	if f.ProposalID != nil {
		w.add("proposal_id = ?", *f.ProposalID)
	}
	if f.Unread {
		w.conds = append(w.conds, "read_at IS NULL")
	}
	q := `SELECT ` + notificationColumns + `, COUNT(*) OVER () FROM notifications` + w.String() + ` ORDER BY id DESC` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find notifications", q, w.args, scanNotification)
}

// MarkNotificationRead marks one of the caller's notifications read.
func (s *NotificationService) MarkNotificationRead(ctx context.Context, id string) (*pactum.Notification, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var n *pactum.Notification
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		n, err = scanNotification(tx.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && n.UserID != u.ID) {
			return pactum.Errorf(pactum.ENOTFOUND, "Notification %q not found.", id)
		} else if err != nil {
			return fmt.Errorf("find notification: %w", err)
		}
		if n.ReadAt != nil {
			return nil
		}
		n.ReadAt = &tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2`, tx.now, id); err != nil {
			return fmt.Errorf("mark notification read: %w", err)
		}
		return tx.record("notification.read", "notification", id, nil, map[string]any{"read_at": tx.now})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
