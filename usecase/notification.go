// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// FindNotifications lists notifications newest first: the caller's own, or
// anyone's for access managers and auditors (who may narrow to one user
// with f.UserID; everyone else's f.UserID is ignored).
func (a *App) FindNotifications(ctx context.Context, f pactum.NotificationFilter) ([]*pactum.Notification, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !pactum.CanReadAll(u) {
		f.UserID = nil
	}
	return a.store.ListNotifications(ctx, pactum.NotificationScope(u), f)
}

// MarkNotificationRead marks one of the caller's notifications read
// (idempotent). ENOTFOUND for anyone else's.
func (a *App) MarkNotificationRead(ctx context.Context, id string) (*pactum.Notification, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var n *pactum.Notification
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		var err error
		n, err = tx.GetNotification(ctx, id)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND || (err == nil && n.UserID != u.ID) {
			return pactum.Errorf(pactum.ENOTFOUND, "Notification %q not found.", id)
		} else if err != nil {
			return err
		}
		if n.ReadAt != nil {
			return nil
		}
		now := tx.Now()
		if err := tx.UpdateNotificationRead(ctx, id, now); err != nil {
			return err
		}
		n.ReadAt = &now
		return tx.Record("notification.read", "notification", id, nil, map[string]any{"read_at": now})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
