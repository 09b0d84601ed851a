// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// UserService implements pactum.UserService.
type UserService struct{ db *DB }

var _ pactum.UserService = (*UserService)(nil)

// NewUserService returns the user and token service.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// TokenPrefix starts every API token, so that secret scanners and people
// recognise one.
const TokenPrefix = "pct_"

const userColumns = `id, email, name, role, organization_id, site, username, created_at`

func scanUser(row scanner, extra ...any) (*pactum.User, error) {
	var u pactum.User
	var org sql.NullString
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.Role, &org, &u.Site, &u.Username, &u.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.OrganizationID = org.String
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// CreateUser adds a user. Access managers only.
func (s *UserService) CreateUser(ctx context.Context, u *pactum.User) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if !pactum.HasRole(a, pactum.RoleAccessManager) {
		return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may create users.")
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if err := u.Validate(); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error { return createUser(ctx, tx, u) })
}

func createUser(ctx context.Context, tx *Tx, u *pactum.User) error {
	if u.OrganizationID != "" {
		if _, err := findOrgByID(ctx, tx, u.OrganizationID); pactum.ErrorCode(err) == pactum.ENOTFOUND {
			return &pactum.Error{Code: pactum.EINVALID, Message: "The user is not valid.",
				Fields: []pactum.FieldError{{Field: "organization_id", Message: "names no registered organization"}}}
		} else if err != nil {
			return err
		}
	}
	u.ID = newID()
	u.CreatedAt = tx.now
	var org any
	if u.OrganizationID != "" {
		org = u.OrganizationID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.Email, u.Name, u.Role, org, u.Site, u.Username, u.CreatedAt); err != nil {
		if isConflict(err) {
			if u.Username != "" {
				return pactum.Errorf(pactum.ECONFLICT, "A user with e-mail %s or username %s already exists.", u.Email, u.Username)
			}
			return pactum.Errorf(pactum.ECONFLICT, "A user with e-mail %s already exists.", u.Email)
		}
		return fmt.Errorf("insert user: %w", mapError(err))
	}
	return tx.record("user.create", "user", u.ID, nil, u)
}

// FindUserByID returns the caller themself, or anyone to access managers and
// auditors, or members of the caller's own organization to applicants.
func (s *UserService) FindUserByID(ctx context.Context, id string) (*pactum.User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	u, err := findUserByID(ctx, s.db.r, id)
	if err != nil {
		return nil, err
	}
	if a.ID != u.ID && !pactum.CanReadAll(a) && !(a.Role == pactum.RoleApplicant && a.OrganizationID != "" && a.OrganizationID == u.OrganizationID) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", id)
	}
	return u, nil
}

func findUserByID(ctx context.Context, q querier, id string) (*pactum.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return u, nil
}

// FindUsers lists users: all to access managers and auditors, the own
// organization's to applicants, only themselves to others.
func (s *UserService) FindUsers(ctx context.Context, f pactum.UserFilter) ([]*pactum.User, int, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	switch {
	case pactum.CanReadAll(a):
	case a.Role == pactum.RoleApplicant:
		w.add("organization_id = ?", a.OrganizationID)
	default:
		w.add("id = ?", a.ID)
	}
	if f.Role != nil {
		w.add("role = ?", string(*f.Role))
	}
	if f.OrganizationID != nil {
		w.add("organization_id = ?", *f.OrganizationID)
	}
	if f.Email != nil {
		w.add("email = ?", strings.ToLower(*f.Email))
	}
	q := `SELECT ` + userColumns + `, COUNT(*) OVER () FROM users` + w.String() + ` ORDER BY email` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find users", q, w.args, scanUser)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// canManageTokens: users manage their own tokens; access managers anyone's.
func canManageTokens(a *pactum.User, userID string) bool {
	return a.ID == userID || pactum.HasRole(a, pactum.RoleAccessManager)
}

// CreateToken issues a token. The secret is returned once and only its
// SHA-256 is stored: tokens carry 130 random bits, so a fast hash is as
// safe as a slow one and keeps authentication cheap on every request.
func (s *UserService) CreateToken(ctx context.Context, userID, name string, expiresAt *time.Time) (*pactum.Token, string, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, "", err
	}
	if !canManageTokens(a, userID) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", userID)
	}
	var v pactum.Validator
	name = strings.TrimSpace(name)
	v.Check(name != "" && len(name) <= 100, "name", "is required (at most 100 characters)")
	v.Check(expiresAt == nil || expiresAt.After(s.db.now()), "expires_at", "must be in the future")
	if err := v.Err("The token is not valid."); err != nil {
		return nil, "", err
	}
	var t *pactum.Token
	secret := TokenPrefix + strings.ToLower(rand.Text())
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		t, err = createToken(ctx, tx, userID, name, secret, expiresAt)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func createToken(ctx context.Context, tx *Tx, userID, name, secret string, expiresAt *time.Time) (*pactum.Token, error) {
	if _, err := findUserByID(ctx, tx, userID); err != nil {
		return nil, err
	}
	t := &pactum.Token{ID: newID(), UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: tx.now}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, user_id, name, prefix, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.UserID, t.Name, t.Prefix, hashSecret(secret), t.CreatedAt, nullTime(t.ExpiresAt)); err != nil {
		return nil, fmt.Errorf("insert token: %w", mapError(err))
	}
	return t, tx.record("token.create", "token", t.ID, nil, t)
}

