// SPDX-License-Identifier: EUPL-1.2

// Package oidc is pactum's OpenID Connect relying party: it sends a
// browser to a configured provider (MyAccessID, Keycloak or any compliant
// one, found by discovery) with the authorization code flow, state, nonce
// and PKCE (S256), and turns the provider's answer into a
// pactum.Identity after checking the ID token's issuer, audience,
// signature (the provider's published keys), expiry and nonce. Claims
// come from the ID token and the userinfo endpoint (MyAccessID sends
// eduperson_assurance there only). It decides nothing about users: the
// use cases do (usecase.App.SignIn).
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/pactum/pactum"
)

// DefaultAssuranceClaim is the claim read as the identity's assurance:
// eduPersonAssurance as MyAccessID and other AARC proxies name it.
const DefaultAssuranceClaim = "eduperson_assurance"

// Config configures a relying party.
type Config struct {
	// Issuer is the provider's issuer URL, e.g. https://proxy.myaccessid.org;
	// its /.well-known/openid-configuration is read at New.
	Issuer string
	// ClientID and ClientSecret are pactum's registration at the provider.
	ClientID, ClientSecret string
	// RedirectURL is pactum's callback, e.g. https://pactum.example/auth/callback,
	// as registered at the provider.
	RedirectURL string
	// Scopes to ask for; openid, email and profile when nil.
	Scopes []string
	// AssuranceClaim names the claim holding assurance values;
	// DefaultAssuranceClaim when "".
	AssuranceClaim string
	// SubjectSuffix, when set, is the ending every subject must have
	// (MyAccessID's are <hex>@myaccessid.org): a subject without it, or
	// the bare suffix's test@ account, is refused.
	SubjectSuffix string
	// HTTPClient talks to the provider; a client with a 15-second
	// timeout when nil.
	HTTPClient *http.Client
	// Now is the clock that judges token expiry; time.Now when nil.
	Now func() time.Time
}

// RelyingParty signs people in through one OpenID provider. It is safe
// for concurrent use.
type RelyingParty struct {
	cfg      Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	oauth    oauth2.Config
}

// New reads the provider's discovery document (which must name the
// configured issuer) and returns a relying party.
func New(ctx context.Context, cfg Config) (*RelyingParty, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: the issuer, client ID and redirect URL are required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AssuranceClaim == "" {
		cfg.AssuranceClaim = DefaultAssuranceClaim
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{gooidc.ScopeOpenID, "email", "profile"}
	}
	rp := &RelyingParty{cfg: cfg}
	p, err := gooidc.NewProvider(rp.ctx(ctx), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	rp.provider = p
	rp.verifier = p.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: cfg.Now})
	rp.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: cfg.Scopes}
	return rp, nil
}

// Issuer returns the provider's issuer URL.
func (rp *RelyingParty) Issuer() string { return rp.cfg.Issuer }

// ctx carries the relying party's HTTP client to go-oidc and oauth2.
func (rp *RelyingParty) ctx(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, rp.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, rp.cfg.HTTPClient)
}

// Flow is one sign-in's secrets, kept by the browser between Start and
// Finish (pactum keeps them in a short-lived cookie): the state that
// binds the callback to this browser, the nonce that binds the ID token
// to this sign-in, and the PKCE verifier that binds the code to it.
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

// Start begins a sign-in: it returns the provider's authorization URL to
// send the browser to, and the flow's secrets to keep until Finish.
func (rp *RelyingParty) Start() (string, Flow) {
	f := Flow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier()}
	return rp.oauth.AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), f
}

// Finish completes a sign-in from the callback's state and code: the
// state must be the flow's; the code is exchanged (with the PKCE
// verifier) for tokens; the ID token is verified (issuer, audience,
// signature, expiry) and must carry the flow's nonce; userinfo, when the
// provider has it, must be about the same subject. EUNAUTHORIZED says
// what failed.
func (rp *RelyingParty) Finish(ctx context.Context, f Flow, state, code string) (*pactum.Identity, error) {
	if f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the answer does not belong to the sign-in this browser started (state mismatch); start again.")
	}
	if code == "" {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the identity provider sent no authorization code.")
	}
	ctx = rp.ctx(ctx)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the identity provider refused the authorization code (%v).", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the identity provider sent no ID token.")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the ID token is not valid (%v).", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the ID token was not issued for this sign-in (nonce mismatch).")
	}
	// The access token reads userinfo: when the ID token binds one
	// (at_hash), it must be this one.
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the access token does not belong to the ID token (%v).", err)
		}
	}
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the ID token's claims cannot be read (%v).", err)
	}
	if rp.provider.UserInfoEndpoint() != "" {
		ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the identity provider's userinfo could not be read (%v).", err)
		}
		var more map[string]json.RawMessage
		if err := ui.Claims(&more); err != nil {
			return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the userinfo cannot be read (%v).", err)
		}
		if ui.Subject != idt.Subject {
			return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the userinfo is about another subject than the ID token.")
		}
		for k, v := range more {
			if _, reserved := tokenOnly[k]; !reserved {
				claims[k] = v
			}
		}
	}
	id, err := MapClaims(idt.Issuer, claims, rp.cfg.AssuranceClaim)
	if err != nil {
		return nil, err
	}
	if sfx := rp.cfg.SubjectSuffix; sfx != "" && (!strings.HasSuffix(id.Subject, sfx) || id.Subject == sfx || id.Subject == "test"+sfx) {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "Sign-in failed: the identity provider's subject %q is not one of its personal identities (it must end in %s).", id.Subject, sfx)
	}
	return id, nil
}

// tokenOnly are the ID token's claims that userinfo may not replace.
var tokenOnly = map[string]struct{}{"iss": {}, "sub": {}, "aud": {}, "exp": {}, "iat": {}, "nbf": {}, "nonce": {}, "azp": {}, "acr": {}, "amr": {}, "auth_time": {}}

// MapClaims turns verified claims into an identity: sub, email,
// email_verified (a boolean, or "true"/"false" as some providers send
// it), name (or given_name and family_name), acr, and the assurance claim
// (a string or an array of strings). A claim of the wrong type is
// EINVALID naming it; so is any claim Identity.Validate refuses.
func MapClaims(issuer string, claims map[string]json.RawMessage, assuranceClaim string) (*pactum.Identity, error) {
	id := &pactum.Identity{Issuer: issuer}
	var v pactum.Validator
	str := func(name string, dst *string) {
		raw, ok := claims[name]
		if !ok || string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			v.Add(name, "must be a string")
		}
	}
	str("sub", &id.Subject)
	str("email", &id.Email)
	str("name", &id.Name)
	str("acr", &id.ACR)
	if id.Name == "" {
		var given, family string
		str("given_name", &given)
		str("family_name", &family)
		id.Name = strings.TrimSpace(given + " " + family)
	}
	if raw, ok := claims["email_verified"]; ok {
		var b bool
		var s string
		switch {
		case json.Unmarshal(raw, &b) == nil:
			id.EmailVerified = b
		case json.Unmarshal(raw, &s) == nil && (s == "true" || s == "false"):
			id.EmailVerified = s == "true"
		default:
			v.Add("email_verified", "must be true or false")
		}
	}
	if raw, ok := claims[assuranceClaim]; ok && string(raw) != "null" {
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			id.Assurance = []string{one}
		case json.Unmarshal(raw, &many) == nil:
			id.Assurance = many
		default:
			v.Add(assuranceClaim, "must be a string or an array of strings")
		}
	}
	if err := v.Err("The identity provider's claims are not valid."); err != nil {
		return nil, err
	}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	return id, nil
}
