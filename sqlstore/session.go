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

const linkColumns = `issuer, subject, user_id, email, linked_at`

func scanLink(row scanner) (*pactum.IdentityLink, error) {
	var l pactum.IdentityLink
	if err := row.Scan(&l.Issuer, &l.Subject, &l.UserID, &l.Email, &l.LinkedAt); err != nil {
		return nil, err
	}
	l.LinkedAt = l.LinkedAt.UTC()
	return &l, nil
}

func (q *queries) getLink(ctx context.Context, where string, a, b string) (*pactum.IdentityLink, error) {
	l, err := scanLink(q.q.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM identity_links WHERE `+where, a, b))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "No such identity link.")
	} else if err != nil {
		return nil, fmt.Errorf("find identity link: %w", err)
	}
	return l, nil
}

// GetIdentityLink returns the link of (issuer, subject) or ENOTFOUND.
func (q *queries) GetIdentityLink(ctx context.Context, issuer, subject string) (*pactum.IdentityLink, error) {
	return q.getLink(ctx, `issuer = $1 AND subject = $2`, issuer, subject)
}

// GetIdentityLinkOfUser returns userID's link to issuer or ENOTFOUND.
func (q *queries) GetIdentityLinkOfUser(ctx context.Context, userID, issuer string) (*pactum.IdentityLink, error) {
	return q.getLink(ctx, `user_id = $1 AND issuer = $2`, userID, issuer)
}

// InsertIdentityLink adds a link; ECONFLICT when the subject or the
// user's issuer is taken.
func (tx *Tx) InsertIdentityLink(ctx context.Context, l *pactum.IdentityLink) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO identity_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		l.Issuer, l.Subject, l.UserID, l.Email, l.LinkedAt); err != nil {
		return fmt.Errorf("insert identity link: %w", mapError(err))
	}
	return nil
}

// InsertSession stores a session with its secret's hash.
func (tx *Tx) InsertSession(ctx context.Context, s *pactum.Session, secretHash string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, secret_hash, issuer, subject, created_at, expires_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.UserID, secretHash, s.Issuer, s.Subject, s.CreatedAt, s.ExpiresAt, s.LastSeenAt); err != nil {
		return fmt.Errorf("insert session: %w", mapError(err))
	}
	return nil
}

// GetSessionByHash returns the session with a secret's hash and its user.
func (q *queries) GetSessionByHash(ctx context.Context, hash string) (*pactum.Session, *pactum.User, error) {
	s := &pactum.Session{}
	var rev sql.NullTime
	u, err := scanUser(q.q.QueryRowContext(ctx, `SELECT u.id, u.email, u.name, u.role, u.organization_id, u.site, u.username, u.created_at, u.deactivated_at,
		s.id, s.user_id, s.issuer, s.subject, s.created_at, s.expires_at, s.last_seen_at, s.revoked_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = $1`, hash),
		&s.ID, &s.UserID, &s.Issuer, &s.Subject, &s.CreatedAt, &s.ExpiresAt, &s.LastSeenAt, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "No such session.")
	} else if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC(), s.LastSeenAt.UTC()
	s.RevokedAt = timePtr(rev)
	return s, u, nil
}

// UpdateSessionSeen records a request of a session.
func (tx *Tx) UpdateSessionSeen(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, at, id); err != nil {
		return fmt.Errorf("record session use: %w", err)
	}
	return nil
}

// RevokeSession ends a session unless it has ended.
func (tx *Tx) RevokeSession(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at, id); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions ends a user's open sessions.
func (tx *Tx) RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1`, at, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
