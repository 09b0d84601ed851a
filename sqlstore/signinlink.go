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

// InsertSignInLink stores a sign-in link with its code's hash.
func (tx *Tx) InsertSignInLink(ctx context.Context, l *pactum.SignInLink, codeHash string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO signin_links (id, user_id, code_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, l.ID, l.UserID, codeHash, l.CreatedBy, l.CreatedAt, l.ExpiresAt); err != nil {
		return fmt.Errorf("insert sign-in link: %w", mapError(err))
	}
	return nil
}

// UseSignInLink marks the link of codeHash used, in one statement, so
// that two browsers redeeming the same code at once cannot both succeed.
func (tx *Tx) UseSignInLink(ctx context.Context, codeHash string, at time.Time) (*pactum.SignInLink, error) {
	var l pactum.SignInLink
	var used sql.NullTime
	err := tx.QueryRowContext(ctx, `UPDATE signin_links SET used_at = $2
		WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING id, user_id, created_by, created_at, expires_at, used_at`, codeHash, at).
		Scan(&l.ID, &l.UserID, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "No usable sign-in link.")
	} else if err != nil {
		return nil, fmt.Errorf("use sign-in link: %w", err)
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), timePtr(used)
	return &l, nil
}
