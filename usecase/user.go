// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// TokenPrefix starts every API token, so that secret scanners and people
// recognise one.
const TokenPrefix = "pct_"

// CreateUser adds a user. Access managers only. EINVALID for bad fields or
// an unknown organization or site, ECONFLICT when the e-mail or username is taken.
func (a *App) CreateUser(ctx context.Context, u *pactum.User) error {
	caller, err := manager(ctx, "create users")
	if err != nil {
		return err
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if err := u.Validate(); err != nil {
		return err
	}
	return a.update(ctx, caller, func(tx pactum.Tx) error {
		if u.OrganizationID != "" {
			if _, err := tx.GetOrganization(ctx, u.OrganizationID); pactum.ErrorCode(err) == pactum.ENOTFOUND {
				return invalid("The user is not valid.", "organization_id", "names no registered organization")
			} else if err != nil {
				return err
			}
		}
		if u.Site != "" {
			// A site is known by the systems it hosts; an operator of
			// none would provision nothing and see nothing.
			systems, err := tx.ListSystems(ctx)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(systems, func(s *pactum.System) bool { return s.Site == u.Site }) {
				return invalid("The user is not valid.", "site", "names no site of the catalogue (a site hosts at least one system)")
			}
		}
		u.ID, u.CreatedAt = newID(), tx.Now()
		if err := tx.InsertUser(ctx, u); err != nil {
			if pactum.ErrorCode(err) != pactum.ECONFLICT {
				return err
			}
			if u.Username != "" {
				return pactum.Errorf(pactum.ECONFLICT, "A user with e-mail %s or username %s already exists.", u.Email, u.Username)
			}
			return pactum.Errorf(pactum.ECONFLICT, "A user with e-mail %s already exists.", u.Email)
		}
		return tx.Record("user.create", "user", u.ID, nil, u)
	})
}

// FindUserByID returns a user the caller may see (CanSeeUser), or
// ENOTFOUND.
func (a *App) FindUserByID(ctx context.Context, id string) (*pactum.User, error) {
	caller, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	u, err := a.store.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeUser(caller, u) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", id)
	}
	return u, nil
}

// FindUsers lists the users the caller may see, by e-mail, and the total
// matching.
func (a *App) FindUsers(ctx context.Context, f pactum.UserFilter) ([]*pactum.User, int, error) {
	caller, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.Email != nil {
		e := strings.ToLower(*f.Email)
		f.Email = &e
	}
	return a.store.ListUsers(ctx, pactum.UserScope(caller), f)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// canManageTokens: users manage their own tokens; access managers anyone's.
func canManageTokens(u *pactum.User, userID string) bool {
	return u.ID == userID || pactum.HasRole(u, pactum.RoleAccessManager)
}

// CreateToken issues a token for userID and returns it with its secret,
// shown this once: only its SHA-256 is stored. Tokens carry 130 random
// bits, so a fast hash is as safe as a slow one and keeps authentication
// cheap on every request. Users create their own tokens, access managers
// anyone's; ENOTFOUND otherwise or for an unknown user, ECONFLICT for a
// deactivated user. A token without an expiry expires after the server's
// default lifetime (Config.TokenDefaultTTL); one beyond its maximum
// (Config.TokenMaxTTL) is EINVALID on expires_at. scope "" is full.
func (a *App) CreateToken(ctx context.Context, userID, name string, expiresAt *time.Time, scope pactum.TokenScope) (*pactum.Token, string, error) {
	caller, err := actor(ctx)
	if err != nil {
		return nil, "", err
	}
	if !canManageTokens(caller, userID) {
		return nil, "", pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", userID)
	}
	now := a.clock()
	if scope == "" {
		scope = pactum.ScopeFull
	}
	var v pactum.Validator
	name = strings.TrimSpace(name)
	v.Check(name != "" && len(name) <= 100, "name", "is required (at most 100 characters)")
	v.Text("name", name, false)
	v.Check(scope.Valid(), "scope", "must be one of full, read-only, site-agent")
	v.Check(expiresAt == nil || expiresAt.After(now), "expires_at", "must be in the future")
	v.Check(expiresAt == nil || !expiresAt.After(now.AddDate(pactum.TokenMaxYears, 0, 0)), "expires_at",
		"must be at most %d years ahead", pactum.TokenMaxYears)
	if a.tokenMaxTTL > 0 {
		v.Check(expiresAt == nil || !expiresAt.After(now.Add(a.tokenMaxTTL)), "expires_at",
			"must be at most %s ahead (the server's maximum token lifetime)", days(a.tokenMaxTTL))
	}
	if err := v.Err("The token is not valid."); err != nil {
		return nil, "", err
	}
	if expiresAt == nil && a.tokenDefaultTTL > 0 {
		ttl := a.tokenDefaultTTL
		if a.tokenMaxTTL > 0 && ttl > a.tokenMaxTTL {
			ttl = a.tokenMaxTTL
		}
		e := now.Add(ttl)
		expiresAt = &e
	}
	secret := TokenPrefix + strings.ToLower(rand.Text())
	var t *pactum.Token
	err = a.update(ctx, caller, func(tx pactum.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if !u.Active() {
			return pactum.Errorf(pactum.ECONFLICT, "User %s is deactivated: reactivate them before giving them a token.", u.Email)
		}
		t = &pactum.Token{ID: newID(), UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: tx.Now(), Scope: scope}
		if expiresAt != nil {
			e := expiresAt.UTC().Truncate(time.Microsecond)
			t.ExpiresAt = &e
		}
		if err := tx.InsertToken(ctx, t, hashSecret(secret)); err != nil {
			return err
		}
		return tx.Record("token.create", "token", t.ID, nil, t)
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// days writes d in days when it is a whole number of them ("90 days").
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(n) + " days"
	}
	return d.String()
}

// FindTokens lists the tokens of userID, newest first, never their
// secrets: to the user, access managers and auditors; ENOTFOUND otherwise.
func (a *App) FindTokens(ctx context.Context, userID string) ([]*pactum.Token, error) {
	caller, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !canManageTokens(caller, userID) && !pactum.HasRole(caller, pactum.RoleAuditor) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "User %q not found.", userID)
	}
	return a.store.ListTokens(ctx, userID)
}

