// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Identity is what an OpenID provider asserted about the person signing
// in, after the relying party (package oidc) checked the ID token's
// issuer, audience, signature, expiry and nonce. Only the provider's
// (Issuer, Subject) pair identifies the person; the e-mail links a first
// sign-in to an invited user, and only when EmailVerified.
type Identity struct {
	Issuer        string `json:"issuer"`
	Subject       string `json:"subject"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
	// Assurance lists the identity's assurance values (for example
	// eduPersonAssurance: https://refeds.org/assurance/IAP/medium).
	Assurance []string `json:"assurance,omitempty"`
	// ACR is the authentication context of this sign-in (for example
	// https://refeds.org/profile/mfa).
	ACR string `json:"acr,omitempty"`
}

// Limits of an identity's claims: far above what providers send, low
// enough that a hostile provider cannot bloat the store or the log.
const (
	maxClaimLen     = 255
	maxAssurance    = 64
	maxIdentityName = 200
)

// Validate checks the claims' form: an issuer and subject are required,
// and no claim may hold control characters or be absurdly long.
func (id *Identity) Validate() error {
	var v Validator
	v.Check(id.Issuer != "", "iss", "is required")
	v.Check(len(id.Issuer) <= maxClaimLen, "iss", "must be at most %d characters", maxClaimLen)
	v.Text("iss", id.Issuer, false)
	v.Check(strings.TrimSpace(id.Subject) != "", "sub", "is required")
	v.Check(len(id.Subject) <= maxClaimLen, "sub", "must be at most %d characters", maxClaimLen)
	v.Text("sub", id.Subject, false)
	if id.Email != "" {
		v.Check(len(id.Email) <= 254, "email", "must be at most 254 characters")
		v.Check(validEmail(id.Email), "email", "must be a plain e-mail address")
		v.Text("email", id.Email, false)
	}
	v.Check(len(id.Name) <= maxIdentityName, "name", "must be at most %d characters", maxIdentityName)
	v.Text("name", id.Name, false)
	v.Check(len(id.Assurance) <= maxAssurance, "assurance", "must have at most %d values", maxAssurance)
	for i, a := range id.Assurance {
		f := fmt.Sprintf("assurance[%d]", i)
		v.Check(a != "" && len(a) <= maxClaimLen, f, "must be 1 to %d characters", maxClaimLen)
		v.Text(f, a, false)
	}
	v.Check(len(id.ACR) <= maxClaimLen, "acr", "must be at most %d characters", maxClaimLen)
	v.Text("acr", id.ACR, false)
	return v.Err("The identity provider's claims are not valid.")
}

// AssurancePolicy is the minimum assurance per role: the values an
// identity must hold (all of them) to sign in as a user of that role. A
// value is held when it is among the identity's assurance values or is
// its ACR (so https://refeds.org/profile/mfa can be required), or when a
// stronger value of the same REFEDS ladder is held (IAP/high holds
// IAP/medium and IAP/low; the Espresso profile holds Cappuccino). A role
// without an entry needs nothing.
type AssurancePolicy map[Role][]string

// refedsStronger lists, for a REFEDS value, the values that imply it.
var refedsStronger = map[string][]string{
	"https://refeds.org/assurance/IAP/low":            {"https://refeds.org/assurance/IAP/medium", "https://refeds.org/assurance/IAP/high"},
	"https://refeds.org/assurance/IAP/medium":         {"https://refeds.org/assurance/IAP/high"},
	"https://refeds.org/assurance/ATP/ePA-1m":         {"https://refeds.org/assurance/ATP/ePA-1d"},
	"https://refeds.org/assurance/profile/cappuccino": {"https://refeds.org/assurance/profile/espresso"},
}

// Missing returns the values of role's requirement that id does not hold
// (none: it may sign in as that role).
func (p AssurancePolicy) Missing(role Role, id *Identity) []string {
	var missing []string
	for _, want := range p[role] {
		if !holds(id, want) {
			missing = append(missing, want)
		}
	}
	return missing
}

func holds(id *Identity, want string) bool {
	if want == id.ACR || slices.Contains(id.Assurance, want) {
		return true
	}
	for _, s := range refedsStronger[want] {
		if slices.Contains(id.Assurance, s) {
			return true
		}
	}
	return false
}

// ParseAssuranceRequirement reads one minimum assurance of the form
// ROLE=VALUE[,VALUE...] (serve's --oidc-min-assurance), for example
// reviewer=https://refeds.org/assurance/IAP/medium. Values are URIs or
// other single-line strings without commas; EINVALID names what is wrong.
func ParseAssuranceRequirement(s string) (Role, []string, error) {
	role, list, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, Errorf(EINVALID, "Minimum assurance %q: write ROLE=VALUE[,VALUE...], e.g. reviewer=https://refeds.org/assurance/IAP/medium.", s)
	}
	r := Role(strings.TrimSpace(role))
	if !r.Valid() {
		return "", nil, Errorf(EINVALID, "Minimum assurance %q: %q is not a role (applicant, reviewer, access_manager, site_operator, auditor).", s, role)
	}
	var values []string
	for v := range strings.SplitSeq(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > maxClaimLen || textProblem(v, false) != "" {
			return "", nil, Errorf(EINVALID, "Minimum assurance for %s: each value must be 1 to %d characters of single-line text.", r, maxClaimLen)
		}
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	return r, values, nil
}

// IdentityLink ties a provider's subject to a user: made at the user's
// first sign-in through that provider, never changed afterwards. A user
// has at most one link per issuer; a subject belongs to one user.
type IdentityLink struct {
	Issuer   string    `json:"issuer"`
	Subject  string    `json:"subject"`
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"` // the verified e-mail that made the link
	LinkedAt time.Time `json:"linked_at"`
}

