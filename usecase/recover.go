// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// RecoveryTTL is the lifetime of a token issued by RecoverAccess: long
// enough to make a lasting one with it, short enough not to become one.
const RecoveryTTL = 24 * time.Hour

// RecoverAccess issues a new full token, valid for RecoveryTTL, to the
// active access manager with e-mail email, for when every access
// manager's token is lost. It is for the machine's operator only: it is
// not an API use case, and runs offline against the database ("pactum
// admin recover"), which only whoever controls the host can do. operator
// names them (their login) in the audit log, where the recovery is
// recorded (user.recover_access, with the new token's ID, besides
// token.create) as done by the system on the operator's behalf.
// ENOTFOUND for no such access manager; ECONFLICT when they are
// deactivated.
func (a *App) RecoverAccess(ctx context.Context, email, operator string) (*pactum.User, *pactum.Token, string, error) {
	email = strings.TrimSpace(email)
	operator = strings.TrimSpace(operator)
	var v pactum.Validator
	v.Check(email != "" && len(email) <= 320, "email", "is required")
	v.Text("email", email, false)
	v.Check(len(operator) <= 100, "operator", "must be at most 100 characters")
	v.Text("operator", operator, false)
	if err := v.Err("The recovery is not valid."); err != nil {
		return nil, nil, "", err
	}
	if operator == "" {
		operator = "unknown"
	}
	sys := pactum.SystemUser()
	secret := TokenPrefix + strings.ToLower(rand.Text())
	var u *pactum.User
	var t *pactum.Token
	err := a.update(ctx, sys, func(tx pactum.Tx) error {
		role := pactum.RoleAccessManager
		us, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Email: &email, Limit: 2})
		if err != nil {
			return err
		}
		if len(us) != 1 {
			return pactum.Errorf(pactum.ENOTFOUND, "No access manager has the e-mail %q.", email)
		}
		u = us[0]
		if !u.Active() {
			return pactum.Errorf(pactum.ECONFLICT, "Access manager %s is deactivated; recover another, who can reactivate them.", u.Email)
		}
		now := tx.Now()
		exp := now.Add(RecoveryTTL).UTC().Truncate(time.Microsecond)
		t = &pactum.Token{ID: newID(), UserID: u.ID, Name: "recovery by " + operator, Prefix: secret[:len(TokenPrefix)+6],
			CreatedAt: now, ExpiresAt: &exp, Scope: pactum.ScopeFull}
		if err := tx.InsertToken(ctx, t, hashSecret(secret)); err != nil {
			return err
		}
		if err := tx.Record("token.create", "token", t.ID, nil, t); err != nil {
			return err
		}
		return tx.Record("user.recover_access", "user", u.ID, nil, map[string]any{
			"email": u.Email, "token_id": t.ID, "operator": operator, "how": "pactum admin recover, run on the database's host"})
	})
	if err != nil {
		return nil, nil, "", err
	}
	a.logger.Warn("access recovered offline", "user", u.Email, "token", t.ID, "operator", operator)
	return u, t, secret, nil
}
