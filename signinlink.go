// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// SignInLink is a one-time link that opens a browser session for a user
// without an OpenID provider: for the demo (`pactum demo --serve` prints
// one per role) and for an operator who must let someone in while the
// identity provider is away. Only the operator makes them (the system
// identity, from the machine that runs pactum), never a user through the
// API. Only a hash of its code is stored; the code works once, until
// ExpiresAt.
type SignInLink struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
}

// SignInLinkIssuer is the Issuer of a session opened by a sign-in link
// (its Subject is the link's ID).
const SignInLinkIssuer = "pactum:sign-in-link"

// Bounds of a sign-in link's life.
const (
	DefaultSignInLinkTTL = 15 * time.Minute
	MaxSignInLinkTTL     = 7 * 24 * time.Hour
)

// SignInLinkService makes and redeems sign-in links.
type SignInLinkService interface {
	// CreateSignInLink makes a link for active user userID, valid for
	// ttl (DefaultSignInLinkTTL when 0, at most MaxSignInLinkTTL), and
	// returns it with its code (shown once). Only the system identity may
	// (EFORBIDDEN otherwise); ENOTFOUND for an unknown user, EINVALID for a
	// deactivated one or a bad ttl. Audit-logged.
	CreateSignInLink(ctx context.Context, userID string, ttl time.Duration) (*SignInLink, string, error)
	// RedeemSignInLink uses a link's code, once, and opens a session for
	// its user: the user, the session and its secret. It needs no caller.
	// EUNAUTHORIZED for an unknown, used or expired code, or a user
	// deactivated since. Audit-logged.
	RedeemSignInLink(ctx context.Context, code string) (*User, *Session, string, error)
}

// SignInLinkWrites store sign-in links.
type SignInLinkWrites interface {
	// InsertSignInLink stores l with the hash of its code.
	InsertSignInLink(ctx context.Context, l *SignInLink, codeHash string) error
	// UseSignInLink marks the unused, unexpired link of codeHash used at
	// at and returns it; ENOTFOUND when there is none.
	UseSignInLink(ctx context.Context, codeHash string, at time.Time) (*SignInLink, error)
}