// RevokeToken makes a token unusable at once; revoking twice is not an
// error. Its user or an access manager; ENOTFOUND otherwise.
func (a *App) RevokeToken(ctx context.Context, tokenID string) error {
	caller, err := actor(ctx)
	if err != nil {
		return err
	}
	defer a.cache.dropToken(tokenID)
	return a.update(ctx, caller, func(tx pactum.Tx) error {
		t, err := tx.GetToken(ctx, tokenID)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND || (err == nil && !canManageTokens(caller, t.UserID)) {
			return pactum.Errorf(pactum.ENOTFOUND, "Token %q not found.", tokenID)
		} else if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := tx.Now()
		if err := tx.UpdateTokenRevoked(ctx, tokenID, now); err != nil {
			return err
		}
		before := *t
		t.RevokedAt = &now
		return tx.Record("token.revoke", "token", t.ID, before, t)
	})
}

// tokenUseEvery is how often a token's last use is written: enough to
// spot stale tokens, without a write on every request.
const tokenUseEvery = time.Minute

// Authenticate returns the user a token secret belongs to and the token's
// scope, or EUNAUTHORIZED for an unknown, revoked or expired secret or a
// deactivated user (with no detail: the caller may not be the token's
// owner). It needs no caller. A token seen in the last tokenTTL is answered
// from memory (its expiry is still checked) as long as the store's
// credential epoch has not moved since: revoking it or deactivating its
// user, on this instance or another on the same database, refuses it on
// the next request. The epoch is one primary-key read per request, where
// a cache miss reads the token and its user and may record its use.
func (a *App) Authenticate(ctx context.Context, secret string) (*pactum.User, pactum.TokenScope, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "Invalid API token.")
	}
	hash := hashSecret(secret)
	now := a.clock()
	epoch, err := a.store.GetAuthEpoch(ctx)
	if err != nil {
		return nil, "", err
	}
	if e, ok := a.cache.token(hash); ok && e.epoch == epoch {
		if e.expiresAt != nil && !now.Before(*e.expiresAt) {
			return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "This API token expired at %s.", e.expiresAt.UTC().Format(time.RFC3339))
		}
		return e.user, e.scope, nil
	}
	t, u, err := a.store.GetTokenByHash(ctx, hash)
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "Invalid API token.")
	} else if err != nil {
		return nil, "", err
	}
	if t.RevokedAt != nil {
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "This API token was revoked.")
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "This API token expired at %s.", t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if !u.Active() {
		// Not cached: it must stay refused, and reactivation must work
		// at once.
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "Invalid API token.")
	}
	if t.Scope == "" {
		t.Scope = pactum.ScopeFull
	}
	// Record use at most every tokenUseEvery. Between writes the token is
	// answered from the cache (tokenTTL), so this read-and-compare costs a
	// store read, not a write, per tokenTTL.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenUseEvery {
		err := a.update(ctx, nil, func(tx pactum.Tx) error { return tx.UpdateTokenUsed(ctx, t.ID, tx.Now()) })
		if err != nil {
			a.logger.Warn("record token use", "token", t.ID, "err", err)
		}
	}
	a.cache.putToken(hash, cachedToken{user: u, tokenID: t.ID, expiresAt: t.ExpiresAt, scope: t.Scope, at: time.Now(), epoch: epoch})
	return u, t.Scope, nil
}

