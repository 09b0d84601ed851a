// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// SessionPrefix starts every session secret (the browser's cookie), so
// that it is never mistaken for an API token.
const SessionPrefix = "pcs_"

// sessionSeenEvery is how often a session's last request is written: the
// idle timeout is measured from it, so it is much shorter than any idle
// timeout worth configuring.
const sessionSeenEvery = time.Minute

// signInRefusal is what the audit log keeps of a refused sign-in.
type signInRefusal struct {
	Identity *pactum.Identity `json:"identity"`
	UserID   string           `json:"user_id,omitempty"`
	Reason   string           `json:"reason"`
}

// signInEvent is what the audit log keeps of a sign-in.
type signInEvent struct {
	Session  *pactum.Session  `json:"session"`
	Identity *pactum.Identity `json:"identity"`
}

// SignIn opens a session for an identity verified by the OpenID provider
// (package oidc checked the token) and returns the user, the session and
// its secret. The identity's (issuer, subject) finds its linked user; the
// first sign-in through an issuer links to the active, invited user
// (created by an access manager) whose e-mail equals the identity's
// e-mail, only when the provider says that e-mail is verified and only
// when that user has no link to the issuer yet, so nobody is ever linked
// silently to another person's account. The user's role's minimum
// assurance (Config.Assurance) must be met. Refusals are EFORBIDDEN with
// a message for the person, logged and kept in the audit log with the
// reason; malformed claims are EINVALID.
func (a *App) SignIn(ctx context.Context, id *pactum.Identity) (*pactum.User, *pactum.Session, string, error) {
	if err := id.Validate(); err != nil {
		a.logger.Warn("sign-in refused", "issuer", id.Issuer, "reason", "malformed claims", "err", err)
		return nil, nil, "", err
	}
	idc := *id
	id = &idc
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	refuse := func(u *pactum.User, reason, message string) error {
		userID := ""
		if u != nil {
			userID = u.ID
		}
		a.logger.Warn("sign-in refused", "issuer", id.Issuer, "subject", id.Subject, "email", id.Email, "user", userID, "reason", reason)
		err := a.update(ctx, nil, func(tx pactum.Tx) error {
			return tx.Record("signin.refuse", "identity", id.Issuer+" "+id.Subject, nil, signInRefusal{Identity: id, UserID: userID, Reason: reason})
		})
		if err != nil {
			return err
		}
		return pactum.Errorf(pactum.EFORBIDDEN, "%s", message)
	}
	var u *pactum.User
	var link *pactum.IdentityLink
	l, err := a.store.GetIdentityLink(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
		if u, err = a.store.GetUser(ctx, l.UserID); err != nil {
			return nil, nil, "", err
		}
	case pactum.ErrorCode(err) != pactum.ENOTFOUND:
		return nil, nil, "", err
	case id.Email == "":
		return nil, nil, "", refuse(nil, "no e-mail",
			"Your identity provider sent no e-mail address, so pactum cannot find your invitation. Allow it to share your e-mail address and sign in again.")
	case !id.EmailVerified:
		return nil, nil, "", refuse(nil, "e-mail not verified",
			"Your identity provider does not vouch that "+id.Email+" is yours (it is not verified), so pactum cannot link you to an invitation. Verify it with your provider and sign in again.")
	default:
		users, _, err := a.store.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Email: &id.Email, Limit: 2})
		if err != nil {
			return nil, nil, "", err
		}
		if len(users) != 1 {
			return nil, nil, "", refuse(nil, "not invited",
				"No pactum account is waiting for "+id.Email+". Ask an access manager to invite you with this address.")
		}
		u = users[0]
		if _, err := a.store.GetIdentityLinkOfUser(ctx, u.ID, id.Issuer); err == nil {
			return nil, nil, "", refuse(u, "user linked to another subject",
				"The pactum account of "+id.Email+" is already linked to another identity at this provider. Sign in with that identity, or ask an access manager.")
		} else if pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return nil, nil, "", err
		}
		link = &pactum.IdentityLink{Issuer: id.Issuer, Subject: id.Subject, UserID: u.ID, Email: id.Email}
	}
	if !u.Active() {
		return nil, nil, "", refuse(u, "user deactivated", "Your pactum account is deactivated. Ask an access manager.")
	}
	if missing := a.assurance.Missing(u.Role, id); len(missing) > 0 {
		return nil, nil, "", refuse(u, "insufficient assurance: missing "+strings.Join(missing, ", "),
			"Your identity's assurance is not enough to sign in as "+string(u.Role)+": pactum needs "+strings.Join(missing, ", ")+
				" from your identity provider (for example a verified identity or multi-factor sign-in).")
	}
	secret := SessionPrefix + strings.ToLower(rand.Text())
	var s *pactum.Session
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		now := tx.Now()
		// Re-read in the transaction: a deactivation since counts.
		cur, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if !cur.Active() {
			return pactum.Errorf(pactum.EFORBIDDEN, "Your pactum account is deactivated. Ask an access manager.")
		}
		u = cur
		if link != nil {
			link.LinkedAt = now
			if err := tx.InsertIdentityLink(ctx, link); err != nil {
				if pactum.ErrorCode(err) == pactum.ECONFLICT {
					// A concurrent first sign-in linked first.
					return pactum.Errorf(pactum.ECONFLICT, "Your account was linked by another sign-in just now; sign in again.")
				}
				return err
			}
			if err := tx.Record("identity.link", "user", u.ID, nil, link); err != nil {
				return err
			}
		}
		s = &pactum.Session{ID: newID(), UserID: u.ID, Issuer: id.Issuer, Subject: id.Subject,
			CreatedAt: now, ExpiresAt: now.Add(a.sessionTTL), LastSeenAt: now}
		if err := tx.InsertSession(ctx, s, hashSecret(secret)); err != nil {
			return err
		}
		return tx.Record("session.create", "session", s.ID, nil, signInEvent{Session: s, Identity: id})
	})
	if err != nil {
		return nil, nil, "", err
	}
	a.logger.Info("signed in", "user", u.ID, "session", s.ID, "issuer", id.Issuer, "linked", link != nil)
	return u, s, secret, nil
}

