// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"
	"time"

	"github.com/pactum/pactum"
)

// userRoutes serve the caller, users, their API tokens and their cluster
// usernames.
var userRoutes = []route{
	{"GET /api/v1/me", (*Server).handleMe},
	{"GET /api/v1/users", (*Server).handleListUsers},
	{"POST /api/v1/users", (*Server).handleCreateUser},
	{"GET /api/v1/users/{id}", (*Server).handleGetUser},
	{"PUT /api/v1/users/{id}/username", (*Server).handleSetUsername},
	{"GET /api/v1/users/{id}/tokens", (*Server).handleListTokens},
	{"POST /api/v1/users/{id}/tokens", (*Server).handleCreateToken},
	{"DELETE /api/v1/tokens/{id}", (*Server).handleRevokeToken},
	{"POST /api/v1/users/{id}/deactivate", (*Server).handleDeactivateUser},
	{"POST /api/v1/users/{id}/reactivate", (*Server).handleReactivateUser},
}

func (s *Server) handleDeactivateUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Users.DeactivateUser(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, u, err)
}

func (s *Server) handleReactivateUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Users.ReactivateUser(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, u, err)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, http.StatusOK, pactum.UserFromContext(r.Context()), nil)
}

type userInput struct {
	Email          string      `json:"email"`
	Name           string      `json:"name"`
	Role           pactum.Role `json:"role"`
	OrganizationID string      `json:"organization_id"`
	Site           string      `json:"site"`
	Username       string      `json:"username"`
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if !s.readBody(w, r, &in) {
		return
	}
	u := &pactum.User{Email: in.Email, Name: in.Name, Role: in.Role, OrganizationID: in.OrganizationID, Site: in.Site, Username: in.Username}
	err := s.cfg.Users.CreateUser(r.Context(), u)
	s.respond(w, r, http.StatusCreated, u, err)
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Users.FindUserByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, u, err)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("role", "organization_id", "email", "limit", "offset")
	f := pactum.UserFilter{OrganizationID: q.str("organization_id"), Email: q.str("email")}
	f.Limit, f.Offset = q.page()
	f.Role = enum(&q, "role", pactum.Role.Valid, "must be one of applicant, reviewer, access_manager, site_operator, auditor")
	if !s.readQuery(w, r, &q) {
		return
	}
	users, total, err := s.cfg.Users.FindUsers(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(users, total), err)
}

type usernameInput struct {
	Username string `json:"username"`
}

func (s *Server) handleSetUsername(w http.ResponseWriter, r *http.Request) {
	var in usernameInput
	if !s.readBody(w, r, &in) {
		return
	}
	u, err := s.cfg.Users.SetUsername(r.Context(), r.PathValue("id"), in.Username)
	s.respond(w, r, http.StatusOK, u, err)
}

type tokenInput struct {
	Name      string            `json:"name"`
	ExpiresAt *time.Time        `json:"expires_at"`
	Scope     pactum.TokenScope `json:"scope"`
}

// tokenCreated is the one response that carries a token's secret.
type tokenCreated struct {
	*pactum.Token
	Secret string `json:"secret"`
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if !s.readBody(w, r, &in) {
		return
	}
	t, secret, err := s.cfg.Users.CreateToken(r.Context(), r.PathValue("id"), in.Name, in.ExpiresAt, in.Scope)
	s.respond(w, r, http.StatusCreated, tokenCreated{Token: t, Secret: secret}, err)
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.cfg.Users.FindTokens(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, listOf(tokens, len(tokens)), err)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	err := s.cfg.Users.RevokeToken(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusNoContent, nil, err)
}