// DeactivateUser makes a user unable to act: their sign-in sessions end
// at once on every instance (revoked, and never cached); their tokens are
// refused at once, on every server on the same database, and no token can be issued to them; their tokens
// are kept, so reactivation restores them. Access managers only
// (EFORBIDDEN); ENOTFOUND for an unknown user; ECONFLICT for the caller
// themself, which also keeps the last access manager active. Deactivating
// a deactivated user changes nothing.
func (a *App) DeactivateUser(ctx context.Context, userID string) (*pactum.User, error) {
	caller, err := manager(ctx, "deactivate users")
	if err != nil {
		return nil, err
	}
	if caller.ID == userID {
		return nil, pactum.Errorf(pactum.ECONFLICT, "You cannot deactivate yourself; another access manager can.")
	}
	return a.setUserActive(ctx, caller, userID, false)
}

// ReactivateUser undoes DeactivateUser: the user's unrevoked, unexpired
// tokens work again. Access managers only (EFORBIDDEN); ENOTFOUND for an
// unknown user; reactivating an active user changes nothing.
func (a *App) ReactivateUser(ctx context.Context, userID string) (*pactum.User, error) {
	caller, err := manager(ctx, "reactivate users")
	if err != nil {
		return nil, err
	}
	return a.setUserActive(ctx, caller, userID, true)
}

func (a *App) setUserActive(ctx context.Context, caller *pactum.User, userID string, active bool) (*pactum.User, error) {
	defer a.cache.dropUser(userID)
	var u *pactum.User
	err := a.update(ctx, caller, func(tx pactum.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, userID); err != nil {
			return err
		}
		if u.Active() == active {
			return nil
		}
		before := *u
		kind := "user.reactivate"
		u.DeactivatedAt = nil
		if !active {
			now := tx.Now()
			u.DeactivatedAt, kind = &now, "user.deactivate"
			// Their sign-in sessions end for good: reactivation
			// restores tokens, not browsers left signed in.
			n, err := tx.RevokeUserSessions(ctx, userID, now)
			if err != nil {
				return err
			}
			if n > 0 {
				if err := tx.Record("session.revoke_all", "user", u.ID, nil, map[string]int{"sessions": n}); err != nil {
					return err
				}
			}
		}
		if err := tx.UpdateUserDeactivated(ctx, userID, u.DeactivatedAt); err != nil {
			return err
		}
		return tx.Record(kind, "user", u.ID, before, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetUsername sets (or, with "", clears) a user's cluster username. Access
// managers only (EFORBIDDEN); ENOTFOUND for an unknown user, EINVALID for a
// bad name, ECONFLICT when another user has it.
func (a *App) SetUsername(ctx context.Context, userID, username string) (*pactum.User, error) {
	caller, err := manager(ctx, "set cluster usernames")
	if err != nil {
		return nil, err
	}
	if username != "" && !pactum.ValidUsername(username) {
		return nil, invalid("The username is not valid.", "username",
			"must be a POSIX user name: a lower-case letter or '_' first, then lower-case letters, digits, '_', '-' or '.', at most 32")
	}
	// A token cached with the old user must not keep answering with it.
	defer a.cache.dropUser(userID)
	var u *pactum.User
	err = a.update(ctx, caller, func(tx pactum.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, userID); err != nil {
			return err
		}
		if u.Username == username {
			return nil
		}
		before := *u
		if err := tx.UpdateUsername(ctx, userID, username); err != nil {
			if pactum.ErrorCode(err) == pactum.ECONFLICT {
				return pactum.Errorf(pactum.ECONFLICT, "Another user already has the username %s.", username)
			}
			return err
		}
		u.Username = username
		return tx.Record("user.set_username", "user", u.ID, before, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Bootstrap creates the first access manager and an API token for them, so
// that a new installation can be administered through the API. It needs no
// caller: it acts as pactum itself, and refuses (ECONFLICT) once any access
// manager exists, so it cannot mint a second administrator behind the
// first one's back.
func (a *App) Bootstrap(ctx context.Context, email, name string) (*pactum.User, string, error) {
	n, err := a.store.CountUsers(ctx, pactum.RoleAccessManager)
	if err != nil {
		return nil, "", err
	}
	if n > 0 {
		return nil, "", pactum.Errorf(pactum.ECONFLICT, "This installation already has an access manager; ask them for an account.")
	}
	sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
	u := &pactum.User{Email: email, Name: name, Role: pactum.RoleAccessManager}
	if err := a.CreateUser(sys, u); err != nil {
		return nil, "", err
	}
	_, secret, err := a.CreateToken(sys, u.ID, "bootstrap", nil, pactum.ScopeFull)
	if err != nil {
		return nil, "", err
	}
	return u, secret, nil
}