// AuthenticateSession returns the user and session of a session secret,
// or EUNAUTHORIZED for an unknown, revoked, expired or idle session or a
// deactivated user. Sessions are never cached: each request reads its
// session and user, so a sign-out or a deactivation stops it at once, on
// every instance. Its last request is written at most every minute.
func (a *App) AuthenticateSession(ctx context.Context, secret string) (*pactum.User, *pactum.Session, error) {
	ended := pactum.Errorf(pactum.EUNAUTHORIZED, "Your session has ended; sign in again.")
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) > 100 {
		return nil, nil, ended
	}
	s, u, err := a.store.GetSessionByHash(ctx, hashSecret(secret))
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return nil, nil, ended
	} else if err != nil {
		return nil, nil, err
	}
	now := a.now()
	switch {
	case s.RevokedAt != nil, !u.Active():
		return nil, nil, ended
	case !now.Before(s.ExpiresAt):
		return nil, nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Your session expired at %s; sign in again.", s.ExpiresAt.Format(time.RFC3339))
	case a.sessionIdle > 0 && now.Sub(s.LastSeenAt) >= a.sessionIdle:
		return nil, nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Your session ended after %s without activity; sign in again.", a.sessionIdle)
	}
	if now.Sub(s.LastSeenAt) >= sessionSeenEvery {
		if err := a.update(ctx, nil, func(tx pactum.Tx) error { return tx.UpdateSessionSeen(ctx, s.ID, tx.Now()) }); err != nil {
			a.logger.Warn("record session use", "session", s.ID, "err", err)
		} else {
			s.LastSeenAt = now
		}
	}
	return u, s, nil
}

// SignOut ends the session of secret, recorded in the audit log; an
// unknown or ended session is not an error.
func (a *App) SignOut(ctx context.Context, secret string) error {
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) > 100 {
		return nil
	}
	s, u, err := a.store.GetSessionByHash(ctx, hashSecret(secret))
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if s.RevokedAt != nil {
		return nil
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		now := tx.Now()
		if err := tx.RevokeSession(ctx, s.ID, now); err != nil {
			return err
		}
		before := *s
		s.RevokedAt = &now
		return tx.Record("session.revoke", "session", s.ID, before, s)
	})
}
