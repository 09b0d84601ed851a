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

const userColumns = `id, email, name, role, organization_id, site, username, created_at, deactivated_at`

func scanUser(row scanner, extra ...any) (*pactum.User, error) {
	var u pactum.User
	var org sql.NullString
	var deact sql.NullTime
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.Role, &org, &u.Site, &u.Username, &u.CreatedAt, &deact}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.OrganizationID = org.String
	u.DeactivatedAt = timePtr(deact)
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// InsertUser adds a user.
func (tx *Tx) InsertUser(ctx context.Context, u *pactum.User) error {
	var org any
	if u.OrganizationID != "" {
		org = u.OrganizationID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.Email, u.Name, u.Role, org, u.Site, u.Username, u.CreatedAt, nullTime(u.DeactivatedAt)); err != nil {
		return fmt.Errorf("insert user: %w", mapError(err))
	}
	return nil
}

// GetUser returns a user or ENOTFOUND.
func (q *queries) GetUser(ctx context.Context, id string) (*pactum.User, error) {
	u, err := scanUser(q.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return u, nil
}

// ListUsers lists users within s by e-mail.
func (q *queries) ListUsers(ctx context.Context, s pactum.Scope, f pactum.UserFilter) ([]*pactum.User, int, error) {
	var w where
	if !w.scope(s, scopeConds{organization: "organization_id = ?", user: "id = ?"}) {
		return []*pactum.User{}, 0, nil
	}
	if f.Role != nil {
		w.add("role = ?", string(*f.Role))
	}
	if f.OrganizationID != nil {
		w.add("organization_id = ?", *f.OrganizationID)
	}
	if f.Email != nil {
		w.add("email = ?", *f.Email)
	}
	return listCounted(ctx, q.q, "find users", `SELECT `+userColumns+` FROM users`, &w, "email", f.Limit, f.Offset, scanUser)
}

// CountUsers counts the users holding role.
func (q *queries) CountUsers(ctx context.Context, role pactum.Role) (int, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1`, string(role)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUsername sets a user's cluster username.
func (tx *Tx) UpdateUsername(ctx context.Context, userID, username string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET username = $1 WHERE id = $2`, username, userID)
	if err := checkOneRow(res, err, "user", userID); err != nil {
		return err
	}
	return tx.bumpAuthEpoch(ctx)
}

// UpdateUserDeactivated sets or (nil) clears a user's deactivation.
func (tx *Tx) UpdateUserDeactivated(ctx context.Context, userID string, at *time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET deactivated_at = $1 WHERE id = $2`, nullTime(at), userID)
	if err := checkOneRow(res, err, "user", userID); err != nil {
		return err
	}
	return tx.bumpAuthEpoch(ctx)
}

const tokenColumns = `id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at, scope`

func scanToken(row scanner, extra ...any) (*pactum.Token, error) {
	var t pactum.Token
	var exp, used, rev sql.NullTime
	if err := row.Scan(append([]any{&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &exp, &used, &rev, &t.Scope}, extra...)...); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(exp), timePtr(used), timePtr(rev)
	return &t, nil
}

// InsertToken stores a token with its secret's hash.
func (tx *Tx) InsertToken(ctx context.Context, t *pactum.Token, secretHash string) error {
	scope := t.Scope
	if scope == "" {
		scope = pactum.ScopeFull
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, user_id, name, prefix, secret_hash, created_at, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.UserID, t.Name, t.Prefix, secretHash, t.CreatedAt, nullTime(t.ExpiresAt), string(scope)); err != nil {
		return fmt.Errorf("insert token: %w", mapError(err))
	}
	return nil
}

// GetToken returns a token or ENOTFOUND.
func (q *queries) GetToken(ctx context.Context, id string) (*pactum.Token, error) {
	t, err := scanToken(q.q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Token %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return t, nil
}

// ListTokens lists a user's tokens, newest first.
func (q *queries) ListTokens(ctx context.Context, userID string) ([]*pactum.Token, error) {
	return listAll(ctx, q.q, "find tokens", `SELECT `+tokenColumns+` FROM tokens WHERE user_id = $1 ORDER BY id DESC`, []any{userID}, scanToken)
}

// GetTokenByHash returns the token with a secret's hash and its user.
func (q *queries) GetTokenByHash(ctx context.Context, hash string) (*pactum.Token, *pactum.User, error) {
	t := &pactum.Token{}
	var exp, rev, used sql.NullTime
	u, err := scanUser(q.q.QueryRowContext(ctx, `SELECT u.id, u.email, u.name, u.role, u.organization_id, u.site, u.username, u.created_at, u.deactivated_at,
		t.id, t.user_id, t.name, t.prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.scope
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1`, hash),
		&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &exp, &rev, &used, &t.Scope)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, pactum.Errorf(pactum.ENOTFOUND, "No such token.")
	} else if err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = timePtr(exp), timePtr(rev), timePtr(used)
	return t, u, nil
}

// UpdateTokenRevoked revokes a token at at.
func (tx *Tx) UpdateTokenRevoked(ctx context.Context, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2`, at, id)
	if err := checkOneRow(res, err, "token", id); err != nil {
		return err
	}
	return tx.bumpAuthEpoch(ctx)
}

// UpdateTokenUsed records a token's use at at.
func (tx *Tx) UpdateTokenUsed(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2`, at, id); err != nil {
		return fmt.Errorf("record token use: %w", err)
	}
	return nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	x := t.Time.UTC()
	return &x
}

// bumpAuthEpoch counts a change that ends a credential or changes its
// user (migration 00240): instances holding tokens in memory see the new
// epoch on their next request and read the token afresh.
func (tx *Tx) bumpAuthEpoch(ctx context.Context) error {
	if _, err := tx.ExecContext(ctx, `UPDATE auth_epoch SET epoch = epoch + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("count credential change: %w", err)
	}
	return nil
}

// GetAuthEpoch returns the count of credential changes (bumpAuthEpoch).
func (q *queries) GetAuthEpoch(ctx context.Context) (int64, error) {
	var e int64
	if err := q.q.QueryRowContext(ctx, `SELECT epoch FROM auth_epoch WHERE id = 1`).Scan(&e); err != nil {
		return 0, fmt.Errorf("read credential epoch: %w", err)
	}
	return e, nil
}
