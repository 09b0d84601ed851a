// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/oidc"
)

// Browser sign-in through an OpenID provider, and the sessions it opens.
//
// GET /auth/login sends the browser to the provider (state, nonce and
// PKCE verifier kept in a short-lived cookie); GET /auth/callback
// verifies the provider's answer (package oidc), signs the person in
// (pactum.SessionService) and sets the session cookie; POST /auth/logout
// ends the session. The session cookie is __Host- prefixed, Secure,
// HttpOnly and SameSite=Lax; it holds the session's secret, of which the
// store keeps only a hash.
//
// Every state-changing request authenticated by the session cookie must
// carry the session's CSRF token, in the X-CSRF-Token header or the
// csrf_token form field: SessionUser gives it to the pages that need it
// (the portal), and each response to a session-authenticated API request
// carries it in X-CSRF-Token. Requests with a bearer token need none: a
// browser never adds an Authorization header by itself.

// Cookie and field names.
const (
	SessionCookie = "__Host-pactum_session"
	flowCookie    = "__Host-pactum_signin"
	// CSRFHeader and CSRFField carry the CSRF token of a session.
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// signInFlowTTL is how long a browser has at the provider to sign in.
const signInFlowTTL = 10 * time.Minute

// OpenIDProvider is the relying party's side of a sign-in (package oidc's
// RelyingParty).
type OpenIDProvider interface {
	Start() (authURL string, flow oidc.Flow)
	Finish(ctx context.Context, flow oidc.Flow, state, code string) (*pactum.Identity, error)
}

// SignInConfig enables browser sign-in.
type SignInConfig struct {
	Provider OpenIDProvider
	Sessions pactum.SessionService
	// Links, when set, serves one-time sign-in links at /auth/link
	// (pactum.SignInLinkService): the demo's, and an operator's way in
	// while the provider is away. Provider may then be nil.
	Links pactum.SignInLinkService
	// AfterLogin is where a signed-in browser goes when /auth/login was
	// given no next path; the portal (/portal/) when "".
	AfterLogin string
	// AfterLogout is where /auth/logout sends the browser; with "" it
	// answers a short text.
	AfterLogout string
}

// signInFlow is what the flow cookie holds.
type signInFlow struct {
	oidc.Flow
	Next string `json:"next,omitempty"`
}

// registerSignIn adds the /auth/ endpoints when sign-in is configured.
func (s *Server) registerSignIn(mux *http.ServeMux) {
	if s.cfg.SignIn == nil || s.cfg.SignIn.Sessions == nil || (s.cfg.SignIn.Provider == nil && s.cfg.SignIn.Links == nil) {
		return
	}
	if s.cfg.SignIn.Provider != nil {
		mux.HandleFunc("GET /auth/login", s.handleLogin)
		mux.HandleFunc("GET /auth/callback", s.handleCallback)
	}
	if s.cfg.SignIn.Links != nil {
		mux.HandleFunc("GET /auth/link", s.handleLinkPage)
		mux.HandleFunc("POST /auth/link", s.handleLink)
	}
	mux.HandleFunc("POST /auth/logout", s.handleLogout)
}

// linkPage asks before using a sign-in link: a GET changes nothing, so a
// mail scanner or a browser's prefetch that opens the link does not spend
// it; the person's button press (a POST) does.
var linkPage = template.Must(template.New("link").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · pactum</title><link rel="stylesheet" href="/portal/static/pactum.css"></head>
<body><main id="main"><h1>Sign in to pactum</h1>
<p>This one-time link signs you in once. It stops working after that, or when it expires.</p>
<form method="post" action="/auth/link"><input type="hidden" name="code" value="{{.}}">
<button type="submit">Sign in</button></form></main></body></html>
`))

func (s *Server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	code := r.URL.Query().Get("code")
	if code == "" || len(code) > 100 {
		s.authError(w, r, pactum.Errorf(pactum.EINVALID, "This sign-in link is incomplete: copy the whole link."))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := linkPage.Execute(w, code); err != nil {
		s.logger.Error("sign-in link page", "err", err)
	}
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	_, sess, secret, err := s.cfg.SignIn.Links.RedeemSignInLink(r.Context(), r.PostFormValue("code"))
	if err != nil {
		s.authError(w, r, err)
		return
	}
	s.startSession(w, r, sess, secret, "")
}

// localPath reports whether p is a path on this server (not another
// site's URL, not a scheme-relative //host), fit to redirect to.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		len(p) <= 1000 && !strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if next != "" && !localPath(next) {
		s.authError(w, r, pactum.Errorf(pactum.EINVALID, "next must be a path on this server, such as /portal."))
		return
	}
	url, flow := s.cfg.SignIn.Provider.Start()
	b, err := json.Marshal(signInFlow{Flow: flow, Next: next})
	if err != nil {
		s.authError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: int(signInFlowTTL / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, url, http.StatusFound)
}

func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// The flow is used once, whatever happens.
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.authError(w, r, pactum.Errorf(pactum.EUNAUTHORIZED, "The identity provider did not sign you in: %s.", clip(e+" "+q.Get("error_description"), 200)))
		return
	}
	var flow signInFlow
	c, err := r.Cookie(flowCookie)
	if err == nil {
		var b []byte
		if b, err = base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			err = json.Unmarshal(b, &flow)
		}
	}
	if err != nil {
		s.authError(w, r, pactum.Errorf(pactum.EUNAUTHORIZED, "This sign-in was not started here or took too long; start again at /auth/login."))
		return
	}
	id, err := s.cfg.SignIn.Provider.Finish(r.Context(), flow.Flow, q.Get("state"), q.Get("code"))
	if err != nil {
		s.authError(w, r, err)
		return
	}
	_, sess, secret, err := s.cfg.SignIn.Sessions.SignIn(r.Context(), id)
	if err != nil {
		s.authError(w, r, err)
		return
	}
	s.startSession(w, r, sess, secret, flow.Next)
}

// startSession gives the browser its new session's cookie, ends the
// session it had before, and sends it on to next (a local path), or to
// AfterLogin, or to the portal.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, sess *pactum.Session, secret, next string) {
	// A session this browser had before ends: one browser, one session.
	if old, err := r.Cookie(SessionCookie); err == nil && old.Value != "" {
		if err := s.cfg.SignIn.Sessions.SignOut(r.Context(), old.Value); err != nil {
			s.logger.Warn("end the previous session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if next == "" || !localPath(next) {
		next = s.cfg.SignIn.AfterLogin
	}
	if next == "" {
		next = "/portal/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		s.authError(w, r, pactum.Errorf(pactum.EUNAUTHORIZED, "You are not signed in."))
		return
	}
	// Sign-out changes state: a page of another site must not sign
	// people out, so the CSRF token is needed as for every other form.
	if !validCSRF(r, c.Value) {
		s.authError(w, r, errCSRF)
		return
	}
	if err := s.cfg.SignIn.Sessions.SignOut(r.Context(), c.Value); err != nil {
		s.authError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if s.cfg.SignIn.AfterLogout != "" {
		http.Redirect(w, r, s.cfg.SignIn.AfterLogout, http.StatusSeeOther)
		return
	}
	writeText(w, http.StatusOK, "You are signed out.")
}

// authError answers a browser's sign-in request with the error's
// message as text, and logs why.
func (s *Server) authError(w http.ResponseWriter, r *http.Request, err error) {
	code := pactum.ErrorCode(err)
	msg := pactum.ErrorMessage(err)
	if code == pactum.EINTERNAL {
		s.logger.Error("sign-in: internal error", "path", r.URL.Path, "err", err)
		msg = "Internal error."
	} else {
		s.logger.Warn("sign-in failed", "path", r.URL.Path, "code", code, "reason", msg)
	}
	if f := pactum.ErrorFields(err); len(f) > 0 {
		for _, e := range f {
			msg += "\n" + e.Field + ": " + e.Message
		}
	}
	writeText(w, ErrorStatus(code), msg)
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// clip shortens s to at most n bytes of printable text.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// CSRFToken returns the CSRF token of the session whose secret is
// secret: an HMAC of a fixed label under the secret, so it needs no
// storage, changes with every session, and cannot be computed without
// the cookie that another site's page cannot read.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("pactum csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var errCSRF = pactum.Errorf(pactum.EFORBIDDEN, "This request needs the session's CSRF token (the X-CSRF-Token header or the csrf_token form field); reload the page and try again.")

// safeMethod reports whether m changes nothing by definition.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// validCSRF reports whether r carries the CSRF token of the session
// secret, in the header or (for forms) the form field.
func validCSRF(r *http.Request, secret string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
			r.Body = http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
			got = r.PostFormValue(CSRFField)
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(CSRFToken(secret))) == 1
}

// SessionUser returns the user signed in by the request's session cookie
// and the session's CSRF token, for pages to put in their forms. It
// refuses a state-changing request (not GET, HEAD or OPTIONS) without the
// CSRF token (EFORBIDDEN), and answers EUNAUTHORIZED without a valid
// session. Sessions are read from the store on every request: a
// sign-out or deactivation stops them at once.
func (s *Server) SessionUser(r *http.Request) (*pactum.User, string, error) {
	if s.cfg.SignIn == nil || s.cfg.SignIn.Sessions == nil {
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in is not enabled on this server.")
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		if s.cfg.SignIn.Provider == nil {
			return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "You are not signed in. This server has no identity provider: ask its operator for a one-time sign-in link (pactum admin sign-in-link).")
		}
		return nil, "", pactum.Errorf(pactum.EUNAUTHORIZED, "You are not signed in: sign in at /auth/login.")
	}
	u, _, err := s.cfg.SignIn.Sessions.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		return nil, "", err
	}
	if !safeMethod(r.Method) && !validCSRF(r, c.Value) {
		return nil, "", errCSRF
	}
	return u, CSRFToken(c.Value), nil
}

// RequireSession serves h to signed-in browsers (SessionUser), with the
// user in the request's context, and answers others as the API does
// (401, or 403 without the CSRF token). It is the portal's front door.
func (s *Server) RequireSession(h func(w http.ResponseWriter, r *http.Request, u *pactum.User, csrf string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, csrf, err := s.SessionUser(r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		h(w, r.WithContext(pactum.NewContextWithUser(r.Context(), u)), u, csrf)
	})
}

// hasSessionCookie reports whether sign-in is on and r carries a session
// cookie (and so may be authenticated by it).
func (s *Server) hasSessionCookie(r *http.Request) bool {
	if s.cfg.SignIn == nil || s.cfg.SignIn.Sessions == nil {
		return false
	}
	c, err := r.Cookie(SessionCookie)
	return err == nil && c.Value != ""
}