// Session is a signed-in browser's session. Only a hash of its secret is
// stored; the secret lives in the browser's cookie.
type Session struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Issuer     string     `json:"issuer"`
	Subject    string     `json:"subject"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Session lifetimes unless the server is configured otherwise: a session
// ends DefaultSessionTTL after sign-in, or after DefaultSessionIdle
// without a request.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = 2 * time.Hour
)

// SessionService signs people in through an OpenID provider and keeps
// their browser sessions.
type SessionService interface {
	// SignIn opens a session for a verified identity and returns the
	// user, the session and its secret (shown once). It needs no caller.
	// The identity's (issuer, subject) finds the linked user; at the first
	// sign-in through an issuer it links to the active user whose e-mail
	// equals the identity's verified e-mail, provided that user has no
	// link to that issuer yet. EINVALID for malformed claims; EFORBIDDEN,
	// with a message for the person, for an unverified or unknown
	// e-mail, a user linked to another subject, a deactivated user, or an
	// assurance below the user's role's minimum. Each sign-in and each
	// refusal is in the audit log.
	SignIn(ctx context.Context, id *Identity) (*User, *Session, string, error)
	// AuthenticateSession returns the user and session of a session
	// secret, or EUNAUTHORIZED for an unknown, revoked, expired or idle
	// session or a deactivated user; always read from the store, so a
	// deactivation or sign-out is seen at once by every instance. It
	// needs no caller.
	AuthenticateSession(ctx context.Context, secret string) (*User, *Session, error)
	// SignOut ends the session of secret; an unknown or ended session is
	// not an error. It needs no caller.
	SignOut(ctx context.Context, secret string) error
}

// SessionQueries read identity links and sessions.
type SessionQueries interface {
	// GetIdentityLink returns the link of (issuer, subject) or ENOTFOUND.
	GetIdentityLink(ctx context.Context, issuer, subject string) (*IdentityLink, error)
	// GetIdentityLinkOfUser returns userID's link to issuer or ENOTFOUND.
	GetIdentityLinkOfUser(ctx context.Context, userID, issuer string) (*IdentityLink, error)
	// GetSessionByHash returns the session whose secret hashes to hash and
	// its user, or ENOTFOUND.
	GetSessionByHash(ctx context.Context, hash string) (*Session, *User, error)
}

// SessionWrites change identity links and sessions.
type SessionWrites interface {
	// InsertIdentityLink adds l; ECONFLICT when the subject is linked or
	// the user has a link to the issuer.
	InsertIdentityLink(ctx context.Context, l *IdentityLink) error
	// InsertSession stores s with the hash of its secret (never the secret).
	InsertSession(ctx context.Context, s *Session, secretHash string) error
	// UpdateSessionSeen records a request of session id at at.
	UpdateSessionSeen(ctx context.Context, id string, at time.Time) error
	// RevokeSession ends session id at at, unless it has ended.
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// RevokeUserSessions ends every open session of userID at at and
	// returns how many it ended.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error)
}
