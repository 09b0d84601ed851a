// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// signInLinkPrefix starts every sign-in link's code, so that a code is
// recognisable (and never mistaken for a token or a session secret).
const signInLinkPrefix = "pactum_link_"

// CreateSignInLink implements pactum.SignInLinkService.
func (a *App) CreateSignInLink(ctx context.Context, userID string, ttl time.Duration) (*pactum.SignInLink, string, error) {
	caller, err := actor(ctx)
	if err != nil {
		return nil, "", err
	}
	if !pactum.IsSystem(caller) {
		return nil, "", pactum.Errorf(pactum.EFORBIDDEN, "Only the operator of this pactum (on its machine) makes sign-in links.")
	}
	if ttl == 0 {
		ttl = pactum.DefaultSignInLinkTTL
	}
	if ttl < time.Minute || ttl > pactum.MaxSignInLinkTTL {
		return nil, "", invalid("The sign-in link is not valid.", "ttl", "must be between 1 minute and "+pactum.MaxSignInLinkTTL.String())
	}
	code := signInLinkPrefix + strings.ToLower(rand.Text())
	var l *pactum.SignInLink
	err = a.update(ctx, caller, func(tx pactum.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if !u.Active() {
			return invalid("The sign-in link is not valid.", "user_id", "is deactivated")
		}
		now := tx.Now()
		l = &pactum.SignInLink{ID: newID(), UserID: u.ID, CreatedBy: caller.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if err := tx.InsertSignInLink(ctx, l, hashSecret(code)); err != nil {
			return err
		}
		return tx.Record("signin_link.create", "user", u.ID, nil, l)
	})
	if err != nil {
		return nil, "", err
	}
	return l, code, nil
}

// RedeemSignInLink implements pactum.SignInLinkService: the link is used
// and the session opened in one transaction, so a code works once even
// when two browsers present it together.
func (a *App) RedeemSignInLink(ctx context.Context, code string) (*pactum.User, *pactum.Session, string, error) {
	refused := pactum.Errorf(pactum.EUNAUTHORIZED, "This sign-in link does not work: it was used already, it expired, or it is wrong. Ask for a new one.")
	if !strings.HasPrefix(code, signInLinkPrefix) || len(code) > 100 {
		return nil, nil, "", refused
	}
	secret := SessionPrefix + strings.ToLower(rand.Text())
	var u *pactum.User
	var s *pactum.Session
	err := a.update(ctx, nil, func(tx pactum.Tx) error {
		now := tx.Now()
		l, err := tx.UseSignInLink(ctx, hashSecret(code), now)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND {
			return refused
		} else if err != nil {
			return err
		}
		if u, err = tx.GetUser(ctx, l.UserID); err != nil {
			return err
		}
		if !u.Active() {
			return refused
		}
		s = &pactum.Session{ID: newID(), UserID: u.ID, Issuer: pactum.SignInLinkIssuer, Subject: l.ID,
			CreatedAt: now, ExpiresAt: now.Add(a.sessionTTL), LastSeenAt: now}
		if err := tx.InsertSession(ctx, s, hashSecret(secret)); err != nil {
			return err
		}
		return tx.Record("session.create", "session", s.ID, nil, map[string]any{"session": s, "sign_in_link": l.ID})
	})
	if err != nil {
		if pactum.ErrorCode(err) == pactum.EUNAUTHORIZED {
			a.logger.Warn("sign-in link refused")
		}
		return nil, nil, "", err
	}
	a.logger.Info("signed in by link", "user", u.ID, "session", s.ID)
	return u, s, secret, nil
}
