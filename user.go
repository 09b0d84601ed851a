// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"net/mail"
	"strings"
	"time"
)

// Role is what a user does in the scheme. Each user has exactly one role;
// a person with two jobs holds two accounts, which keeps duties separate
// (a reviewer never decides on proposals they could also submit).
type Role string

// The roles.
const (
	RoleApplicant     Role = "applicant"      // member of an organization; writes and submits proposals
	RoleReviewer      Role = "reviewer"       // reviews proposals assigned to them
	RoleAccessManager Role = "access_manager" // runs calls, decides, manages users
	RoleSiteOperator  Role = "site_operator"  // runs a hosting site; provisions its allocations
	RoleAuditor       Role = "auditor"        // reads everything, changes nothing
)

// Roles lists every role, in a stable order for help texts.
var Roles = []Role{RoleApplicant, RoleReviewer, RoleAccessManager, RoleSiteOperator, RoleAuditor}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is a person who acts in the scheme.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// OrganizationID is set for applicants only: the organization whose
	// proposals they may read and write.
	OrganizationID string `json:"organization_id,omitempty"`
	// Site is set for site operators only: the hosting site (for example
	// "CSC") whose systems' allocations they provision.
	Site string `json:"site,omitempty"`
	// Username is the user's POSIX login on the scheme's clusters, set by
	// access managers (ValidUsername; unique). An applicant with one is a
	// member of every allocation of their organization: the site agent
	// adds it to the allocation's scheduler account.
	Username  string    `json:"username,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DeactivatedAt is set while the user is deactivated (DeactivateUser):
	// their tokens are refused and no token can be issued to them.
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
}

// Active reports whether u may act (is not deactivated).
func (u *User) Active() bool { return u.DeactivatedAt == nil }

// Validate checks the user's own fields. Whether the organization exists is
// the store's concern.
func (u *User) Validate() error {
	var v Validator
	v.Check(validEmail(u.Email), "email", "must be a plain e-mail address")
	v.Check(len(u.Email) <= 254, "email", "must be at most 254 characters")
	v.Text("email", u.Email, false)
	v.Check(strings.TrimSpace(u.Name) != "", "name", "is required")
	v.Check(len(u.Name) <= 200, "name", "must be at most 200 characters")
	v.Text("name", u.Name, false)
	v.Check(u.Role.Valid(), "role", "must be one of applicant, reviewer, access_manager, site_operator, auditor")
	if u.Role == RoleApplicant {
		v.Check(u.OrganizationID != "", "organization_id", "is required for an applicant")
		v.Text("organization_id", u.OrganizationID, false)
	} else {
		v.Check(u.OrganizationID == "", "organization_id", "is only for applicants")
	}
	if u.Role == RoleSiteOperator {
		v.Check(u.Site != "", "site", "is required for a site operator")
		v.Check(len(u.Site) <= 100, "site", "must be at most 100 characters")
		v.Text("site", u.Site, false)
	} else {
		v.Check(u.Site == "", "site", "is only for site operators")
	}
	v.Check(u.Username == "" || ValidUsername(u.Username), "username",
		"must be a POSIX user name: a lower-case letter or '_' first, then lower-case letters, digits, '_', '-' or '.', at most 32")
	return v.Err("The user is not valid.")
}

// validEmail reports whether s is a plain address such as ada@aleph.example,
// without a display name.
func validEmail(s string) bool {
	_, err := mail.ParseAddress(s)
	return s != "" && err == nil && !strings.ContainsAny(s, "<> ")
}

// Token is an API token bound to a user. Only its SHA-256 hash is stored; the
// secret is shown once, at creation.
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters, to recognise a token in a list
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Scope limits what the token may do; "" is read as ScopeFull.
	Scope TokenScope `json:"scope"`
}

// TokenScope limits the requests a token may make, whatever its user's
// role allows. It is a limit of the API's front door, enforced where
// requests arrive (package http, scopeAllows); the use cases judge the user
// as ever.
type TokenScope string

// The token scopes.
const (
	// ScopeFull: everything the user may do (the default).
	ScopeFull TokenScope = "full"
	// ScopeReadOnly: only reading requests (GET and HEAD).
	ScopeReadOnly TokenScope = "read-only"
	// ScopeSiteAgent: only the requests a site agent makes (desired
	// state, heartbeat, drift, usage ingest, ...) and reading its own user.
	ScopeSiteAgent TokenScope = "site-agent"
)

// TokenScopes lists the scopes, in a stable order for help texts.
var TokenScopes = []TokenScope{ScopeFull, ScopeReadOnly, ScopeSiteAgent}

// Valid reports whether s is one of the defined scopes.
func (s TokenScope) Valid() bool {
	return s == ScopeFull || s == ScopeReadOnly || s == ScopeSiteAgent
}

// Token lifetimes, unless the server is configured otherwise
// (usecase.Config): a token created without an expiry expires after
// DefaultTokenTTL; none may be valid for longer than MaxTokenTTL.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 365 * 24 * time.Hour
)

// UserFilter selects users. Nil fields match everything.
type UserFilter struct {
	Role           *Role
	OrganizationID *string
	Email          *string
	Limit, Offset  int
}

// UserService manages users and their API tokens.
type UserService interface {
	// CreateUser adds a user. Access managers only. EINVALID for bad fields
	// or an unknown organization or site (a site operator's site hosts at
	// least one system of the catalogue), ECONFLICT when the e-mail is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns a user. Callers see themselves; access managers
	// and auditors see everyone. ENOTFOUND otherwise.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsers lists users visible to the caller and the total matching.
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)

	// CreateToken issues a token for userID and returns it with its secret,
	// which is not stored. Users may create their own tokens; access
	// managers may create anyone's. ENOTFOUND for an unknown user,
	// ECONFLICT for a deactivated one; EINVALID for an expiry beyond the
	// server's maximum or an unknown scope ("" is ScopeFull). A token
	// without an expiry gets the server's default.
	CreateToken(ctx context.Context, userID, name string, expiresAt *time.Time, scope TokenScope) (*Token, string, error)
	// FindTokens lists the tokens of userID (never their secrets), under the
	// same rule as CreateToken.
	FindTokens(ctx context.Context, userID string) ([]*Token, error)
	// RevokeToken makes a token unusable at once. ENOTFOUND when the caller
	// may not see it.
	RevokeToken(ctx context.Context, tokenID string) error
	// SetUsername sets (or, with "", clears) a user's cluster username.
	// Access managers only (EFORBIDDEN); ENOTFOUND for an unknown user,
	// EINVALID for a bad name, ECONFLICT when another user has it.
	SetUsername(ctx context.Context, userID, username string) (*User, error)
	// DeactivateUser makes a user unable to act: their tokens are refused
	// at once, their sign-in sessions end, and no token can be issued to
	// them. Access managers only
	// (EFORBIDDEN); ENOTFOUND for an unknown user; ECONFLICT for the
	// caller themself (so the last access manager stays). Deactivating a
	// deactivated user is not an error.
	DeactivateUser(ctx context.Context, userID string) (*User, error)
	// ReactivateUser undoes DeactivateUser; their unrevoked, unexpired
	// tokens work again. Access managers only; idempotent.
	ReactivateUser(ctx context.Context, userID string) (*User, error)
	// Authenticate returns the user a token secret belongs to and the
	// token's scope, or EUNAUTHORIZED for an unknown, revoked or expired
	// secret or a deactivated user. It needs no caller in ctx.
	Authenticate(ctx context.Context, secret string) (*User, TokenScope, error)
}

type contextKey int

const userContextKey contextKey = 1

// NewContextWithUser returns a context that carries the acting user. Every
// service reads its caller from here.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the acting user, or nil when there is none.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// SystemUserID is the ID of the identity under which pactum itself acts.
const SystemUserID = "system"

// SystemUser returns the identity under which pactum itself acts (bootstrap,
// catalogue seeding, offline tools). It holds an access manager's rights and
// is never reachable through a token.
func SystemUser() *User {
	return &User{ID: SystemUserID, Email: "system@pactum.invalid", Name: "pactum", Role: RoleAccessManager}
}

// IsSystem reports whether u is the internal system identity.
func IsSystem(u *User) bool { return u != nil && u.ID == SystemUserID }