const tokenColumns = `id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row scanner) (*pactum.Token, error) {
	var t pactum.Token
	var exp, used, rev sql.NullTime
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &exp, &used, &rev); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(exp), timePtr(used), timePtr(rev)
	return &t, nil
}

// FindTokens lists a user's tokens, newest first.
func (s *UserService) FindTokens(ctx context.Context, userID string) ([]*pactum.Token, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !canManageTokens(a, userID) && !pactum.HasRole(a, pactum.RoleAuditor) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", userID)
	}
	rows, err := s.db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	defer rows.Close()
	out := []*pactum.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("scan token: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token at once. Revoking twice is not an error.
func (s *UserService) RevokeToken(ctx context.Context, tokenID string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	defer s.db.cache.dropToken(tokenID)
	return s.db.write(ctx, func(tx *Tx) error { return revokeToken(ctx, tx, a, tokenID) })
}

func revokeToken(ctx context.Context, tx *Tx, a *pactum.User, tokenID string) error {
	t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1`, tokenID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canManageTokens(a, t.UserID)) {
		return pactum.Errorf(pactum.ENOTFOUND, "Token %q not found.", tokenID)
	} else if err != nil {
		return fmt.Errorf("find token: %w", err)
	}
	if t.RevokedAt != nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2`, tx.now, tokenID); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	before := *t
	t.RevokedAt = &tx.now
	return tx.record("token.revoke", "token", t.ID, before, t)
}

// Authenticate resolves a token secret to its user. A token seen in the
// last tokenTTL is answered from memory (its expiry is still checked);
// revoking it here forgets it at once.
func (s *UserService) Authenticate(ctx context.Context, secret string) (*pactum.User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Invalid API token.")
	}
	hash := hashSecret(secret)
	now := s.db.now()
	if e, ok := s.db.cache.token(hash); ok {
		if e.expiresAt != nil && !now.Before(*e.expiresAt) {
			return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "This API token expired at %s.", e.expiresAt.UTC().Format(time.RFC3339))
		}
		return e.user, nil
	}
	var exp, rev, used sql.NullTime
	var tokenID string
	u, err := scanUser(s.db.r.QueryRowContext(ctx, `SELECT u.id, u.email, u.name, u.role, u.organization_id, u.site, u.username, u.created_at,
		t.id, t.expires_at, t.revoked_at, t.last_used_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1`, hash), &tokenID, &exp, &rev, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Invalid API token.")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if rev.Valid {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "This API token was revoked.")
	}
	if exp.Valid && !now.Before(exp.Time) {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "This API token expired at %s.", exp.Time.UTC().Format(time.RFC3339))
	}
	// Record use at most every five minutes: enough to spot stale tokens,
	// without a write on every request.
	if !used.Valid || now.Sub(used.Time) > 5*time.Minute {
		err := s.db.write(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2`, tx.now, tokenID)
			return err
		})
		if err != nil {
			s.db.logger.Warn("record token use", "token", tokenID, "err", err)
		}
	}
	s.db.cache.putToken(hash, cachedToken{user: u, tokenID: tokenID, expiresAt: timePtr(exp), at: time.Now()})
	return u, nil
}

// SetUsername sets or clears a user's cluster username.
func (s *UserService) SetUsername(ctx context.Context, userID, username string) (*pactum.User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.HasRole(a, pactum.RoleAccessManager) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may set cluster usernames.")
	}
	if username != "" && !pactum.ValidUsername(username) {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The username is not valid.", Fields: []pactum.FieldError{{Field: "username",
			Message: "must be a POSIX user name: a lower-case letter or '_' first, then lower-case letters, digits, '_', '-' or '.', at most 32"}}}
	}
	// A token cached with the old user must not keep answering with it.
	defer s.db.cache.dropUser(userID)
	var u *pactum.User
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		if u, err = findUserByID(ctx, tx, userID); err != nil {
			return err
		}
		if u.Username == username {
			return nil
		}
		before := *u
		if _, err := tx.ExecContext(ctx, `UPDATE users SET username = $1 WHERE id = $2`, username, userID); err != nil {
			if isConflict(err) {
				return pactum.Errorf(pactum.ECONFLICT, "Another user already has the username %s.", username)
			}
			return fmt.Errorf("set username: %w", mapError(err))
		}
		u.Username = username
		return tx.record("user.set_username", "user", u.ID, before, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
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

// Bootstrap creates the first access manager and an API token for them, so
// a new installation can be administered through the API. It acts as pactum
// itself and refuses (ECONFLICT) once any access manager exists, so it
// cannot be used to mint a second administrator behind the first one's back.
func (s *UserService) Bootstrap(ctx context.Context, email, name string) (*pactum.User, string, error) {
	var n int
	if err := s.db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1`, string(pactum.RoleAccessManager)).Scan(&n); err != nil {
		return nil, "", fmt.Errorf("count access managers: %w", err)
	}
	if n > 0 {
		return nil, "", pactum.Errorf(pactum.ECONFLICT, "This installation already has an access manager; ask them for an account.")
	}
	sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
	u := &pactum.User{Email: email, Name: name, Role: pactum.RoleAccessManager}
	if err := s.CreateUser(sys, u); err != nil {
		return nil, "", err
	}
	_, secret, err := s.CreateToken(sys, u.ID, "bootstrap", nil)
	if err != nil {
		return nil, "", err
	}
	return u, secret, nil
}
